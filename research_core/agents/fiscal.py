"""Fiscal agent: Brazil's debt arithmetic and a fundamentals model of its CDS.

Debt dynamics (:func:`debt_dynamics`) use the gross debt ratio, the implicit interest
rate (12-month interest bill over debt a year earlier), nominal GDP growth (real growth
compounded from the quarterly national accounts, plus 12-month IPCA) and the 12-month
primary balance; the primary gap (needed to stabilize minus actual) is scored against the
volatility of the primary balance. The CDS model regresses log 5y CDS on debt, primary
balance and (when known) log VIX; a spread below its fundamental value is cheap protection.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from research_core.agents._features import compound, monthly
from research_core.agents.base import (
    Agent,
    Evidence,
    Features,
    Fitted,
)
from research_core.errors import ModelError
from research_core.models import DebtDynamicsResult, clean_frame, debt_dynamics, ols
from research_core.models._base import Regression, ols_arrays
from research_core.models._frames import union_frame
from research_core.models.inputs import complete_columns
from research_core.records import Signal


class FiscalAgent(Agent):
    name = "fiscal"
    required = (
        "BR.GROSS.DEBT.GDP",
        "BR.PRIMARY.12M.GDP",
        "BR.NOMINAL.12M.GDP",
        "BR.GDP.QOQ",
        "BR.IPCA.MOM",
        "BR.CDS.5Y",
    )
    optional = ("US.VIX",)
    describe = MappingProxyType({"debt_dynamics": DebtDynamicsResult.summary})

    def features(self, data: dict[str, pd.Series], notes: list[str]) -> Features:
        debt = data["BR.GROSS.DEBT.GDP"]
        primary = data["BR.PRIMARY.12M.GDP"]
        interest = (primary - data["BR.NOMINAL.12M.GDP"]).dropna()  # % of GDP, 12m
        implicit = (100 * interest / debt.shift(12)).dropna()
        real_growth = compound(data["BR.GDP.QOQ"], 4)
        inflation = compound(data["BR.IPCA.MOM"], 12)
        growth_m = real_growth.reindex(inflation.index, method="ffill")  # quarter to months
        nominal_growth = (((1 + growth_m / 100) * (1 + inflation / 100) - 1) * 100).dropna()
        cds = monthly(data["BR.CDS.5Y"])
        out: Features = {
            "debt": debt,
            "primary": primary,
            "implicit_rate": implicit,
            "nominal_growth": nominal_growth,
            "cds": cds,
            "cds_now": float(data["BR.CDS.5Y"].iloc[-1]),
        }
        if "US.VIX" in data:
            out["vix"] = monthly(data["US.VIX"])
        return out

    def models(self, features: Features, notes: list[str]) -> Fitted:
        fitted: Fitted = {}
        needed = ("implicit_rate", "nominal_growth", "primary")
        short = [k for k in needed if len(features[k]) < 24]
        if short:
            notes.append(f"debt dynamics not run: under 24 months of {short}")
        else:
            r_vol, g_vol, pb_vol = (
                max(float(features[k].diff(12).std()), floor)
                for k, floor in zip(needed, (0.5, 0.5, 0.25), strict=True)
            )
            fitted["debt_dynamics"] = debt_dynamics(
                float(features["debt"].iloc[-1]),
                float(features["implicit_rate"].iloc[-1]),
                float(features["nominal_growth"].iloc[-1]),
                float(features["primary"].iloc[-1]),
                vol=(r_vol, g_vol, pb_vol),
            )
        try:
            fitted["cds_model"] = _cds_model(features)
        except ModelError as err:
            notes.append(f"CDS model not estimated: {err}")
        return fitted

    def signals(self, ev: Evidence) -> list[Signal]:
        out = []
        dyn = ev.fitted.get("debt_dynamics")
        if dyn is not None:
            pb_vol = float(ev.features["primary"].diff(12).std())
            z = dyn.primary_gap / max(pb_vol, 0.25)
            out.append(
                self.signal(
                    ev.as_of,
                    "BR.FISCAL",
                    z,
                    quality=0.8,
                    horizon_days=504,
                    model="debt dynamics",
                    because=(
                        f"primary {dyn.primary_balance:+.2f}% of GDP vs "
                        f"{dyn.stabilizing_primary:+.2f}% to stabilize debt at {dyn.debt:.1f}% "
                        f"(r {dyn.interest_rate:.1f}%, g {dyn.growth:.1f}%); "
                        f"P(debt higher in 5y) {dyn.prob_rising:.0%}"
                    ),
                )
            )
        model = ev.fitted.get("cds_model")
        if model is not None:
            resid = model.resid
            z = -float(resid.iloc[-1] / resid.std())  # cheap spread: expect it to rise
            fair = float(np.exp(model.fitted.iloc[-1]))
            out.append(
                self.signal(
                    ev.as_of,
                    "BR.CDS.5Y",
                    z,
                    quality=float(np.clip(model.rsquared, 0, 1)),
                    horizon_days=126,
                    model="CDS fair value",
                    because=(
                        f"CDS {ev.features['cds_now']:.0f}bp vs fiscal fair value {fair:.0f}bp "
                        f"(last month-average {ev.features['cds'].iloc[-1]:.0f}bp)"
                    ),
                )
            )
        return out

    def headline(self, ev: Evidence) -> list[str]:
        return [
            f"gross debt {ev.features['debt'].iloc[-1]:.1f}% of GDP, primary balance "
            f"{ev.features['primary'].iloc[-1]:+.2f}% (12m)"
        ]

    def charts(self, ev: Evidence) -> dict[str, pd.DataFrame]:
        out = {
            "fiscal": union_frame(
                {
                    "debt": ev.features["debt"],
                    "primary": ev.features["primary"],
                    "implicit_rate": ev.features["implicit_rate"],
                    "nominal_growth": ev.features["nominal_growth"],
                }
            )
        }
        dyn = ev.fitted.get("debt_dynamics")
        if dyn is not None:
            out["debt_fan"] = dyn.to_frame()
        return out


def _cds_model(features: Features) -> Regression:
    """Log 5y CDS on debt, the primary balance and (when known) log VIX, over the months
    every one of them has: the rows the inner-joined frame keeps, taken on arrays (a
    problem with the data is reported by that frame, :func:`_cds_model_frame`)."""
    cols = {"debt": features["debt"], "primary": features["primary"]}
    if "vix" in features:
        cols["log_vix"] = np.log(features["vix"])
    cols["log_cds"] = np.log(features["cds"]).rename("log_cds")
    try:
        index, data = complete_columns(cols, model="cds_model", min_obs=36)
    except ModelError:
        return _cds_model_frame(cols)
    names = [c for c in cols if c != "log_cds"]
    x = np.column_stack([data[c] for c in names])
    return ols_arrays(CDS_MODEL, data["log_cds"], x, names, index, 6)


def _cds_model_frame(cols: dict[str, pd.Series]) -> Regression:
    """The CDS model on the frame of ``x`` inner-joined with the log CDS."""
    x = pd.DataFrame({"debt": cols["debt"], "primary": cols["primary"]})
    if "log_vix" in cols:
        x["log_vix"] = cols["log_vix"]
    joined = pd.concat([x, cols["log_cds"]], axis=1, join="inner")
    data = clean_frame(joined, model="cds_model", min_obs=36)
    return ols(CDS_MODEL, data["log_cds"], data.drop(columns="log_cds"), hac_lags=6)


CDS_MODEL = "log CDS on fiscal fundamentals"
