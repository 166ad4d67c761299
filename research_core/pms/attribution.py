"""P&L attribution: by strategy, originating agent, asset class, instrument and risk factor.

Risk factors of one lot-day (P&L currency, then BRL at the previous USD/BRL):

* rates and NTN-B: ``carry``, ``roll_down``, ``curve`` (key-rate DV01 × Δy: the first
  derivative of ``pnl.quote_move`` at the previous quote) and ``convexity`` (half its
  second derivative × Δy²);
* FX: ``fx_spot`` (delta × ΔS/S) and ``forward_points`` (the carry of the rate differential);
* CDS: ``spread`` (RPV01 × Δs, with its convexity) and ``carry``;
* equity and commodity futures: ``price``;
* every lot: ``trading`` (a reduction's fill against the previous mark) and, for P&L earned
  in USD, ``translation`` into BRL (the day's P&L and the accumulated USD P&L × ΔUSD/BRL).

``residual`` closes each row to the booked P&L (full revaluation), so every decomposition
sums to the total exactly. The FRTB P&L attribution test compares the risk-theoretical P&L
(every factor but the residual, with only the first-order FX translation) with the booked
hypothetical P&L. Multi-period figures link daily returns with Carino's log factors.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_core.catalog import instrument
from research_core.errors import PMSError
from research_core.pnl import pnl_currency, quote_move

FACTORS = (
    "carry",
    "roll_down",
    "curve",
    "convexity",
    "spread",
    "fx_spot",
    "forward_points",
    "price",
    "trading",
    "translation",
    "residual",
)
BY = ("strategy", "agent", "asset_class", "instrument", "factor")
_STEP = {"yield": 1e-3, "spread": 1e-2}  # finite-difference step in quote units (%, bp)


def _derivatives(iid: str, q0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and second derivative of the unit return ``quote_move(q0, q)`` in q at q0."""
    inst = instrument(iid)
    if inst.quote in ("price", "fx"):
        return 1.0 / q0, np.zeros_like(q0)
    h = _STEP[inst.quote]
    up, down = quote_move(inst, q0, q0 + h), quote_move(inst, q0, q0 - h)
    return (up - down) / (2 * h), (up + down) / h**2  # quote_move(q0, q0) = 0


def factor_pnl(rows: pd.DataFrame) -> pd.DataFrame:
    """BRL P&L of each ``pnl_history`` row by risk factor (columns ``FACTORS``); each row
    sums to its ``pnl_brl``."""
    out = pd.DataFrame(0.0, index=rows.index, columns=list(FACTORS))
    for iid, grp in rows.groupby("instrument_id"):
        inst = instrument(str(iid))
        q0, q1 = grp["quote_prev"].to_numpy(float), grp["quote"].to_numpy(float)
        fx0, fx1 = grp["fx_prev"].to_numpy(float), grp["fx"].to_numpy(float)
        earns_usd = pnl_currency(inst) == "USD"
        scale = q0 if pnl_currency(inst) != inst.currency else 1.0
        notional = grp["quantity"].to_numpy(float) * scale
        d1, d2 = _derivatives(str(iid), q0)
        dq = q1 - q0
        first, second = notional * d1 * dq, 0.5 * notional * d2 * dq**2
        carry = grp["carry_local"].to_numpy(float)
        roll = grp["roll_local"].to_numpy(float)
        local = {"trading": grp["realized_local"].to_numpy(float)}
        if inst.quote == "yield":
            local |= {"curve": first, "convexity": second, "roll_down": roll}
            local["carry"] = carry - roll
        elif inst.quote == "spread":
            local |= {"spread": first + second, "carry": carry}
        elif inst.quote == "fx":
            local |= {"fx_spot": first, "forward_points": carry}
        else:
            local |= {"price": first, "carry": carry}
        to_brl = fx0 if earns_usd else 1.0
        for name, values in local.items():
            out.loc[grp.index, name] = values * to_brl
        booked_local = (
            grp["price_local"].to_numpy(float) + carry + grp["realized_local"].to_numpy(float)
        )
        if earns_usd:
            out.loc[grp.index, "translation"] = booked_local * (fx1 - fx0) + grp[
                "translation_brl"
            ].to_numpy(float)
    out["residual"] = rows["pnl_brl"].to_numpy(float) - out.drop(columns="residual").sum(axis=1)
    return out


