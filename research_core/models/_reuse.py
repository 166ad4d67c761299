"""Fits reused across as-of dates, keyed by the exact content of their inputs (issue 29).

On most business days a monthly model's complete months are yesterday's: the regression,
the rolling windows, the r* filter and the output-gap filter see the same numbers, so the
agents need not refit them. A result is kept under the bytes, dtype, shape and strides of
every input array and the settings (:func:`array_key`), never under a date: identical
inputs give the identical result by construction, and a revision in any complete month is
a new key. The results live in the process memo (``research_core._memo``), a small table
per kind, oldest first out. What is kept is read-only arrays and numbers; callers get
their own copies (:func:`fresh`) and build their own pandas objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

from research_core._memo import MEMO, Kind

V = TypeVar("V")


def array_key(a: np.ndarray | None) -> tuple[object, ...]:
    """What a pure computation on ``a`` can depend on: dtype, shape, layout and bytes.
    Object arrays are refused: their bytes are addresses, which freed objects pass on."""
    if a is None:
        return ("none",)
    if a.dtype.hasobject:
        raise TypeError(f"no content key for an array of {a.dtype} (its bytes are addresses)")
    return (a.dtype.str, a.shape, a.strides, a.tobytes())


def reused(kind: Kind[V], key: tuple[object, ...], compute: Callable[[], V]) -> V:
    """The value kept for ``key``, else ``compute()`` kept and returned (it must be a pure
    function of what ``key`` holds, and its arrays read-only: :func:`frozen`). A warning
    ``compute`` raises is raised when it runs, not again at a reuse: under Python's default
    filter a repeated warning shows once per place anyway, and replaying one would need the
    process-wide warnings state, which threads share."""
    found = MEMO.get(kind, key)
    if found is not None:
        return found
    return MEMO.put(kind, key, compute())


def frozen(a: np.ndarray) -> np.ndarray:
    """``a`` made read-only (it is kept for later calls: nobody may write into it)."""
    a.flags.writeable = False
    return a


def fresh(a: np.ndarray) -> np.ndarray:
    """A writable copy of a kept array, in its layout (the same later arithmetic)."""
    return a.copy(order="K")
