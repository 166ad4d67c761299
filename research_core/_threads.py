"""BLAS and OpenMP thread pools held to one thread where work runs (issue 29).

The work is many small fits (HMMs, regressions, covariances, k-means starts): threads only
add overhead, and on a shared 2-core machine an unbounded pool burned 2-5x the CPU of one
thread for the same answer, several processes each starting a pool per core.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar

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
