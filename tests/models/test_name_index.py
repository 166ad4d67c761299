"""Labels built once per set of names (issue 29): the same index and series pandas builds
from the names, each result with its own index object."""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_core.models._base import labelled, name_index, series_frame


def test_name_index_is_pandas_index_and_each_call_its_own() -> None:
    names = ["const", "rate_lag", "inflation", "gap"]
    a, b = name_index(names), name_index(tuple(names))
    pd.testing.assert_index_equal(a, pd.Index(names), exact=True)
    assert a is not b
    a.name = "renamed"  # one result's labels renamed: the next ones are not
    assert name_index(names).name is None


def test_labelled_is_pandas_series_of_the_dict() -> None:
    stats = {"nobs": 120, "r2": 0.25, "ljung_box_p(6)": 0.5, "skew": -0.1}
    want = pd.Series(stats, dtype=float, name="diagnostic")
    pd.testing.assert_series_equal(labelled(stats, "diagnostic"), want, check_exact=True)
    pd.testing.assert_series_equal(labelled({}), pd.Series({}, dtype=float), check_exact=True)


def test_series_frame_is_pandas_to_frame_with_its_own_values() -> None:
    index = pd.date_range("2026-11-01", periods=12, freq="MS")
    named = pd.Series(np.linspace(4.0, 3.5, 12), index=index, name="inflation_forecast")
    for got, want in (
        (series_frame(named), named.to_frame()),
        (
            series_frame(labelled({"nobs": 120, "r2": 0.25}), "value"),
            pd.DataFrame({"value": [120.0, 0.25]}, index=["nobs", "r2"]),
        ),
        (
            series_frame(pd.Series([1.0, 2.0])),
            pd.Series([1.0, 2.0]).to_frame(),
        ),  # unnamed: column 0
    ):
        pd.testing.assert_frame_equal(got, want, check_exact=True, check_freq=True)
        assert [b.dtype for b in got._mgr.blocks] == [b.dtype for b in want._mgr.blocks]
    frame = series_frame(named)
    frame.iloc[0, 0] = -1.0  # the frame's values are its own
    assert named.iloc[0] == 4.0
