"""Each instrument's P&L for a known quote move, by hand (issue 13, item 1).

The expected values are written out here from the instruments' market conventions, not
taken from ``research_core.pnl``:

* a USD/BRL quote is BRL per USD: a long-USD unit of BRL notional N·S0 earns N·(S1 − S0)
  BRL, i.e. (S1 − S0)/S0, whether it is a B3 DOL future or an offshore NDF (which settles
  N·(S1 − S0)/S1 USD = N·(S1 − S0) BRL). It is never translated again.
* anything else booked in USD earns its return in USD; the BRL P&L of a unit of BRL
  notional is that return × S1/S0.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core.catalog import instrument, instruments
from research_core.lake.store import Lake
from research_core.risk.stress import shock_returns

AS_OF = pd.Timestamp("2026-10-30 23:00", tz="America/Sao_Paulo")
FX_MOVE = 0.10  # USD/BRL +10 % in every row, so USD translation is always exercised
# the move applied to each instrument: bp for yields and spreads, a fraction for fx/prices
MOVES = {"yield": 300.0, "spread": 400.0, "price": -0.20}


@pytest.fixture(scope="module")
def view(sample_lake_path: Path):
    return Lake.open(sample_lake_path).at(AS_OF)


def _zero(y: float, t: float) -> float:
    """DI1 PU per 1 of face: (1 + y)^-t, 252-day exponential compounding (B3 DI1 spec)."""
    return (1.0 + y) ** -t


def _par_bond(coupon: float, y: float, t: float, freq: int) -> float:
    """Price per 1 of face of a bullet bond paying ``coupon``/freq ``freq`` times a year."""
    n = round(t * freq)
    cfs = np.full(n, coupon / freq)
    cfs[-1] += 1.0
    return float(sum(cf / (1.0 + y / freq) ** (k + 1) for k, cf in enumerate(cfs)))


def _cds_rpv01(s: float, t: float, recovery: float = 0.4) -> float:
    """Risky annuity with flat hazard s / (1 − R), continuous premium, zero rates."""
    h = s / (1.0 - recovery)
    return (1.0 - np.exp(-h * t)) / h


def _by_hand(iid: str, q0: float) -> float:
    """BRL return of a long-quote unit of BRL notional under MOVES and FX_MOVE."""
    inst = instrument(iid)
    t = inst.tenor_years
    if inst.quote == "fx":
        return FX_MOVE  # (S1 − S0)/S0 in BRL, whatever the booking currency
    if inst.quote == "price":
        local = MOVES["price"]
    elif inst.quote == "spread":  # protection buyer: (s1 − s0) × RPV01(s1)
        s0, s1 = q0 / 1e4, (q0 + MOVES["spread"]) / 1e4
        local = (s1 - s0) * _cds_rpv01(s1, t)
    elif inst.dv01_convention in ("di1_pu", "real_yield"):  # zeros: DI1, NTN-B Principal
        y0, y1 = q0 / 100, q0 / 100 + MOVES["yield"] / 1e4  # payer: 1 − P1/P0
        local = 1.0 - _zero(y1, t) / _zero(y0, t)
    else:  # par bond at y0: UST semiannual
        y0, y1 = q0 / 100, q0 / 100 + MOVES["yield"] / 1e4
        local = 1.0 - _par_bond(y0, y1, t, 2) / _par_bond(y0, y0, t, 2)
    return local * (1.0 + FX_MOVE) if inst.currency == "USD" else local


def test_every_instrument_pnl_for_a_known_move_by_hand(view):
    ids = list(instruments())
    moves = {"USDBRL": FX_MOVE}
    for iid in ids:
        inst = instrument(iid)
        if inst.quote != "fx":
            moves[iid] = MOVES[inst.quote]
    got = shock_returns(view, ids, moves)
    rows = []
    for iid in ids:
        q0 = float(view.series(instrument(iid).price_series).dropna().iloc[-1])
        rows.append((iid, got[iid], _by_hand(iid, q0)))
    table = pd.DataFrame(rows, columns=["id", "got", "hand"]).set_index("id")
    assert len(table) == len(ids) >= 19
    np.testing.assert_allclose(table["got"], table["hand"], rtol=1e-9, err_msg=str(table))


def test_ndf_and_dol_future_earn_the_usdbrl_move_once(view):
    """+25 % USD/BRL is +0.25 of notional for both (was 0.3125 for the USD-booked NDF)."""
    got = shock_returns(view, ["USDBRL.NDF", "USDBRL.FUT"], {"USDBRL": 0.25})
    assert got["USDBRL.NDF"] == pytest.approx(0.25, abs=1e-12)
    assert got["USDBRL.FUT"] == pytest.approx(0.25, abs=1e-12)


def test_ndf_unit_index_matches_ptax_less_forward_points_by_hand(view):
    """One year of the NDF's unit index against PTAX compounded by hand, less the forward
    points (BRL CDI − USD 3m bill, per day, known the day before). The double translation
    drifted ~+1.95 %/yr against this."""
    from research_core.pnl import unit_index

    start, end = "2025-10-30", "2026-10-30"
    got = unit_index(view, ["USDBRL.NDF"], start, end)["USDBRL.NDF"]
    ptax = view.series("BRL.USD.PTAX").dropna()
    cdi, ust = view.series("BR.CDI").dropna(), view.series("US.UST.3M").dropna()
    level, hand = 1.0, {}
    dates = ptax.index[(ptax.index >= pd.Timestamp(start) - pd.Timedelta(days=7))]
    for prev, day in pairwise(dates):
        points = (cdi[:prev].iloc[-1] - ust[:prev].iloc[-1]) / 100 / 252
        level *= ptax[day] / ptax[prev] - points
        hand[day] = level
    hand_s = pd.Series(hand)
    at = [hand_s[:d].iloc[-1] for d in got.index]
    hand_idx = pd.Series(at, index=got.index) / at[0]
    np.testing.assert_allclose(got.to_numpy(), hand_idx.to_numpy(), rtol=1e-10)


def test_large_rate_shocks_reprice_exactly():
    """DI1 10y at 12.87 % +1,000 bp: 1 − (1.1287/1.2287)^10 = 0.57210 by hand (duration
    alone gave 10/1.1287 × 0.10 = 0.886). UST 10y par bond at 4 % +300 bp, semiannual:
    1 − P = 1 − [0.02/0.035·(1 − 1.035^-20) + 1.035^-20] = 0.21318 (hand, annuity formula).
    CDS 5y 200 → 600 bp: 0.04 × RPV01 at 6 % (hazard 0.1) = 0.04 × (1 − e^-0.5)/0.1."""
    from research_core.pnl import quote_move

    di = quote_move(instrument("DI1.10Y"), np.array(12.87), np.array(22.87))
    assert float(di) == pytest.approx(1 - (1.1287 / 1.2287) ** 10, rel=1e-12)
    assert float(di) == pytest.approx(0.57210, abs=5e-5)
    ust = quote_move(instrument("UST.10Y.FUT"), np.array(4.0), np.array(7.0))
    assert float(ust) == pytest.approx(0.21318, abs=5e-5)
    cds = quote_move(instrument("BR.CDS.5Y"), np.array(200.0), np.array(600.0))
    assert float(cds) == pytest.approx(0.04 * (1 - np.exp(-0.5)) / 0.1, rel=1e-12)


def test_unit_volatility_is_the_trailing_sample_sd_with_a_floor():
    """Expected values from Python's ``statistics.stdev`` (sample sd, n − 1)."""
    from statistics import stdev

    from research_core.pnl import unit_volatility

    a = [0.01, -0.01, 0.03, 0.01, -0.02, 0.0]
    b = [0.02, 0.02, 0.0, 0.02, np.nan, 0.04]
    got = unit_volatility(np.column_stack([a, b]), 4)
    assert got[0] == pytest.approx(stdev(a[-4:]), rel=1e-12)
    assert got[1] == pytest.approx(stdev([0.0, 0.02, 0.04]), rel=1e-12)  # NaN skipped
    quiet = [0.02, -0.02] * 25 + [0.0] * 10  # a quote stuck for 10 days
    floored = unit_volatility(np.array(quiet)[:, None], 10, 0.5)
    assert floored[0] == pytest.approx(0.5 * stdev(quiet), rel=1e-12)
