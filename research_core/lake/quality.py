"""Data quality of the lake's contents: staleness, gaps, jumps, duplicates, cross-source checks.

Integrity of the storage itself is :func:`research_core.lake.maintenance.check_lake`; this
module judges the data as known at ``as_of`` and returns findings the Morning Pack can show.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from research_core.calendars import business_days
from research_core.catalog import CrossCheck, SeriesSpec, crosschecks
from research_core.lake.asof import as_of_instant
from research_core.lake.store import Lake

if TYPE_CHECKING:
    from research_core.lake.maintenance import CheckReport

# frequency: (one period on, the grace after a due release before the series is stale, how
# far back an ingest re-reads so that recent revisions are picked up)
SPANS = {
    "D": (pd.DateOffset(days=1), pd.Timedelta(days=3), pd.DateOffset(days=14)),
    "W": (pd.DateOffset(weeks=1), pd.Timedelta(days=7), pd.DateOffset(weeks=8)),
    "M": (pd.DateOffset(months=1), pd.Timedelta(days=10), pd.DateOffset(months=6)),
    "Q": (pd.DateOffset(months=3), pd.Timedelta(days=20), pd.DateOffset(months=9)),
    "A": (pd.DateOffset(years=1), pd.Timedelta(days=60), pd.DateOffset(years=2)),
}
STEP = {f: span[0] for f, span in SPANS.items()}
GRACE = {f: span[1] for f, span in SPANS.items()}
LOOKBACK = {f: span[2] for f, span in SPANS.items()}
_EARLY = pd.Timedelta(days=1)  # local midnight of a period's date is at most this before UTC's
# the fewest days one step on can be (a month after 31 January: 28), plus the grace, less
# _EARLY, in ns: an as-of before that is before any next period's release could be due
_SHORTEST = {"D": 1, "W": 7, "M": 28, "Q": 89, "A": 365}
_LATE = {f: (GRACE[f] - _EARLY).value for f in SPANS}  # ns
_MONTHS = {"M": 1, "Q": 3, "A": 12}
_NOT_DUE = {f: (pd.Timedelta(days=_SHORTEST[f]) + GRACE[f] - _EARLY).value for f in SPANS}
FINDING_COLUMNS = ["series_id", "check", "obs_date", "detail"]


@dataclass(frozen=True)
class QualityReport:
    """Findings at one instant, one row each (stale, gap, jump, duplicate, crosscheck)."""

    as_of: pd.Timestamp
    findings: pd.DataFrame
    series_checked: int

    @property
    def ok(self) -> bool:
        return self.findings.empty

    def to_frame(self) -> pd.DataFrame:
        return self.findings.copy()

    def summary(self) -> str:
        head = f"data quality as of {self.as_of:%Y-%m-%d %H:%M} UTC: {self.series_checked} series"
        if self.findings.empty:
            return f"{head}, no findings"
        counts = self.findings["check"].value_counts().to_dict()
        text = ", ".join(f"{n} {k}" for k, n in counts.items())
        return f"{head}; {text}\n{self.findings.to_string(index=False, max_rows=60)}"


def staleness(
    spec: SeriesSpec, history: pd.DataFrame | pd.DatetimeIndex, as_of: pd.Timestamp
) -> list[dict[str, Any]]:
    """Stale when the period after the last one known should have been released (plus grace).

    ``history``: the series as known at ``as_of`` (a history frame), or just its periods."""
    periods = history.index if isinstance(history, pd.DataFrame) else history
    if periods.empty:
        return [_finding(spec.id, "stale", None, "no data known")]
    ordered = isinstance(periods, pd.DatetimeIndex) and periods.is_monotonic_increasing
    if ordered and isinstance(periods, pd.DatetimeIndex) and periods.tz is None:
        newest = int(periods.values[-1].astype("datetime64[ns]").astype(np.int64))
        if as_of.value < newest + _NOT_DUE[spec.frequency]:
            return []  # the next period cannot have started by as_of (less grace): not due
    last = pd.Timestamp(periods[-1] if ordered else periods.max())  # increasing: no NaT
    nxt = _next_period(last, spec.frequency)
    if last.tz is None and as_of.value < nxt.value + _LATE[spec.frequency]:
        return []  # no rule releases a period before its local start: not due yet
    due = _due(spec, repr(spec.release), nxt)
    if as_of <= due:
        return []
    late = (as_of - due).days
    return [
        _finding(
            spec.id,
            "stale",
            last,
            f"next period {nxt.date()} due by {due:%Y-%m-%d %H:%M} UTC (+grace); {late} days late",
        )
    ]


@functools.lru_cache(maxsize=1024)
def _due(spec: SeriesSpec, release: str, period: pd.Timestamp) -> pd.Timestamp:
    """When ``period`` of ``spec`` is due, grace included: the same for every as-of, so
    a daily run works it out once per series and period. ``release`` (the rule's repr)
    is part of the key, since a spec's equality leaves its rule out."""
    return spec.release_time(period) + GRACE[spec.frequency]


def _next_period(last: pd.Timestamp, frequency: str) -> pd.Timestamp:
    """``last + STEP[frequency]``; from a naive month start, by month arithmetic on the
    date (what the calendar offset gives there, at a fraction of its cost)."""
    months = _MONTHS.get(frequency)
    date = last.asm8
    if months is None or last.tz is not None or date != date.astype("datetime64[M]"):
        return last + STEP[frequency]
    return pd.Timestamp((date.astype("datetime64[M]") + months).astype(date.dtype))


def gaps(spec: SeriesSpec, history: pd.DataFrame) -> list[dict[str, Any]]:
    """Missing periods between the first and last known (daily: the release calendar's days)."""
    if len(history) < 2:
        return []
    have = pd.DatetimeIndex(history.index).normalize()
    if spec.frequency == "D":
        calendar = spec.release.get("calendar", "WEEKDAYS")
        expected = business_days(calendar)
        expected = expected[(expected >= have[0]) & (expected <= have[-1])]
    elif spec.frequency == "W":
        step = np.diff(have.to_numpy()).astype("timedelta64[D]").astype(int)
        holes = np.flatnonzero(step > 10)
        return [
            _finding(spec.id, "gap", have[int(i)], f"{step[i]} days until the next survey/report")
            for i in holes
        ]
    else:
        expected = pd.date_range(
            have[0], have[-1], freq={"M": "MS", "Q": "QS", "A": "YS"}[spec.frequency]
        )
    missing = expected.difference(have)
    if missing.empty:
        return []
    # Report contiguous runs, not every day.
    pos = expected.get_indexer(missing)
    starts = np.r_[0, np.flatnonzero(np.diff(pos) > 1) + 1]
    ends = np.r_[starts[1:] - 1, len(pos) - 1]
    return [
        _finding(
            spec.id,
            "gap",
            missing[a],
            f"{b - a + 1} missing periods {missing[a].date()}..{missing[b].date()}",
        )
        for a, b in zip(starts, ends, strict=True)
    ]


def jumps(
    spec: SeriesSpec,
    history: pd.DataFrame,
    sigmas: float,
    as_of: pd.Timestamp,
    recent_days: int = 30,
) -> list[dict[str, Any]]:
    """Recent changes beyond ``sigmas`` robust standard deviations of the prior three years.

    Only periods released in the last ``recent_days`` are judged (what a daily check needs);
    the scale is 1.4826 x MAD of the changes before them. Policy rates move in decided
    steps and are not judged.
    """
    if spec.category == "policy_rate" or len(history) < 30:
        return []
    change = history["value"].diff()
    released = pd.DatetimeIndex(history["release_time"])
    recent = np.asarray(released > as_of - pd.Timedelta(days=recent_days))
    if not recent.any():
        return []
    first = pd.Timestamp(history.index[int(np.argmax(recent))])
    past = change[
        (change.index < first) & (change.index >= first - pd.DateOffset(years=3))
    ].dropna()
    if len(past) < 20:
        return []
    centre = float(past.median())
    scale = 1.4826 * float((past - centre).abs().median())
    if scale == 0.0:
        return []
    z = (change[recent] - centre) / scale
    big = z[z.abs() > sigmas]
    return [
        _finding(
            spec.id, "jump", when, f"change {change[when]:+.4g} = {z[when]:+.1f} robust sigmas"
        )
        for when in big.index
    ]


def cross_check(lake: Lake, check: CrossCheck, as_of: pd.Timestamp) -> list[dict[str, Any]]:
    """Deviations beyond the tolerance between two sources of the same thing."""
    view = lake.at(as_of)
    a, b = view.series(check.a), view.series(check.b)
    if check.frequency != "D":
        rule = {"W": "W-FRI", "M": "MS", "Q": "QS", "A": "YS"}[check.frequency]
        a, b = a.resample(rule).mean(), b.resample(rule).mean()
    both = pd.concat([a, b], axis=1, join="inner").dropna()
    if both.empty:
        return []
    dev = (both.iloc[:, 0] - both.iloc[:, 1]).abs()
    bad = dev[dev > check.tolerance]
    if bad.empty:
        return []
    worst = pd.DatetimeIndex(bad.index)[int(np.argmax(bad.to_numpy()))]
    return [
        _finding(
            check.a,
            "crosscheck",
            bad.index[-1],
            f"{len(bad)} of {len(dev)} common periods differ from {check.b} by more than "
            f"{check.tolerance} {check.units}; largest {bad.max():.4g} on {worst.date()}",
        )
    ]


def quality_report(
    lake: Lake,
    *,
    as_of: Any = None,
    series: Iterable[str] | None = None,
    jump_sigmas: float = 10.0,
    integrity: CheckReport | None = None,
) -> QualityReport:
    """Staleness, gaps and jumps per series, duplicate keys and the catalog's cross-checks.

    Duplicate keys come from the storage check (``integrity``, run here when not given).
    """
    moment = as_of_instant(as_of if as_of is not None else pd.Timestamp.now(tz="UTC"), lake.tz)
    known = lake.known_series()
    stored = set().union(*lake.snapshot().series)
    ids = sorted(series) if series is not None else sorted(stored & set(known))
    view = lake.at(moment)
    view.latest(ids)  # loads every series in one read (not one read of the files each)
    rows: list[dict[str, Any]] = []
    for sid in ids:
        spec = known[sid]
        history = view.history(sid)
        rows += staleness(spec, history, moment)
        rows += gaps(spec, history)
        rows += jumps(spec, history, jump_sigmas, moment)
    if integrity is None:
        from research_core.lake.maintenance import check_lake  # DuckDB: only for the report

        integrity = check_lake(lake)
    for kind, detail in integrity.problems:
        if kind == "duplicate" and detail.split()[0] in ids:
            rows.append(_finding(detail.split()[0], "duplicate", None, detail))
    for check in crosschecks():
        if check.a in ids and check.b in ids:
            rows += cross_check(lake, check, moment)
    findings = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    return QualityReport(moment, findings, len(ids))


def gap_starts(lake: Lake, series: Iterable[str]) -> dict[str, pd.Timestamp]:
    """First missing period per series with gaps (what ``ingest --catch-up`` re-fetches)."""
    known = lake.known_series()
    view = lake.at(pd.Timestamp.now(tz="UTC"))
    out = {}
    for sid in series:
        found = gaps(known[sid], view.history(sid))
        if found:
            out[sid] = min(pd.Timestamp(f["obs_date"]) for f in found)
    return out


def _finding(series_id: str, check: str, obs_date: Any, detail: str) -> dict[str, Any]:
    return {"series_id": series_id, "check": check, "obs_date": obs_date, "detail": detail}
