"""A synthetic lake whose data-generating process the agent tests know.

Monthly macro series (released 20 days after the month), weekly market series (released
the next day), one quarterly series. Every relation an agent estimates is planted here
with known coefficients (``TRUTH``) and small noise:

* Brazil and US smoothed Taylor rules: ``i = rho i[-1] + (1 - rho)(a + b pi) + e``,
  no response to the output gap;
* a Phillips curve for monthly IPCA on its lag, Focus (as a monthly rate) and last
  month's USD/BRL change, no gap term, no seasonality;
* a BEER: log USD/BRL (monthly mean) = c + terms of trade, real-rate gap, log CDS
  coefficients + a stationary AR(1) error;
* debt arithmetic with an implicit rate of exactly 10 % a year;
* weekly market returns from two volatility regimes (calm, turbulent x4), the last
  twelve weeks turbulent.

Market series move within each month around the monthly value with deviations that sum
to zero, so a monthly mean is exactly the planted monthly value.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from research_core.agents import AgentReport, run_agents
from research_core.lake import Lake

AS_OF = "2021-03-15T23:00:00+00:00"
MONTHS = pd.date_range("2004-01-01", "2021-03-01", freq="MS")  # market targets
MACRO_END = pd.Timestamp("2020-12-01")  # last month of macro data written
WEEKS = pd.date_range("2004-01-02", "2021-03-12", freq="W-FRI")
TRUTH = {
    "taylor_BR": {"rho": 0.8, "intercept": 2.0, "inflation": 1.5, "gap": 0.0},
    "taylor_US": {"rho": 0.8, "intercept": 1.0, "inflation": 1.5, "gap": 0.0},
    "phillips": {"const": 0.05, "inflation_lag": 0.4, "expectations": 0.5, "fx_lag": 0.03},
    "beer": {"const": -1.0, "terms_of_trade": -0.5, "real_rate_diff": -0.02, "log_cds": 0.4},
    "implicit_rate": 10.0,
    "gdp_qoq": 0.5,
}
TURBULENT = [(200, 260), (500, 540), (len(WEEKS) - 12, len(WEEKS))]  # week ranges


@dataclass(frozen=True)
class AgentLake:
    lake: Lake
    rows: pd.DataFrame
    monthly: pd.DataFrame  # the planted monthly values, by month start
    turbulent: pd.Series  # bool per week


def _ar(rng: np.random.Generator, n: int, mean: float, phi: float, sd: float) -> np.ndarray:
    x = np.empty(n)
    x[0] = mean
    for t in range(1, n):
        x[t] = mean + phi * (x[t - 1] - mean) + rng.normal(0, sd)
    return x


def _taylor(rng: np.random.Generator, pi: np.ndarray, p: dict[str, float]) -> np.ndarray:
    i = np.empty(len(pi))
    i[0] = p["intercept"] + p["inflation"] * pi[0]
    for t in range(1, len(pi)):
        target = p["intercept"] + p["inflation"] * pi[t]
        i[t] = p["rho"] * i[t - 1] + (1 - p["rho"]) * target + rng.normal(0, 0.02)
    return i


def _weekly_around(monthly: pd.Series, dev: np.ndarray) -> np.ndarray:
    """Weekly values = monthly value x (1 + deviation), deviations demeaned per month."""
    month = WEEKS.to_period("M").to_timestamp()
    d = pd.Series(dev, index=WEEKS)
    d = d - d.groupby(month).transform("mean")
    return monthly.reindex(month).to_numpy() * (1 + d.to_numpy())


def planted(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """(monthly planted values, weekly values, turbulent flag per week)."""
    rng = np.random.default_rng(seed)
    n = len(MONTHS)
    m = pd.DataFrame(index=MONTHS)
    m["focus"] = _ar(rng, n, 4.5, 0.9, 0.25)
    m["selic"] = _taylor(rng, m["focus"].to_numpy(), TRUTH["taylor_BR"])
    m["pce"] = _ar(rng, n, 2.0, 0.9, 0.15)
    m["fedfunds"] = _taylor(rng, m["pce"].to_numpy(), TRUTH["taylor_US"])
    m["cpi_yoy"] = _ar(rng, n, 2.5, 0.9, 0.2)
    m["ibcbr"] = 100 * np.exp(np.cumsum(rng.normal(0.002, 0.008, n)))
    m["us_ip_mom"] = rng.normal(0.15, 0.6, n)
    for c in ("iron", "soy", "brent", "copper"):
        m[c] = 80 * np.exp(np.cumsum(rng.normal(0, 0.04, n)))
    m["cds"] = 200 * np.exp(np.cumsum(rng.normal(0, 0.05, n)))
    b = TRUTH["beer"]
    tot = np.log(m[["iron", "soy", "brent", "copper"]]).mean(axis=1)
    rrd = (m["selic"] - m["focus"]) - (m["fedfunds"] - m["cpi_yoy"])
    u = _ar(rng, n, 0.0, 0.5, 0.01)
    m["fx"] = np.exp(
        b["const"]
        + b["terms_of_trade"] * tot
        + b["real_rate_diff"] * rrd
        + b["log_cds"] * np.log(m["cds"])
        + u
    )
    ph = TRUTH["phillips"]
    expect = ((1 + m["focus"] / 100) ** (1 / 12) - 1) * 100
    fx_change = 100 * np.log(m["fx"]).diff().fillna(0.0)
    ipca = np.empty(n)
    ipca[0] = 0.4
    for t in range(1, n):
        ipca[t] = (
            ph["const"]
            + ph["inflation_lag"] * ipca[t - 1]
            + ph["expectations"] * expect.iloc[t]
            + ph["fx_lag"] * fx_change.iloc[t - 1]
            + rng.normal(0, 0.01)
        )
    m["ipca"] = ipca
    m["debt"] = 60 + 0.1 * np.arange(n) + rng.normal(0, 0.3, n)
    m["primary"] = 1.0 + 0.8 * np.sin(np.arange(n) / 9)
    interest = TRUTH["implicit_rate"] / 100 * m["debt"].shift(12).fillna(m["debt"].iloc[0])
    m["nominal"] = m["primary"] - interest
    turbulent = pd.Series(False, index=WEEKS)
    for lo, hi in TURBULENT:
        turbulent.iloc[lo:hi] = True
    scale = np.where(turbulent, 4.0, 1.0)
    w = pd.DataFrame(index=WEEKS)
    w["spx"] = 2000 * np.exp(np.cumsum(rng.normal(0.001, 0.01, len(WEEKS)) * scale))
    w["ibov"] = 60000 * np.exp(np.cumsum(rng.normal(0.001, 0.012, len(WEEKS)) * scale))
    w["ptax"] = _weekly_around(m["fx"], rng.normal(0, 0.005, len(WEEKS)) * scale)
    w["cds"] = _weekly_around(m["cds"], rng.normal(0, 0.02, len(WEEKS)) * scale)
    for k in ("selic", "focus", "fedfunds"):
        w[k] = m[k].reindex(WEEKS.to_period("M").to_timestamp()).to_numpy()
    w["di1y"] = w["selic"] + 0.3 + rng.normal(0, 0.03, len(WEEKS))
    w["ust2y"] = w["fedfunds"] + 0.2 + rng.normal(0, 0.03, len(WEEKS))
    w["breakeven2y"] = w["focus"] + 0.4 + rng.normal(0, 0.1, len(WEEKS))
    return m, w, turbulent


MONTHLY_IDS = {
    "BR.IBCBR.SA": "ibcbr",
    "US.IP.MOM": "us_ip_mom",
    "US.PCE.CORE.YOY": "pce",
    "US.CPI.YOY": "cpi_yoy",
    "BR.IPCA.MOM": "ipca",
    "BR.GROSS.DEBT.GDP": "debt",
    "BR.PRIMARY.12M.GDP": "primary",
    "BR.NOMINAL.12M.GDP": "nominal",
    "CMD.IRON.ORE": "iron",
    "CMD.SOYBEAN": "soy",
    "CMD.BRENT": "brent",
    "CMD.COPPER": "copper",
}
WEEKLY_IDS = {
    "US.SPX": "spx",
    "BR.IBOV": "ibov",
    "BRL.USD.PTAX": "ptax",
    "BR.CDS.5Y": "cds",
    "BR.SELIC.TARGET": "selic",
    "BR.FOCUS.IPCA.12M": "focus",
    "US.FEDFUNDS.TARGET": "fedfunds",
    "BR.DI.1Y": "di1y",
    "US.UST.2Y": "ust2y",
    "BR.BREAKEVEN.2Y": "breakeven2y",
    "BRL.USD.SPOT": "ptax",  # the quote of USDBRL.FUT (strategies' carry), = PTAX here
    "BR.CDI": "selic",
    "US.UST.3M": "fedfunds",
}


def _rows(
    sid: str,
    obs: pd.DatetimeIndex,
    values: object,
    lag: pd.Timedelta,
    source: str = "synthetic_agents",
) -> pd.DataFrame:
    """One vintage of ``sid``: each value released ``lag`` after its period (UTC)."""
    return pd.DataFrame(
        {
            "series_id": sid,
            "obs_date": obs,
            "value": values,
            "release_time": (obs + lag).tz_localize("UTC"),
            "source": source,
        }
    )


@functools.cache
def reports(root: Path) -> dict[str, AgentReport]:
    """The five agents' reports at ``AS_OF`` on the lake at ``root`` (run once)."""
    return run_agents(build(root).lake.at(AS_OF))


@functools.cache
def build(root: Path) -> AgentLake:
    """Write the lake at ``root`` once per test session (callers share it)."""
    m, w, turbulent = planted()
    macro = m.loc[:MACRO_END]
    out = [_rows(s, macro.index, macro[c], pd.Timedelta(days=20)) for s, c in MONTHLY_IDS.items()]
    out += [_rows(s, WEEKS, w[c], pd.Timedelta(hours=22)) for s, c in WEEKLY_IDS.items()]
    quarters = macro.index[macro.index.month.isin([1, 4, 7, 10])]
    out.append(_rows("BR.GDP.QOQ", quarters, TRUTH["gdp_qoq"], pd.Timedelta(days=75)))
    rows = pd.concat(out, ignore_index=True)
    lake = Lake.open(root, create=True)
    lake.write(rows)
    return AgentLake(lake, rows, m, turbulent)
