"""Monetary policy agent: Taylor rules and r* for Brazil and the US, against market paths.

For each country a smoothed Taylor rule (:func:`taylor_rule`) on expected or core inflation
and an output gap gives the policy path the rule prescribes; its average over the market
tenor minus the market rate (DI 1y; Treasury 2y) is the mispricing, scored against its own
history (which absorbs the term premium). A local-level state-space model
(:func:`natural_rate`) gives the real-time neutral rate; the real policy rate minus r*,
in standard errors of r*, is the stance.

How r* is estimated (``MonetaryPolicyAgent.rstar``, issue 29): by default ("profile") the
exact maximum likelihood for the fixed signal-to-noise ratio, in one filter pass;
"optimizer" runs the numerical optimiser the agent used before (about four times the
CPU of the fits; r* and its standard error agree to the optimiser's tolerance, 1e-4 pp,
the stance z to about 1e-3; the Taylor-rule signals do not depend on it). Each run fits
on what its view knows and nothing else, so both are point in time.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from research_core.agents._features import level_from_changes, monthly
from research_core.agents.base import (
    Agent,
    Evidence,
    Features,
    Fitted,
    input_row,
)
from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.errors import AgentDataError, CatalogError, ModelError
from research_core.events import known_surprise_z
from research_core.lake.pit import PITView
from research_core.models import (
    TaylorRuleResult,
    natural_rate,
    output_gap,
    taylor_rule,
    zscore,
)
from research_core.models._base import name_index
from research_core.records import Signal


@dataclass(frozen=True)
class Country:
    code: str
    rate: str  # policy rate series
    inflation: str  # inflation measure the rule responds to (% p.a.)
    activity: str  # activity level (or monthly % changes when activity_is_change)
    market: str  # market rate for the path comparison
    instrument: str  # instrument that trades it
    years: float  # market tenor in years
    activity_is_change: bool = False
    lower_bound: float | None = None  # effective lower bound the rule is censored at


COUNTRIES = (
    Country("BR", "BR.SELIC.TARGET", "BR.FOCUS.IPCA.12M", "BR.IBCBR.SA", "BR.DI.1Y", "DI1.1Y", 1.0),
    Country(
        "US",
        "US.FEDFUNDS.TARGET",
        "US.PCE.CORE.YOY",
        "US.IP.MOM",
        "US.UST.2Y",
        "UST.2Y.FUT",
        2.0,
        activity_is_change=True,
        lower_bound=0.25,
    ),
)


# Central-bank tone (research_core.tone.series): read when the lake has it registered.
TONE = {"BR": "BR.COPOM.TONE", "US": "US.FOMC.TONE"}
TONE_MIN_HISTORY = 8  # communiqués before the tone is scored against its own past
RSTAR_METHODS = ("profile", "optimizer")  # models.rstar.METHODS, known without importing it


@contextmanager
def rstar_method(mode: str) -> Iterator[None]:
    """Run the monetary-policy agent with r* estimated by ``mode`` ("profile",
    "optimizer") inside the block (benchmarks and identity checks compare the two)."""
    if mode not in RSTAR_METHODS:
        raise AgentDataError(f"monetary_policy rstar {mode!r}: valid {list(RSTAR_METHODS)}")
    before = MonetaryPolicyAgent.rstar
    MonetaryPolicyAgent.rstar = mode
    try:
        yield
    finally:
        MonetaryPolicyAgent.rstar = before


class MonetaryPolicyAgent(Agent):
    name = "monetary_policy"
    required = tuple(sid for c in COUNTRIES for sid in (c.rate, c.inflation, c.activity, c.market))
    rstar: ClassVar[str] = "profile"  # or "optimizer" (see the module docstring)

    @classmethod
    def variant(cls) -> str:
        """Empty for the default r* estimator (as the registry's entry says), else
        ``rstar=<mode>``."""
        return "" if cls.rstar == "profile" else f"rstar={cls.rstar}"

    def load(self, view: PITView, notes: list[str]) -> tuple[dict[str, pd.Series], pd.DataFrame]:
        """The declared series, plus the communiqué tone and the inflation-print surprises
        where this lake holds them (issue 19)."""
        data, inputs = super().load(view, notes)
        for target, z in known_surprise_z(view, SURPRISE_TARGETS).items():
            data[f"surprise_z:{target}"] = z
        return _with_tone(view, data, inputs)

    def features(self, data: dict[str, pd.Series], notes: list[str]) -> Features:
        out: Features = {}
        surprises = {
            t: data[f"surprise_z:{t}"] for t in SURPRISE_TARGETS if f"surprise_z:{t}" in data
        }
        if surprises:
            out["surprises"] = surprises
        for c in COUNTRIES:
            activity = data[c.activity]
            if c.activity_is_change:
                activity = level_from_changes(activity)
            gap, method = output_gap(activity)
            if not method.startswith("hamilton"):
                notes.append(f"{c.code} output gap: {method}")
            rate = monthly(data[c.rate])
            inflation = monthly(data[c.inflation])
            out[c.code] = {
                "rate": rate,
                "inflation": inflation,
                "gap": gap,
                "real_rate": (rate - inflation).dropna(),
                "market": monthly(data[c.market]),
                "market_now": float(data[c.market].iloc[-1]),
                "rate_now": float(data[c.rate].iloc[-1]),
                "tone": data.get(TONE[c.code]),
            }
        return out

    def models(self, features: Features, notes: list[str]) -> Fitted:
        fitted: Fitted = {}
        for c in COUNTRIES:
            f = features[c.code]
            try:
                fitted[f"taylor_{c.code}"] = taylor_rule(
                    f["rate"], f["inflation"], f["gap"], lower_bound=c.lower_bound
                )
            except ModelError as err:
                notes.append(f"{c.code} Taylor rule not estimated: {err}")
            try:
                rstar = natural_rate(f["real_rate"], f["gap"], method=self.rstar)
                fitted[f"rstar_{c.code}"] = rstar
                if not rstar.converged:
                    notes.append(f"{c.code} r*: likelihood optimizer did not converge")
            except ModelError as err:
                notes.append(f"{c.code} r* not estimated: {err}")
        return fitted

    def signals(self, ev: Evidence) -> list[Signal]:
        out = []
        for c in COUNTRIES:
            f = ev.features[c.code]
            rule = ev.fitted.get(f"taylor_{c.code}")
            if rule is not None:
                history = _path_gap_history(rule, _rule_chart(ev, c), c.years)
                path = rule.path(c.years)
                gap_now = float(path.mean() - f["market_now"])  # rule.market_gap
                z = zscore(float(gap_now), history) if len(history) > 12 else 0.0
                quality = float(np.clip(rule.regression.rsquared, 0.0, 1.0))
                out.append(
                    self.signal(
                        ev.as_of,
                        c.instrument,
                        z,
                        quality=quality,
                        horizon_days=int(B3_SESSIONS_PER_YEAR * c.years),
                        model="Taylor rule",
                        because=(
                            f"{c.code} Taylor-rule path averages "
                            f"{path.mean():.2f}% over {c.years:g}y vs market "
                            f"{f['market_now']:.2f}% (gap {gap_now:+.2f}pp, usual "
                            f"{history.mean():+.2f}pp)"
                        ),
                    )
                )
            rstar = ev.fitted.get(f"rstar_{c.code}")
            if rstar is not None:
                real_now = float(f["real_rate"].iloc[-1])
                z = (real_now - rstar.current) / rstar.current_se
                out.append(
                    self.signal(
                        ev.as_of,
                        f"{c.code}.POLICY_STANCE",
                        z,
                        quality=0.8,
                        horizon_days=B3_SESSIONS_PER_YEAR,
                        model="r* gap",
                        because=(
                            f"{c.code} real policy rate {real_now:.2f}% vs r* "
                            f"{rstar.current:.2f}% ± {rstar.current_se:.2f} "
                            f"({'restrictive' if z > 0 else 'accommodative'})"
                        ),
                    )
                )
            tone_signal = self._tone_signal(ev.as_of, c, f.get("tone"))
            if tone_signal is not None:
                out.append(tone_signal)
        return out

    def _tone_signal(
        self, as_of: pd.Timestamp, c: Country, tone: pd.Series | None
    ) -> Signal | None:
        """Latest communiqué tone against its own past (+ = more hawkish than usual)."""
        if tone is None or len(tone) < TONE_MIN_HISTORY:
            return None
        z = zscore(float(tone.iloc[-1]), tone.iloc[:-1])
        return self.signal(
            as_of,
            f"{c.code}.POLICY_TONE",
            z,
            quality=0.5,  # a lexicon score: informative, not a forecast (see copom_tone.py)
            horizon_days=63,
            model="communiqué tone",
            because=(
                f"{c.code} communiqué of {tone.index[-1]:%Y-%m-%d} tone {tone.iloc[-1]:+.2f} "
                f"(previous {tone.iloc[-2]:+.2f}, usual {tone.iloc[:-1].mean():+.2f})"
            ),
        )

    def narrative(self, ev: Evidence, signals: list[Signal]) -> list[str]:
        lines = []
        for c in COUNTRIES:
            f = ev.features[c.code]
            text = f"{c.code}: policy rate {f['rate_now']:.2f}%"
            rule = ev.fitted.get(f"taylor_{c.code}")
            if rule is not None:
                lr = rule.long_run["coef"]
                text += (
                    f"; rule prescribes {rule.rule_rate:.2f}% (inflation response "
                    f"{lr['inflation']:.2f}, gap {lr['gap']:.2f}, smoothing {rule.rho:.2f})"
                )
            rstar = ev.fitted.get(f"rstar_{c.code}")
            if rstar is not None:
                text += f"; r* {rstar.current:.2f}% ± {rstar.current_se:.2f}"
            tone = f.get("tone")
            if tone is not None and len(tone) >= 2:
                text += f"; communiqué tone {tone.iloc[-1]:+.2f} (previous {tone.iloc[-2]:+.2f})"
            lines.append(text)
        lines.extend(_surprise_lines(ev.features))
        return lines

    def charts(self, ev: Evidence) -> dict[str, pd.DataFrame]:
        out = {}
        for c in COUNTRIES:
            f = ev.features[c.code]
            rule = ev.fitted.get(f"taylor_{c.code}")
            if rule is not None:
                out[f"taylor_{c.code}"] = _rule_chart(ev, c)
            rstar = ev.fitted.get(f"rstar_{c.code}")
            if rstar is not None:
                out[f"rstar_{c.code}"] = _with_real_rate(rstar.estimates, f["real_rate"])
        if "surprises" in ev.features:
            out["inflation_surprises"] = pd.DataFrame(ev.features["surprises"]).iloc[-24:]
        return out


def _common(*series: pd.Series) -> tuple[pd.Index, list[np.ndarray]]:
    """The dates every series has a value at and each one's values there: what pandas'
    aligned arithmetic followed by ``dropna`` keeps, without building the union. The
    series are indexed by increasing dates (monthly features are)."""
    if not all(s.index.is_monotonic_increasing and s.index.is_unique for s in series):
        raise ModelError("monetary_policy: features must be indexed by increasing dates")
    keys = [np.asarray(s.index, dtype="datetime64[ns]") for s in series]
    dates = functools.reduce(lambda a, b: np.intersect1d(a, b, assume_unique=True), keys)
    values = [s.to_numpy()[np.searchsorted(k, dates)] for s, k in zip(series, keys, strict=True)]
    keep = ~np.logical_or.reduce([np.isnan(v) for v in values])
    idx = series[0].index[np.searchsorted(keys[0], dates)]
    return idx[keep], [v[keep] for v in values]


def _rule_chart(ev: Evidence, c: Country) -> pd.DataFrame:
    """Policy rate, the rule's long-run prescription and the market rate at every month the
    rule prescribes for (NaN where a rate is missing): the Taylor chart, from which the
    signal's history is also read, so built once a report."""
    key = f"taylor_chart_{c.code}"
    if key not in ev.shared:
        f, lr = ev.features[c.code], ev.fitted[f"taylor_{c.code}"].long_run["coef"]
        idx, (inflation, gap) = _common(f["inflation"], f["gap"])
        rule = lr["intercept"] + lr["inflation"] * inflation + lr["gap"] * gap
        block = np.vstack([_at(f["rate"], idx), rule, _at(f["market"], idx)])  # pandas' layout
        ev.shared[key] = pd.DataFrame(block.T, index=idx, columns=name_index(CHART_COLUMNS))
    return ev.shared[key]


CHART_COLUMNS = ("rate", "rule", "market")


def _with_real_rate(estimates: pd.DataFrame, real_rate: pd.Series) -> pd.DataFrame:
    """``estimates.assign(real_rate=real_rate)``: the r* chart, its columns on arrays."""
    block = np.vstack([estimates.to_numpy().T, _at(real_rate, estimates.index)])
    columns = name_index([*estimates.columns, "real_rate"])
    return pd.DataFrame(block.T, index=estimates.index, columns=columns, copy=False)


def _path_gap_history(rule: TaylorRuleResult, chart: pd.DataFrame, years: float) -> pd.Series:
    """Rule path average minus the market rate at every past month (in-sample) with a
    policy rate, a prescription and a market rate (``chart``: :func:`_rule_chart`)."""
    horizon = np.arange(1, round(years * rule.periods_per_year) + 1)  # rule.path's index
    weight = float(np.mean(rule.rho**horizon))
    rate, rule_rate, market = chart.to_numpy().T  # its columns: rate, rule, market
    keep = ~(np.isnan(rate) | np.isnan(rule_rate) | np.isnan(market))
    gap = weight * rate[keep] + (1 - weight) * rule_rate[keep] - market[keep]
    return pd.Series(gap, chart.index[keep])


def _at(series: pd.Series, idx: pd.Index) -> np.ndarray:
    """``series``' values at the dates ``idx``, NaN where it has none."""
    index = series.index
    if not (index.is_monotonic_increasing and index.is_unique):
        pos = index.get_indexer(idx)
        return np.where(pos >= 0, series.to_numpy()[pos], np.nan)
    keys, want = index.to_numpy(), idx.to_numpy()
    if not len(keys):
        return np.full(len(want), np.nan)
    pos = np.minimum(np.searchsorted(keys, want), len(keys) - 1)  # a search, not a hash table
    return np.where(keys[pos] == want, series.to_numpy()[pos], np.nan)


def _with_tone(
    view: PITView, data: dict[str, pd.Series], inputs: pd.DataFrame
) -> tuple[dict[str, pd.Series], pd.DataFrame]:
    """Add the tone series the view knows (registered in its lake) to ``data``/``inputs``."""
    rows = []
    for sid in TONE.values():
        try:
            hist = view.history(sid)
        except CatalogError:  # not registered in this lake: no communiqués ingested
            continue
        if hist.empty:
            continue
        data[sid] = hist["value"].rename(sid)
        rows.append(input_row(view, sid, hist, stale=False))
    if rows:
        inputs = pd.concat([inputs, pd.DataFrame(rows, columns=inputs.columns)], ignore_index=True)
    return data, inputs


SURPRISE_TARGETS = ("BR.IPCA.MOM", "US.CPI.MOM")


def _surprise_lines(features: Features) -> list[str]:
    """The last inflation print against what was expected, in z of past surprises: news
    the central bank's next decision answers to."""
    surprises = features.get("surprises", {})
    parts = [
        f"{t} {z.index[-1]:%b %Y} z {z.iloc[-1]:+.2f} "
        f"(vs {'Focus' if t.startswith('BR.') else 'AR(1) model'})"
        for t, z in surprises.items()
    ]
    return [f"Last inflation surprises: {'; '.join(parts)}"] if parts else []
