"""A content-kept fit warns every caller as a fresh fit would (review of #29's fit reuse),
and refuses object arrays, whose bytes are addresses that freed objects pass on."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from research_core._memo import Kind
from research_core.models._reuse import array_key, reused

KIND: Kind[float] = Kind("test: warned means", 4)


def _mean_of_nothing(values: np.ndarray) -> float:
    return float(np.mean(values))  # numpy: "Mean of empty slice" for an empty array


def _calls(values: np.ndarray) -> list[list[str]]:
    out = []
    for _ in range(3):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = reused(KIND, ("empty", array_key(values)), lambda: _mean_of_nothing(values))
        assert np.isnan(value)
        out.append([str(w.message) for w in caught])
    return out


def test_every_call_is_warned_as_the_first() -> None:
    # numpy itself warns "Mean of empty slice" (and a divide) for an empty mean, every time
    with warnings.catch_warnings(record=True) as direct:
        warnings.simplefilter("always")
        np.mean(np.array([]))
    expected = [str(w.message) for w in direct]
    assert "Mean of empty slice" in expected
    assert _calls(np.array([])) == [expected, expected, expected]


def test_object_arrays_get_no_key() -> None:
    with pytest.raises(TypeError, match="object"):
        array_key(np.array([1.0, None], dtype=object))
