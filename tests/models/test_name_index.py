"""Labels built once per set of names (issue 29): the same index and series pandas builds
from the names, each result with its own index object."""

from __future__ import annotations

import pandas as pd

from research_core.models._base import labelled, name_index


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
