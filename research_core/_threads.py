"""BLAS and OpenMP thread pools held to one thread where work runs, and the cyclic garbage
collector made rarer there (issue 29).

The work is many small fits (HMMs, regressions, covariances, k-means starts): threads only
add overhead, and on a shared 2-core machine an unbounded pool burned 2-5x the CPU of one
thread for the same answer, several processes each starting a pool per core.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from typing import Any

from threadpoolctl import threadpool_limits

_HELD: ContextVar[OneThread | None] = ContextVar("one_thread_held", default=None)


class OneThread:
    """Holds BLAS and OpenMP pools to one thread in a ``with`` block, also those of
    libraries loaded inside it (the agents import scikit-learn, and its OpenMP pool, on
    their first run; a limit covers only the libraries loaded when it is set): call
    :meth:`refresh` between units of work, which sets it again when modules were imported
    since (a scan of the loaded libraries costs about 10 ms, so not at every call)."""

    def __enter__(self) -> OneThread:
        self._stack = ExitStack()
        self._seen = -1
        self.refresh()
        self._token = _HELD.set(self)
        return self

    def refresh(self) -> None:
        if len(sys.modules) != self._seen:
            self._stack.enter_context(threadpool_limits(1))
            self._seen = len(sys.modules)

    def __exit__(self, *exc: object) -> None:
        _HELD.reset(self._token)
        self._stack.close()


@contextmanager
def one_thread() -> Iterator[None]:
    """Pools held to one thread in the block: by the :class:`OneThread` this context already
    holds, refreshed (modules may have been imported since), else by a new one."""
    held = _HELD.get()
    if held is None:
        with OneThread():
            yield
    else:
        held.refresh()
        yield


_GC_LOCK = threading.Lock()
_GC_STATE: list[Any] = [0, None]  # blocks open in this process; the settings before the first


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector less often in the block, and never over the objects
    alive when it began (modules, the lake's arrays), which it rescanned for ~3% of the
    gathering's CPU: the same garbage is freed, later, so nothing computed changes. The
    settings are process-wide: blocks in several threads share them, the last one out puts
    the thresholds back, and objects the host froze itself stay frozen (then none is)."""
    with _GC_LOCK:
        if _GC_STATE[0] == 0:
            froze = gc.get_freeze_count() == 0
            _GC_STATE[1] = (gc.get_threshold(), froze)
            if froze:
                gc.freeze()
            gc.set_threshold(10_000, 20, 20)
        _GC_STATE[0] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_STATE[0] -= 1
            if _GC_STATE[0] == 0:
                thresholds, froze = _GC_STATE[1]
                gc.set_threshold(*thresholds)
                if froze:
                    gc.unfreeze()
