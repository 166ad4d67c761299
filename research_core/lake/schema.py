"""The observation schema and write-time validation (one error naming every bad row)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from research_core.calendars import period_start_utc
from research_core.catalog import SeriesSpec
from research_core.errors import LakeWriteError

KEY = ["series_id", "obs_date", "release_time"]
REQUIRED = ["series_id", "obs_date", "value", "release_time", "source"]
ARROW_SCHEMA = pa.schema(
    [
        ("series_id", pa.string()),
        ("obs_date", pa.date32()),
        ("value", pa.float64()),
        ("release_time", pa.timestamp("ns", tz="UTC")),
        ("source", pa.string()),
        ("ingested_at", pa.timestamp("ns", tz="UTC")),
    ]
)
_SHOWN = 12
Bad = dict[int, list[str]]  # row -> the reasons it is rejected


def _nonempty_str(col: pd.Series) -> np.ndarray:
    """Mask of values that are non-empty strings (vectorized for string dtypes)."""
    if pd.api.types.is_string_dtype(col.dtype) and not pd.api.types.is_object_dtype(col.dtype):
        return (col.notna() & (col.str.len() > 0)).to_numpy(dtype=bool)
    return np.fromiter((isinstance(v, str) and bool(v) for v in col), bool, len(col))


_RANGE = f"{pd.Timestamp.min:%Y-%m-%d} .. {pd.Timestamp.max:%Y-%m-%d}"


def _in_range(col: pd.Series) -> np.ndarray:
    """Mask of values that fit nanosecond timestamps (NaT counts as in range)."""
    naive = col.dt.tz_localize(None) if isinstance(col.dtype, pd.DatetimeTZDtype) else col
    ok = (naive >= pd.Timestamp.min) & (naive <= pd.Timestamp.max)
    return (naive.isna() | ok).to_numpy(dtype=bool)


def _real_numbers(col: pd.Series, bad: dict[int, list[str]]) -> pd.Series:
    """Values as float64; anything but a real number (bool, complex, string, timestamp,
    timedelta, ...) is flagged. NaN stays NaN (a withdrawal, checked by the caller)."""
    dtype = col.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not (
        pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_complex_dtype(dtype)
    ):
        return pd.Series(col.to_numpy(dtype="float64", na_value=np.nan), index=col.index)
    if pd.api.types.is_object_dtype(dtype):
        ok = np.fromiter(
            (
                isinstance(v, int | float | np.integer | np.floating)
                and not isinstance(v, bool | np.bool_)
                for v in col
            ),
            bool,
            len(col),
        )
    else:
        ok = np.zeros(len(col), dtype=bool)
    for i in np.flatnonzero(~ok):
        v = col.iloc[i]
        bad.setdefault(int(i), []).append(f"value {v!r} is a {type(v).__name__}, not a real number")
    out = np.full(len(col), np.nan)
    out[ok] = np.asarray(col[ok].tolist(), dtype="float64") if ok.any() else []
    return pd.Series(out, index=col.index)


def _release_utc(col: pd.Series, bad: dict[int, list[str]]) -> pd.Series:
    """Release times as UTC; naive or unparseable values are flagged, never assumed UTC."""
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        ok = _in_range(col)
        for j in np.flatnonzero(~ok):
            bad.setdefault(int(j), []).append(
                f"release_time {col.iloc[j]} is outside the supported range {_RANGE}"
            )
        return col.where(ok).dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    if pd.api.types.is_datetime64_dtype(col.dtype):
        for i in range(len(col)):
            bad.setdefault(i, []).append("release_time is naive: give a tz-aware time (UTC)")
        return pd.Series(pd.NaT, index=col.index, dtype="datetime64[ns, UTC]")
    out: list[object] = []
    for i, v in enumerate(col.to_numpy(dtype=object)):
        ts: Any
        try:
            ts = pd.Timestamp(v)
        except (TypeError, ValueError):
            ts = pd.NaT
        if ts is pd.NaT or pd.isna(ts):
            bad.setdefault(i, []).append(f"release_time {v!r} is not a timestamp")
            out.append(pd.NaT)
        elif ts.tzinfo is None:
            bad.setdefault(i, []).append(f"release_time {v!r} is naive: give a tz-aware time")
            out.append(pd.NaT)
        elif not pd.Timestamp.min <= ts.tz_localize(None) <= pd.Timestamp.max:
            bad.setdefault(i, []).append(
                f"release_time {v!r} is outside the supported range {_RANGE}"
            )
            out.append(pd.NaT)
        else:
            out.append(ts.tz_convert("UTC"))
    return pd.Series(pd.DatetimeIndex(out, tz="UTC"), index=col.index).astype("datetime64[ns, UTC]")


def _withdrawn(frame: pd.DataFrame, bad: dict[int, list[str]]) -> np.ndarray:
    """The optional ``withdrawn`` column as a bool mask (True/False only)."""
    if "withdrawn" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    col = frame["withdrawn"].reset_index(drop=True)
    ok = np.fromiter((isinstance(w, bool | np.bool_) for w in col), bool, len(col))
    for i in np.flatnonzero(~ok):
        bad.setdefault(int(i), []).append(f"withdrawn {col.iloc[i]!r} is not True/False")
    return np.asarray([bool(w) if k else False for w, k in zip(col, ok, strict=True)])


def _flag(bad: Bad, rows: np.ndarray, reason: Callable[[int], str]) -> None:
    """Add ``reason(i)`` to each row ``i`` of ``rows`` in ``bad``."""
    for i in rows:
        bad.setdefault(int(i), []).append(reason(int(i)))


def _check_ids(df: pd.DataFrame, known: Mapping[str, SeriesSpec], bad: Bad) -> None:
    for col in ("series_id", "source"):
        vals = df[col]
        _flag(
            bad,
            np.flatnonzero(~_nonempty_str(vals)),
            lambda i: f"{col} {vals.iloc[i]!r} is not a non-empty string",  # noqa: B023
        )
    sid = df["series_id"]
    unknown = ~sid.isin(list(known)).to_numpy() & _nonempty_str(sid)
    _flag(
        bad,
        np.flatnonzero(unknown),
        lambda i: f"unknown series {sid.iloc[i]!r} (not in the catalog; lake.register() it first)",
    )


def _obs_dates(raw_dates: pd.Series, bad: Bad) -> pd.Series:
    """Observation dates as tz-naive midnight timestamps (NaT where a row is bad)."""
    if isinstance(raw_dates.dtype, pd.DatetimeTZDtype):
        raw_dates = raw_dates.dt.tz_localize(None)
        _flag(
            bad,
            np.arange(len(raw_dates)),
            lambda _: "obs_date must be a calendar date, not a tz-aware time",
        )
    obs = pd.to_datetime(raw_dates, errors="coerce")
    _flag(
        bad,
        np.flatnonzero(obs.isna().to_numpy()),
        lambda i: f"obs_date {raw_dates.iloc[i]!r} is not a date",
    )
    far = ~_in_range(obs)
    _flag(
        bad,
        np.flatnonzero(far),
        lambda i: f"obs_date {raw_dates.iloc[i]!r} is outside the supported range {_RANGE}",
    )
    obs = obs.where(~far).astype("datetime64[ns]")
    has_time = (obs.notna() & (obs != obs.dt.normalize())).to_numpy()
    _flag(bad, np.flatnonzero(has_time), lambda i: f"obs_date {obs.iloc[i]} has a time of day")
    return obs


def _values(frame: pd.DataFrame, raw: pd.Series, bad: Bad) -> pd.Series:
    """Real values, NaN where withdrawn; a missing or infinite value that is not withdrawn
    is an error."""
    values = _real_numbers(raw, bad)
    withdrawn = _withdrawn(frame, bad)
    values[withdrawn] = np.nan
    v = values.to_numpy()
    rows = [i for i in np.flatnonzero(np.isinf(v) | (np.isnan(v) & ~withdrawn)) if i not in bad]
    _flag(
        bad,
        np.asarray(rows, dtype=int),
        lambda i: (
            f"value {raw.iloc[i]!r} is not a finite number "
            "(a withdrawn value is a row with withdrawn=True)"
        ),
    )
    return values


def _released_early(out: pd.DataFrame, known: Mapping[str, SeriesSpec], bad: Bad) -> None:
    """A realized value cannot be public before the period it describes has started."""
    obs, release = out["obs_date"], out["release_time"]
    for s, idx in pd.Series(range(len(out))).groupby(out["series_id"]).groups.items():
        spec = known.get(str(s))
        if spec is None or spec.kind == "expectation":
            continue
        rows = np.asarray(idx)
        rows = rows[obs.iloc[rows].notna().to_numpy() & release.iloc[rows].notna().to_numpy()]
        if not len(rows):
            continue
        start = period_start_utc(obs.iloc[rows], spec.tz)
        early = np.asarray(pd.DatetimeIndex(release.iloc[rows]) < start)
        _flag(
            bad,
            rows[early],
            lambda i: f"released {release.iloc[i]} before its period {obs.iloc[i].date()} started",
        )


def _conflicts(out: pd.DataFrame, bad: Bad) -> None:
    """Same key twice in one write: identical rows collapse, conflicting values are errors."""
    clean = out.drop(index=list(bad))
    dup = clean.duplicated(KEY, keep=False)
    if dup.any():
        spread = clean[dup].groupby(KEY)["value"].transform(lambda v: v.nunique(dropna=False))
        conflicts = spread > 1
        _flag(
            bad,
            np.asarray(conflicts[conflicts].index, dtype=int),
            lambda _: "same (series_id, obs_date, release_time) appears with different values",
        )


def _reject(frame: pd.DataFrame, bad: Bad) -> LakeWriteError:
    """One error naming every bad row (``.rows`` holds them with a ``reason`` column)."""
    rows_df = frame.reset_index(drop=True).iloc[sorted(bad)].copy()
    rows_df["reason"] = ["; ".join(bad[i]) for i in sorted(bad)]
    shown = "\n".join(
        f"  row {i}: {rows_df.at[i, 'series_id']!r} {rows_df.at[i, 'obs_date']!s}: "
        f"{rows_df.at[i, 'reason']!s}"
        for i in list(rows_df.index)[:_SHOWN]
    )
    more = f"\n  ... and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
    return LakeWriteError(
        f"{len(bad)} of {len(frame)} observation rows rejected; nothing was written:\n"
        f"{shown}{more}",
        rows=rows_df,
    )


def validate_observations(frame: object, known: Mapping[str, SeriesSpec]) -> pd.DataFrame:
    """Check and normalize observation rows before a write.

    Values must be real numbers (not bool, complex, strings, timestamps or timedeltas).
    A row with ``withdrawn=True`` (optional column) records that the period has no value
    from that release on (ALFRED's "."): it is stored with a NaN value and as-of reads
    honour it. Dates and times must fit nanosecond timestamps (1677..2262).

    Returns the rows with canonical dtypes, exact duplicates collapsed. Raises one
    :class:`LakeWriteError` naming every offending row (with ``.rows`` holding them and a
    ``reason`` column) when any row is bad; the caller then writes nothing.
    """
    if not isinstance(frame, pd.DataFrame):
        raise LakeWriteError(f"expected a pandas DataFrame of observations, got {type(frame)}")
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise LakeWriteError(f"observation frame lacks columns {missing}; required: {REQUIRED}")
    df = frame[REQUIRED].reset_index(drop=True)
    bad: Bad = {}
    _check_ids(df, known, bad)
    obs = _obs_dates(df["obs_date"], bad)
    values = _values(frame, df["value"], bad)
    out = pd.DataFrame(
        {
            "series_id": df["series_id"].astype(str),
            "obs_date": obs.astype("datetime64[ns]"),
            "value": values,
            "release_time": _release_utc(df["release_time"], bad),
            "source": df["source"].astype(str),
        }
    )
    _released_early(out, known, bad)
    _conflicts(out, bad)
    if bad:
        raise _reject(frame, bad)
    return out.drop_duplicates(KEY).reset_index(drop=True)
