"""The one in-process memo of work done on lake views (issue 28, item 3).

Agent reports, the failures of agents that could not run yet, unit histories, unit
returns and the cross-asset HMM fits are all kept here, each kind in its own bounded table
(the oldest written go first) under one lock, so threads (a page server's requests, the
pipeline's steps) share it safely. Keys start with the view's ``cache_key`` (lake,
snapshot, vintage): a write to the lake gives new snapshots and so new keys, never a stale
answer. The lake's own array cache (``lake.files``, full arrays of recent snapshots, below
every view's bounds) stays with the lake, under its own lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

V = TypeVar("V")
Key = tuple[object, ...]


@dataclass(frozen=True)
class Kind(Generic[V]):
    """One kind of work kept in the memo: its name and how many entries it may hold."""

    name: str
    size: int


class ViewMemo:
    """Bounded tables of results per kind, keyed by view (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[str, OrderedDict[Key, object]] = {}

    def get(self, kind: Kind[V], key: Key) -> V | None:
        """The value kept under ``key`` for ``kind`` (None when there is none)."""
        with self._lock:
            table = self._tables.get(kind.name)
            return None if table is None else cast("V | None", table.get(key))

    def put(self, kind: Kind[V], key: Key, value: V) -> V:
        """Keep ``value`` under ``key`` (evicting the oldest beyond ``kind.size``); returns it."""
        with self._lock:
            table = self._tables.setdefault(kind.name, OrderedDict())
            table.pop(key, None)
            while table and len(table) >= kind.size:
                table.popitem(last=False)
            table[key] = value
        return value

    def keys(self, kind: Kind[V]) -> list[Key]:
        """The keys ``kind`` holds now, oldest first."""
        with self._lock:
            return list(self._tables.get(kind.name, ()))

    def clear(self) -> None:
        """Forget everything (a new process: only the lake's report store remembers)."""
        with self._lock:
            self._tables.clear()


MEMO = ViewMemo()
