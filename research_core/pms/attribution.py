"""P&L attribution: by strategy, originating agent, asset class, instrument and risk factor.

Risk factors of one lot-day (P&L currency, then BRL at the previous USD/BRL):

* rates and NTN-B: ``carry``, ``roll_down``, ``curve`` (key-rate DV01 × Δy, the DV01 at the
  previous quote) and ``convexity`` (half the second derivative of ``pnl.quote_move`` × Δy²);
* FX: ``fx_spot`` (delta × ΔS/S) and ``forward_points`` (the carry of the rate differential);
* CDS: ``spread`` (RPV01 at the previous spread × Δs, with its convexity) and ``carry``;
* equity and commodity futures: ``price``;
* every lot: ``trading`` (a reduction's fill against the previous mark) and, for P&L earned
  in USD, ``translation`` into BRL (the day's P&L and the accumulated USD P&L × ΔUSD/BRL).

``residual`` closes each row to the booked P&L (full revaluation), so every decomposition
sums to the total exactly. Multi-period figures link daily returns with Carino's log factors.

The FRTB P&L attribution test (BCBS MAR32) compares two daily P&Ls of the lots held:

* hypothetical (HPL): the booked full revaluation (``pnl.quote_move``) with carry and
  translation, without fills (intraday trading is not in HPL);
* risk-theoretical (RTPL): what the risk engine predicts from its own sensitivities at the
  previous mark — DV01 (``pnl.duration``, as in the DV01 limits), CDS RPV01 and FX/price
  delta — times the day's quote moves, plus the carry and the FX delta of the accumulated
  USD P&L. It never calls the pricer, so a pricing error shows up as a gap, not in both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_core.catalog import Instrument, instrument
from research_core.errors import PMSError
from research_core.pnl import duration, pnl_currency, quote_move

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
# BCBS MAR32.42 PLA test zones: green if Spearman > 0.80 and KS < 0.09 (p-value 0.264); red
# if Spearman < 0.70 or KS > 0.12 (p-value 0.055); amber otherwise.
SPEARMAN_GREEN, SPEARMAN_RED = 0.80, 0.70
KS_GREEN, KS_RED = 0.09, 0.12


def sensitivity(inst: Instrument, q0: np.ndarray) -> np.ndarray:
    """The risk engine's first-order change of a long-quote unit's return per 1.00 of quote
    at ``q0``: DV01 (``pnl.duration`` / 100 per 1.00 % of yield), RPV01 / 10⁴ per bp of CDS
    spread, 1 / q0 for prices and FX. Analytic measures, not derivatives of the pricer."""
    q0 = np.asarray(q0, dtype=float)
    if inst.quote in ("price", "fx"):
        return 1.0 / q0
    if inst.quote == "spread":
        return duration(inst, q0 / 100.0) / 1e4  # duration takes the spread in % for CDS
    return duration(inst, q0) / 100.0


def _convexity(inst: Instrument, q0: np.ndarray) -> np.ndarray:
    """Second derivative of the unit return ``quote_move(q0, q)`` in q at q0 (the pricer's)."""
    if inst.quote in ("price", "fx"):
        return np.zeros_like(q0)
    h = _STEP[inst.quote]
    up, down = quote_move(inst, q0, q0 + h), quote_move(inst, q0, q0 - h)
    return (up + down) / h**2  # quote_move(q0, q0) = 0


def _first_order(inst: Instrument, grp: pd.DataFrame) -> np.ndarray:
    """Local P&L the sensitivities predict: notional × sensitivity at the previous quote × Δq
    (the notional in the P&L currency: an FX quote earns quantity × quote BRL)."""
    q0, q1 = grp["quote_prev"].to_numpy(float), grp["quote"].to_numpy(float)
    scale = q0 if pnl_currency(inst) != inst.currency else 1.0
    return grp["quantity"].to_numpy(float) * scale * sensitivity(inst, q0) * (q1 - q0)


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
        first = _first_order(inst, grp)
        second = 0.5 * notional * _convexity(inst, q0) * (q1 - q0) ** 2
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


def hypothetical(rows: pd.DataFrame) -> pd.Series:
    """Hypothetical P&L (BRL) per ``pnl_history`` row: the booked P&L without the fills
    (a reduction's trade against the previous mark), which MAR32 keeps out of HPL."""
    usd = np.array([pnl_currency(instrument(i)) == "USD" for i in rows["instrument_id"]])
    fills = rows["realized_local"].to_numpy(float) * np.where(usd, rows["fx"].to_numpy(float), 1.0)
    return (rows["pnl_brl"] - fills).rename("hpl")


def risk_theoretical(rows: pd.DataFrame) -> pd.Series:
    """Risk-theoretical P&L (BRL) per ``pnl_history`` row from the risk engine's
    sensitivities at the previous mark (``sensitivity`` × Δquote), plus carry, at the previous
    USD/BRL, and the FX delta of the accumulated USD P&L (``translation_brl``)."""
    out = pd.Series(0.0, index=rows.index, name="rtpl")
    for iid, grp in rows.groupby("instrument_id"):
        inst = instrument(str(iid))
        local = _first_order(inst, grp) + grp["carry_local"].to_numpy(float)
        to_brl = grp["fx_prev"].to_numpy(float) if pnl_currency(inst) == "USD" else 1.0
        out.loc[grp.index] = local * to_brl + grp["translation_brl"].to_numpy(float)
    return out


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
    """FRTB P&L attribution test of daily risk-theoretical vs hypothetical P&L (MAR32)."""

    days: int
    spearman: float
    ks: float
    residual_share: float  # unexplained P&L Σ|HPL - RTPL| / Σ|HPL| (house figure, not MAR32)

    @property
    def zone(self) -> str:
        """MAR32.42: green, amber or red (thresholds ``SPEARMAN_*`` and ``KS_*``); red too
        when Spearman is undefined (a constant P&L series)."""
        if not self.spearman >= SPEARMAN_RED or self.ks > KS_RED:
            return "red"
        if self.spearman > SPEARMAN_GREEN and self.ks < KS_GREEN:
            return "green"
        return "amber"

    @property
    def passed(self) -> bool:
        """In the green zone."""
        return self.zone == "green"

    def summary(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return (
            f"FRTB PLA over {self.days} days: Spearman {self.spearman:.4f} (green > "
            f"{SPEARMAN_GREEN:.2f}, red < {SPEARMAN_RED:.2f}), KS {self.ks:.4f} (green < "
            f"{KS_GREEN:.2f}, red > {KS_RED:.2f}), unexplained {self.residual_share:.2%} of "
            f"|HPL|: {self.zone} zone, {verdict}"
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
