"""Risk limits: what the book uses of each, and whether it is within, near or over it.

Exposures are measured per unit of NAV from today's weights and quotes: DV01 in basis
points of NAV per basis point, per curve (DI1, NTN-B, UST) and tenor bucket; FX delta is
the net long-USD notional against BRL; days to exit is the largest position in contracts
over the share of average daily volume one may trade per day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from research_core import ntnb
from research_core.catalog import instrument
from research_core.lake.pit import PITView
from research_core.pnl import USDBRL, contract_notional, duration, last_quote

CURVES = {"DI1": "BRL nominal (DI1)", "NTNB": "BRL real (NTN-B)", "UST": "USD (UST)"}
BUCKETS = ((2.0, "≤2y"), (5.0, "2–5y"), (np.inf, ">5y"))


class RiskLimits(BaseModel):
    """Limits as fractions of NAV unless named otherwise; ``warn_at`` is the utilization
    at which a limit turns amber."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    var_99: float = Field(default=0.020, gt=0, description="1-day 99% historical VaR")
    es_99: float = Field(default=0.030, gt=0, description="1-day 99% historical ES")
    gross_leverage: float = Field(default=8.0, gt=0, description="Σ|notional| / NAV")
    net_leverage: float = Field(default=4.0, gt=0, description="|Σ notional| / NAV")
    position: float = Field(default=2.0, gt=0, description="|notional| of one instrument / NAV")
    asset_class: float = Field(
        default=4.0, gt=0, description="Σ|notional| in one asset class / NAV"
    )
    dv01_bucket: float = Field(default=5.0, gt=0, description="|DV01| per bucket, bp NAV/bp")
    fx_delta: float = Field(default=1.0, gt=0, description="|net long USD vs BRL| / NAV")
    drawdown: float = Field(default=0.15, gt=0, description="drawdown from the high-water mark")
    days_to_exit: float = Field(default=5.0, gt=0, description="days to exit the largest position")
    participation: float = Field(
        default=0.2, gt=0, le=1, description="share of ADV tradable per day"
    )
    warn_at: float = Field(default=0.8, gt=0, lt=1)


def dv01_buckets(view: PITView, weights: pd.Series) -> pd.Series:
    """DV01 (bp of NAV per bp of yield) per curve and tenor bucket, all buckets shown."""
    out = {f"{name} {b}": 0.0 for name in CURVES.values() for _, b in BUCKETS}
    for iid, w in weights.items():
        curve = next((c for c in CURVES if str(iid).startswith(c + ".")), None)
        if curve is None or w == 0:
            continue
        inst = instrument(str(iid))
        d = float(duration(inst, np.array(last_quote(view, inst.price_series))))
        bucket = next(b for cap, b in BUCKETS if inst.tenor_years <= cap)
        out[f"{CURVES[curve]} {bucket}"] += w * d  # 1e-4 NAV per bp × 1e4 bp per unit
    return pd.Series(out)


def days_to_exit(view: PITView, weights: pd.Series, nav: float, participation: float) -> pd.Series:
    """Days to trade each position out at ``participation`` × ADV: its contracts (NTN-B:
    bonds, at their price with the VNA known at the view) over the contracts tradable a day."""
    fx = last_quote(view, USDBRL)
    insts = [instrument(str(iid)) for iid in weights.index]
    vna = ntnb.vna_at(view) if any(i.dv01_convention == "real_yield" for i in insts) else None
    out = {}
    for inst, (iid, w) in zip(insts, weights.items(), strict=True):
        per_contract = contract_notional(inst, last_quote(view, inst.price_series), fx, vna)
        out[iid] = abs(w) * nav / per_contract / (participation * inst.adv_contracts)
    return pd.Series(out, dtype="float64")


def limit_table(
    view: PITView,
    weights: pd.Series,
    *,
    var_99: float,
    es_99: float,
    drawdown: float | None,
    nav: float,
    limits: RiskLimits,
) -> pd.DataFrame:
    """One row per limit: value, limit, utilization, status (ok/warn/breach) and what."""
    w = weights[weights != 0.0]
    classes = pd.Series({i: instrument(str(i)).asset_class for i in w.index}, dtype=object)
    by_class = w.abs().groupby(classes).sum() if len(w) else pd.Series(dtype=float)
    fx = float(w[[i for i in w.index if str(i).startswith("USDBRL")]].sum())
    exit_days = days_to_exit(view, w, nav, limits.participation)
    rows = [
        ("VaR 99% 1d", var_99, limits.var_99, "historical, NAV"),
        ("ES 99% 1d", es_99, limits.es_99, "historical, NAV"),
        ("gross leverage", float(w.abs().sum()), limits.gross_leverage, "Σ|notional|/NAV"),
        ("net leverage", abs(float(w.sum())), limits.net_leverage, "|Σ notional|/NAV"),
    ]
    top = w.abs().idxmax() if len(w) else "-"
    rows.append(
        (
            f"concentration: {top}",
            float(w.abs().max() if len(w) else 0.0),
            limits.position,
            "|notional|/NAV",
        )
    )
    top_class = by_class.idxmax() if len(by_class) else "-"
    rows.append(
        (
            f"asset class: {top_class}",
            float(by_class.max() if len(by_class) else 0.0),
            limits.asset_class,
            "Σ|notional|/NAV",
        )
    )
    for bucket, dv01 in dv01_buckets(view, w).items():
        rows.append((f"DV01 {bucket}", abs(dv01), limits.dv01_bucket, "bp NAV/bp"))
    rows.append(
        (
            "FX delta USD/BRL",
            abs(fx),
            limits.fx_delta,
            f"net {'long' if fx >= 0 else 'short'} USD/NAV",
        )
    )
    if drawdown is None:
        rows.append(("drawdown", np.nan, limits.drawdown, "no P&L history given"))
    else:
        rows.append(("drawdown", drawdown, limits.drawdown, "from high-water mark"))
    worst = exit_days.idxmax() if len(exit_days) else "-"
    rows.append(
        (
            f"liquidity: {worst}",
            float(exit_days.max() if len(exit_days) else 0.0),
            limits.days_to_exit,
            f"days at {limits.participation:.0%} of ADV",
        )
    )
    table = pd.DataFrame(rows, columns=["limit", "value", "max", "unit"]).set_index("limit")
    table["utilization"] = table["value"] / table["max"]
    table["status"] = np.select(
        [
            table["utilization"].isna(),
            table["utilization"] > 1.0,
            table["utilization"] >= limits.warn_at,
        ],
        ["n/a", "breach", "warn"],
        "ok",
    )
    return table
