"""Construction's per-decision overhead (issue 29: the book's ordered decisions): the
covariance block of the instruments with a view is taken by position, the same frame and
memory layout as ``cov.loc[ids, ids]`` (the products after it add up in that layout), and
the book's freshness is summed on arrays, skipping NaN as pandas' sums did."""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_core.portfolio import Constraints
from research_core.portfolio.construct import _block, breakers

IDS = ["DI1.2Y", "UST.10Y.FUT", "USDBRL.FUT", "GOLD.FUT"]


def _cov() -> pd.DataFrame:
    rng = np.random.default_rng(29)
    x = rng.normal(size=(40, len(IDS)))
    return pd.DataFrame(x.T @ x / 40, index=IDS, columns=IDS)


def test_the_block_is_cov_loc_to_the_last_bit_and_in_its_layout() -> None:
    cov = _cov()
    ids = ["GOLD.FUT", "DI1.2Y", "USDBRL.FUT"]  # another order than the covariance's
    got, want = _block(cov, ids), cov.loc[ids, ids]
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.to_numpy().tobytes() == want.to_numpy().tobytes()
    assert got.to_numpy().flags["F_CONTIGUOUS"] == want.to_numpy().flags["F_CONTIGUOUS"]
    assert (got * 252.0).to_numpy().tobytes() == (want * 252.0).to_numpy().tobytes()


def test_columns_in_another_order_than_the_rows_are_read_by_label() -> None:
    cov = _cov()
    shuffled = cov[list(reversed(IDS))]  # same labels, columns reversed
    ids = ["USDBRL.FUT", "DI1.2Y"]
    got = _block(shuffled, ids)
    # by hand: rows and columns in ``ids`` order, whatever order the frame keeps
    want = np.array(
        [
            [cov.at["USDBRL.FUT", "USDBRL.FUT"], cov.at["USDBRL.FUT", "DI1.2Y"]],
            [cov.at["DI1.2Y", "USDBRL.FUT"], cov.at["DI1.2Y", "DI1.2Y"]],
        ]
    )
    assert np.array_equal(got.to_numpy(), want)
    assert list(got.index) == ids and list(got.columns) == ids


def test_repeated_labels_take_locs_path() -> None:
    cov = _cov()
    twice = pd.concat([cov, cov.iloc[[0]]])  # DI1.2Y twice in the rows
    pd.testing.assert_frame_equal(
        _block(twice, ["DI1.2Y", "GOLD.FUT"]),
        twice.loc[["DI1.2Y", "GOLD.FUT"]][["DI1.2Y", "GOLD.FUT"]],
    )


def test_freshness_skips_a_missing_score_as_pandas_sums_did() -> None:
    table = pd.DataFrame(
        {"score": [2.0, -1.0, np.nan], "freshness": [0.5, 1.0, 0.25]},
        index=["DI1.2Y", "UST.10Y.FUT", "GOLD.FUT"],
    )
    weights = pd.Series([0.1, -0.2, 0.3], index=table.index)
    cut, fresh, ladder, why = breakers(weights, table, Constraints())
    # by hand: (2 × 0.5 + 1 × 1.0) / (2 + 1), the NaN score left out of both sums
    assert fresh == 2.0 / 3.0
    assert ladder is None
    assert np.array_equal(cut.to_numpy(), weights.to_numpy() * (2.0 / 3.0))
    assert "DI1.2Y 0.50" in why[0].reason and "GOLD.FUT 0.25" in why[0].reason


def test_a_label_missing_from_the_covariance_columns_is_refused() -> None:
    """A covariance whose columns lack an instrument its index has: ``take(-1)`` read the
    last column instead, where ``cov.loc`` raised (review, issue 29)."""
    import pytest

    from research_core.errors import PortfolioError

    cov = _cov()
    cov.columns = [*IDS[:-1], "XX"]  # GOLD.FUT's column mislabelled
    with pytest.raises(PortfolioError, match=r"GOLD\.FUT"):
        _block(cov, ["DI1.2Y", "GOLD.FUT"])
