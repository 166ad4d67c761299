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

import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

from research_core._memo import MEMO, Kind

V = TypeVar("V")
Warned = tuple[warnings.WarningMessage, ...]


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
    function of what ``key`` holds, and its arrays read-only: :func:`frozen`). The warnings
    ``compute`` raised are kept with it and raised again at every call, reuse or not, so
    what a caller is warned of does not depend on what the process ran before."""
    paired = cast("Kind[tuple[Any, Warned]]", kind)  # the table holds (value, warnings)
    found = MEMO.get(paired, key)
    if found is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = compute()
        found = MEMO.put(paired, key, (value, tuple(caught)))
    for w in found[1]:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return cast("V", found[0])


def frozen(a: np.ndarray) -> np.ndarray:
    """``a`` made read-only (it is kept for later calls: nobody may write into it)."""
    a.flags.writeable = False
    return a


def fresh(a: np.ndarray) -> np.ndarray:
    """A writable copy of a kept array, in its layout (the same later arithmetic)."""
    return a.copy(order="K")
