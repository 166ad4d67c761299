"""FRED and ALFRED (``api.stlouisfed.org/fred``): latest values and every vintage.

Observations are ``{"realtime_start","realtime_end","date","value"}``, all strings; a
missing value is ``"."``. FRED gives today's vintage; ALFRED gives each value with the
dates it was current, so its release times are the source's own (``realtime_start`` at the
series' release hour). FRED refuses requests spanning more than 2,000 vintage dates, so
ALFRED requests are chunked by the series' vintage dates. A code ``ID|units`` asks FRED for
a transformation (``pc1``, ``pch``, ``chg``, ``pca`` ...).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from research_core.catalog import SeriesSpec
from research_core.config import get_settings
from research_core.connectors.base import Connector

MAX_VINTAGES = 2_000
_FAR_FUTURE = "9999-12-31"


class FRED(Connector):
    """Latest observations of a FRED series (the ingest stamps and vintages them)."""

    name: ClassVar[str] = "fred"
    base_url: ClassVar[str] = "https://api.stlouisfed.org/fred/"
    min_interval: ClassVar[float] = 0.5  # FRED allows 120 requests a minute
    page_size: ClassVar[int] = 100_000
    default_start: ClassVar[str] = "1776-07-04"

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.get("api_key") is None:
            key = get_settings().fred_api_key
            kwargs["api_key"] = key.get_secret_value() if key else None
        super().__init__(**kwargs)

    def _series_params(
        self, spec: SeriesSpec, lo: pd.Timestamp | None = None, hi: pd.Timestamp | None = None
    ) -> dict[str, str]:
        """Query parameters for ``spec`` (FRED id, units transform, observation window)."""
        if not self._api_key:
            raise self.error("no API key: set WORKBENCH_FRED_API_KEY", series=spec.id)
        fred_id, _, units = spec.code.partition("|")
        params = {"series_id": fred_id, "file_type": "json"}
        if units:
            params["units"] = units
        if lo is not None and hi is not None:
            params.update(observation_start=f"{lo:%Y-%m-%d}", observation_end=f"{hi:%Y-%m-%d}")
        return params

    def observations(self, spec: SeriesSpec, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every observation row for ``params``, paged by ``limit``/``offset``."""

        def page(offset: int, size: int) -> list[dict[str, Any]]:
            body = self.get_json(
                "series/observations", {**params, "limit": size, "offset": offset}, series=spec.id
            )
            if not isinstance(body, dict) or "observations" not in body:
                raise self.error(f"answer lacks 'observations': {str(body)[:160]}", series=spec.id)
            records = body["observations"]
            if records:
                self.require(records[0], ("realtime_start", "date", "value"), series=spec.id)
            return list(records)

        return list(self.paginate(page, self.page_size))

    def _fetch(
        self, spec: SeriesSpec, lo: pd.Timestamp, hi: pd.Timestamp, released_since: Any
    ) -> pd.DataFrame:
        params = self._series_params(spec, lo, hi)
        frame = pd.DataFrame.from_records(self.observations(spec, params))
        if frame.empty:
            return self.rows(spec, [], [])
        dates = self.dates(frame["date"], "%Y-%m-%d", series=spec.id)
        values = self.numbers(frame["value"], series=spec.id, missing=(".",))
        return self.rows(spec, dates, values)


