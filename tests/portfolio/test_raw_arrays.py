"""Construction's risk-parity step on the annual covariance array (issue 29: the book's
ordered decisions): the directional covariance handed to ERC is pandas' ``ann * outer``
frame to the last bit and in its memory layout, so the solver's products add up alike and
stored decisions replay IDENTICAL."""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_core.models.covariance import ledoit_wolf
from research_core.portfolio.constraints import Constraints
from research_core.portfolio.construct import TRADING_DAYS, Sizing, _block, _raw
from research_core.portfolio.optimizers import erc, hrp

IDS = ["DI1.2Y", "UST.10Y.FUT", "USDBRL.FUT", "GOLD.FUT", "IBOV.FUT"]


def _inputs() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(7)
    rets = pd.DataFrame(0.01 * rng.normal(size=(400, len(IDS))), columns=IDS)
    cov = ledoit_wolf(rets).covariance
    ids = ["GOLD.FUT", "DI1.2Y", "IBOV.FUT", "USDBRL.FUT"]
    score = np.array([1.5, -0.7, 0.4, -2.0])
    table = pd.DataFrame({"score": score, "confidence": 0.5}, index=pd.Index(ids))
    return _block(cov, ids), score, table


def _pandas_raw(ann: pd.DataFrame, score: np.ndarray, method: str) -> np.ndarray:
    """Main's path (before issue 29, round 2): the frame product, then the optimizer."""
    sign = np.sign(score)
    directional = ann * np.outer(sign, sign)
    base = (erc(directional) if method == "erc" else hrp(directional)).to_numpy()
    size = np.abs(score)
    return sign * base * (size / size.mean())


def test_risk_parity_on_the_array_is_the_frame_path_to_the_last_bit() -> None:
    sub, score, table = _inputs()
    ann = sub * TRADING_DAYS
    a = sub.to_numpy() * TRADING_DAYS
    assert a.tobytes(order="A") == ann.to_numpy().tobytes(order="A")
    assert a.strides == ann.to_numpy().strides
    mu = 0.3 * score * np.sqrt(np.diag(a))
    for method in ("erc", "hrp"):
        got = _raw(method, a, score, mu, table, Constraints(), Sizing())
        want = _pandas_raw(ann, score, method)
        assert got.tobytes() == want.tobytes(), method


def test_risk_parity_weights_equalise_risk_on_the_directional_book() -> None:
    sub, score, table = _inputs()
    a = sub.to_numpy() * TRADING_DAYS
    raw = _raw("erc", a, score, score, table, Constraints(), Sizing(conviction=False))
    # by hand: without the tilt, each position's w_i (Σw)_i is a quarter of wᵀΣw
    terms = raw * (a @ raw)
    np.testing.assert_allclose(terms / terms.sum(), np.full(4, 0.25), rtol=1e-9)
    assert np.array_equal(np.sign(raw), np.sign(score))
