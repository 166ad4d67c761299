"""The array paths of agent helpers build the same pandas objects as the plain pandas
chains they replace (issue 29): values bit for bit, index (with its frequency), name and
column types. The expectations are the pandas chains, written out here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.agents._features import compound
from research_core.agents.base import INPUT_COLUMNS, _estimates, _input_frame
from research_core.models.regimes import macro_regimes


def _monthly(n: int, *, seed: int, gap: int | None = None) -> pd.Series:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2004-01-01", periods=n, freq="MS", name="obs_date")
    s = pd.Series(rng.normal(0.4, 0.3, n), index=index, name="BR.IPCA.MOM")
    if gap is not None:
        s.iloc[gap] = np.nan
    return s


@pytest.mark.parametrize("periods", [3, 4, 12])
@pytest.mark.parametrize(("n", "gap"), [(180, None), (180, 40), (60, 59), (8, None), (0, None)])
def test_compound_is_the_pandas_chain_bit_for_bit(periods: int, n: int, gap: int | None) -> None:
    s = _monthly(n, seed=n + periods, gap=gap)
    expected = (np.expm1(np.log1p(s / 100).rolling(periods).sum()) * 100).dropna()
    got = compound(s, periods)
    pd.testing.assert_series_equal(got, expected, check_exact=True, check_freq=True)
    assert got.index.freq == expected.index.freq
    assert np.array_equal(got.to_numpy().view(np.int64), expected.to_numpy().view(np.int64))


def test_compound_of_a_quarterly_series_keeps_its_dates_and_name() -> None:
    index = pd.DatetimeIndex(["2020-01-01", "2020-04-01", "2020-07-01", "2020-10-01", "2021-01-01"])
    s = pd.Series([1.0, 2.0, -1.0, 0.5, 3.0], index=index, name="BR.GDP.QOQ")
    got = compound(s, 4)
    # by hand: (1.01 * 1.02 * 0.99 * 1.005 - 1) * 100 = 2.499749
    #          (1.02 * 0.99 * 1.005 * 1.03 - 1) * 100 = 4.529447
    assert list(got.index) == [pd.Timestamp("2020-10-01"), pd.Timestamp("2021-01-01")]
    assert got.name == "BR.GDP.QOQ"
    assert got.to_numpy() == pytest.approx([2.49974900, 4.52944700], abs=1e-8)


def _rows(n: int) -> list[dict[str, object]]:
    obs = pd.date_range("2020-01-31", periods=n, freq="ME").as_unit("us")
    return [
        {
            "series_id": f"BR.S{i}",
            "obs_date": obs[i],
            "release_time": pd.Timestamp(1_600_000_000_000_000_000 + i * 86_400 * 10**9, tz="UTC"),
            "value": i / 3,
            "age_days": 3 * i,
            "stale": bool(i % 2),
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [0, 1, 6])
def test_input_frame_is_the_frame_of_its_rows(n: int) -> None:
    rows = _rows(n)
    expected = pd.DataFrame(rows, columns=INPUT_COLUMNS)
    got = _input_frame(rows)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert list(got.dtypes) == list(expected.dtypes)
    assert got.index.equals(expected.index) and type(got.index) is type(expected.index)


def test_input_frames_do_not_share_their_series_ids() -> None:
    rows = _rows(3)
    first = _input_frame(rows)
    first.loc[0, "series_id"] = "XX"  # the ids array is kept per list of ids: not this one
    assert _input_frame(rows)["series_id"].tolist() == ["BR.S0", "BR.S1", "BR.S2"]


@pytest.mark.parametrize("shared", [True, False])
def test_estimates_table_is_the_frame_of_params_and_errors(shared: bool) -> None:
    names = pd.Index(["level_var", "irregular_var", "beta.gap"])
    params = pd.Series([0.12, 0.5, -0.3], index=names)
    bse = pd.Series([0.01, 0.2, 0.05], index=names if shared else names[::-1])
    expected = pd.DataFrame({"coef": params, "std_err": bse})
    got = _estimates(params, bse)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert [b.dtype for b in got._mgr.blocks] == [b.dtype for b in expected._mgr.blocks]


def test_filtered_regimes_label_their_frames_as_before() -> None:
    rng = np.random.default_rng(7)
    index = pd.date_range("2005-01-01", periods=150, freq="MS")
    growth = pd.Series(rng.normal(size=150), index=index)
    inflation = pd.Series(rng.normal(size=150), index=index)
    first = macro_regimes(growth.iloc[:140], inflation.iloc[:140], n_iter=20)
    assert first.fit is not None
    again = macro_regimes(growth, inflation, n_iter=20, fit=first.fit)  # the earlier fit
    assert not again.refitted
    labels = pd.Index(list(first.means.index))  # the labels as the frames had them before
    for got in (again.probabilities.columns, again.means.index, again.transmat.index):
        pd.testing.assert_index_equal(got, labels, exact=True)
    pd.testing.assert_index_equal(again.transmat.columns, labels, exact=True)
    pd.testing.assert_index_equal(again.means.columns, pd.Index(["growth", "inflation"]))
    assert again.probabilities.index.equals(index)
