"""Expectations and surprises as known at an instant, stored as derived series."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from research_core._typing import AsOf
from research_core.catalog import (
    series,
)
from research_core.errors import CatalogError
from research_core.lake import Lake
from research_core.lake.pit import PITView
from research_core.lake.store import WriteResult
from research_core.lake.vintage import view_at
from research_core.models.scores import zscore

SOURCE = "derived"
# target -> the Focus series whose median, dated by survey, forecasts the next print
FOCUS_CONSENSUS: dict[str, str] = {"BR.IPCA.MOM": "BR.FOCUS.IPCA.MOM"}
MODEL_TARGETS = ("US.CPI.MOM", "US.CORE.CPI.MOM", "US.PAYROLLS.CHG", "US.UNEMPLOYMENT")
TARGETS = (*FOCUS_CONSENSUS, *MODEL_TARGETS)
AR_WINDOW, AR_MIN = 120, 24  # AR(1) on the last 10 years of monthly prints, at least 2
Z_WINDOW, Z_MIN = 36, 12  # z-score against the last 3 years of surprises, at least 1
BASIS_FOCUS, BASIS_MODEL = "Focus median", "model AR(1)"
SURPRISE_COLUMNS = [
    "series_id",
    "obs_date",
    "release_time",
    "actual",
    "expected",
    "basis",
    "surprise",
    "z",
]


def _derived(target: str) -> dict[str, str]:
    return {k: f"{target}.{k.upper()}" for k in ("expected", "surprise")} | {
        "z": f"{target}.SURPRISE.Z"
    }


# ---- expectations, as known at an instant ------------------------------------------------
def focus_expectation(
    view: PITView, target: str, period: pd.Timestamp, about: pd.Series | None = None
) -> float:
    """The last Focus median known to ``view`` whose survey forecast ``period`` of ``target``
    (the month the target's release rule had not yet published at the survey's end).
    ``about`` (survey date -> period, :func:`survey_targets`) may be given precomputed."""
    focus = view.series(FOCUS_CONSENSUS[target]).dropna().iloc[-8:]  # the last two months
    if about is None:
        about = survey_targets(target, pd.DatetimeIndex(focus.index))
    hits = focus[about.reindex(focus.index).to_numpy() == np.datetime64(period, "ns")]
    return float(hits.iloc[-1]) if len(hits) else float("nan")


def survey_targets(target: str, surveys: pd.DatetimeIndex) -> pd.Series:
    """The period of ``target`` each survey date forecasts (catalog rule only, no data)."""
    spec = series(target)
    survey_end = (pd.DatetimeIndex(surveys) + pd.Timedelta(days=1)).tz_localize(spec.tz)
    return pd.Series(spec.pending_periods(survey_end), index=pd.DatetimeIndex(surveys))


def ar1_forecast(history: pd.Series, period: pd.Timestamp, frequency: str) -> float:
    """AR(1) with intercept, fitted by OLS on the last ``AR_WINDOW`` values of ``history``
    before ``period``, iterated to ``period``; NaN with fewer than ``AR_MIN`` values."""
    past = history[history.index < period].dropna().iloc[-AR_WINDOW:]
    if len(past) < AR_MIN:
        return float("nan")
    y = past.to_numpy(dtype="float64")
    design = np.column_stack([np.ones(len(y) - 1), y[:-1]])
    (const, phi), *_ = np.linalg.lstsq(design, y[1:], rcond=None)
    step = {"M": 1, "Q": 3}[frequency]
    last = pd.Timestamp(past.index[-1])
    months = (period.year - last.year) * 12 + period.month - last.month
    value = float(y[-1])
    for _ in range(max(months // step, 1)):
        value = float(const + phi * value)
    return value


def expectation(
    view: PITView, target: str, period: pd.Timestamp, about: pd.Series | None = None
) -> tuple[float, str]:
    """(expected value of ``target``'s ``period``, basis) as ``view`` knows them; NaN and ""
    for series with neither a Focus consensus nor a model forecast."""
    if target in FOCUS_CONSENSUS:
        return focus_expectation(view, target, period, about), BASIS_FOCUS
    if target in MODEL_TARGETS:
        spec = view.spec(target)
        return ar1_forecast(view.series(target), period, spec.frequency), BASIS_MODEL
    return float("nan"), ""


def _day_before(release: pd.Timestamp, tz: str) -> str:
    return (release.tz_convert(tz).normalize() - pd.Timedelta(days=1)).strftime("%Y-%m-%d")


# ---- surprises -------------------------------------------------------------------------
@dataclass(frozen=True)
class Surprises:
    """Surprises of the prints released by ``as_of``, one row per (series_id, obs_date)."""

    as_of: pd.Timestamp
    frame: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    @cached_property
    def last(self) -> pd.DataFrame:
        """The latest print of each series with its surprise and z-score."""
        return self.frame.groupby("series_id").tail(1).set_index("series_id")

    def summary(self) -> str:
        head = f"surprises as of {self.as_of:%Y-%m-%d %H:%M} UTC ({len(self.frame)} prints)"
        cols = ["obs_date", "actual", "expected", "basis", "surprise", "z"]
        return f"{head}\n{self.last[cols].to_string(float_format=lambda v: f'{v:.2f}')}"

    def observations(self) -> pd.DataFrame:
        """The derived series as lake observation rows (released with the print)."""
        parts = []
        for target, group in self.frame.groupby("series_id"):
            for column, sid in _derived(str(target)).items():
                part = group[["obs_date", "release_time"]].assign(
                    series_id=sid, value=group[column].astype("float64"), source=SOURCE
                )
                parts.append(part.dropna(subset=["value"]))
        cols = ["series_id", "obs_date", "value", "release_time", "source"]
        return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def compute_surprises(
    lake: Lake,
    as_of: AsOf,
    *,
    targets: tuple[str, ...] = TARGETS,
    recent: dict[str, int] | None = None,
) -> Surprises:
    """Every print of ``targets`` released by ``as_of``: first-release value, the
    expectation known before it (Focus: end of the previous day; model: an instant before
    the print), surprise, and z-score against the surprises of the ``Z_WINDOW`` prints
    before it (NaN with fewer than ``Z_MIN``). Each value depends only on what the lake
    held before that print, so a lake cut at any later date gives the same numbers.

    ``recent`` ({target: n}) limits a target to its last n prints (the daily update). The
    surprises before them come from the lake's stored ``<ID>.SURPRISE`` when it holds
    ``Z_WINDOW`` of them, else are recomputed (``Z_WINDOW`` + 12 more prints): the same
    numbers either way."""
    view = lake.at(as_of)
    first = view_at(lake, view.as_of, "first_release")
    frames = []
    for target in targets:
        spec = view.spec(target)
        prints = first.history(target)
        want = (recent or {}).get(target)
        if want == 0 or prints.empty:
            continue
        past = pd.Series(dtype="float64")
        if want is not None:
            stored = _stored(view, _derived(target)["surprise"])
            stored = stored[stored.index < prints.index[max(len(prints) - want, 0)]]
            if len(stored) >= Z_WINDOW:
                past = stored.iloc[-Z_WINDOW:]
            else:
                want += Z_WINDOW + 12
            prints = prints.iloc[max(len(prints) - want, 0) :]
        frame = _expectations(view, target, prints, lake.tz)
        frame["surprise"] = frame["actual"] - frame["expected"]
        history = list(past.to_numpy())
        zs = []
        for value in frame["surprise"]:
            window = pd.Series(history[-Z_WINDOW:], dtype="float64")
            zs.append(zscore(value, window) if len(window) >= Z_MIN else float("nan"))
            history.append(value)
        frame["z"] = zs
        if want is not None and past.empty:
            frame = frame.iloc[max(len(frame) - (want - Z_WINDOW - 12), 0) :]
        frames.append(frame.assign(series_id=spec.id))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Surprises(view.as_of, out.reindex(columns=SURPRISE_COLUMNS))


def _stored(view: PITView, series_id: str) -> pd.Series:
    """A derived series as ``view`` knows it; empty when this lake has not registered it."""
    try:
        view.spec(series_id)
    except CatalogError:
        return pd.Series(dtype="float64")
    return view.series(series_id).dropna()


def _expectations(view: PITView, target: str, prints: pd.DataFrame, tz: str) -> pd.DataFrame:
    """First print, expectation and basis of each period in ``prints`` (a first-release
    history); periods without an expectation are left out."""
    about = None
    if target in FOCUS_CONSENSUS:
        focus = view.series(FOCUS_CONSENSUS[target])
        recent = focus[focus.index >= prints.index[0] - pd.Timedelta(days=92)]
        about = survey_targets(target, pd.DatetimeIndex(recent.index))
    rows = []
    for period, actual, released in zip(
        prints.index, prints["value"], prints["release_time"], strict=True
    ):
        if target in FOCUS_CONSENSUS:
            before = view.at(_day_before(released, tz))
        else:
            before = view.at(released - pd.Timedelta(1, "ns"))
        expected, basis = expectation(before, target, pd.Timestamp(period), about)
        rows.append((period, released, actual, expected, basis))
    names = ["obs_date", "release_time", "actual", "expected", "basis"]
    frame = pd.DataFrame(rows, columns=names)
    return frame.dropna(subset=["expected"]).reset_index(drop=True)


def register_surprise_series(lake: Lake, targets: tuple[str, ...] = TARGETS) -> None:
    """Register the derived series of ``targets`` in ``lake`` (idempotent): same frequency,
    units and release rule as the print, so the freshness gate treats them alike."""
    have = lake.registered()
    for target in targets:
        if all(sid in have for sid in _derived(target).values()):
            continue
        spec = series(target)
        label = "Focus median" if target in FOCUS_CONSENSUS else "AR(1) model forecast"
        names = {
            "expected": f"{spec.name}: expected ({label})",
            "surprise": f"{spec.name}: surprise vs {label}",
            "z": f"{spec.name}: surprise z-score vs {label}",
        }
        for column, sid in _derived(target).items():
            lake.register(
                sid,
                frequency=spec.frequency,
                units="z" if column == "z" else spec.units,
                name=names[column],
                country=spec.country,
                category="surprise",
                release=dict(spec.release),
            )


def update_surprises(lake: Lake, as_of: AsOf, *, targets: tuple[str, ...] = TARGETS) -> WriteResult:
    """Compute and store the surprises of prints released by ``as_of`` not stored yet (a
    stored surprise is never rewritten: history is append-only). A target with nothing
    stored, or whose stored history lacks its head (a lake once filled with only its last
    prints), gets its whole history, once: what an agent sees at a date must not depend on
    when the lake started storing surprises. After that only the newest prints are
    computed, which is cheap."""
    register_surprise_series(lake, targets)
    view = lake.at(as_of)
    first = view_at(lake, view.as_of, "first_release")
    recent: dict[str, int] = {}
    for target in targets:
        stored = view.series(_derived(target)["surprise"]).dropna()
        prints = first.history(target)
        if stored.empty or _head_missing(view, prints, target, stored, lake.tz):
            continue  # every print
        recent[target] = int((prints.index > stored.index.max()).sum())
    result = compute_surprises(lake, view.as_of, targets=targets, recent=recent)
    rows = result.observations()
    for sid in rows["series_id"].unique():
        have = view.series(sid).index
        rows = rows[~((rows["series_id"] == sid) & rows["obs_date"].isin(have))]
    return lake.write(rows)


def _head_missing(
    view: PITView, prints: pd.DataFrame, target: str, stored: pd.Series, tz: str
) -> bool:
    """Whether the print just before the first stored surprise has an expectation (so it
    should have a surprise too): a whole history starts at the first print that has one,
    a history filled from the last prints only does not."""
    before = prints[prints.index < stored.index.min()]
    if before.empty:
        return False
    return not _expectations(view, target, before.iloc[-1:], tz).empty


def surprise_history(view: PITView, target: str) -> pd.DataFrame:
    """Stored surprises of ``target`` as ``view`` knows them: obs_date index; actual (first
    print), expected, surprise, z."""
    ids = _derived(target)
    frame = view.frame([ids["expected"], ids["surprise"], ids["z"]])
    frame.columns = pd.Index(["expected", "surprise", "z"])
    frame.insert(0, "actual", frame["expected"] + frame["surprise"])
    return frame


def known_surprise_z(view: PITView, targets: tuple[str, ...]) -> dict[str, pd.Series]:
    """{target: its surprise z-scores as ``view`` knows them} for the targets whose derived
    series this lake has (registered by :func:`update_surprises`) with at least one value;
    agents read surprises through this, so a lake without them just skips the feature."""
    out = {}
    for target in targets:
        z = _stored(view, _derived(target)["z"])
        if not z.empty:
            out[target] = z
    return out
