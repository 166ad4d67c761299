"""The agent template (its report: :mod:`research_core.agents.report`).

An agent is one economist: ``run(view, upstream)`` reads a :class:`PITView` (and the reports
of the agents it depends on), and goes load → features → models → signals → narrative.
Everything it knows comes through the view, so a run at a past date is what the agent
would have said then; the report lists every series it read with the period and release
it saw and whether that series was stale at the as-of date.

Signal direction convention: +1 profits when the instrument's quote (instruments.yaml
``quote``: yield, price, fx or spread) rises — paying DI, short a Treasury future, long
USD/BRL, buying CDS protection; themes ("BR.INFLATION") are +1 for "higher than priced".
"""

from __future__ import annotations

import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from research_core._memo import MEMO, Kind
from research_core.agents.reasons import Stat, reason
from research_core.agents.report import AgentReport
from research_core.agents.runner import loaded
from research_core.errors import AgentDataError
from research_core.lake.pit import PITView
from research_core.lake.quality import staleness
from research_core.models._base import labelled, name_index, series_frame
from research_core.records import Signal

Features = dict[str, Any]
INPUT_COLUMNS = ["series_id", "obs_date", "release_time", "value", "age_days", "stale"]
Fitted = dict[str, Any]


@dataclass(frozen=True, eq=False)
class Evidence:
    """What an agent's signals, narrative and charts are made from at one as-of date: its
    features, its fitted models and the reports of the agents it depends on; ``shared``
    holds what more than one of those steps derives from them (computed once a report)."""

    as_of: pd.Timestamp
    features: Features
    fitted: Fitted
    upstream: Mapping[str, AgentReport]
    shared: dict[str, Any] = field(default_factory=dict)


def confidence_from_z(z: float, *, quality: float = 1.0) -> float:
    """Confidence in [0, 1]: two-sided significance of ``z`` scaled by a quality factor."""
    if not math.isfinite(z):
        return 0.0
    significance = math.erf(abs(z) / math.sqrt(2))  # 2 Phi(|z|) - 1, without scipy.stats
    return float(np.clip(significance * quality, 0.0, 1.0))


def direction_of(z: float, *, threshold: float = 0.5) -> int:
    """+1/-1 when |z| clears the threshold, else 0 (no view)."""
    return 0 if not math.isfinite(z) or abs(z) < threshold else int(np.sign(z))


