"""US Treasury daily par yield curve (home.treasury.gov XML feed, one request per year).

An Atom feed whose ``<m:properties>`` hold ``<d:NEW_DATE>`` and one ``<d:BC_*>`` element
per tenor (``BC_10YEAR`` ...); a tenor may be absent or empty on some dates (the 30-year
in 2002-2006). Catalog code: the tenor element name.
"""

from __future__ import annotations

from typing import Any, ClassVar
from xml.etree import ElementTree

import pandas as pd

from research_core.catalog import SeriesSpec
from research_core.connectors.base import Connector, bounds

_M = "{http://schemas.microsoft.com/ado/2007/08/dataservices/metadata}"
_D = "{http://schemas.microsoft.com/ado/2007/08/dataservices}"


class Treasury(Connector):
    """Par yields by tenor."""

    name: ClassVar[str] = "ust_treasury"
    base_url: ClassVar[str] = (
        "https://home.treasury.gov/resource-center/data-chart-center/interest-rates/pages/xml"
    )
    min_interval: ClassVar[float] = 0.5
    default_start: ClassVar[str] = "1990-01-01"

    def fetch(
        self,
        spec: SeriesSpec,
        start: Any = None,
        end: Any = None,
        *,
        released_since: Any = None,
    ) -> pd.DataFrame:
        lo, hi = bounds(start, end, self.default_start)
        frames = []
        for year in range(lo.year, hi.year + 1):
            params = {"data": "daily_treasury_yield_curve", "field_tdr_date_value": year}
            response = self.get(self.base_url, params, series=spec.id)
            frames.append(self.parse(spec, response.text))
        out = pd.concat(frames, ignore_index=True) if frames else self.rows(spec, [], [])
        keep = (out["obs_date"] >= lo) & (out["obs_date"] <= hi)
        return out.loc[keep].reset_index(drop=True)

    def parse(self, spec: SeriesSpec, text: str) -> pd.DataFrame:
        """Rows for ``spec.code`` (a ``BC_*`` tenor) from one XML answer."""
        if not text.strip():
            raise self.error("empty XML body", series=spec.id)
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
