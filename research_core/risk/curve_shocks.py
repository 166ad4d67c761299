"""Curve stresses: the book's rate positions repriced on a shifted or twisted curve.

Beside :data:`research_core.risk.stress.SHOCKS` (quote moves per instrument), these move
whole curves, and every DI1, NTN-B and Treasury position is repriced from its cash flows
(:mod:`research_core.risk.key_rates`):

* parallel ±100 bp: every maturity's zero rate (the curve's compounding) ±100 bp;
* 2s10s steepener / flattener: a twist pivoting at 5 y, linear in maturity between 2 y
  and 10 y and flat outside, ``s(t) = ±50 bp × (clip(t, 2, 10) − 5) / 8`` — the 2 y moves
  ∓18.75 bp, the 10 y ±31.25 bp, 2s10s ±50 bp;
* Copom path +50 bp at each of the next ``COPOM_MEETINGS`` meetings: the DI curve's
  forward CDI over each inter-meeting period (the market-implied path,
  :func:`research_core.curves.policy.implied_path`) rises by 50 bp × the number of
  meetings before it (at most ``COPOM_MEETINGS``); forwards beyond the path's end rise
  as much as its last period's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.catalog import instrument, policy_decisions
from research_core.curves.curve import Curve
from research_core.curves.policy import TZ, implied_path
from research_core.errors import RiskError
from research_core.lake.pit import PITView
from research_core.risk.key_rates import (
    CURVE_OF,
    Shift,
    book_curves,
    rate_ids,
    unit_pnl,
    zero_shift,
)

COPOM_MEETINGS = 3
COPOM_STEP_BP = 50.0
RATE_CURVES = ("DI", "NTNB", "UST")


@dataclass(frozen=True)
class CurveShock:
    """A named shift of the curves listed (``copom``: the Copom-path shock on DI)."""

    name: str
    curves: tuple[str, ...]
    why: str
    parallel_bp: float = 0.0
    twist_bp: float = 0.0
    copom: bool = False


def twist_bp(t: np.ndarray, size_bp: float) -> np.ndarray:
    """The 2s10s twist pivoting at 5 y: ``size_bp`` is the change of 10 y − 2 y (bp)."""
    return size_bp * (np.clip(t, 2.0, 10.0) - 5.0) / 8.0


CURVE_SHOCKS = (
    CurveShock("Curves +100 bp parallel", RATE_CURVES, "DI, NTN-B, UST up", parallel_bp=100.0),
    CurveShock("Curves −100 bp parallel", RATE_CURVES, "DI, NTN-B, UST down", parallel_bp=-100.0),
    CurveShock("2s10s steepener +50 bp", RATE_CURVES, "twist at 5y, each curve", twist_bp=50.0),
    CurveShock("2s10s flattener −50 bp", RATE_CURVES, "twist at 5y, each curve", twist_bp=-50.0),
    CurveShock(
        f"Copom +{COPOM_STEP_BP:.0f} bp × next {COPOM_MEETINGS} meetings",
        ("DI",),
        "hawkish repricing of the implied Copom path, through the DI curve",
        copom=True,
    ),
)


def copom_shift(decisions: pd.DatetimeIndex, meetings: int = COPOM_MEETINGS) -> Shift:
    """A DI-curve shift raising the forward CDI by ``COPOM_STEP_BP`` at each of the next
    ``meetings`` Copom decisions (cumulative), the last level held to every maturity."""

    def shift(curve: Curve, t: np.ndarray) -> np.ndarray:
        path = implied_path(curve, decisions, policy_rate_pct=0.0, spread_bp=0.0).table
        bounds = (
            np.r_[0.0, np.cumsum(path["business_days"].to_numpy(dtype=float))]
            / B3_SESSIONS_PER_YEAR
        )
        fwd = path["implied_rate_pct"].to_numpy(dtype=float) / 100.0
        step = COPOM_STEP_BP / 1e4 * np.minimum(np.arange(len(fwd)), meetings)
        out = np.log(curve.discount(t))
        for j in range(len(fwd)):  # the path's periods: forwards known, shifted in turn
            span = np.clip(t, bounds[j], bounds[j + 1]) - bounds[j]
            out -= span * (np.log1p(fwd[j] + step[j]) - np.log1p(fwd[j]))
        beyond = t > bounds[-1]
        if beyond.any():  # past the path: the curve's own forward from its end, + the cap
            end = bounds[-1]
            f = curve.forward(np.full(beyond.sum(), end), t[beyond]) / 100.0
            out[beyond] -= (t[beyond] - end) * (np.log1p(f + step[-1]) - np.log1p(f))
        return out

    return shift


def _shift(shock: CurveShock, decisions: pd.DatetimeIndex | None) -> Shift:
    if shock.copom:
        if decisions is None:
            raise RiskError(f"{shock.name}: needs the Copom decision dates")
        return copom_shift(decisions)
    return zero_shift(lambda t: shock.parallel_bp + twist_bp(t, shock.twist_bp))


def curve_stress(
    curves: Mapping[str, Curve],
    weights: pd.Series,
    nav: float,
    *,
    shocks: tuple[CurveShock, ...] = CURVE_SHOCKS,
    decisions: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """P&L (BRL, of a book worth ``nav`` BRL; ``weights``: notional / NAV) of each rate
    position under each curve shock: shocks × instruments plus ``total``; ``decisions``:
    the Copom decision dates (local) for the Copom-path shock."""
    ids = rate_ids(weights, nav)
    if not ids:
        raise RiskError("no DI1, NTN-B or Treasury position to stress on a curve")
    table = {}
    for shock in shocks:
        shift = _shift(shock, decisions)
        row = {}
        for iid in ids:
            inst = instrument(iid)
            name = CURVE_OF[inst.dv01_convention]
            if name not in shock.curves:
                row[iid] = 0.0
                continue
            if name not in curves:
                raise RiskError(f"{iid}: the {name} curve is missing; given {sorted(curves)}")
            row[iid] = unit_pnl(inst, curves[name], shift) * float(weights[iid]) * nav
        table[shock.name] = row
    out = pd.DataFrame(table).T[ids]
    out["total"] = out.sum(axis=1)
    return out


def copom_decisions(view: PITView) -> pd.DatetimeIndex:
    """Copom decision days (São Paulo dates) announced after the view's as-of."""
    stamps = policy_decisions("copom")
    stamps = stamps[stamps > view.as_of]
    return pd.DatetimeIndex(stamps.tz_convert(TZ["copom"]).tz_localize(None).normalize())


def book_curve_stress(view: PITView, weights: pd.Series, nav: float) -> pd.DataFrame:
    """:func:`curve_stress` on the curves and Copom calendar known at the view (no Copom
    row when the book holds no DI1 or the calendar has no meeting after the view)."""
    curves = book_curves(view, weights)
    decisions = copom_decisions(view) if "DI" in curves else None
    if decisions is not None and decisions.empty:  # the calendar ends before the view
        decisions = None
    shocks = tuple(s for s in CURVE_SHOCKS if not s.copom or decisions is not None)
    return curve_stress(curves, weights, nav, shocks=shocks, decisions=decisions)
