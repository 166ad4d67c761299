"""One executor for sweeps, walk-forward folds and CPCV paths: local processes or Dask.

``Executor()`` runs on a local process pool; ``Executor(cluster="tcp://host:8786")`` sends
the same tasks to a Dask scheduler, ``Executor(cluster="local")`` starts a LocalCluster
(both need the ``[cluster]`` extra). Results come back in input order, so a sweep gives the
same answer wherever it ran.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from research_core._threads import OneThread
from research_core.errors import BacktestError

T = TypeVar("T")


class Executor:
    """Map a picklable function over items, locally or on a Dask cluster."""

    def __init__(self, cluster: str | None = None, workers: int | None = None) -> None:
        self.cluster = cluster
        self.workers = workers or max(1, min(4, os.cpu_count() or 1))
        self._client: Any = None
        self._local_cluster: Any = None

    def __enter__(self) -> Executor:
        if self.cluster is not None:
            try:
                from distributed import Client, LocalCluster
            except ImportError as err:
                raise BacktestError(
                    "--cluster needs Dask: pip install 'research_core[cluster]'"
                ) from err
            if self.cluster == "local":
                self._local_cluster = LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True
                )
                self._client = Client(self._local_cluster)
            else:
                self._client = Client(self.cluster)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._local_cluster is not None:
            self._local_cluster.close()
        self._client = self._local_cluster = None

    def map(self, fn: Callable[..., T], items: Iterable[Any]) -> list[T]:
        """``[fn(item) for item in items]``, in parallel; order kept, first error raised."""
        return list(self.imap(fn, items))

    def imap(self, fn: Callable[..., T], items: Iterable[Any]) -> Iterator[T]:
        """:meth:`map`, yielding each result (in order) as soon as it and those before it
        are done, for a progress bar. Each call holds BLAS/OpenMP pools to one thread:
        several processes on few cores, where threads in each only fight each other."""
        work = list(items)
        bounded = functools.partial(_one_thread, fn)
        if self.cluster is not None:
            if self._client is None:
                raise BacktestError("use the Executor as a context manager with a cluster")
            futures = self._client.map(bounded, work, pure=False)
            yield from (f.result() for f in futures)
            return
        if self.workers == 1 or len(work) <= 1:
            yield from (bounded(w) for w in work)
            return
        # Spawned, not forked: a child forked after the parent started OpenMP threads
        # (scikit-learn/hmmlearn in the agents) deadlocks in its first parallel region.
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(self.workers, len(work)), mp_context=spawn) as pool:
            yield from pool.map(bounded, work)

    def __repr__(self) -> str:
        where = self.cluster or f"{self.workers} local processes"
        return f"Executor({where})"


def _one_thread(fn: Callable[..., T], item: Any) -> T:
    with OneThread():
        return fn(item)
