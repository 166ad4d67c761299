"""Bounded in-process memos that threads may share (a page server's requests, the
pipeline's steps): one helper so every memo is bounded and written under one lock."""

from __future__ import annotations

import threading
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")
_LOCK = threading.Lock()


def remember(memo: dict[K, V], key: K, value: V, size: int) -> V:
    """Keep ``value`` under ``key`` in ``memo``, which holds at most ``size`` entries (the
    oldest written go first); returns ``value``. Readers use ``memo.get`` without the lock
    (a dict read is atomic); writers all take it, so an eviction never races another."""
    with _LOCK:
        memo.pop(key, None)
        while memo and len(memo) >= size:
            memo.pop(next(iter(memo)))
        memo[key] = value
    return value
