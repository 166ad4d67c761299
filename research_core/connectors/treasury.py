"""US Treasury daily par yield curve (home.treasury.gov XML feed, one request per year).

An Atom feed whose ``<m:properties>`` hold ``<d:NEW_DATE>`` and one ``<d:BC_*>`` element
per tenor (``BC_10YEAR`` ...); a tenor may be absent or empty on some dates (the 30-year
in 2002-2006). The same data as CSV (``Date,"1 Mo",...,"30 Yr"``, ``MM/DD/YYYY``, newest
first) is parsed too, so either format of the answer works. Catalog code: the tenor
element name.
"""

from __future__ import annotations

import io
from typing import Any, ClassVar
from xml.etree import ElementTree

import pandas as pd

from research_core.catalog import SeriesSpec
from research_core.connectors.base import Connector

_M = "{http://schemas.microsoft.com/ado/2007/08/dataservices/metadata}"
_D = "{http://schemas.microsoft.com/ado/2007/08/dataservices}"
CSV_COLUMNS = {
    "BC_1MONTH": "1 Mo", "BC_2MONTH": "2 Mo", "BC_3MONTH": "3 Mo", "BC_4MONTH": "4 Mo",
    "BC_6MONTH": "6 Mo", "BC_1YEAR": "1 Yr", "BC_2YEAR": "2 Yr", "BC_3YEAR": "3 Yr",
    "BC_5YEAR": "5 Yr", "BC_7YEAR": "7 Yr", "BC_10YEAR": "10 Yr", "BC_20YEAR": "20 Yr",
    "BC_30YEAR": "30 Yr",
}  # fmt: skip


class Treasury(Connector):
    """Par yields by tenor."""

    name: ClassVar[str] = "ust_treasury"
    base_url: ClassVar[str] = (
        "https://home.treasury.gov/resource-center/data-chart-center/interest-rates/pages/xml"
    )
    min_interval: ClassVar[float] = 0.5
    default_start: ClassVar[str] = "1990-01-01"

    def _fetch(
        self, spec: SeriesSpec, lo: pd.Timestamp, hi: pd.Timestamp, released_since: Any
    ) -> pd.DataFrame:
        frames = []
        for year in range(lo.year, hi.year + 1):
            params = {"data": "daily_treasury_yield_curve", "field_tdr_date_value": year}
            response = self.get(self.endpoint, params, series=spec.id)
            frames.append(self.parse(spec, response.text))
        out = pd.concat(frames, ignore_index=True) if frames else self.rows(spec, [], [])
        keep = (out["obs_date"] >= lo) & (out["obs_date"] <= hi)
        return out.loc[keep].reset_index(drop=True)

    def parse(self, spec: SeriesSpec, text: str) -> pd.DataFrame:
        """Rows for ``spec.code`` (a ``BC_*`` tenor) from one XML or CSV answer."""
        if not text.strip():
            raise self.error("empty body", series=spec.id)
        if not text.lstrip().startswith("<"):
            return self.parse_csv(spec, text)
        try:
            root = ElementTree.fromstring(text)
        except ElementTree.ParseError as exc:
            raise self.error(f"malformed XML: {exc}", series=spec.id) from None
        dates, values = [], []
        for props in root.iter(f"{_M}properties"):
            day = props.find(f"{_D}NEW_DATE")
            if day is None or not (day.text or "").strip():
                raise self.error("an entry lacks NEW_DATE (format changed?)", series=spec.id)
            node = props.find(f"{_D}{spec.code}")
            raw = (node.text or "").strip() if node is not None else ""
            if not raw:
                continue
            try:
                values.append(float(raw))
            except ValueError:
                raise self.error(
                    f"{spec.code} on {day.text} is not a number: {raw!r}", series=spec.id
                ) from None
            dates.append(str(day.text).strip()[:10])
        parsed = self.dates(pd.Series(dates, dtype=str), "%Y-%m-%d", series=spec.id)
        return self.rows(spec, parsed, values)

    def parse_csv(self, spec: SeriesSpec, text: str) -> pd.DataFrame:
        """Rows for ``spec.code`` from the CSV form of the par yield curve."""
        column = CSV_COLUMNS.get(spec.code)
        if column is None:
            raise self.error(f"no CSV column for tenor {spec.code!r}", series=spec.id)
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except pd.errors.ParserError as exc:
            raise self.error(f"malformed CSV: {exc}", series=spec.id) from None
        self.require(dict.fromkeys(frame.columns), ("Date",), series=spec.id)
        if column not in frame:  # e.g. the 4-month bill before Oct 2022
            return self.rows(spec, [], [])
        dates = self.dates(frame["Date"], "%m/%d/%Y", series=spec.id)
        values = self.numbers(frame[column], series=spec.id, missing=("N/A",))
        return self.rows(spec, dates, values.to_numpy())
