"""Direct tests of ``backtest/market.py`` (MarketData) and ``pms/impact.py`` (pre-trade
ΔVaR) on the hand-built lake; expectations recomputed from the rows the lake was written
with (``tests/strategies/handcalc.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.backtest.market import VOL_FLOOR, MarketData
from research_core.errors import RiskError
from research_core.pms.impact import trade_impact
from tests.strategies import handcalc as hc
from tests.strategies.conftest import CONSTANT, HandLake

IDS = ("IBOV.FUT", "ES.FUT", "DI1.5Y")


@pytest.fixture(scope="module")
def market(hand_lake: HandLake) -> MarketData:
    return MarketData.build(
        hand_lake.view,
        IDS,
        pd.Timestamp("2021-01-04"),
        pd.Timestamp("2021-06-30"),
        "B3",
        warmup_days=400,
    )


def test_sessions_and_returns_are_the_b3_days_and_the_unit_returns(
    hand_lake: HandLake, market: MarketData
) -> None:
    sessions = market.sessions(pd.Timestamp("2021-06-01"))
    june = hand_lake.known("BR.IBOV").loc["2021-06-01":"2021-06-30"].index  # the rows written
    assert list(sessions) == list(june)
    assert market.marks.index[0] >= pd.Timestamp("2021-01-04") - pd.Timedelta(days=400)
    rets = pd.DataFrame(market.returns, index=market.marks.index, columns=list(IDS))
    assert rets.iloc[0].isna().all()  # the first mark row has no return
    want = pd.DataFrame({i: hc.daily_returns(hand_lake, i) for i in IDS}).loc[rets.index[1:]]
    np.testing.assert_allclose(rets.iloc[1:].to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-13)


def test_volatility_at_a_date_uses_rows_up_to_it_only(
    hand_lake: HandLake, market: MarketData
) -> None:
    dates = pd.DatetimeIndex(["2021-03-01", "2021-06-30"])
    got = market.volatility(dates, 60)
    for k, d in enumerate(dates):
        r = pd.DataFrame({i: hc.daily_returns(hand_lake, i) for i in IDS})
        r = r.loc[market.marks.index[1] : d]  # returns of the mark rows up to d
        recent, full = r.iloc[-60:].std(ddof=1), r.std(ddof=1)
        np.testing.assert_allclose(got[k], np.fmax(recent, VOL_FLOOR * full), rtol=1e-9)
    # marks after the first date jump 50 %: its volatility is unchanged, the later one moves
    marks = market.marks.copy()
    marks.loc[marks.index > dates[0]] *= 1.5
    shocked = MarketData(
        market.ids, market.calendar, marks, market.quotes, market.usdbrl, market.cdi
    )
    again = shocked.volatility(dates, 60)
    np.testing.assert_array_equal(again[0], got[0])
    assert (again[1] != got[1]).all()


def test_risk_free_accrues_the_cdi_known_the_session_before(market: MarketData) -> None:
    days = market.sessions(pd.Timestamp("2021-06-01"))
    rf = market.risk_free(days)
    daily = (1 + CONSTANT["BR.CDI"] / 100) ** (1 / 252) - 1  # 9 % a year, 252 sessions
    assert rf.iloc[0] == 0.0  # the first session earns nothing
    np.testing.assert_allclose(rf.iloc[1:].to_numpy(), daily, rtol=1e-12)
    assert (1 + rf.iloc[1:]).prod() == pytest.approx((1 + daily) ** (len(days) - 1))


def _hand_var(hand_lake: HandLake, w: dict[str, float]) -> float:
    """Historical 1-day 99 % VaR over the last 750 sessions: the k-th worst book return,
    k = ceil(750 × 1 %) = 8 (the lower empirical quantile)."""
    rets = hc.unit_returns(hand_lake, tuple(w), 750)
    pnl = rets.to_numpy() @ np.array(list(w.values()))
    return -float(np.sort(pnl)[7])


def test_pre_trade_delta_var_by_hand(hand_lake: HandLake) -> None:
    book = pd.Series({"IBOV.FUT": 0.5, "ES.FUT": 0.3})
    nav = 1e9
    out = trade_impact(hand_lake.view, book, "GOLD.FUT", 0.2, nav=nav)
    before = _hand_var(hand_lake, {"IBOV.FUT": 0.5, "ES.FUT": 0.3})
    after = _hand_var(hand_lake, {"IBOV.FUT": 0.5, "ES.FUT": 0.3, "GOLD.FUT": 0.2})
    assert out["var_before"] == pytest.approx(before, rel=1e-9)
    assert out["var_after"] == pytest.approx(after, rel=1e-9)
    assert out["delta_var"] == pytest.approx(after - before, rel=1e-9)
    assert out["delta_var_brl"] == pytest.approx((after - before) * nav, rel=1e-9)
    assert out["component_var_before"] == 0.0  # not held before
    # an empty book: the trade's VaR is the instrument's own
    alone = trade_impact(hand_lake.view, pd.Series(dtype=float), "GOLD.FUT", 0.2, nav=nav)
    assert alone["var_before"] == 0.0
    assert alone["delta_var"] == pytest.approx(_hand_var(hand_lake, {"GOLD.FUT": 0.2}), rel=1e-9)
    with pytest.raises(RiskError, match=r"GOLD\.FUT"):
        trade_impact(hand_lake.view, book, "GOLD.FUT", 0.0, nav=nav)


def test_the_floor_bound_skips_the_long_run_sd_only_where_it_cannot_bind() -> None:
    # a quiet last quarter (the floor binds) and a loud one (it cannot): the bound of
    # sd_bounds gives numpy's own answer, bit for bit, and is at least the long-run sd
    from research_core.backtest.market import sd_bounds
    from research_core.pnl import unit_volatility

    rng = np.random.default_rng(7)
    base = rng.normal(0.0, 0.01, (400, 3))
    base[5, 1] = np.nan  # a gap, skipped by both
    for scale in (0.01, 5.0):
        r = base.copy()
        r[-60:] *= scale
        bound = sd_bounds(r)[-1]
        full = np.nanstd(r, axis=0, ddof=1)
        assert (bound >= full).all() and (bound <= full * 1.01).all()  # mean near 0
        want = np.fmax(np.nanstd(r[-60:], axis=0, ddof=1), VOL_FLOOR * full)
        np.testing.assert_array_equal(unit_volatility(r, 60, VOL_FLOOR, bound), want)
    assert np.isnan(sd_bounds(base[:1])).all() or np.isinf(sd_bounds(base[:1])).all()