class Agent(ABC):
    """Template: subclasses declare their series and implement the five steps."""

    name: ClassVar[str]
    depends_on: ClassVar[tuple[str, ...]] = ()
    required: ClassVar[tuple[str, ...]] = ()
    optional: ClassVar[tuple[str, ...]] = ()
    # the narrative's line for each fitted model, by the model's name in ``fitted``
    describe: ClassVar[Mapping[str, Callable[[Any], str]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        loaded(cls)  # the runner reads a loaded agent's settings from its class

    @classmethod
    def variant(cls) -> str:
        """Settings besides the view that change the report ("" for none): part of the
        keys reports are memoized and stored under."""
        return ""

    def run(self, view: PITView, upstream: Mapping[str, AgentReport] | None = None) -> AgentReport:
        """One full pass at ``view.as_of``; upstream holds the reports this agent depends on."""
        upstream = dict(upstream or {})
        missing = [d for d in self.depends_on if d not in upstream]
        if missing:
            raise AgentDataError(f"{self.name} agent needs the reports of {missing} first")
        notes: list[str] = []
        data, inputs = self.load(view, notes)
        features = self.features(data, notes)
        fitted = self.models(features, notes)
        ev = Evidence(view.as_of, features, fitted, upstream)
        signals = self.signals(ev)
        return AgentReport(
            agent=self.name,
            as_of=view.as_of,
            signals=tuple(signals),
            diagnostics=self.diagnostics(fitted),
            inputs=inputs,
            charts=self.charts(ev),
            narrative=tuple(self.narrative(ev, signals)),
            notes=tuple(notes),
        )

    @property
    def source(self) -> str:
        return f"agent:{self.name}"

    def signal(
        self,
        as_of: pd.Timestamp,
        instrument: str,
        z: float,
        *,
        quality: float,
        horizon_days: int,
        model: str,
        because: str,
        stats: Sequence[Stat] = (),
    ) -> Signal:
        """A signal whose direction and confidence follow from its z-score, the same way for
        every agent: no view under |z| < 0.5, confidence = significance x model quality; its
        rationale is the one-line reason of :func:`agents.reasons.reason` (view, z, why,
        the statistics that support it and those that do not)."""
        rationale = reason(model, instrument, z, because, stats)
        return Signal(
            as_of=as_of,
            source=self.source,
            instrument=instrument,
            direction=direction_of(z),
            strength=float(z),
            confidence=confidence_from_z(z, quality=quality),
            horizon_days=horizon_days,
            rationale=rationale,
            model=model,
        )

    def load(self, view: PITView, notes: list[str]) -> tuple[dict[str, pd.Series], pd.DataFrame]:
        """Every declared series as known at the as-of date, and what was read (freshness)."""
        data: dict[str, pd.Series] = {}
        rows = []
        ids = (*self.required, *self.optional)
        for sid, read in zip(ids, _reads(view, ids), strict=True):
            if read is None:
                if sid in self.required:
                    raise AgentDataError(
                        f"{self.name} agent: required series {sid} has no data released by "
                        f"{view.as_of:%Y-%m-%d %H:%M} UTC"
                    )
                notes.append(f"{sid} had no data yet; the parts that use it were skipped")
                continue
            data[sid] = pd.Series(read.values, index=read.periods, name=sid)
            rows.append(dict(read.row))
        inputs = _input_frame(rows)
        overdue = [r["series_id"] for r in rows if r["stale"]]
        if overdue:
            notes.append(f"stale inputs (next release overdue): {', '.join(overdue)}")
        return data, inputs

    def freshness(self, inputs_used: list[str], data: Mapping[str, pd.Series]) -> float:
        """Quality factor in (0, 1]: 1 when every input is present, less per missing one."""
        have = sum(1 for s in inputs_used if s in data)
        return have / len(inputs_used) if inputs_used else 1.0

    @abstractmethod
    def features(self, data: dict[str, pd.Series], notes: list[str]) -> Features:
        """Transform raw series into model inputs (monthly, in the models' units)."""

    @abstractmethod
    def models(self, features: Features, notes: list[str]) -> Fitted:
        """Fit the models; a model that cannot be fit adds a note instead of a result."""

    @abstractmethod
    def signals(self, ev: Evidence) -> list[Signal]:
        """Signals from the fitted models (and upstream reports)."""

    def narrative(self, ev: Evidence, signals: list[Signal]) -> list[str]:
        """A few bullets a PM reads first: the headline, then one line for each fitted
        model the agent describes (:attr:`describe`), in that order."""
        lines = self.headline(ev)
        lines += [line(ev.fitted[m]) for m, line in self.describe.items() if m in ev.fitted]
        return lines

    def headline(self, ev: Evidence) -> list[str]:
        """The narrative's first bullets, read off the features (none by default)."""
        return []

    def charts(self, ev: Evidence) -> dict[str, pd.DataFrame]:
        """Data for the agent's charts (override to add more)."""
        return {}

    def diagnostics(self, fitted: Fitted) -> dict[str, pd.DataFrame]:
        """Coefficient tables, fit statistics and parameters of every fitted model."""
        from research_core.models import Regression  # statsmodels: only when diagnosing

        out: dict[str, pd.DataFrame] = {}
        for name, result in fitted.items():
            reg = result if isinstance(result, Regression) else getattr(result, "regression", None)
            coefficients = None
            if reg is not None:
                coefficients = out[name] = reg.to_frame()
                stats = {"nobs": reg.nobs, "r2": reg.rsquared, "r2_adj": reg.rsquared_adj}
                stats |= {"sigma": reg.sigma}
                diagnostics = reg.diagnostics  # its labels as a list: no walk of the index
                stats |= dict(
                    zip(map(str, diagnostics.index.tolist()), diagnostics.tolist(), strict=True)
                )
                out[f"{name}.fit"] = series_frame(labelled(stats), "value")
            if hasattr(result, "transmat"):
                out[f"{name}.means"] = result.means
                out[f"{name}.transmat"] = result.transmat
            elif hasattr(result, "bse") and reg is None:
                out[name] = _estimates(result.params, result.bse)
            if result is reg:  # its table is the coefficients' (built once)
                continue
            frame = result.to_frame()
            if len(frame) <= 60 and not (coefficients is not None and frame.equals(coefficients)):
                out[name if name not in out else f"{name}.model"] = frame
        return out


def _estimates(params: pd.Series, bse: pd.Series) -> pd.DataFrame:
    """``pd.DataFrame({"coef": params, "std_err": bse})``: on their one index when they
    share it (no alignment, no inference of the labels' type), else through pandas."""
    if not (params.index.equals(bse.index) and params.index.is_unique):
        return pd.DataFrame({"coef": params, "std_err": bse})
    names = {params.index.name, bse.index.name}
    block = np.vstack([params.to_numpy(dtype=float), bse.to_numpy(dtype=float)])  # a row a column
    index = params.index.rename(names.pop() if len(names) == 1 else None)
    return pd.DataFrame(block.T, index=index, columns=name_index(ESTIMATES), copy=False)


ESTIMATES = ("coef", "std_err")


@dataclass(frozen=True, eq=False)
class _Read:
    """One series as a view knows it, what every agent reading it at that view shares: its
    periods (an immutable index), values (each agent's series gets its own copy) and its
    row of the report's ``inputs`` (with whether it is stale)."""

    periods: pd.DatetimeIndex
    values: np.ndarray
    row: Mapping[str, Any]


# Agents at one date read many of the same series (38 reads of 24 series): each is read,
# indexed and checked for staleness once per view content (lake, snapshot, vintage).
_READS: Kind[_Read] = Kind("agent inputs", 128)


def _reads(view: PITView, ids: Sequence[str]) -> list[_Read | None]:
    """Each series of ``ids`` as ``view`` knows it (None: nothing released yet), read in
    one lake pass for those not already read on this view's content."""
    content = view.cache_key
    keys = [(*content, sid) for sid in ids]
    out = [MEMO.get(_READS, key) for key in keys]
    todo = [i for i, got in enumerate(out) if got is None]
    arrays = view.history_arrays([ids[i] for i in todo]) if todo else []
    for i, (obs, value, released) in zip(todo, arrays, strict=True):
        if len(obs):
            periods = pd.DatetimeIndex(obs, name="obs_date")
            stale = bool(staleness(view.spec(ids[i]), periods, view.as_of))
            release = pd.Timestamp(int(released[-1]), unit="ns", tz="UTC")
            row = _row(view, ids[i], periods[-1], release, value[-1], stale)
            out[i] = MEMO.put(_READS, keys[i], _Read(periods, value, row))
    return out


def _input_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """``pd.DataFrame(rows, columns=INPUT_COLUMNS)`` built column by column, each column
    typed as that inference types it: the same frame at two thirds of the cost."""
    if not rows:
        return pd.DataFrame(rows, columns=INPUT_COLUMNS)
    column: dict[str, Any] = {c: [r[c] for r in rows] for c in INPUT_COLUMNS}
    column["series_id"] = _ids(tuple(column["series_id"])).copy()  # a copy shares the data
    for c in ("obs_date", "release_time"):
        column[c] = pd.DatetimeIndex(column[c])
    column["value"] = np.array(column["value"], dtype=np.float64)
    column["age_days"] = np.array(column["age_days"], dtype=np.int64)
    column["stale"] = np.array(column["stale"], dtype=bool)
    frame = pd.DataFrame(dict(enumerate(column.values())), copy=False)
    frame.columns = name_index(INPUT_COLUMNS)  # not inferred from the keys: a third faster
    return frame


@functools.lru_cache(maxsize=64)
def _ids(ids: tuple[str, ...]) -> pd.api.extensions.ExtensionArray:
    """The series ids as the string array a frame infers from their list: an agent's inputs
    name the same few series at every date, and the inference cost a third of the frame."""
    return pd.array(list(ids), dtype="str")


def input_row(view: PITView, sid: str, hist: pd.DataFrame, stale: bool) -> dict[str, Any]:
    """One row of an agent report's ``inputs``: the last period of ``sid`` the view knows,
    when it was released and how old it is."""
    last = hist.iloc[-1]
    return _row(view, sid, hist.index[-1], last["release_time"], last["value"], stale)


def _row(
    view: PITView, sid: str, period: pd.Timestamp, release: pd.Timestamp, value: float, stale: bool
) -> dict[str, Any]:
    return {
        "series_id": sid,
        "obs_date": period,
        "release_time": release,
        "value": float(value),
        "age_days": int((view.as_of - release).days),
        "stale": stale,
    }
