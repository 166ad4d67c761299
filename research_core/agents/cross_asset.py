"""Cross-asset agent: macro and risk regimes, and a Brazil view built from the others.

Macro regime: a 4-state HMM (:func:`macro_regimes`) on growth (mean z-score of US
industrial production and Brazil IBC-Br, year on year) and inflation (US CPI and IPCA,
year on year). Risk regime: a 2-state HMM (:func:`risk_regimes`) on weekly S&P 500,
Ibovespa, USD/BRL and CDS changes. The upstream agents' signals on Brazilian risk (fiscal,
CDS, FX misalignment, policy) are combined, confidence-weighted, into a Brazil score that
tilts the Ibovespa and USD/BRL calls. A Ledoit–Wolf covariance of the same weekly returns
is reported for the risk engine.

Refit schedule (``CrossAssetAgent.refit``): by default ("yearly") both HMMs are fitted once
a year, on what was known at the end of the last calendar year before the as-of date, and
each run filters the data it sees with those parameters (scaled as the fit's sample was;
:mod:`research_core.models.regimes`), so the regime at a date comes from data known then
and parameters estimated on data known earlier (point in time either way). Before the
first year-end with enough history for an HMM, the run fits on its own sample. "every"
refits both at every run (the earlier behaviour: about 5 times the cost of the agent's
models; the regime probabilities differ from the yearly schedule's by the parameters'
drift within a year).

The macro side (growth, inflation and their regime) is kept per fit and per content of its
four monthly inputs (dates and values as the view sees them): a daily run recomputes it only
on a release or a revision, which makes another key.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from types import MappingProxyType
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.special import ndtri  # what scipy.stats' norm.ppf computes, without its checks

from research_core._memo import MEMO, Kind
from research_core.agents._features import compound, level_from_changes, yoy
from research_core.agents.base import (
    Agent,
    Evidence,
    Features,
    Fitted,
)
from research_core.agents.report import AgentReport
from research_core.agents.runner import ENTRIES
from research_core.errors import AgentDataError, LookAheadError, ModelError
from research_core.lake.pit import PITView
from research_core.models import (
    RegimeFit,
    RegimeResult,
    ShrunkCovariance,
    ledoit_wolf,
    macro_regimes,
    risk_regimes,
    standardize,
)
from research_core.models.inputs import complete_columns
from research_core.models.resample import week_lasts, week_numbers, weekly_last_frame
from research_core.models.scores import zscore
from research_core.records import Signal

MARKETS = {"spx": "US.SPX", "ibov": "BR.IBOV", "usdbrl": "BRL.USD.PTAX", "cds": "BR.CDS.5Y"}
# Upstream signals that mean "Brazil riskier" when positive, with their sign.
BRAZIL_RISK = {"BR.FISCAL": 1.0, "BR.CDS.5Y": 1.0, "USDBRL.FUT": 1.0, "BR.INFLATION": 0.5}
GOOD_REGIMES = ("Goldilocks", "Reflation")
REFITS = ("yearly", "every")
# HMMs fitted at a refit date, per (that date's view, schedule): every run of the year reuses them
FITS: Kind[dict[str, RegimeFit]] = Kind("regime fits", 64)
MACRO_INPUTS = ("US.IP.MOM", "BR.IBCBR.SA", "US.CPI.YOY", "BR.IPCA.MOM")
# The macro side (growth, inflation, their regime) per (fit, the four monthly inputs' dates
# and values): it changes only on a release or a revision, so most days of a daily run
# find the previous day's. Keyed by the content the view sees: a revision is another key.
MACRO: Kind[tuple[pd.Series, pd.Series]] = Kind("cross-asset macro features", 16)
MACRO_REGIME: Kind[RegimeResult | str] = Kind("cross-asset macro regime", 16)


@contextmanager
def regime_refit(mode: str) -> Iterator[None]:
    """Run the cross-asset agent with refit schedule ``mode`` ("yearly", "every") inside
    the block (benchmarks and identity checks compare the two)."""
    if mode not in REFITS:
        raise AgentDataError(f"cross_asset refit {mode!r}: valid {list(REFITS)}")
    before = CrossAssetAgent.refit
    CrossAssetAgent.refit = mode
    try:
        yield
    finally:
        CrossAssetAgent.refit = before


def _macro_line(macro: RegimeResult) -> str:
    dur = macro.duration(macro.current)
    return (
        f"macro regime {macro.current} (p={macro.current_probability:.2f}, "
        f"{_method(macro)}); expected duration {dur:.0f} months"
    )


def _risk_line(risk: RegimeResult) -> str:
    return f"risk regime {risk.current} (p={risk.current_probability:.2f}, {_method(risk)})"


def _correlation_line(cov: ShrunkCovariance) -> str:
    spx_ibov, ibov_usdbrl = _correlation(cov, "spx", "ibov"), _correlation(cov, "ibov", "usdbrl")
    return (
        f"weekly correlation S&P–Ibovespa {spx_ibov:.2f}, "
        f"Ibovespa–USD/BRL {ibov_usdbrl:.2f} (Ledoit–Wolf, "
        f"shrinkage {cov.shrinkage:.2f})"
    )


def _correlation(cov: ShrunkCovariance, a: str, b: str) -> float:
    """One entry of ``cov.correlation`` (the same operations), without the whole frame."""
    i, j = cov.covariance.index.get_loc(a), cov.covariance.index.get_loc(b)
    c = cov.covariance.to_numpy()
    return float(c[i, j] / (np.sqrt(c[i, i]) * np.sqrt(c[j, j])))


def _method(result: RegimeResult) -> str:
    """How a regime was estimated, with the fit date when its parameters are older."""
    if result.fit is None or result.refitted:
        return result.method
    return f"{result.method} fitted through {result.fit.through:%Y-%m}"


class CrossAssetAgent(Agent):
    name = "cross_asset"
    depends_on = ENTRIES["cross_asset"].depends_on  # the registry's, known without this module
    required = ("US.IP.MOM", "BR.IBCBR.SA", "US.CPI.YOY", "BR.IPCA.MOM", *MARKETS.values())
    refit: ClassVar[str] = "yearly"  # or "every" (see the module docstring)
    describe = MappingProxyType(
        {
            "macro_regime": _macro_line,
            "risk_regime": _risk_line,
            "covariance": _correlation_line,
        }
    )

    def __init__(self) -> None:
        if self.refit not in REFITS:
            raise AgentDataError(f"cross_asset refit {self.refit!r}: valid {list(REFITS)}")
        self._fits: dict[str, RegimeFit] = {}
        self._fit_key: tuple[object, ...] = ("own sample",)  # what self._fits was fitted on
        self._macro_key: tuple[object, ...] | None = None  # the macro inputs' content

    @classmethod
    def variant(cls) -> str:
        return f"refit={cls.refit}"

    def run(self, view: PITView, upstream: Mapping[str, AgentReport] | None = None) -> AgentReport:
        self._fits = self._regime_fits(view)
        return super().run(view, upstream)

    def _regime_fits(self, view: PITView) -> dict[str, RegimeFit]:
        """The HMMs fitted on what was known at the end of the last year before the view
        (memoized); {} to fit on the view's own sample (refit "every", or no fit then)."""
        if self.refit == "every":
            self._fit_key = ("own sample",)
            return {}
        year = view.as_of.year
        try:  # the as-of's year-end in any zone is after Dec 30 UTC: no need to ask before
            if view.as_of < pd.Timestamp(year, 12, 30, tz="UTC"):
                raise LookAheadError("before the year-end")
            anchor = view.at(f"{year}-12-31")
        except LookAheadError:  # that year-end (in the lake's zone) is after the as-of
            anchor = view.at(f"{year - 1}-12-31")
        key = self._fit_key = (*anchor.cache_key, self.refit)
        fits = MEMO.get(FITS, key)
        if fits is None:
            fits = MEMO.put(FITS, key, self._fit_at(anchor))
        return fits

    def _fit_at(self, view: PITView) -> dict[str, RegimeFit]:
        notes: list[str] = []
        try:
            data, _ = self.load(view, notes)
            fitted = self._regimes(self.features(data, notes), {}, notes)
        except (AgentDataError, ModelError):  # too little history then: fit on each sample
            return {}
        return {name: r.fit for name, r in fitted.items() if r.fit is not None}

    @staticmethod
    def _regimes(
        features: Features,
        fits: Mapping[str, RegimeFit],
        notes: list[str],
        macro_key: tuple[object, ...] | None = None,
    ) -> dict[str, RegimeResult]:
        """Both regime models: filtered with ``fits`` where given, else fitted; the macro
        one kept under ``macro_key`` (its fit and inputs) when given."""
        out: dict[str, RegimeResult] = {}
        for name, fit in (
            (
                "macro_regime",
                lambda f: macro_regimes(features["growth"], features["inflation"], fit=f),
            ),
            ("risk_regime", lambda f: risk_regimes(features["returns"], fit=f)),
        ):
            kept = macro_key if name == "macro_regime" else None
            result = None if kept is None else MEMO.get(MACRO_REGIME, kept)
            if isinstance(result, RegimeResult):  # a report's own frames, as when computed
                result = _own_frames(result)
            elif result is None:
                try:
                    result = fit(fits.get(name))
                except ModelError as err:
                    result = f"{name} not estimated: {err}"
                if kept is not None:
                    MEMO.put(MACRO_REGIME, kept, result)
            if isinstance(result, str):
                notes.append(result)
            else:
                out[name] = result
        return out

    def features(self, data: dict[str, pd.Series], notes: list[str]) -> Features:
        self._macro_key = _content(data, MACRO_INPUTS)
        macro = MEMO.get(MACRO, self._macro_key)
        if macro is None:
            macro = MEMO.put(MACRO, self._macro_key, _macro_features(data))
        # one weekly sampling for all four: log prices of the markets, the CDS spread in bp
        # (the log of the week's last price is the last log price; complete weeks only)
        levels = {k: _log(data[sid]) for k, sid in MARKETS.items() if k != "cds"}
        returns = _weekly_changes({**levels, "cds": data[MARKETS["cds"]]})
        return {"growth": macro[0], "inflation": macro[1], "returns": returns}

    def models(self, features: Features, notes: list[str]) -> Fitted:
        key = None if self._macro_key is None else (*self._fit_key, *self._macro_key)
        fitted: Fitted = dict(self._regimes(features, self._fits, notes, key))
        try:
            fitted["covariance"] = ledoit_wolf(features["returns"].iloc[-104:])
        except ModelError as err:
            notes.append(f"covariance not estimated: {err}")
        for name in ("macro_regime", "risk_regime"):
            if name in fitted and fitted[name].method == "rule":
                notes.append(f"{name}: history too short for the HMM; rule-based fallback used")
        return fitted

    def signals(self, ev: Evidence) -> list[Signal]:
        risk = ev.fitted.get("risk_regime")
        if risk is None:
            return []
        p_on = float(risk.probabilities["risk_on"].iloc[-1])
        z_risk = float(ndtri(np.clip(p_on, 0.01, 0.99)))
        macro = ev.fitted.get("macro_regime")
        regime = macro.current if macro is not None else "unknown"
        tilt = 0.5 if regime in GOOD_REGIMES else -0.5 if macro is not None else 0.0
        brazil, used = brazil_score(ev.upstream)
        context = f"P(risk-on) {p_on:.2f}, macro regime {regime}"

        def make(instrument: str, z: float, why: str, horizon: int = 63) -> Signal:
            return self.signal(
                ev.as_of,
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

    def charts(self, ev: Evidence) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        for name in ("macro_regime", "risk_regime"):
            if name in ev.fitted:
                out[name] = ev.fitted[name].probabilities
        if "covariance" in ev.fitted:
            out["correlation"] = ev.fitted["covariance"].correlation
        return out


def _content(data: Mapping[str, pd.Series], ids: tuple[str, ...]) -> tuple[object, ...]:
    """The dates and values of the series ``ids`` as bytes: equal keys, equal inputs."""
    out: list[object] = []
    for sid in ids:
        index, values = data[sid].index, data[sid].to_numpy()
        out += [sid, str(index.dtype), np.asarray(index.values).tobytes()]
        out += [values.dtype.str, values.tobytes()]
    return tuple(out)


def _macro_features(data: Mapping[str, pd.Series]) -> tuple[pd.Series, pd.Series]:
    """Growth and inflation: the mean z-score of the US and Brazil year-on-year rates."""
    ip, ibc = data["US.IP.MOM"], data["BR.IBCBR.SA"]
    logs = np.log1p(ip.to_numpy() / 100)  # NaN for a gap, and for a change below -100 %
    if np.isnan(logs).any():  # pandas' running sum steps over those: its helpers
        us = yoy(level_from_changes(ip))
    else:  # level_from_changes' operations on the array
        us = _yoy(ip.index, 100.0 * np.exp(np.cumsum(logs)))
    growth = _mean_z({"us": us, "br": _yoy(ibc.index, ibc.to_numpy())})
    return growth, _mean_z({"us": data["US.CPI.YOY"], "br": compound(data["BR.IPCA.MOM"], 12)})


def _weekly_changes(levels: dict[str, pd.Series]) -> pd.DataFrame:
    """``weekly_returns(levels, log=False)`` with the CDS change from bp to %: the same
    differences and complete weeks, on the array (the frame's diff and dropna cost more)."""
    grid = _week_grid(levels)
    if grid is None:  # not plain sorted dates: the frame's checks and fallbacks
        frame = weekly_last_frame(levels)
        values, index = frame.to_numpy(dtype="float64"), frame.index
    else:
        values, index = grid
    change = values[1:] - values[:-1]
    keep = np.zeros(len(values), dtype=bool)  # the first week has no start
    keep[1:] = ~np.isnan(change).any(axis=1)
    change = change[keep[1:]]
    change[:, list(levels).index("cds")] /= 100
    return pd.DataFrame(change, index=index[keep], columns=list(levels))


def _week_grid(levels: Mapping[str, pd.Series]) -> tuple[np.ndarray, pd.DatetimeIndex] | None:
    """``weekly_last_frame(levels)``'s values and index for series on strictly increasing
    naive dates of one unit and name, each with a value (None otherwise: the frame's
    path), from their arrays: the daily index checks cost more than the sampling."""
    series = list(levels.values())
    unit = series[0].index.dtype
    if not all(
        isinstance(s.index, pd.DatetimeIndex)
        and s.index.dtype == unit
        and s.index.tz is None
        and s.index.name == series[0].index.name
        for s in series
    ):
        return None
    dates = [np.asarray(s.index.values) for s in series]
    values = [s.to_numpy(dtype="float64") for s in series]
    if not all(len(d) and (d[1:] > d[:-1]).all() for d in dates):
        return None
    if any(np.isnan(v).all() for v in values):
        return None
    lasts = [week_lasts(d, v) for d, v in zip(dates, values, strict=True)]
    first = min(int(week_numbers(d[:1])[0]) for d in dates)
    end = max(int(week_numbers(d[-1:])[0]) for d in dates)
    grid = np.full((end - first + 1, len(lasts)), np.nan)
    for j, (week, last) in enumerate(lasts):
        grid[week - first, j] = last
    return grid, _week_index(first, end, str(unit), series[0].index.name)


@functools.lru_cache(maxsize=16)
def _week_index(first: int, end: int, unit: str, name: Hashable) -> pd.DatetimeIndex:
    """The Fridays of the weeks ``first`` to ``end`` (:func:`week_numbers`), as
    :func:`weekly_last_frame` labels them; built once per span (an index is immutable, and
    every run of a week has the same span)."""
    fridays = (np.arange(first, end + 1) * 7 + 1).astype("datetime64[D]").astype(unit)
    return pd.DatetimeIndex(fridays, name=name, freq="W-FRI")


def _own_frames(result: RegimeResult) -> RegimeResult:
    """``result`` with frames of its own: a report may be changed without changing another."""
    return replace(
        result,
        probabilities=result.probabilities.copy(),
        means=result.means.copy(),
        transmat=result.transmat.copy(),
    )


def _yoy(index: pd.Index, level: np.ndarray, periods: int = 12) -> pd.Series:
    """:func:`yoy` of the level ``level`` at ``index`` (the same operations, on the array)."""
    change = np.full(len(level), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):  # as pandas' arithmetic is quiet
        change[periods:] = 100 * (level[periods:] / level[:-periods] - 1)
    keep = ~np.isnan(change)
    return pd.Series(change[keep], index=index[keep])


def _log(series: pd.Series) -> pd.Series:
    """``np.log(series)`` on its array (the ufunc through pandas costs more than the logs)."""
    return pd.Series(np.log(series.to_numpy()), index=series.index, name=series.name)


def _mean_z(cols: dict[str, pd.Series]) -> pd.Series:
    """``standardize(pd.DataFrame(cols).dropna()).mean(axis=1)`` for the two series: each
    z-scored on the dates both have, then their mean, on the arrays :func:`complete_columns`
    keeps (the frame's where it refuses them: no common date, an infinite or a constant
    column)."""
    try:
        index, arrays = complete_columns(cols, model="cross_asset features", min_obs=1)
    except ModelError:
        return standardize(pd.DataFrame(cols).dropna()).mean(axis=1)
    us, br = (zscore(v, pd.Series(v)) for v in arrays.values())
    return pd.Series((us + br) / 2, index=index)  # pandas' row mean of two columns


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