def risk_theoretical(rows: pd.DataFrame, factors: pd.DataFrame) -> pd.Series:
    """Risk-theoretical P&L per row: the factors without the residual, and translation
    only to first order (the accumulated USD P&L × ΔUSD/BRL, not the day's P&L × it)."""
    core = factors.drop(columns=["residual", "translation"]).sum(axis=1)
    return core + rows["translation_brl"]


def attribute(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """Total BRL P&L per date and group (``by`` in ``BY``); the groups of a date sum to the
    date's total. Agents split a lot's P&L equally among the agents it came from."""
    if by not in BY:
        raise PMSError(f"unknown attribution {by!r}; valid: {list(BY)}")
    if rows.empty:
        return pd.DataFrame(columns=["as_of", by, "pnl_brl"])
    if by == "factor":
        f = factor_pnl(rows)
        f["as_of"] = rows["as_of"].to_numpy()
        long = f.melt(id_vars="as_of", var_name="factor", value_name="pnl_brl")
        return long.groupby(["as_of", "factor"])["pnl_brl"].sum().reset_index()
    frame = rows[["as_of", "pnl_brl"]].copy()
    if by == "agent":
        agents = rows["agents"].map(lambda a: json.loads(a) if isinstance(a, str) else list(a))
        agents = agents.map(lambda a: a or ["(none)"])
        frame["agent"] = agents
        frame["pnl_brl"] = frame["pnl_brl"] / agents.map(len)
        frame = frame.explode("agent")
    elif by == "asset_class":
        frame["asset_class"] = [instrument(i).asset_class for i in rows["instrument_id"]]
    elif by == "instrument":
        frame["instrument"] = rows["instrument_id"].to_numpy()
    else:
        frame["strategy"] = rows["strategy"].to_numpy()
    return frame.groupby(["as_of", by])["pnl_brl"].sum().reset_index()


def carino(contributions: pd.DataFrame) -> pd.Series:
    """Link daily return contributions (dates × groups, fractions of the day's starting NAV)
    into period contributions that sum to the compounded return (Carino 1999)."""
    daily = contributions.sum(axis=1).to_numpy(float)
    total = float(np.prod(1.0 + daily) - 1.0)

    def k(r: np.ndarray | float) -> np.ndarray:
        r = np.asarray(r, dtype=float)
        safe = np.where(np.abs(r) < 1e-12, 1.0, r)
        return np.where(np.abs(r) < 1e-12, 1.0 / (1.0 + r), np.log1p(r) / safe)

    weights = k(daily) / k(total)
    return (contributions.mul(weights, axis=0)).sum(axis=0).rename("linked")


@dataclass(frozen=True)
class PLATest:
    """FRTB P&L attribution test of risk-theoretical vs hypothetical (booked) P&L."""

    days: int
    spearman: float
    ks: float
    residual_share: float  # Σ|HPL - RTPL| / Σ|HPL|

    @property
    def passed(self) -> bool:
        """Green zone (BCBS MAR32: Spearman ≥ 0.80, KS ≤ 0.09) and residual under 5 %."""
        return self.spearman >= 0.80 and self.ks <= 0.09 and self.residual_share < 0.05

    def summary(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return (
            f"FRTB PLA over {self.days} days: Spearman {self.spearman:.4f} (≥0.80), KS "
            f"{self.ks:.4f} (≤0.09), residual {self.residual_share:.3%} of |P&L| (<5%): "
            f"{verdict}"
        )


def pla_test(hpl: Iterable[float], rtpl: Iterable[float]) -> PLATest:
    """Spearman correlation and Kolmogorov–Smirnov distance of daily HPL and RTPL."""
    h, r = np.asarray(list(hpl), dtype=float), np.asarray(list(rtpl), dtype=float)
    if len(h) != len(r) or len(h) < 2:
        raise PMSError("the PLA test needs two equally long daily series of 2+ days")
    from scipy import stats  # imported on use: pages that read P&L need not load it

    rho = float(stats.spearmanr(h, r).statistic)
    ks = float(stats.ks_2samp(h, r).statistic)
    return PLATest(len(h), rho, ks, float(np.abs(h - r).sum() / np.abs(h).sum()))
