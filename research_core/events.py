"""The release clock and surprises: what comes out when, and how prints compared with what
was expected, as known at the time.

* :func:`release_calendar` — every scheduled release of the catalog's Brazil/US macro
  series (monthly, quarterly, weekly) and the Copom/FOMC decisions, from the same release
  rules the lake's sample generator and freshness gate use (:meth:`SeriesSpec.release_times`,
  ``policy_meetings.yaml``). Daily market and next-day series are not "releases".
* :func:`todays_releases` — the Morning Pack's list: time, series, previous value and the
  expectation (Focus median or model forecast) as a view knows them.
* :func:`compute_surprises` / :func:`update_surprises` — surprise = first print − expected,
  and its z-score against the surprises known before, written to the lake as derived series
  (``<ID>.EXPECTED``, ``<ID>.SURPRISE``, ``<ID>.SURPRISE.Z``, source ``derived``) released
  at the print's own release time, so ``lake.at(D)`` sees a surprise only once the print is
  out. Brazil's IPCA is measured against the Focus median for that month as known at the
  end of the day before the release; US releases (no free consensus) against an AR(1)
  forecast fitted by OLS only on the values released before the print — a *model*
  forecast, labelled so, not a market consensus.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from research_core._typing import AsOf
from research_core.calendars import COUNTRY_CALENDAR, period_end, roll_forward
from research_core.catalog import (
    SeriesSpec,
    policy_decisions,
    release_publisher,
    series,
    series_catalog,
)
from research_core.config import get_settings
from research_core.errors import CatalogError, WorkbenchError
from research_core.lake import Lake
from research_core.lake.asof import as_of_instant
from research_core.lake.pit import PITView
from research_core.lake.store import WriteResult
from research_core.lake.vintage import view_at
from research_core.models.scores import zscore

SOURCE = "derived"
COUNTRIES = ("BR", "US")
# target -> the Focus series whose median, dated by survey, forecasts the next print
FOCUS_CONSENSUS: dict[str, str] = {"BR.IPCA.MOM": "BR.FOCUS.IPCA.MOM"}
MODEL_TARGETS = ("US.CPI.MOM", "US.CORE.CPI.MOM", "US.PAYROLLS.CHG", "US.UNEMPLOYMENT")
TARGETS = (*FOCUS_CONSENSUS, *MODEL_TARGETS)
AR_WINDOW, AR_MIN = 120, 24  # AR(1) on the last 10 years of monthly prints, at least 2
Z_WINDOW, Z_MIN = 36, 12  # z-score against the last 3 years of surprises, at least 1
BASIS_FOCUS, BASIS_MODEL = "Focus median", "model AR(1)"
_WEEKDAY = {"cftc": "W-TUE"}  # weekly series' obs_date weekday by source (Focus, flows: Fri)
CALENDAR_COLUMNS = [
    "release_time",
    "local_time",
    "country",
    "publisher",
    "series_id",
    "name",
    "obs_date",
]
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


# ---- the release clock -------------------------------------------------------------------
def _scheduled(spec: SeriesSpec) -> bool:
    if spec.country not in COUNTRIES:
        return False
    return spec.release.get("rule") == "decision" or spec.frequency in ("W", "M", "Q")


def _periods(spec: SeriesSpec, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DatetimeIndex:
    """Candidate obs_dates whose release may fall in [lo, hi] (releases lag < 1 year)."""
    first = (lo.tz_convert(None) - pd.DateOffset(years=1)).normalize()
    last = hi.tz_convert(None).normalize()
    if spec.frequency == "W":
        first = lo.tz_convert(None).normalize() - pd.Timedelta(days=31)  # weekly lags < 1 month
    freq = {"W": _WEEKDAY.get(spec.source, "W-FRI"), "M": "MS", "Q": "QS"}[spec.frequency]
    return pd.date_range(first, last, freq=freq)


def release_calendar(
    start: AsOf, end: AsOf, *, countries: tuple[str, ...] = COUNTRIES
) -> pd.DataFrame:
    """Scheduled releases between ``start`` and ``end`` (bare dates: whole days in the fund's
    time zone), sorted by time: UTC ``release_time``, ``local_time`` (the publisher's),
    country, publisher, series_id, name and the ``obs_date`` (period) released."""
    tz = get_settings().timezone
    day_before = (pd.Timestamp(start) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    lo = as_of_instant(day_before, tz) + pd.Timedelta(1, "ns")  # the start of ``start``
    hi = as_of_instant(pd.Timestamp(end).strftime("%Y-%m-%d"), tz)
    if lo > hi:
        raise WorkbenchError(f"calendar start {start} is after its end {end}")
    rows: list[pd.DataFrame] = []
    for spec in series_catalog().values():
        if spec.country not in countries or not _scheduled(spec):
            continue
        if spec.release.get("rule") == "decision":
            times = policy_decisions(spec.release["meetings"])
            dates = times.tz_convert(spec.release["tz"]).tz_localize(None).normalize()
        else:
            dates = _periods(spec, lo, hi)
            times = spec.release_times(dates)
        keep = (times >= lo) & (times <= hi)
        if not keep.any():
            continue
        local = times[keep].tz_convert(spec.release.get("tz", spec.tz))
        rows.append(
            pd.DataFrame(
                {
                    "release_time": times[keep],
                    "local_time": local.strftime("%Y-%m-%d %H:%M %Z"),
                    "country": spec.country,
                    "publisher": release_publisher(spec),
                    "series_id": spec.id,
                    "name": spec.name,
                    "obs_date": dates[keep],
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=CALENDAR_COLUMNS)
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["release_time", "series_id"], kind="stable").reset_index(drop=True)


DUE_COLUMNS = [
    "series_id", "source", "frequency", "last_obs", "last_release", "next_obs", "next_release",
    "due",
]  # fmt: skip


def due_series(lake: Lake, as_of: AsOf, specs: Iterable[SeriesSpec]) -> pd.DataFrame:
    """Which of ``specs`` the release clock says are due by the end of ``as_of``.

    Per series: the last period and release the lake holds (whatever the source), the next
    period (the next session of the rule's calendar for daily series, one period on for the
    others) and its scheduled release under the catalog rule; due when that release is at
    or before ``as_of``, or when the lake holds nothing of it. "Since the last run" is thus
    since each series' newest stored release, so missed days are caught up by the same
    call. Revisions of series with nothing due are picked up with their next release.
    """
    from research_core.lake.maintenance import lake_info

    cutoff = as_of_instant(as_of, get_settings().timezone)
    info = lake_info(lake).table
    last_obs = info.groupby("series_id")["last_obs"].max()
    last_release = pd.to_datetime(info.groupby("series_id")["last_release"].max(), utc=True)
    rows: list[tuple[Any, ...]] = []
    for spec in specs:
        if spec.id not in last_obs.index:
            rows.append((spec.id, spec.source, spec.frequency, *[pd.NaT] * 4, True))
            continue
        following = _next_period(spec, pd.Timestamp(last_obs[spec.id]))
        release = spec.release_times(pd.DatetimeIndex([following]))[0]
        known = (last_obs[spec.id], last_release[spec.id], following, release)
        rows.append((spec.id, spec.source, spec.frequency, *known, bool(release <= cutoff)))
    frame = pd.DataFrame(rows, columns=DUE_COLUMNS)
    for col in ("last_release", "next_release"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def _next_period(spec: SeriesSpec, last_obs: pd.Timestamp) -> pd.Timestamp:
    """The period after ``last_obs``: next session (daily) or one period on."""
    if spec.frequency == "D":
        calendar = spec.release.get("calendar", COUNTRY_CALENDAR[spec.country])
        nxt = roll_forward(pd.DatetimeIndex([last_obs + pd.Timedelta(days=1)]), calendar)
        return pd.Timestamp(nxt[0])
    step = {"W": pd.DateOffset(weeks=1), "M": pd.DateOffset(months=1)}
    step |= {"Q": pd.DateOffset(months=3), "A": pd.DateOffset(years=1)}
    return pd.Timestamp(last_obs + step[spec.frequency])


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


# ---- the Morning Pack's list ---------------------------------------------------------------
def todays_releases(view: PITView, day: AsOf | None = None) -> pd.DataFrame:
    """Releases scheduled on ``day`` (default: the view's date in the fund's time zone):
    local time, series, period, the previous value and the expectation as ``view`` knows
    them, and the actual once it is out by the view's instant."""
    local_day = (
        pd.Timestamp(day)
        if day is not None
        else view.as_of.tz_convert(get_settings().timezone).tz_localize(None)
    )
    cal = release_calendar(local_day, local_day)
    rows = []
    for sid, name, publisher, when, obs, released in zip(
        cal["series_id"],
        cal["name"],
        cal["publisher"],
        cal["local_time"],
        cal["obs_date"],
        cal["release_time"],
        strict=True,
    ):
        period = pd.Timestamp(obs)
        history = view.series(str(sid)).dropna()
        before = history[history.index < period]
        previous = float(before.iloc[-1]) if len(before) else float("nan")
        actual = float(history[period]) if period in history.index else float("nan")
        out = pd.Timestamp(released)
        known = view if view.as_of < out else view.at(out - pd.Timedelta(1, "ns"))
        expected, basis = expectation(known, str(sid), period)
        rows.append((when, sid, name, publisher, period, previous, expected, basis, actual))
    cols = ["time", "series_id", "name", "publisher", "obs_date", "previous", "expected"]
    return pd.DataFrame(rows, columns=[*cols, "basis", "actual"])


def morning_releases(lake: Lake, as_of: AsOf) -> pd.DataFrame:
    """The Morning Pack's "today's releases": what the next B3/NYSE session after ``as_of``
    brings (local time, series, period, previous value, expected value and its basis), as
    known at the end of ``as_of`` — the pack is read the morning after its run."""
    view = lake.at(as_of)
    local = view.as_of.tz_convert(lake.tz).tz_localize(None).normalize()
    day = roll_forward(pd.DatetimeIndex([local + pd.Timedelta(days=1)]), "B3")[0]
    frame = todays_releases(view, day)
    freq = {sid: lake.spec(sid).frequency for sid in frame["series_id"].unique()}
    return pd.DataFrame(
        {
            "time": frame["time"],
            "series": frame["series_id"],
            "period": [
                period_label(pd.Timestamp(d), freq[s])
                for d, s in zip(frame["obs_date"], frame["series_id"], strict=True)
            ],
            "previous": frame["previous"],
            "expected": frame["expected"],
            "basis": frame["basis"],
        }
    )


# meeting calendar -> (bank, the series its decisions set: its release zone is the bank's)
DECISIONS = {"copom": ("Copom", "BR.SELIC.TARGET"), "fomc": ("FOMC", "US.FEDFUNDS.TARGET")}


def week_ahead(lake: Lake, as_of: AsOf, days: int = 7) -> pd.DataFrame:
    """The Morning Pack's week ahead: every scheduled release and rate decision in the
    ``days`` calendar days after ``as_of`` — local time with its zone, country, publisher,
    series, name, period, units, previous value and the expectation with its basis (Focus
    median or AR(1) model forecast; none for a decision or a series with neither), as known
    at the end of ``as_of``."""
    view = lake.at(as_of)
    start = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    cal = release_calendar(start, start + pd.Timedelta(days=days - 1))
    rows = []
    for r in cal.itertuples(index=False):
        spec = lake.spec(str(r.series_id))
        period = pd.Timestamp(str(r.obs_date))
        history = view.series(spec.id).dropna()
        before = history[history.index < period]
        expected, basis = expectation(view, spec.id, period)
        decision = spec.release.get("rule") == "decision"
        rows.append(
            {
                "time": r.local_time,
                "country": r.country,
                "publisher": r.publisher,
                "series": spec.id,
                "name": spec.name,
                "period": "decision" if decision else period_label(period, spec.frequency),
                "units": spec.units,
                "previous": float(before.iloc[-1]) if len(before) else float("nan"),
                "expected": expected,
                "basis": basis or ("no consensus in the lake" if decision else "none"),
            }
        )
    cols = ["time", "country", "publisher", "series", "name", "period", "units", "previous"]
    return pd.DataFrame(rows, columns=[*cols, "expected", "basis"])


def next_decisions(as_of: AsOf) -> dict[str, pd.Timestamp]:
    """{"Copom": time, "FOMC": time}: each bank's next rate decision after the end of
    ``as_of``, wherever it falls, in the bank's own time zone; banks with none scheduled
    are left out."""
    after = as_of_instant(pd.Timestamp(as_of).strftime("%Y-%m-%d"), get_settings().timezone)
    out = {}
    for meetings, (name, sid) in DECISIONS.items():
        times = policy_decisions(meetings)
        later = times[times > after]
        if len(later):
            out[name] = pd.Timestamp(later[0]).tz_convert(series(sid).release["tz"])
    return out


def releases_on(lake: Lake, as_of: AsOf) -> pd.DataFrame:
    """The releases of ``as_of`` itself (yesterday, for the morning reader): actual, the
    expectation with its basis, the surprise and its z-score — the stored derived series
    where the pipeline computed them, else the expectation known just before the print
    (and no z)."""
    view = lake.at(as_of)
    frame = todays_releases(view, pd.Timestamp(as_of))
    z = []
    for i, (sid, period) in enumerate(zip(frame["series_id"], frame["obs_date"], strict=True)):
        ids, when = _derived(str(sid)), pd.Timestamp(str(period))
        stored = _stored(view, ids["expected"])  # empty where none was computed
        if when in stored.index:  # the expectation the stored surprise was measured against
            frame.loc[i, "expected"] = float(stored[when])
        z.append(float(_stored(view, ids["z"]).get(when, float("nan"))))
    frame["surprise"] = frame["actual"] - frame["expected"]
    frame["z"] = z
    frame["units"] = [lake.spec(str(s)).units for s in frame["series_id"]]
    return frame


def period_label(obs_date: pd.Timestamp, frequency: str) -> str:
    """'2026-10' for a month, '2026Q3' for a quarter, the date otherwise."""
    end = period_end(pd.DatetimeIndex([obs_date]), frequency)[0]
    if frequency == "M":
        return f"{end:%Y-%m}"
    if frequency == "Q":
        return f"{end.year}Q{end.quarter}"
    return f"{obs_date:%Y-%m-%d}"


# ---- ``workbench calendar`` ------------------------------------------------------------------
def calendar_table(start: AsOf, end: AsOf, *, countries: tuple[str, ...] = COUNTRIES) -> str:
    """The release calendar as text: local time, publisher, series, period, name."""
    cal = release_calendar(start, end, countries=countries)
    if cal.empty:
        return f"no scheduled releases from {start} to {end}"
    freq = {sid: spec.frequency for sid, spec in series_catalog().items()}
    show = pd.DataFrame(
        {
            "local time": cal["local_time"],
            "publisher": cal["publisher"],
            "series": cal["series_id"],
            "period": [
                period_label(pd.Timestamp(d), freq[s])
                for d, s in zip(cal["obs_date"], cal["series_id"], strict=True)
            ],
            "name": cal["name"],
        }
    )
    return f"{len(cal)} scheduled releases\n{show.to_string(index=False)}"
