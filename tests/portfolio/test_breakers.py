"""Breakers that act: the drawdown ladder read from a NAV history, and stale inputs, cut the
target's gross in construction — by the amounts computed here by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.errors import RiskError
from research_core.portfolio import Constraints, construct
from research_core.records import Signal
from research_core.risk import DrawdownLadder, RiskLimits
from research_core.signals import aggregate

AS_OF = pd.Timestamp("2026-10-30 23:00", tz="America/Sao_Paulo")
IDS = ["DI1.2Y", "UST.10Y.FUT"]
DAILY_VOL = {"DI1.2Y": 0.004, "UST.10Y.FUT": 0.006}  # a diagonal covariance, by hand
COV = pd.DataFrame(np.diag([v**2 for v in DAILY_VOL.values()]), index=IDS, columns=IDS)
# nothing binds but the breakers: the cut is the whole story
LOOSE = Constraints(
    limits=RiskLimits(
        var_99=1.0, gross_leverage=100, net_leverage=100, position=100, asset_class=100
    )
)
# five weeks = 35 days. A monthly series one release overdue counts 0.5 ** (age / 30)
# (signals/sources.py, freshness_from_report); a quote 0.5 ** ((age - 4) / 5)
# (strategy_freshness).
MONTHLY_5W = 0.5 ** (35 / 30)  # 0.4454
QUOTE_5W = 0.5 ** (31 / 5)  # 0.01360


def _signals(source_a: str = "agent:inflation", source_b: str = "agent:fiscal") -> list[Signal]:
    return [
        Signal(AS_OF, source_a, "DI1.2Y", 1, 1.5, 0.6, 21, "hand"),
        Signal(AS_OF, source_b, "UST.10Y.FUT", -1, 1.0, 0.6, 21, "hand"),
    ]


def _book(freshness=None, equity=None, signals=None, reviews=()) -> pd.Series:
    agg = aggregate(signals or _signals(), freshness=freshness)
    return construct(agg, COV, "erc", constraints=LOOSE, equity=equity, reviews=reviews).weights


def _nav(values: list[float]) -> pd.Series:
    return pd.Series(values, index=pd.bdate_range("2026-01-05", periods=len(values)))


# --- the ladder on a NAV history, by hand ------------------------------------------------


def test_a_nine_percent_drawdown_is_level_two_and_cuts_the_gross_to_75_percent():
    # 100 → 104 (the high-water mark) → 94.64: drawdown 1 − 94.64/104 = 9.00 %, between the
    # 8 % and 12 % triggers: level 2, "cut 25 %", the next book at 0.75 of its gross.
    nav = _nav([100.0, 104.0, 94.64])
    state = DrawdownLadder().state(nav)
    assert state.drawdown == pytest.approx(0.09)
    assert (state.level, state.cap) == (2, 0.75)
    free, cut = _book(), _book(equity=nav)
    assert cut.abs().sum() / free.abs().sum() == pytest.approx(0.75, rel=1e-12)
    np.testing.assert_allclose(cut.to_numpy(), 0.75 * free.to_numpy(), rtol=1e-12)


def test_deeper_losses_cut_to_half_then_flat_and_never_loosen_while_deepening():
    ladder = DrawdownLadder()
    # 13 % from 100: level 3, half the gross; back to a 10 % drawdown: still level 3
    # (a cut never loosens until the drawdown recovers to 0.5 × 12 % = 6 %)
    assert ladder.state(_nav([100.0, 87.0])).cap == 0.5
    assert ladder.state(_nav([100.0, 87.0, 90.0])).cap == 0.5
    assert ladder.state(_nav([100.0, 87.0, 90.0])).level == 3
    flat = _nav([100.0, 84.0, 86.0, 90.0])  # 16 %: flatten, and stay flat without a review
    state = ladder.state(flat)
    assert (state.level, state.cap) == (4, 0.0)
    assert (_book(equity=flat) == 0.0).all()
    # a review on the last day clears it: the ramp starts from 0, 1/20 of the way up
    reviewed = ladder.state(flat, reviews=[flat.index[-1]])
    assert reviewed.cap == pytest.approx(1 / 20)
    assert reviewed.level == 0


def test_recovery_ramps_the_gross_back_over_twenty_sessions():
    # 9 % drawdown (level 2), then back to 100: drawdown 1 − 100/104 = 3.85 % ≤ 0.5 × 8 %,
    # so the ramp starts that session: cap 0.75 + 0.25 × k / 20 after k sessions of it.
    path = [100.0, 104.0, 94.64, 100.0]
    ladder = DrawdownLadder()
    for k, extra in [(1, 0), (10, 9), (19, 18)]:
        state = ladder.state(_nav(path + [100.0] * extra))
        assert state.cap == pytest.approx(0.75 + 0.25 * k / 20), k
        assert state.level == 2
    back = ladder.state(_nav(path + [100.0] * 19))  # the 20th session: fully re-entered
    assert back.cap == 1.0 and back.level == 0  # 3.85 % is below the 5 % alert
    half_way = _nav(path + [100.0] * 9)
    np.testing.assert_allclose(_book(equity=half_way), 0.875 * _book(), rtol=1e-12)
    # a new breach during the ramp cuts again at once
    again = ladder.state(_nav(path + [100.0] * 5 + [94.0]))  # 1 − 94/104 = 9.6 %
    assert (again.level, again.cap) == (2, 0.75)


def test_a_nav_history_that_cannot_be_read_is_refused():
    with pytest.raises(RiskError, match="positive finite"):
        DrawdownLadder().state(_nav([100.0, float("nan")]))
    with pytest.raises(RiskError, match="positive finite"):
        _book(equity=_nav([]))


# --- stale inputs, by hand ---------------------------------------------------------------


def test_every_input_five_weeks_old_cuts_the_gross_by_the_documented_amount():
    fresh = _book()
    monthly = {"agent:inflation": MONTHLY_5W, "agent:fiscal": MONTHLY_5W}
    stale = _book(freshness=monthly)
    assert stale.abs().sum() / fresh.abs().sum() == pytest.approx(0.4454, abs=5e-5)
    np.testing.assert_allclose(stale.to_numpy(), MONTHLY_5W * fresh.to_numpy(), rtol=1e-9)
    # a book on strategy positions whose quotes are five weeks old: 1.4 % of its gross
    sources = ("strategy:RATES_BR_01", "strategy:RATES_US_01")
    quotes = dict.fromkeys(sources, QUOTE_5W)
    strat = _book(signals=_signals(*sources))
    cut = _book(signals=_signals(*sources), freshness=quotes)
    assert cut.abs().sum() / strat.abs().sum() == pytest.approx(0.0136, abs=5e-5)


def test_stale_inputs_shrink_conviction_and_size_together():
    """DI1 on a monthly agent five weeks old, UST on fresh data: by hand, ERC on a diagonal
    covariance holds w_i ∝ 1/σ_i, the conviction tilt is |s_i f_i|, the book is sized to
    10 % vol, then × F = Σ|s_i| f_i / Σ|s_i|."""
    stale = _book(freshness={"agent:inflation": MONTHLY_5W})
    sd = np.sqrt(252) * np.array(list(DAILY_VOL.values()))
    score, f = np.array([1.5, -1.0]), np.array([MONTHLY_5W, 1.0])
    raw = np.sign(score) / sd * np.abs(score * f)
    raw *= 0.10 / np.sqrt(np.sum((raw * sd) ** 2))
    book_f = (1.5 * MONTHLY_5W + 1.0 * 1.0) / 2.5  # 0.6673
    np.testing.assert_allclose(stale[IDS].to_numpy(), raw * book_f, rtol=1e-6)
    # the two breakers multiply: 9 % drawdown and these inputs
    both = _book(freshness={"agent:inflation": MONTHLY_5W}, equity=_nav([100.0, 104.0, 94.64]))
    np.testing.assert_allclose(both[IDS].to_numpy(), raw * book_f * 0.75, rtol=1e-6)


def test_the_cut_is_recorded_with_its_reason():
    agg = aggregate(_signals(), freshness={"agent:fiscal": MONTHLY_5W})
    res = construct(agg, COV, "erc", constraints=LOOSE, equity=_nav([100.0, 104.0, 94.64]))
    why = {b.constraint: b.reason for b in res.binding}
    assert "cut 25%" in why["drawdown ladder"] and "gross × 0.75" in why["drawdown ladder"]
    assert "UST.10Y.FUT 0.45" in why["freshness"]
    assert res.ladder is not None and res.ladder.level == 2
    assert res.breaker_scale == pytest.approx(0.75 * (1.5 + 1.0 * MONTHLY_5W) / 2.5)
    assert "breakers × 0.58" in res.summary()  # 0.75 × (1.5 + 0.4454) / 2.5 = 0.5836
