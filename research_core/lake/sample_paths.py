"""The sample lake's latent paths: a seeded generator of every catalog series' values
(regimes, fat-tailed shocks, Taylor-rule policy, Phillips-curve inflation), continuing the
real data shipped by ``arch`` and ``statsmodels``; :mod:`research_core.lake.sample` turns
them into release-timed rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from arch.data import core_cpi, sp500, wti

from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.catalog import policy_decisions, series_catalog

STRESS_EPISODES = [  # (start, end, applies to: "G" global, "B" Brazil)
    ("2008-09-01", "2009-03-31", "G"),
    ("2011-08-01", "2011-10-31", "G"),
    ("2013-05-22", "2013-09-05", "G"),
    ("2015-08-01", "2016-02-29", "B"),
    ("2018-05-15", "2018-06-30", "B"),
    ("2020-02-24", "2020-05-15", "G"),
    ("2022-03-01", "2022-10-31", "G"),
]
_COPOM_MONTHS = (1, 3, 5, 6, 8, 9, 11, 12)
_FOMC_MONTHS = (1, 3, 4, 6, 7, 9, 10, 12)


@dataclass(frozen=True)
class SampleSpec:
    """What to build: the period and the seed (same inputs, same lake)."""

    start: pd.Timestamp
    end: pd.Timestamp
    seed: int


def _ou(
    rng: np.random.Generator,
    n: int,
    mean: np.ndarray | float,
    kappa: float,
    sigma: np.ndarray | float,
    x0: float,
    shocks: np.ndarray | None = None,
) -> np.ndarray:
    """Discrete Ornstein-Uhlenbeck path (mean may move), optional extra shocks."""
    mean = np.broadcast_to(np.asarray(mean, dtype=float), (n,))
    sig = np.broadcast_to(np.asarray(sigma, dtype=float), (n,))
    eps = rng.standard_normal(n) * sig + (0.0 if shocks is None else shocks)
    x = np.empty(n)
    prev = x0
    for t in range(n):
        prev = prev + kappa * (mean[t] - prev) + eps[t]
        x[t] = prev
    return x


def _t_shocks(rng: np.random.Generator, n: int, df: float = 4.0) -> np.ndarray:
    """Unit-variance Student-t shocks (fat tails)."""
    return rng.standard_t(df, n) / np.sqrt(df / (df - 2))


class PathGenerator:
    """Builds the latent daily and monthly paths, then one frame per catalog series."""

    def __init__(self, spec: SampleSpec) -> None:
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        self.days = pd.bdate_range(spec.start - pd.DateOffset(years=1), spec.end)
        self.months = pd.date_range(self.days[0].to_period("M").to_timestamp(), spec.end, freq="MS")
        self.d: dict[str, pd.Series] = {}
        self.m: dict[str, pd.Series] = {}

    # ---- daily market block -----------------------------------------------------------
    def _regimes(self) -> tuple[np.ndarray, np.ndarray]:
        n, rng = len(self.days), self.rng
        state = np.zeros(n, dtype=bool)
        u = rng.random(n)
        for t in range(1, n):
            state[t] = u[t] < (0.985 if state[t - 1] else 0.003)
        glob, br = state.copy(), state.copy()
        for start, end, scope in STRESS_EPISODES:
            mask = (self.days >= pd.Timestamp(start)) & (self.days <= pd.Timestamp(end))
            br |= mask
            if scope == "G":
                glob |= mask
        return glob, br

    def markets(self) -> None:
        rng, days, n = self.rng, self.days, len(self.days)
        glob, br = self._regimes()
        self.stress_g, self.stress_b = glob, br
        vol_g = np.where(glob, 2.0, 1.0)
        vol_b = np.where(br, 2.2, 1.0)
        spx_hist = sp500.load()["Adj Close"]
        real_spx = spx_hist.reindex(days).ffill().where(days <= spx_hist.index[-1])
        spx_ret = np.log(real_spx).diff().to_numpy().copy()
        sim = 0.0002 + 0.009 * vol_g * _t_shocks(rng, n)
        spx_ret = np.where(np.isnan(spx_ret), sim, spx_ret)
        spx_ret[0] = 0.0
        spx = np.exp(np.cumsum(spx_ret))
        real_known = real_spx.notna().to_numpy()
        # Scale so the path equals the real closes where they exist (else a 2005-like level).
        anchor = int(np.argmax(real_known)) if real_known.any() else 0
        spx *= (float(real_spx.iloc[anchor]) if real_known.any() else 1200.0) / spx[anchor]
        z_g = (spx_ret - spx_ret.mean()) / spx_ret.std()  # the global risk factor
        z_b = _t_shocks(rng, n) * vol_b
        self.z_g, self.z_b = z_g, z_b
        ewma = pd.Series(spx_ret**2, index=days).ewm(halflife=10).mean().to_numpy()
        vix = 100 * np.sqrt(B3_SESSIONS_PER_YEAR * ewma) * 1.12 + 2.0 + rng.normal(0, 0.8, n)
        trend = np.linspace(np.log(2.65), np.log(5.45), n)
        fx_shock = 0.0085 * (-0.45 * z_g + 0.6 * z_b + 0.35 * rng.standard_normal(n))
        log_fx = _ou(rng, n, trend, 0.004, 0.0, np.log(2.7), shocks=fx_shock)
        cds_mean = np.log(np.where(br, 330.0, 190.0))
        log_cds = _ou(
            rng, n, cds_mean, 0.01, 0.0, np.log(300.0), shocks=0.035 * (0.6 * z_b - 0.4 * z_g)
        )
        ibov_ret = 0.0001 + 0.0125 * (0.55 * z_g - 0.5 * z_b + 0.45 * _t_shocks(rng, n))
        ibov = 26_000 * np.exp(np.cumsum(ibov_ret))
        dxy = np.exp(_ou(rng, n, np.log(92.0), 0.002, 0.004, np.log(85.0), shocks=-0.001 * z_g))
        oil = wti.load()["DCOILWTICO"].reindex(days).ffill()
        log_oil = np.log(oil.clip(lower=5.0)).to_numpy().copy()
        sim_oil = _ou(rng, n, np.log(70.0), 0.002, 0.02, 0.0, shocks=0.006 * z_g)
        cut = int(oil.notna().to_numpy().nonzero()[0].max(initial=-1)) + 1  # after real data
        if cut == 0:
            log_oil = np.log(60.0) + sim_oil
        else:
            log_oil[cut:] = log_oil[cut - 1] + sim_oil[cut:] - sim_oil[cut - 1]
        self.d.update(
            spx=pd.Series(spx, days),
            vix=pd.Series(vix, days),
            fx=pd.Series(np.exp(log_fx), days),
            cds=pd.Series(np.exp(log_cds), days),
            ibov=pd.Series(ibov, days),
            dxy=pd.Series(dxy, days),
            wti=pd.Series(np.exp(log_oil), days),
        )
        self.d["ewz"] = 40.0 * self.d["ibov"] / self.d["fx"] / (26_000 / 2.7)
        self.d["brent"] = self.d["wti"] * np.exp(_ou(rng, n, 0.05, 0.01, 0.004, 0.02))
        for key, (level, beta, vol, drift) in {
            "iron": (65.0, 0.4, 0.02, 0.0001),
            "soy": (600.0, 0.2, 0.014, 0.0001),
            "copper": (1.5, 0.6, 0.016, 0.0001),
            "gold": (430.0, -0.15, 0.011, 0.0002),
        }.items():
            r = drift + vol * (beta * z_g + np.sqrt(1 - beta**2) * rng.standard_normal(n))
            self.d[key] = pd.Series(level * np.exp(np.cumsum(r)), days)

    # ---- monthly macro block ----------------------------------------------------------
    def macro(self) -> None:
        """The monthly macro block: Brazil then the United States (in this order: the
        draws are the sample's)."""
        months = self.months
        stress_b = pd.Series(self.stress_b, self.days).resample("MS").mean().reindex(months)
        stress_g = pd.Series(self.stress_g, self.days).resample("MS").mean().reindex(months)
        covid = np.where(
            (months >= pd.Timestamp("2020-03-01")) & (months <= pd.Timestamp("2020-06-01")),
            [-1.0, -6.0, -3.0, -1.0][0],
            0.0,
        )
        covid[(months == "2020-04-01")] = -7.0
        covid[(months == "2020-05-01")] = 3.5
        covid[(months == "2020-06-01")] = 2.5
        self.covid = pd.Series(covid, months)
        self._macro_br(stress_b.fillna(0).to_numpy(), covid)
        self._macro_us(stress_g, covid)

    def _macro_br(self, stress: np.ndarray, covid: np.ndarray) -> None:
        """Brazil: output gap, inflation (Phillips curve + FX pass-through), Taylor-rule Selic."""
        rng, months, n = self.rng, self.months, len(self.months)
        fx_m = self.d["fx"].resample("MS").mean().reindex(months).ffill().to_numpy()
        fx_chg = np.r_[0.0, np.diff(np.log(fx_m))] * 100
        gap_br = _ou(rng, n, 0.0, 0.08, 0.35, 0.5, shocks=-0.8 * stress + covid)
        season = np.array([0.25, 0.2, 0.05, 0, -0.05, -0.1, -0.05, -0.05, 0, 0.05, 0.05, 0.15])
        ipca = np.empty(n)
        prev = 0.45
        for t in range(n):
            prev = (
                0.36
                + 0.55 * (prev - 0.36)
                + 0.03 * gap_br[t]
                + 0.03 * np.clip(fx_chg[t], -4, 6)
                + season[months[t].month - 1]
                + rng.normal(0, 0.1)
            )
            if months[t].year in (2015, 2021, 2022) and months[t].month <= 9:
                prev += 0.18  # administered-price and commodity shocks
            ipca[t] = prev
        ipca12 = (pd.Series(1 + ipca / 100).rolling(12, min_periods=1).apply(np.prod) - 1) * 100
        selic = np.empty(n)
        level = 17.75
        for t in range(n):
            if months[t].month in _COPOM_MONTHS:
                target = 4.5 + 4.5 + 1.5 * (ipca12.iloc[t] - 4.5) + 0.6 * gap_br[t]
                step = np.clip(np.round(0.5 * (target - level) * 4) / 4, -1.5, 1.5)
                level = float(np.clip(level + step, 2.0, 19.75))
            selic[t] = level
        self.m.update(
            gap_br=pd.Series(gap_br, months),
            ipca=pd.Series(ipca, months),
            ipca12=pd.Series(ipca12.to_numpy(), months),
            selic=pd.Series(selic, months),
        )

    def _macro_us(self, stress_g: pd.Series, covid: np.ndarray) -> None:
        """United States: real GDP to 2009Q3, core CPI to 2018, then generated."""
        rng, months, n = self.rng, self.months, len(self.months)
        md = sm.datasets.macrodata.load_pandas().data
        qidx = pd.PeriodIndex(
            [f"{int(y)}Q{int(q)}" for y, q in zip(md["year"], md["quarter"], strict=True)],
            freq="Q",
        )
        real_gdp = pd.Series(md["realgdp"].to_numpy(), qidx.to_timestamp())
        gdp_saar = ((real_gdp / real_gdp.shift(1)) ** 4 - 1) * 100
        gap_us = _ou(
            rng, n, 0.0, 0.07, 0.25, 0.8, shocks=-0.5 * stress_g.fillna(0).to_numpy() + covid * 0.9
        )
        core = core_cpi.load()["CPILFESL"]
        core_mom = (core.pct_change() * 100).reindex(months)
        surge = np.where(
            (months >= pd.Timestamp("2021-04-01")) & (months <= pd.Timestamp("2022-12-01")),
            0.25,
            0.0,
        )
        sim_core = 0.17 + 0.02 * gap_us + surge + rng.normal(0, 0.08, n)
        core_mom = core_mom.fillna(pd.Series(sim_core, months))
        oil_m = self.d["wti"].resample("MS").mean().reindex(months).ffill()
        headline = (
            core_mom + 0.045 * (np.log(oil_m).diff().fillna(0) * 100) + rng.normal(0, 0.05, n)
        )
        cpi_idx = 190.0 * np.cumprod(1 + headline.to_numpy() / 100)
        ff = np.empty(n)
        level = 2.25
        for t in range(n):
            yoy = (cpi_idx[t] / cpi_idx[max(t - 12, 0)] - 1) * 100
            if months[t].month in _FOMC_MONTHS:
                target = 2.0 + yoy + 0.5 * (yoy - 2.0) + 0.5 * gap_us[t]
                step = np.clip(np.round(0.5 * (target - level) * 4) / 4, -0.75, 0.75)
                if stress_g.iloc[t] > 0.5 and level > 0.5:
                    step = min(step, -0.5)
                level = float(np.clip(level + step, 0.25, 6.5))
            ff[t] = level
        sim_gdp = (
            pd.Series(2.2 + 3.0 * np.r_[0, np.diff(gap_us)] * 4 + rng.normal(0, 0.8, n), months)
            .resample("QS")
            .mean()
        )
        gdp_saar = gdp_saar.reindex(sim_gdp.index).fillna(sim_gdp)
        self.m.update(
            gap_us=pd.Series(gap_us, months),
            core_mom=core_mom,
            cpi_mom=headline,
            cpi_idx=pd.Series(cpi_idx, months),
            ff=pd.Series(ff, months),
        )
        self.q_gdp_us = gdp_saar

    # ---- turning latent paths into catalog series -----------------------------------
    def daily(self, monthly: pd.Series) -> pd.Series:
        """A monthly step path held constant over the weekday grid."""
        return monthly.reindex(self.days, method="ffill").bfill()

    def decision_path(self, monthly: pd.Series, meetings: str) -> pd.Series:
        """Policy rate as a daily step path: each decision of the ``meetings`` calendar
        (``catalog/policy_meetings.yaml``) sets the latent value of its month, effective
        the next day, so the target's release times (the decision) match its changes."""
        tz = "America/Sao_Paulo" if meetings == "copom" else "America/New_York"
        decided = policy_decisions(meetings).tz_convert(tz).tz_localize(None).normalize()
        decided = decided[(decided >= monthly.index[0]) & (decided <= self.days[-1])]
        values = monthly.reindex(decided.to_period("M").to_timestamp()).to_numpy()
        steps = pd.Series(values, index=decided + pd.Timedelta(days=1))
        return steps.reindex(self.days, method="ffill").fillna(monthly.iloc[0])

    def values(self) -> dict[str, pd.Series]:
        """Latent value path (by obs_date) for every catalog series id (the draws in a
        fixed order: the sample lake is the same for the same seed)."""
        selic_d = self.decision_path(self.m["selic"], "copom")
        ff_d = self.decision_path(self.m["ff"], "fomc")
        out: dict[str, pd.Series] = {}
        self._br_curve(out, selic_d)
        cpi_yoy = self._us_curve(out, ff_d)
        self._markets(out, selic_d, ff_d)
        ibc = self._br_monthly(out)
        self._us_monthly(out, cpi_yoy)
        self._quarterly(out, ibc)
        self._weekly(out)
        self._second_sources(out)
        self._focus_monthly(out)
        return out

    def _noise(self, scale: float) -> np.ndarray:
        """Monthly Gaussian noise of standard deviation ``scale``."""
        return self.rng.normal(0, scale, len(self.months))

    def _br_curve(self, out: dict[str, pd.Series], selic_d: pd.Series) -> None:
        """DI and NTN-B curves and Brazil's breakevens."""
        rng, days, m, d = self.rng, self.days, self.m, self.d
        nd = len(days)
        br_risk = pd.Series(np.log(d["cds"].to_numpy() / 200.0), days)
        slope = _ou(rng, nd, 0.4 + 1.5 * br_risk.to_numpy(), 0.02, 0.05, 0.5)
        bei_br = self.daily(0.5 * m["ipca12"] + 0.5 * 4.5) + _ou(rng, nd, 0.0, 0.02, 0.04, 0.0)
        tenors = {"3M": 0.25, "6M": 0.5, "1Y": 1, "2Y": 2, "3Y": 3, "5Y": 5, "10Y": 10}
        for name, tau in tenors.items():
            shape = 1 - np.exp(-tau / 2.5)
            wiggle = _ou(rng, nd, 0.0, 0.05, 0.02, 0.0)
            out[f"BR.DI.{name}"] = selic_d + slope * shape + wiggle
        for name, tau in {"2Y": 2, "5Y": 5, "10Y": 10, "30Y": 30}.items():
            di = out.get(f"BR.DI.{name}", out["BR.DI.10Y"] + 0.3)
            bei = (bei_br + 0.04 * tau + _ou(rng, nd, 0.0, 0.05, 0.02, 0.0)).clip(lower=2.0)
            out[f"BR.NTNB.{name}"] = (di - bei).clip(lower=1.5)
        out["BR.BREAKEVEN.2Y"] = out["BR.DI.2Y"] - out["BR.NTNB.2Y"]
        out["BR.BREAKEVEN.5Y"] = out["BR.DI.5Y"] - out["BR.NTNB.5Y"]

    def _us_curve(self, out: dict[str, pd.Series], ff_d: pd.Series) -> pd.Series:
        """Treasuries, breakevens, TIPS and the Baa spread; returns CPI y/y (%)."""
        rng, days, m = self.rng, self.days, self.m
        nd = len(days)
        # US curve: fed funds + term premium + expected-inflation anchor.
        tp = _ou(
            rng,
            nd,
            0.8 + 0.004 * np.arange(nd) / B3_SESSIONS_PER_YEAR,
            0.01,
            0.045,
            0.9,
            shocks=-0.02 * self.z_g,
        )
        r_star = pd.Series(np.interp(np.arange(nd), [0, nd * 0.6, nd], [1.5, -0.2, 1.3]), days)
        y10 = 0.35 * ff_d + 0.65 * (r_star + 2.2) + pd.Series(tp, days)
        out["US.UST.3M"] = (ff_d - 0.12 + _ou(rng, nd, 0, 0.1, 0.02, 0)).clip(lower=0.01)
        out["US.UST.2Y"] = (0.75 * ff_d + 0.25 * y10 + _ou(rng, nd, 0, 0.05, 0.03, 0)).clip(
            lower=0.05
        )
        out["US.UST.5Y"] = 0.4 * out["US.UST.2Y"] + 0.6 * y10 + _ou(rng, nd, 0, 0.05, 0.02, 0)
        out["US.UST.10Y"] = y10
        out["US.UST.30Y"] = y10 + 0.35 + _ou(rng, nd, 0, 0.03, 0.02, 0)
        cpi_yoy = (m["cpi_idx"] / m["cpi_idx"].shift(12) - 1).bfill() * 100
        bei5 = (
            self.daily(2.0 + 0.25 * (cpi_yoy - 2))
            - 0.9 * pd.Series(self.stress_g, days)
            + _ou(rng, nd, 0, 0.03, 0.03, 0)
        )
        out["US.BREAKEVEN.5Y"] = bei5
        out["US.BREAKEVEN.10Y"] = 0.5 * bei5 + 1.1 + _ou(rng, nd, 0, 0.03, 0.02, 0)
        out["US.TIPS.5Y"] = out["US.UST.5Y"] - bei5
        out["US.TIPS.10Y"] = y10 - out["US.BREAKEVEN.10Y"]
        out["US.BAA.SPREAD"] = pd.Series(
            _ou(rng, nd, 1.9 + 1.8 * self.stress_g, 0.01, 0.03, 1.7), days
        )
        return cpi_yoy

    def _markets(self, out: dict[str, pd.Series], selic_d: pd.Series, ff_d: pd.Series) -> None:
        """Policy rates, FX, reserves, equities and commodities."""
        rng, days, d = self.rng, self.days, self.d
        nd = len(days)
        # Policy, FX, equities, commodities.
        out["BR.SELIC.TARGET"] = selic_d
        out["BR.SELIC.EFFECTIVE"] = selic_d - 0.10
        out["BR.CDI"] = selic_d - 0.10 + _ou(rng, nd, 0, 0.2, 0.003, 0)
        out["US.FEDFUNDS.TARGET"] = ff_d
        out["US.FEDFUNDS.EFFECTIVE"] = (ff_d - 0.17 + _ou(rng, nd, 0, 0.2, 0.01, 0)).clip(0.04)
        out["BRL.USD.SPOT"] = d["fx"]
        out["BRL.USD.PTAX"] = d["fx"] * (1 + rng.normal(0, 0.0015, nd))
        out["BR.RESERVES"] = pd.Series(
            np.interp(np.arange(nd), [0, nd * 0.35, nd], [52_000, 355_000, 345_000]), days
        ) + _ou(rng, nd, 0, 0.01, 900, 0)
        names = {
            "US.DXY": "dxy",
            "BR.CDS.5Y": "cds",
            "BR.IBOV": "ibov",
            "BR.EWZ": "ewz",
            "US.SPX": "spx",
            "US.VIX": "vix",
            "CMD.WTI": "wti",
            "CMD.BRENT": "brent",
            "CMD.IRON.ORE": "iron",
            "CMD.SOYBEAN": "soy",
            "CMD.COPPER": "copper",
            "CMD.GOLD": "gold",
        }
        out.update({sid: d[key] for sid, key in names.items()})

    def _br_monthly(self, out: dict[str, pd.Series]) -> pd.Series:
        """Brazil's monthly macro series; returns the IBC-Br index."""
        rng, months, m, d = self.rng, self.months, self.m, self.d
        nm = len(months)
        ipca = m["ipca"]
        gap_br = m["gap_br"]
        out["BR.IPCA.MOM"] = ipca
        out["BR.IPCA.YOY"] = m["ipca12"]
        out["BR.IPCA.FREE.MOM"] = ipca + self._noise(0.06)
        out["BR.IPCA.ADMIN.MOM"] = ipca + self._noise(0.35)
        out["BR.IPCA.SERVICES.MOM"] = 0.45 + 0.5 * (ipca - 0.36) + 0.05 * gap_br + self._noise(0.07)
        out["BR.IPCA.FOOD.MOM"] = ipca + self._noise(0.55)
        out["BR.IPCA.CORE.MS.MOM"] = ipca.rolling(3, min_periods=1).mean() + self._noise(0.03)
        out["BR.IPCA15.MOM"] = 0.5 * (ipca + ipca.shift(1).bfill()) + self._noise(0.05)
        fx_m = d["fx"].resample("MS").mean().reindex(months).ffill()
        out["BR.IGPM.MOM"] = 0.35 + 0.25 * np.log(fx_m).diff().fillna(0) * 100 + self._noise(0.45)
        ibc = pd.Series(
            100 * np.exp(np.cumsum(np.full(nm, 0.0017)) + gap_br.to_numpy() / 100), months
        )
        out["BR.IBCBR.SA"] = ibc
        ibc_growth = ibc.pct_change().fillna(0) * 100
        out["BR.IP.MOM"] = ibc_growth * 100 * 1.4 + self._noise(0.9)
        out["BR.RETAIL.MOM"] = ibc_growth * 100 + self._noise(0.8)
        out["BR.UNEMPLOYMENT"] = pd.Series(
            _ou(rng, nm, 9.5 - 1.1 * gap_br.to_numpy(), 0.1, 0.1, 10.0), months
        )
        primary = (
            pd.Series(
                np.interp(np.arange(nm), [0, nm * 0.45, nm * 0.6, nm], [3.5, 2.0, -2.5, 0.2]),
                months,
            )
            + 0.3 * gap_br
        )
        out["BR.PRIMARY.12M.GDP"] = primary
        nominal = primary - 0.45 * m["selic"]
        out["BR.NOMINAL.12M.GDP"] = nominal
        gross = 66.0 + np.cumsum(-nominal.to_numpy() / 12 - 0.25) + 0.3 * self._noise(0.3).cumsum()
        out["BR.GROSS.DEBT.GDP"] = pd.Series(gross, months)
        out["BR.NET.DEBT.GDP"] = out["BR.GROSS.DEBT.GDP"] - 18.0 + self._noise(0.3)
        out["BR.CENTRAL.GOV.PRIMARY"] = primary * 8_000 + self._noise(9_000)
        out["BR.CURRENT.ACCOUNT"] = -2_500 - 800 * gap_br + self._noise(1_400)
        out["BR.TRADE.BALANCE"] = 3_500 - 600 * gap_br + self._noise(1_600)
        out["BR.FDI"] = pd.Series(
            np.interp(np.arange(nm), [0, nm * 0.3, nm], [1_500, 5_500, 6_000]), months
        ) + self._noise(2_000)
        return ibc

    def _us_monthly(self, out: dict[str, pd.Series], cpi_yoy: pd.Series) -> None:
        """US monthly macro series."""
        rng, months, m = self.rng, self.months, self.m
        nm, gap_us = len(months), m["gap_us"]
        out["US.CPI.MOM"] = m["cpi_mom"]
        out["US.CPI.YOY"] = cpi_yoy
        out["US.CORE.CPI.MOM"] = m["core_mom"]
        pce = (0.85 * m["core_mom"]).rolling(12, min_periods=1).sum() + self._noise(0.05)
        out["US.PCE.CORE.YOY"] = pce
        out["US.PAYROLLS.CHG"] = (
            140 + 180 * gap_us.diff().fillna(0) * 4 + 1500 * self.covid + self._noise(60)
        )
        out["US.UNEMPLOYMENT"] = pd.Series(
            _ou(rng, nm, 5.0 - 1.2 * gap_us.to_numpy(), 0.12, 0.08, 5.3), months
        ).clip(3.4)
        out["US.IP.MOM"] = 0.15 + 0.8 * gap_us.diff().fillna(0) + self._noise(0.5)
        out["US.RETAIL.MOM"] = 0.35 + 1.0 * gap_us.diff().fillna(0) + self._noise(0.6)

    def _quarterly(self, out: dict[str, pd.Series], ibc: pd.Series) -> None:
        """Quarterly GDP of both countries and US debt/GDP."""
        rng, months = self.rng, self.months
        out["US.GDP.QOQ"] = self.q_gdp_us
        gdp_br = (
            pd.Series(np.log(ibc.to_numpy()), months).resample("QS").mean().diff() * 100
        ).bfill()
        out["BR.GDP.QOQ"] = gdp_br + rng.normal(0, 0.2, len(gdp_br))
        q = pd.date_range(months[0], months[-1], freq="QS")
        out["US.DEBT.GDP"] = (
            pd.Series(
                np.interp(np.arange(len(q)), [0, 0.6 * len(q), len(q)], [35.0, 76.0, 97.0]), q
            )
            + rng.normal(0, 0.4, len(q)).cumsum() * 0.3
        )

    def _focus_monthly(self, out: dict[str, pd.Series]) -> None:
        """Focus median for the next IPCA month (own seeded draws: other series unchanged).

        Each survey Friday forecasts the month the IPCA rule says is still unreleased,
        from the last print and the month's own value (analysts see part of the month).
        """
        rng = np.random.default_rng(self.spec.seed + 19)
        ipca = out["BR.IPCA.MOM"]
        fri = pd.DatetimeIndex(out["BR.FOCUS.IPCA.CY"].index)
        survey_end = (fri + pd.Timedelta(days=1)).tz_localize("America/Sao_Paulo")
        target = series_catalog()["BR.IPCA.MOM"].pending_periods(survey_end)
        now = ipca.reindex(target).to_numpy()
        last = ipca.reindex(target - pd.DateOffset(months=1)).to_numpy()
        value = 0.65 * now + 0.35 * np.where(np.isnan(last), now, last)
        out["BR.FOCUS.IPCA.MOM"] = pd.Series(
            np.round(value + rng.normal(0, 0.04, len(fri)), 2), fri
        ).dropna()

    @staticmethod
    def _second_sources(out: dict[str, pd.Series]) -> None:
        """Cross-check twins and fixed-reference series, derived without new random draws."""
        out["BRL.USD.PTAX.SGS"] = out["BRL.USD.PTAX"].round(4)
        out["US.UST.2Y.FRED"] = out["US.UST.2Y"].round(2)
        out["US.UST.10Y.FRED"] = out["US.UST.10Y"].round(2)
        out["BR.SELIC.FRED"] = out["BR.SELIC.EFFECTIVE"].resample("MS").mean().round(2)
        growth = (out["US.GDP.QOQ"] + out["US.CPI.YOY"].resample("QS").mean()) / 400
        out["US.GDP.NOMINAL"] = 12_500 * np.exp(growth.cumsum())
        cy, ny = out["BR.FOCUS.IPCA.CY"], out["BR.FOCUS.IPCA.NY"]
        for year in (2026, 2027):
            years = pd.DatetimeIndex(cy.index).year
            path = cy.where(years == year, ny.where(years == year - 1, 0.5 * ny + 1.75))
            out[f"BR.FOCUS.IPCA.{year}"] = path[(years >= year - 4) & (years <= year)]

    def _weekly(self, out: dict[str, pd.Series]) -> None:
        """Focus survey (Fridays), FX flow (Fridays) and CFTC positions (Tuesdays)."""
        rng, m, d = self.rng, self.m, self.d
        fri = pd.date_range(self.days[0], self.days[-1], freq="W-FRI")
        tue = pd.date_range(self.days[0], self.days[-1], freq="W-TUE")
        nf, nt = len(fri), len(tue)

        def on(series: pd.Series, dates: pd.DatetimeIndex) -> np.ndarray:
            return series.reindex(dates, method="ffill").bfill().to_numpy()

        ipca12, selic = on(m["ipca12"], fri), on(m["selic"], fri)
        gap = on(m["gap_br"], fri)
        smooth = _ou(rng, nf, 0.0, 0.1, 0.05, 0.0)
        out["BR.FOCUS.IPCA.CY"] = pd.Series(0.6 * ipca12 + 0.4 * 4.5 + smooth, fri)
        out["BR.FOCUS.IPCA.NY"] = pd.Series(0.25 * ipca12 + 0.75 * 4.0 + 0.5 * smooth, fri)
        out["BR.FOCUS.IPCA.12M"] = pd.Series(0.5 * ipca12 + 0.5 * 4.2 + 0.7 * smooth, fri)
        taylor = 9.0 + 1.5 * (ipca12 - 4.5) + 0.6 * gap
        out["BR.FOCUS.SELIC.CY"] = pd.Series(
            np.clip(np.round((selic + 0.4 * (taylor - selic)) * 4) / 4, 2.0, None), fri
        )
        out["BR.FOCUS.SELIC.NY"] = pd.Series(
            np.clip(np.round((selic + 0.7 * (taylor - selic)) * 4) / 4, 2.0, None), fri
        )
        out["BR.FOCUS.GDP.CY"] = pd.Series(2.0 + 0.5 * gap + _ou(rng, nf, 0, 0.1, 0.04, 0), fri)
        out["BR.FOCUS.FX.CY"] = pd.Series(on(d["fx"], fri) * 1.01 + rng.normal(0, 0.02, nf), fri)
        fx_ret = pd.Series(np.log(on(d["fx"], fri))).diff().fillna(0).to_numpy()
        out["BR.FXFLOW.COMMERCIAL"] = pd.Series(300 + rng.normal(0, 900, nf), fri)
        out["BR.FXFLOW.FINANCIAL"] = pd.Series(-40_000 * fx_ret + rng.normal(0, 1_500, nf), fri)
        carry = on(m["selic"], tue) - on(m["ff"], tue)
        stress = pd.Series(self.stress_b, self.days).reindex(tue, method="ffill").to_numpy()
        out["CFTC.BRL.NET.NONCOMM"] = pd.Series(
            _ou(rng, nt, 2_500 * (carry - 6) - 25_000 * stress, 0.15, 3_000, 0.0), tue
        )
        out["CFTC.UST10Y.NET.NONCOMM"] = pd.Series(_ou(rng, nt, -50_000, 0.05, 25_000, 0), tue)
        spx_mom = pd.Series(np.log(on(d["spx"], tue))).diff(12).fillna(0).to_numpy()
        out["CFTC.SPX.NET.NONCOMM"] = pd.Series(
            _ou(rng, nt, 400_000 * spx_mom, 0.1, 15_000, 0), tue
        )
        out["CFTC.JPY.NET.NONCOMM"] = pd.Series(_ou(rng, nt, -20_000, 0.05, 9_000, 0), tue)