class ALFRED(FRED):
    """Every vintage of a FRED series, released at each vintage date's release hour."""

    name: ClassVar[str] = "alfred"
    vintaged: ClassVar[bool] = True
    max_vintages: ClassVar[int] = MAX_VINTAGES

    def vintage_dates(self, spec: SeriesSpec) -> list[str]:
        """The series' vintage dates (``YYYY-MM-DD``), oldest first."""
        params = self._series_params(spec)
        params.pop("units", None)

        def page(offset: int, size: int) -> list[str]:
            body = self.get_json(
                "series/vintagedates", {**params, "limit": size, "offset": offset}, series=spec.id
            )
            if not isinstance(body, dict) or "vintage_dates" not in body:
                raise self.error(f"answer lacks 'vintage_dates': {str(body)[:160]}", series=spec.id)
            return list(body["vintage_dates"])

        return sorted(set(self.paginate(page, 10_000)))

    def _fetch(
        self, spec: SeriesSpec, lo: pd.Timestamp, hi: pd.Timestamp, released_since: Any
    ) -> pd.DataFrame:
        params = self._series_params(spec, lo, hi)
        vintages = self.vintage_dates(spec)
        if released_since is not None:
            since = f"{pd.Timestamp(released_since):%Y-%m-%d}"
            later = [v for v in vintages if v > since]
            vintages = (
                [max(v for v in vintages if v <= since)]
                if any(v <= since for v in vintages)
                else []
            ) + later
        if not vintages:
            return self.rows(spec, [], [], release_time=[])
        records: list[dict[str, Any]] = []
        for i in range(0, len(vintages), self.max_vintages):
            chunk = vintages[i : i + self.max_vintages]
            last = i + self.max_vintages >= len(vintages)
            window = {
                "realtime_start": chunk[0],
                "realtime_end": _FAR_FUTURE if last else chunk[-1],
            }
            records.extend(self.observations(spec, {**params, **window}))
        return self.parse(spec, records)

    def parse(self, spec: SeriesSpec, records: list[dict[str, Any]]) -> pd.DataFrame:
        """Rows per (date, vintage); a vintage that repeats the previous value is dropped.

        ALFRED's "." for a period that had a value means the value was *withdrawn* from
        that vintage on (GDP 1946Q1 has had none since 1999-10-28): it becomes a row with
        ``withdrawn=True`` and a NaN value, which the lake keeps and as-of reads honour.
        A "." before any value is nothing to withdraw and is dropped.
        """
        if not records:
            return self.rows(spec, [], [], release_time=[]).assign(withdrawn=False)
        frame = pd.DataFrame.from_records(records)
        frame["obs"] = self.dates(frame["date"], "%Y-%m-%d", series=spec.id)
        frame["vintage"] = self.dates(frame["realtime_start"], "%Y-%m-%d", series=spec.id)
        frame["value"] = self.numbers(frame["value"], series=spec.id, missing=(".",))
        frame = frame.sort_values(["obs", "vintage"])
        frame = frame.drop_duplicates(["obs", "vintage"], keep="last")
        gone = frame["value"].isna()
        same_obs = frame["obs"] == frame["obs"].shift()
        prev = frame["value"].shift()
        repeat = same_obs & ((frame["value"] == prev) | (gone & prev.isna()))
        nothing_yet = gone & ~(same_obs & prev.notna()) & ~repeat
        frame = frame.loc[~(repeat | nothing_yet).to_numpy()]
        released = vintage_release_times(spec, pd.DatetimeIndex(frame["vintage"]))
        missing = frame["value"].isna().to_numpy()
        kept = self.rows(
            spec,
            frame["obs"][~missing],
            frame["value"].to_numpy(np.float64)[~missing],
            release_time=released[~missing],
        )
        withdrawn = pd.DataFrame(
            {
                "series_id": spec.id,
                "obs_date": pd.DatetimeIndex(frame["obs"][missing]).to_numpy(),
                "value": np.nan,
                "release_time": released[missing],
                "source": self.name,
            }
        )
        out = pd.concat(
            [kept.assign(withdrawn=False), withdrawn.assign(withdrawn=True)], ignore_index=True
        )
        return out.sort_values(["obs_date", "release_time"], kind="stable").reset_index(drop=True)


def vintage_release_times(spec: SeriesSpec, vintage_dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Each vintage date at the series' release hour in its release time zone, as UTC."""
    hh, mm = (int(x) for x in str(spec.release.get("time", "00:00")).split(":"))
    tz = spec.release.get("tz", spec.tz)
    local = vintage_dates.normalize() + pd.Timedelta(hours=hh, minutes=mm)
    return local.tz_localize(tz, nonexistent="shift_forward", ambiguous=False).tz_convert("UTC")
