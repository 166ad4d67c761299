"""Cross-asset agent: macro and risk regimes, and a Brazil view built from the others.

Macro regime: a 4-state HMM (:func:`macro_regimes`) on growth (mean z-score of US
industrial production and Brazil IBC-Br, year on year) and inflation (US CPI and IPCA,
year on year). Risk regime: a 2-state HMM (:func:`risk_regimes`) on weekly S&P 500,
Ibovespa, USD/BRL and CDS changes. The upstream agents' signals on Brazilian risk (fiscal,
CDS, FX misalignment, policy) are combined, confidence-weighted, into a Brazil score that
tilts the Ibovespa and USD/BRL calls. A Ledoit–Wolf covariance of the same weekly returns
is reported for the risk engine.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import norm

from research_core.agents._features import compound, level_from_changes, weekly_returns, yoy
from research_core.agents.base import (
    Agent,
    AgentReport,
    Features,
    Fitted,
)
from research_core.errors import ModelError
from research_core.models import ledoit_wolf, macro_regimes, risk_regimes, standardize
from research_core.records import Signal

MARKETS = {"spx": "US.SPX", "ibov": "BR.IBOV", "usdbrl": "BRL.USD.PTAX", "cds": "BR.CDS.5Y"}
# Upstream signals that mean "Brazil riskier" when positive, with their sign.
BRAZIL_RISK = {"BR.FISCAL": 1.0, "BR.CDS.5Y": 1.0, "USDBRL.FUT": 1.0, "BR.INFLATION": 0.5}
GOOD_REGIMES = ("Goldilocks", "Reflation")


class CrossAssetAgent(Agent):
    name = "cross_asset"
    depends_on = ("inflation", "monetary_policy", "fiscal", "fx_equilibrium")
    required = ("US.IP.MOM", "BR.IBCBR.SA", "US.CPI.YOY", "BR.IPCA.MOM", *MARKETS.values())

    def features(self, data: dict[str, pd.Series], notes: list[str]) -> Features:
        growth = pd.DataFrame(
            {
                "us": yoy(level_from_changes(data["US.IP.MOM"])),
                "br": yoy(data["BR.IBCBR.SA"]),
            }
        ).dropna()
        inflation = pd.DataFrame(
            {"us": data["US.CPI.YOY"], "br": compound(data["BR.IPCA.MOM"], 12)}
        ).dropna()
        prices = {k: data[sid] for k, sid in MARKETS.items()}
        returns = weekly_returns({k: v for k, v in prices.items() if k != "cds"})
        returns["cds"] = weekly_returns({"cds": prices["cds"]}, log=False)["cds"] / 100
        return {
            "growth": standardize(growth).mean(axis=1),
            "inflation": standardize(inflation).mean(axis=1),
            "returns": returns.dropna(),
        }

    def models(self, features: Features, notes: list[str]) -> Fitted:
        fitted: Fitted = {}
        for name, fit in (
            ("macro_regime", lambda: macro_regimes(features["growth"], features["inflation"])),
            ("risk_regime", lambda: risk_regimes(features["returns"])),
            ("covariance", lambda: ledoit_wolf(features["returns"].iloc[-104:])),
        ):
            try:
                fitted[name] = fit()
            except ModelError as err:
                notes.append(f"{name} not estimated: {err}")
        for name in ("macro_regime", "risk_regime"):
            if name in fitted and fitted[name].method == "rule":
                notes.append(f"{name}: history too short for the HMM; rule-based fallback used")
        return fitted

    def signals(
        self,
        as_of: pd.Timestamp,
        features: Features,
        fitted: Fitted,
        upstream: Mapping[str, AgentReport],
    ) -> list[Signal]:
        risk = fitted.get("risk_regime")
        if risk is None:
            return []
        p_on = float(risk.probabilities["risk_on"].iloc[-1])
        z_risk = float(norm.ppf(np.clip(p_on, 0.01, 0.99)))
        macro = fitted.get("macro_regime")
        regime = macro.current if macro is not None else "unknown"
        tilt = 0.5 if regime in GOOD_REGIMES else -0.5 if macro is not None else 0.0
        brazil, used = brazil_score(upstream)
        context = f"P(risk-on) {p_on:.2f}, macro regime {regime}"

        def make(instrument: str, z: float, why: str, horizon: int = 63) -> Signal:
            return self.signal(
                as_of,
                instrument,
                z,
                quality=0.7,
                horizon_days=horizon,
                model="regime HMM",
                because=f"{why} ({context})",
            )

        return [
            make("GLOBAL.RISK", z_risk, "risk appetite from the 2-state HMM"),
            make("ES.FUT", z_risk + tilt, "risk regime with macro-regime tilt"),
            make(
                "IBOV.FUT",
                z_risk + tilt - brazil,
                f"risk regime less Brazil risk score {brazil:+.2f} from {used} upstream signals",
            ),
            make(
                "USDBRL.FUT",
                -z_risk + brazil,
                f"dollar in risk-off plus Brazil risk score {brazil:+.2f}",
            ),
        ]

    def narrative(self, features: Features, fitted: Fitted, signals: list[Signal]) -> list[str]:
        lines = []
        macro = fitted.get("macro_regime")
        if macro is not None:
            dur = macro.expected_duration[macro.current]
            lines.append(
                f"macro regime {macro.current} (p={macro.current_probability:.2f}, "
                f"{macro.method}); expected duration {dur:.0f} months"
            )
        risk = fitted.get("risk_regime")
        if risk is not None:
            lines.append(
                f"risk regime {risk.current} (p={risk.current_probability:.2f}, {risk.method})"
            )
        cov = fitted.get("covariance")
        if cov is not None:
            corr = cov.correlation
            lines.append(
                f"weekly correlation S&P–Ibovespa {corr.loc['spx', 'ibov']:.2f}, "
                f"Ibovespa–USD/BRL {corr.loc['ibov', 'usdbrl']:.2f} (Ledoit–Wolf, "
                f"shrinkage {cov.shrinkage:.2f})"
            )
        return lines

    def charts(self, features: Features, fitted: Fitted) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        for name in ("macro_regime", "risk_regime"):
            if name in fitted:
                out[name] = fitted[name].probabilities
        if "covariance" in fitted:
            out["correlation"] = fitted["covariance"].correlation
        return out


def brazil_score(upstream: Mapping[str, AgentReport]) -> tuple[float, int]:
    """Confidence-weighted mean of upstream z-scores on Brazilian risk (positive: riskier)."""
    num = den = 0.0
    used = 0
    for report in upstream.values():
        for s in report.signals:
            sign = BRAZIL_RISK.get(s.instrument)
            if sign is None:
                continue
            num += sign * s.confidence * float(np.clip(s.strength, -3, 3))
            den += s.confidence
            used += 1
    return (num / den if den > 0 else 0.0), used
