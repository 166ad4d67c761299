"""Inflation agent: a Brazilian Phillips curve against Focus, and US core momentum.

Brazil: monthly IPCA on its lag, Focus 12-month expectations, the IBC-Br output gap and
USD/BRL pass-through (:func:`phillips_curve`); the 12-month forecast is compared with the
Focus median — the market's priced path — in units of the forecast's standard error.
US: core CPI three-month annualized against its 12-month rate, scaled by the history of
that difference (momentum in underlying inflation the Fed reacts to).
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from research_core.agents._features import compound, monthly, to_monthly_rate
from research_core.agents.base import (
    Agent,
    Evidence,
    Features,
    Fitted,
)
from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.errors import ModelError
from research_core.events import known_surprise_z
from research_core.lake.pit import PITView
from research_core.models import PhillipsCurveResult, output_gap, phillips_curve, zscore_last
from research_core.models._base import series_frame
from research_core.models._frames import union_frame
from research_core.records import Signal


def _curve_line(curve: PhillipsCurveResult) -> str:
    return (
        f"Phillips curve: persistence {curve.persistence:.2f}, long-run FX pass-through "
        f"{curve.pass_through:.2f}, R² {curve.regression.rsquared:.2f}; "
        f"12m forecast {curve.forecast_12m:.2f}%"
    )


class InflationAgent(Agent):
    name = "inflation"
    required = ("BR.IPCA.MOM", "BR.FOCUS.IPCA.12M", "BR.IBCBR.SA", "BRL.USD.PTAX")
    optional = ("US.CORE.CPI.MOM",)
    describe = MappingProxyType({"phillips_curve": _curve_line})

    def load(self, view: PITView, notes: list[str]) -> tuple[dict[str, pd.Series], pd.DataFrame]:
        """The declared series, plus the print surprises the lake holds (issue 19)."""
        data, inputs = super().load(view, notes)
        for target, z in known_surprise_z(view, tuple(SURPRISE_TARGETS)).items():
            data[f"surprise_z:{target}"] = z
        return data, inputs

    def features(self, data: dict[str, pd.Series], notes: list[str]) -> Features:
        focus = monthly(data["BR.FOCUS.IPCA.12M"])
        gap, method = output_gap(data["BR.IBCBR.SA"])
        if not method.startswith("hamilton"):
            notes.append(f"Brazil output gap: {method}")
        fx = monthly(data["BRL.USD.PTAX"])
        out: Features = {
            "ipca": data["BR.IPCA.MOM"],
            "ipca_12m": compound(data["BR.IPCA.MOM"], 12),
            "focus_12m": focus,
            "expectations": to_monthly_rate(focus),
            "gap": gap,
            "fx_change": 100 * np.log(fx).diff().dropna(),
        }
        out.update(_surprise_features(data))
        core = data.get("US.CORE.CPI.MOM")
        if core is not None and len(core) >= 36:
            ann3 = compound(core, 3).pipe(lambda s: ((1 + s / 100) ** 4 - 1) * 100)
            ann12 = compound(core, 12)
            out["us_core_3m"] = ann3
            out["us_core_12m"] = ann12
            out["us_core_gap"] = (ann3 - ann12).dropna()
        return out

    def models(self, features: Features, notes: list[str]) -> Fitted:
        seasonal = len(features["ipca"]) >= 96  # 11 dummies need about eight years
        if not seasonal:
            notes.append("Phillips curve without month dummies (under 96 months of IPCA)")
        try:
            curve = phillips_curve(
                features["ipca"],
                features["expectations"],
                features["gap"],
                features["fx_change"],
                seasonal=seasonal,
            )
        except ModelError as err:
            notes.append(f"Phillips curve not estimated: {err}")
            return {}
        return {"phillips_curve": curve}

    def signals(self, ev: Evidence) -> list[Signal]:
        out = []
        curve = ev.fitted.get("phillips_curve")
        if curve is not None:
            focus = float(ev.features["focus_12m"].iloc[-1])
            z = (curve.forecast_12m - focus) / curve.forecast_12m_se
            quality = float(np.clip(0.5 + curve.regression.rsquared_adj / 2, 0.0, 1.0))
            out.append(
                self.signal(
                    ev.as_of,
                    "BR.INFLATION",
                    z,
                    quality=quality,
                    horizon_days=B3_SESSIONS_PER_YEAR,
                    model="Phillips curve",
                    because=(
                        f"Phillips curve sees IPCA {curve.forecast_12m:.2f}% over 12m vs "
                        f"Focus {focus:.2f}% (se {curve.forecast_12m_se:.2f})"
                    ),
                )
            )
        if "us_core_gap" in ev.features:
            z = zscore_last(ev.features["us_core_gap"])
            ann3, ann12 = ev.features["us_core_3m"].iloc[-1], ev.features["us_core_12m"].iloc[-1]
            out.append(
                self.signal(
                    ev.as_of,
                    "US.INFLATION",
                    z,
                    quality=0.7,
                    horizon_days=126,
                    model="core CPI momentum",
                    because=f"US core CPI {ann3:.2f}% 3m annualized vs {ann12:.2f}% over 12m",
                )
            )
        out.extend(self._surprise_signals(ev.as_of, ev.features))
        return out

    def _surprise_signals(self, as_of: pd.Timestamp, features: Features) -> list[Signal]:
        """Print surprises: the mean z of the last three (upside surprises in a row say the
        expectations the market prices run behind the prints)."""
        out = []
        for target, instrument in SURPRISE_TARGETS.items():
            z = features.get(f"surprise_z:{target}")
            if z is None:
                continue
            basis = "Focus median" if target.startswith("BR.") else "AR(1) model forecast"
            out.append(
                self.signal(
                    as_of,
                    instrument,
                    float(z.mean()),
                    quality=0.6,
                    horizon_days=63,
                    model="print surprises",
                    because=(
                        f"{target} surprises vs {basis}: last {len(z)} z "
                        + ", ".join(f"{v:+.2f}" for v in z)
                    ),
                )
            )
        return out

    def headline(self, ev: Evidence) -> list[str]:
        ipca12 = ev.features["ipca_12m"]
        return [
            f"IPCA {ipca12.iloc[-1]:.2f}% over 12m to {ipca12.index[-1]:%b %Y}; Focus 12m ahead "
            f"{ev.features['focus_12m'].iloc[-1]:.2f}%; "
            f"output gap {ev.features['gap'].iloc[-1]:+.2f}%"
        ]

    def charts(self, ev: Evidence) -> dict[str, pd.DataFrame]:
        both = union_frame(
            {"ipca_12m": ev.features["ipca_12m"], "focus_12m": ev.features["focus_12m"]}
        )
        if np.isnan(both.to_numpy()).all(axis=1).any():  # else dropna would copy it as is
            both = both.dropna(how="all")
        out = {"ipca_12m": both}
        curve = ev.fitted.get("phillips_curve")
        if curve is not None:
            out["forecast"] = series_frame(curve.forecast_path)
            out["rolling_coefficients"] = curve.rolling
        return out


SURPRISE_TARGETS = {"BR.IPCA.MOM": "BR.INFLATION", "US.CORE.CPI.MOM": "US.INFLATION"}


def _surprise_features(data: dict[str, pd.Series]) -> Features:
    """The last three surprise z-scores of each target the lake has (at least three, the
    newest within two months of the target's latest print: surprises that stopped being
    updated say nothing about today)."""
    out: Features = {}
    for target in SURPRISE_TARGETS:
        z = data.get(f"surprise_z:{target}")
        prints = data.get(target)
        if z is None or len(z) < 3:
            continue
        newest = prints.index[-1] if prints is not None and len(prints) else None
        if newest is not None and z.index[-1] < newest - pd.DateOffset(months=2):
            continue
        out[f"surprise_z:{target}"] = z.iloc[-3:]
    return out
