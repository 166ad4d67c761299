"""Yahoo Finance chart API (``query2.finance.yahoo.com/v8/finance/chart/{symbol}``).

``chart.result[0]`` holds ``timestamp`` (epoch seconds), ``indicators.quote[0]`` (OHLCV,
entries may be ``null``), ``indicators.adjclose[0].adjclose`` and ``events`` (splits and
dividends keyed by epoch seconds); errors come as ``chart.error``. A bar is dated in the
exchange's own time zone. Catalog code ``SYMBOL`` stores the close as traded; ``SYMBOL|adjclose``
stores the split- and dividend-adjusted close (which Yahoo restates after every event).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from research_core.catalog import SeriesSpec
from research_core.connectors.base import Connector

FIELDS = ("open", "high", "low", "close", "volume", "adjclose")


class Yahoo(Connector):
    """Daily bars from the chart API."""

    name: ClassVar[str] = "yahoo"
    base_url: ClassVar[str] = "https://query2.finance.yahoo.com/v8/finance/chart/"
    min_interval: ClassVar[float] = 0.5
    default_start: ClassVar[str] = "2000-01-01"

    def chart(
        self, symbol: str, start: pd.Timestamp, end: pd.Timestamp, *, series: str
    ) -> dict[str, Any]:
        """The raw ``chart.result[0]`` for [start, end]."""
        params = {
            "period1": int(start.tz_localize("UTC").timestamp()),
            "period2": int((end + pd.Timedelta(days=1)).tz_localize("UTC").timestamp()),
            "interval": "1d",
            "events": "div|split",
            "includeAdjustedClose": "true",
        }
        response = self.get(symbol, params, series=series, ok=(404, 400, 422))
        body = self.decode_json(response, series=series)
        return self.result(body, series=series)

    def result(self, body: Any, *, series: str) -> dict[str, Any]:
        """``chart.result[0]`` or a clear error from ``chart.error``."""
        chart = body.get("chart") if isinstance(body, dict) else None
        if not isinstance(chart, dict):
            raise self.error(f"answer lacks 'chart': {str(body)[:160]}", series=series)
        error = chart.get("error")
        if error:
            detail = error.get("description", error) if isinstance(error, dict) else error
            raise self.error(f"Yahoo error: {detail}", series=series)
        results = chart.get("result")
        if not results:
            raise self.error("Yahoo answered no result", series=series)
        result: dict[str, Any] = results[0]
        self.require(result, ("meta", "indicators"), series=series)
        return result

    def bars(self, result: dict[str, Any], *, series: str) -> pd.DataFrame:
        """Daily bars indexed by exchange-local date: OHLCV and adjclose (NaN where null)."""
        stamps = result.get("timestamp") or []
        tz = result["meta"].get("exchangeTimezoneName") or "UTC"
        quote = (result["indicators"].get("quote") or [{}])[0]
        self.require(quote, ("close",), series=series)
        adj = (result["indicators"].get("adjclose") or [{}])[0].get("adjclose")
        columns = {k: quote.get(k) for k in FIELDS[:-1]}
        columns["adjclose"] = adj
        n = len(stamps)
        data = {}
        for key, values in columns.items():
            if values is None:
                data[key] = np.full(n, np.nan)
                continue
            if len(values) != n:
                raise self.error(
                    f"{key} has {len(values)} entries for {n} timestamps", series=series
                )
            data[key] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        dates = pd.to_datetime(np.asarray(stamps, dtype="int64"), unit="s", utc=True).tz_convert(tz)
        frame = pd.DataFrame(
            data, index=pd.DatetimeIndex(dates.tz_localize(None).normalize(), name="date")
        )
        return frame[~frame.index.duplicated(keep="last")]

    def events(self, result: dict[str, Any]) -> dict[str, pd.DataFrame]:
        """Splits (``ratio`` = numerator/denominator) and dividends (``amount``) by date."""
        tz = result["meta"].get("exchangeTimezoneName") or "UTC"
        raw = result.get("events") or {}
        out = {}
        for kind, fields in (("splits", ("numerator", "denominator")), ("dividends", ("amount",))):
            items = list((raw.get(kind) or {}).values())
            frame = pd.DataFrame.from_records(items, columns=["date", *fields])
            when = pd.to_datetime(frame["date"].astype("int64"), unit="s", utc=True).dt.tz_convert(
                tz
            )
            frame.index = pd.DatetimeIndex(when.dt.tz_localize(None).dt.normalize(), name="date")
            if kind == "splits":
                frame["ratio"] = frame["numerator"].astype(float) / frame["denominator"].astype(
                    float
                )
            out[kind] = frame.drop(columns="date").sort_index()
        return out

    def _fetch(
        self, spec: SeriesSpec, lo: pd.Timestamp, hi: pd.Timestamp, released_since: Any
    ) -> pd.DataFrame:
        symbol, _, field = spec.code.partition("|")
        field = field or "close"
        if field not in FIELDS:
            raise self.error(f"unknown Yahoo field {field!r}; valid: {FIELDS}", series=spec.id)
        bars = self.bars(self.chart(symbol, lo, hi, series=spec.id), series=spec.id)
        bars = bars.loc[(bars.index >= lo) & (bars.index <= hi)]
        return self.rows(spec, bars.index, bars[field].to_numpy())
