"""Known answers for the strategies built on unit returns (carry, trend, momentum, value,
ranks) and direct tests of ``strategies/_market.py``.

Unit returns, carry, momentum and ranks are recomputed in ``tests/strategies/handcalc.py``
from the rows the test lake was written with.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from research_core import pnl
from research_core.strategies import _market, load_config
from research_core.strategies.cross_asset import UNIVERSE
from tests.strategies import handcalc as hc
from tests.strategies.conftest import HandLake

BOOK = load_config()


def carry_over_vol(h: HandLake, ids: tuple[str, ...], n: int) -> pd.Series:
    vol = hc.unit_returns(h, ids, n).std(ddof=1) * np.sqrt(252)
    return pd.Series({i: hc.carry_series(h, i).iloc[-1] for i in ids}) / vol


def carry_book(h: HandLake, ids: tuple[str, ...]) -> dict[str, float]:
    return dict(np.tanh(carry_over_vol(h, ids, 252) / 0.5))


def volmom(h: HandLake) -> dict[str, float]:
    m = hc.momentum(h, UNIVERSE, 252, 21)
    r = hc.unit_returns(h, UNIVERSE, 252)
    ratio = (r.std() / r.iloc[-21:].std()).clip(upper=1.0)
    return dict(np.tanh(m) * ratio)


def xs_carry(h: HandLake) -> dict[str, float]:
    score = carry_over_vol(h, UNIVERSE, 252)
    return dict(hc.ranks(score[score != 0]))  # futures on prices carry nothing: not ranked


CASES: dict[str, Callable[[HandLake], dict[str, float]]] = {
    "RATES_BR_01": lambda h: carry_book(h, ("DI1.1Y", "DI1.2Y", "DI1.3Y", "DI1.5Y")),
    "RATES_US_03": lambda h: carry_book(
        h, ("UST.2Y.FUT", "UST.5Y.FUT", "UST.10Y.FUT", "UST.30Y.FUT")
    ),
    "FX_BR_02": lambda h: {"USDBRL.FUT": np.tanh(hc.momentum(h, ("USDBRL.FUT",), 63, 0).iloc[0])},
    "XA_TREND_01": lambda h: dict(np.sign(hc.momentum(h, UNIVERSE, 252, 21))),
    "XA_VOLMOM_01": volmom,
    "XA_CARRY_01": xs_carry,
    "XA_VALUE_01": lambda h: dict(hc.ranks(-np.log1p(hc.unit_returns(h, UNIVERSE, 1260)).sum())),
    "XA_MOM_01": lambda h: dict(hc.ranks(hc.momentum(h, UNIVERSE, 252, 21))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_position_matches_the_hand_computed_formula(hand_lake: HandLake, name: str) -> None:
    got = BOOK[name].generate_signals(hand_lake.view)
    want = pd.Series(CASES[name](hand_lake), dtype=float).reindex(got.index).fillna(0.0)
    assert np.isfinite(want).all() and (want.abs() > 1e-3).sum() >= 1
    np.testing.assert_allclose(got.to_numpy(), want.clip(-1, 1).to_numpy(), rtol=1e-7, atol=1e-10)


def test_unit_returns_are_the_last_sessions_by_hand(hand_lake: HandLake) -> None:
    ids = ("DI1.2Y", "UST.10Y.FUT", "BR.CDS.5Y", "USDBRL.FUT", "ES.FUT")
    got = _market.unit_returns(hand_lake.view, ids, 30)
    want = hc.unit_returns(hand_lake, ids, 30)
    assert list(got.index) == list(want.index) and got.index[-1] == pd.Timestamp("2021-06-30")
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-13)


def test_momentum_skips_the_most_recent_sessions(hand_lake: HandLake) -> None:
    ids = ("IBOV.FUT", "ES.FUT", "DI1.10Y")
    for n, skip in ((40, 0), (40, 5)):
        got = _market.momentum(hand_lake.view, ids, n, skip)
        np.testing.assert_allclose(got[list(ids)], hc.momentum(hand_lake, ids, n, skip)[list(ids)])


def test_carry_to_vol_by_hand(hand_lake: HandLake) -> None:
    ids = ("DI1.5Y", "NTNB.10Y", "USDBRL.FUT", "BR.CDS.5Y", "GOLD.FUT")
    got = _market.carry_to_vol(hand_lake.view, ids, 100)
    want = carry_over_vol(hand_lake, ids, 100)
    np.testing.assert_allclose(got[list(ids)], want[list(ids)], rtol=1e-9)
    assert got["GOLD.FUT"] == 0.0  # a price future carries nothing


def test_roll_down_of_a_di1_is_its_slide_down_the_curve_by_hand(hand_lake: HandLake) -> None:
    # DI1.2Y on the test lake's DI pillars 1y and 2y (the last session's quotes, % a.a.,
    # 252): one session held on the unchanged log-linear curve earns e^(f/252) − 1, f =
    # 2 ln(1 + z2) − ln(1 + z1); its accrual at its own yield (1 + z2)^(1/252) − 1; the
    # roll-down (long-quote unit, annual) is minus the difference × 252.
    z1 = hand_lake.known("BR.DI.1Y").iloc[-1] / 100
    z2 = hand_lake.known("BR.DI.2Y").iloc[-1] / 100
    hold = np.expm1((2 * np.log1p(z2) - np.log1p(z1)) / 252)
    want = -(hold - ((1 + z2) ** (1 / 252) - 1)) * 252
    assert pnl.roll(hand_lake.view, "DI1.2Y") == pytest.approx(want, rel=1e-9)
    assert pnl.roll(hand_lake.view, "GOLD.FUT") == 0.0  # no curve, no roll


def test_rank_positions_by_hand() -> None:
    # ranks 1..4 → mean 2.5 → (r - 2.5) / 1.5; the tie (b, c) shares rank 2.5 → 0
    got = _market.rank_positions(pd.Series({"a": -3.0, "b": 1.0, "c": 1.0, "d": 7.0, "e": np.nan}))
    assert got == pytest.approx({"a": -1.0, "b": 0.0, "c": 0.0, "d": 1.0})
    # five distinct scores: ranks 1..5, mean 3, max 5 → (r - 3) / 2
    five = _market.rank_positions(pd.Series([5.0, 1.0, 3.0, 2.0, 4.0], index=list("vwxyz")))
    assert five == pytest.approx({"v": 1.0, "w": -1.0, "x": 0.0, "y": -0.5, "z": 0.5})
    assert _market.rank_positions(pd.Series({"only": 1.0})) == {}


def test_a_view_at_a_date_sees_no_session_after_that_date(hand_lake: HandLake) -> None:
    """A date as-of is the end of that day in the lake's zone (02:59 UTC the next day in
    São Paulo); the unit returns must stop at the date, not add the next session as a
    zero-return day (it had not happened yet) that pushes a real day out of the window."""
    view = hand_lake.lake.at("2021-06-29")
    got = _market.unit_returns(view, ("IBOV.FUT", "DI1.2Y"), 5)
    assert got.index[-1] == pd.Timestamp("2021-06-29")
    ibov = hand_lake.known("BR.IBOV").loc[:"2021-06-29"]
    np.testing.assert_allclose(got["IBOV.FUT"], (ibov / ibov.shift(1) - 1).iloc[-5:], rtol=1e-12)
