"""CFTC Commitments of Traders via Socrata (``publicreporting.cftc.gov/resource/{dataset}.json``).

A JSON array of flat objects whose values are all strings; ``report_date_as_yyyy_mm_dd``
is the Tuesday the positions refer to (a floating timestamp). Reports come out the
following Friday at 15:30 ET, which the catalog's ``cftc`` rule encodes. Catalog code
``dataset|contract_market_code``; the value is non-commercial long minus short.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd

from research_core.catalog import SeriesSpec
from research_core.connectors.base import Connector

DATE = "report_date_as_yyyy_mm_dd"
LONG, SHORT = "noncomm_positions_long_all", "noncomm_positions_short_all"


class CFTC(Connector):
    """Net non-commercial positions of one futures market."""

    name: ClassVar[str] = "cftc"
    base_url: ClassVar[str] = "https://publicreporting.cftc.gov/resource/"
    min_interval: ClassVar[float] = 0.25
    page_size: ClassVar[int] = 5_000
    default_start: ClassVar[str] = "1993-01-01"

    def _fetch(
        self, spec: SeriesSpec, lo: pd.Timestamp, hi: pd.Timestamp, released_since: Any
    ) -> pd.DataFrame:
        dataset, _, market = spec.code.partition("|")
        if not dataset or not market.isalnum():
            raise self.error(
                f"CFTC code must be 'dataset|market_code', got {spec.code!r}", series=spec.id
            )
        where = (
            f"cftc_contract_market_code='{market}' AND {DATE} >= '{lo:%Y-%m-%d}T00:00:00' "
            f"AND {DATE} <= '{hi:%Y-%m-%d}T23:59:59'"
        )

        def page(offset: int, size: int) -> list[dict[str, Any]]:
            params = {"$where": where, "$order": f"{DATE} ASC", "$limit": size, "$offset": offset}
            body = self.get_json(f"{dataset}.json", params, series=spec.id)
            if not isinstance(body, list):
                raise self.error(f"expected a JSON array, got {str(body)[:160]}", series=spec.id)
            return body

        return self.parse(spec, list(self.paginate(page, self.page_size)))

    def parse(self, spec: SeriesSpec, records: list[dict[str, Any]]) -> pd.DataFrame:
        """Rows: obs_date = the positions' Tuesday, value = long minus short."""
        if not records:
            return self.rows(spec, [], [])
        self.require(records[0], (DATE, LONG, SHORT), series=spec.id)
        frame = pd.DataFrame.from_records(records)
        dates = self.dates(frame[DATE].astype(str).str[:10], "%Y-%m-%d", series=spec.id)
        net = self.numbers(frame[LONG], series=spec.id) - self.numbers(frame[SHORT], series=spec.id)
        out = self.rows(spec, dates, net.to_numpy())
        return out.drop_duplicates("obs_date", keep="last").reset_index(drop=True)
