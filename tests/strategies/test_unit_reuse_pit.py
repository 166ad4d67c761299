"""Unit histories reused from one decision to the next stay point-in-time (issue 29): a
revision released between two decisions reaches the later decision's unit returns and
carry positions, and the earlier view still reads the value it knew."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core._memo import MEMO
from research_core.calendars import business_day_range
from research_core.curves import hold
from research_core.curves.build import spec_of
from research_core.curves.curve import bootstrap
from research_core.lake import Lake
from research_core.strategies import _market, get_strategy
from tests.lake.conftest import rows

DAYS = [str(d.date()) for d in business_day_range("2024-01-02", "2024-03-28", "B3")]
EVENING = [f"{d} 22:00" for d in DAYS]  # 19:00 in São Paulo: known that day
FIRST, LATER = DAYS[40], DAYS[55]  # two decisions; the revision is released in between
REVISED, RELEASED = DAYS[30], f"{DAYS[45]} 12:00"


@pytest.fixture
def fresh() -> Iterator[None]:
    """No unit nor unit return kept from another test (and none left behind)."""
    MEMO.clear()
    yield
    MEMO.clear()


def _write(lake: Lake, sid: str, values: np.ndarray, revised: float | None = None) -> None:
    lake.write(rows(sid, DAYS, list(values), EVENING, "sample"))
    if revised is not None:  # the value of REVISED, revised between the two decisions
        lake.write(rows(sid, [REVISED], [revised], [RELEASED], "sample"))


def test_a_revision_between_decisions_reaches_the_later_unit_returns(tmp_path: Path, fresh: None):
    # IBOV.FUT earns the Ibovespa's price return in BRL: by hand, day t's unit return is
    # p_t / p_(t-1) - 1 (pnl module docstring: futures are excess returns, no carry).
    lake = Lake.open(tmp_path / "lake", create=True)
    p = 100_000.0 * np.cumprod(1.0 + 0.004 * np.sin(np.arange(len(DAYS))))
    _write(lake, "BR.IBOV", p, revised=p[30] * 1.05)
    first = _market.unit_returns(lake.at(FIRST), ["IBOV.FUT"], 30)["IBOV.FUT"]
    by_hand = pd.Series(p[1:41] / p[:40] - 1.0, index=pd.DatetimeIndex(DAYS[1:41]))[-30:]
    assert first.to_numpy() == pytest.approx(by_hand.to_numpy(), rel=1e-12, abs=1e-15)
    assert first.index.equals(by_hand.index)
    later = _market.unit_returns(lake.at(LATER), ["IBOV.FUT"], 40)["IBOV.FUT"]  # reuses
    q = p.copy()
    q[30] *= 1.05  # the later view knows the revised close of DAYS[30]
    expected = (q[1:56] / q[:55] - 1.0)[-40:]
    assert later.to_numpy() == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert later[REVISED] == pytest.approx(q[30] / p[29] - 1.0, rel=1e-12)  # ≈ +5 %
    assert later[REVISED] - first[REVISED] == pytest.approx(0.05 * p[30] / p[29], rel=1e-9)
    again = _market.unit_returns(lake.at(FIRST), ["IBOV.FUT"], 30)["IBOV.FUT"]
    assert np.array_equal(again.to_numpy(), first.to_numpy())  # the first view: unrevised


def test_a_carry_decision_after_a_funding_revision_equals_a_cold_one(tmp_path: Path, fresh: None):
    # RATES_BR_01 sizes each DI by carry / volatility of its unit, built from the DI
    # pillars and the CDI. The CDI of DAYS[30] is revised (11 % -> 14 %) between the two
    # decisions, changing every unit's funding on that day, so the later decision made
    # after the earlier one (units extended) must equal the later decision made cold.
    lake = Lake.open(tmp_path / "lake", create=True)
    t = np.arange(len(DAYS))
    for k, sid in enumerate(["BR.DI.3M", "BR.DI.6M", "BR.DI.1Y", "BR.DI.2Y", "BR.DI.3Y"]):
        _write(lake, sid, 10.5 + 0.3 * k + 0.05 * np.sin(t / (3 + k)))
    _write(lake, "BR.DI.5Y", 12.0 + 0.06 * np.cos(t / 4))
    _write(lake, "BR.CDI", np.full(len(DAYS), 11.0), revised=14.0)
    strategy = get_strategy("RATES_BR_01", lookback=40)
    first = strategy.generate_signals(lake.at(FIRST))
    first_returns = _market.unit_returns(lake.at(FIRST), ["DI1.1Y"], 40)["DI1.1Y"]
    warm = strategy.generate_signals(lake.at(LATER))  # extends the units built at FIRST
    warm_returns = _market.unit_returns(lake.at(LATER), ["DI1.1Y"], 40)["DI1.1Y"]
    MEMO.clear()
    cold = strategy.generate_signals(lake.at(LATER))
    cold_returns = _market.unit_returns(lake.at(LATER), ["DI1.1Y"], 40)["DI1.1Y"]
    assert np.array_equal(warm.to_numpy(), cold.to_numpy())
    assert np.array_equal(warm_returns.to_numpy(), cold_returns.to_numpy())
    assert not np.array_equal(first.to_numpy(), warm.to_numpy())
    # By hand: a payer's unit (+1, long the yield) earns one session of CDI funding,
    # (1 + CDI)^(1/252) - 1
    # (DI curve, annual compounding; pnl module docstring), so the step into DAYS[31]
    # gains (1.14^(1/252) - 1.11^(1/252)) once the revision is known, and no other step.
    gap = (warm_returns - first_returns).dropna()
    assert gap[DAYS[31]] == pytest.approx(1.14 ** (1 / 252) - 1.11 ** (1 / 252), rel=1e-9)
    assert np.abs(gap.drop(pd.Timestamp(DAYS[31]))).max() < 1e-12


def test_a_shorter_bonds_curve_taken_from_a_longer_ones_is_its_own_bootstrap(fresh: None):
    # The Treasury par curve of a decision's new rows, bootstrapped for the 30y bond,
    # serves the 10y (its first pillars): the same numbers as curves.bootstrap gives the
    # 10y's pillars alone, read from the memo without a new solve.
    spec = spec_of("UST")
    grid, kinds, comp = np.asarray(spec.times), spec.kinds, spec.compounding
    rng = np.random.default_rng(29)
    quotes = 2.0 + np.cumsum(rng.uniform(0.0, 0.4, (5, len(grid))), axis=1)  # % a.a.
    full = hold._bootstrap_rows(grid, quotes, kinds, comp)
    assert np.array_equal(full, bootstrap(grid, quotes, kinds, comp))
    stored = MEMO.keys(hold.CURVE_ROWS)
    m = len(grid) - 1
    short = hold._bootstrap_rows(grid[:m], quotes[:, :m], kinds[:m], comp)
    assert np.array_equal(short, bootstrap(grid[:m], quotes[:, :m], kinds[:m], comp))
    assert MEMO.keys(hold.CURVE_ROWS) == stored  # every row found: nothing solved again
