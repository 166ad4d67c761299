"""FX equilibrium agent: USD/BRL against a BEER fair value, with carry.

Fundamentals (monthly averages): a commodity terms-of-trade proxy (geometric mean of iron
ore, soybean, Brent and copper in USD, the bulk of Brazil's exports), the ex-ante real rate
differential (Selic minus Focus 12m expectations, less fed funds minus US CPI inflation)
and the sovereign risk premium (log 5y CDS). :func:`beer` fits the long run by DOLS and
tests cointegration; misalignment outside its band, scaled by its volatility, is the
signal, with a horizon from its half-life. Without evidence of cointegration (p > 0.10)
confidence is cut to a third.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from research_core.agents._features import monthly
from research_core.agents.base import (
    Agent,
    Evidence,
    Features,
    Fitted,
)
from research_core.agents.reasons import p_value
from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.errors import ModelError
from research_core.models import BeerResult, beer
from research_core.models._base import name_index
from research_core.models._frames import union_frame
from research_core.records import Signal

COMMODITIES = ("CMD.IRON.ORE", "CMD.SOYBEAN", "CMD.BRENT", "CMD.COPPER")


def _beer_line(model: BeerResult) -> str:
    lr = model.long_run["coef"]
    return (
        f"BEER: misalignment {model.current:+.1f}% (band ±{model.band:.1f}%), half-life "
        f"{model.half_life:.1f} months; elasticities ToT {lr['terms_of_trade']:.2f}, "
        f"real-rate diff {lr['real_rate_diff']:.3f}, CDS {lr['log_cds']:.2f}"
    )


class FxEquilibriumAgent(Agent):
    name = "fx_equilibrium"
    required = (
        "BRL.USD.PTAX",
        *COMMODITIES,
        "BR.SELIC.TARGET",
        "BR.FOCUS.IPCA.12M",
        "US.FEDFUNDS.TARGET",
        "US.CPI.YOY",
        "BR.CDS.5Y",
    )
    describe = MappingProxyType({"beer": _beer_line})

    def features(self, data: dict[str, pd.Series], notes: list[str]) -> Features:
        logs = union_frame({c: np.log(monthly(data[c])) for c in COMMODITIES})
        tot = logs.mean(axis=1, skipna=False).dropna()
        br_real = monthly(data["BR.SELIC.TARGET"]) - monthly(data["BR.FOCUS.IPCA.12M"])
        us_real = monthly(data["US.FEDFUNDS.TARGET"]) - data["US.CPI.YOY"]
        fundamentals = union_frame(
            {
                "terms_of_trade": tot,
                "real_rate_diff": br_real - us_real,
                "log_cds": np.log(monthly(data["BR.CDS.5Y"])),
            }
        )
        return {
            "fx": monthly(data["BRL.USD.PTAX"]),
            "fx_now": float(data["BRL.USD.PTAX"].iloc[-1]),
            "fundamentals": fundamentals,
            "carry": float(data["BR.SELIC.TARGET"].iloc[-1] - data["US.FEDFUNDS.TARGET"].iloc[-1]),
        }

    def models(self, features: Features, notes: list[str]) -> Fitted:
        try:
            return {"beer": beer(features["fx"], features["fundamentals"])}
        except ModelError as err:
            notes.append(f"BEER not estimated: {err}")
            return {}

    def signals(self, ev: Evidence) -> list[Signal]:
        model = ev.fitted.get("beer")
        if model is None:
            return []
        z = -model.z  # USD/BRL above fair value (BRL cheap): expect it to fall
        quality = 1.0 if model.coint_pvalue <= 0.10 else 1 / 3
        days = 21 * model.half_life if np.isfinite(model.half_life) else B3_SESSIONS_PER_YEAR
        return [
            self.signal(
                ev.as_of,
                "USDBRL.FUT",
                z,
                quality=quality,
                horizon_days=int(np.clip(days, 21, B3_SESSIONS_PER_YEAR)),
                model="BEER",
                because=(
                    f"USD/BRL {ev.features['fx_now']:.3f} is {abs(model.current):.1f}% "
                    f"{'above' if model.current > 0 else 'below'} its BEER fair value "
                    f"{model.fair_value.iloc[-1]:.3f} (misalignment z {model.z:+.2f}, band "
                    f"±{model.band:.1f}%), so expect it to revert; carry "
                    f"{ev.features['carry']:+.2f}pp"
                ),
                stats=(p_value("cointegration", model.coint_pvalue),),
            )
        ]

    def headline(self, ev: Evidence) -> list[str]:
        return [
            f"USD/BRL {ev.features['fx_now']:.3f}; "
            f"Selic–fed funds carry {ev.features['carry']:+.2f}pp"
        ]

    def charts(self, ev: Evidence) -> dict[str, pd.DataFrame]:
        model = ev.fitted.get("beer")
        if model is None:
            return {}
        # the model's months: the complete ones, each in the monthly rate's sorted index
        fx, index = ev.features["fx"], model.misalignment.index
        block = np.vstack(  # a row a column, as the frame of a dict of them lays them out
            [
                fx.to_numpy()[fx.index.searchsorted(index)],
                model.fair_value.to_numpy(),
                model.misalignment.to_numpy(),
                np.full(len(index), model.band),
            ]
        )
        columns = name_index(BEER_CHART)
        return {"beer": pd.DataFrame(block.T, index=index.copy(), columns=columns, copy=False)}


BEER_CHART = ("fx", "fair_value", "misalignment", "band")
