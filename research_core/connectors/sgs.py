"""BCB SGS (``api.bcb.gov.br/dados/serie/bcdata.sgs.{code}/dados``) and BCB FX flow.

SGS answers a JSON array of ``{"data": "dd/mm/yyyy", "valor": "12.25"}`` (both strings,
decimal point). Since March 2025 daily series need ``dataInicial`` and refuse windows over
10 years (HTTP 406), so every request here covers at most 10 years. HTTP 404 means an
unknown code or a window with no data; error pages may be HTML or XML, not JSON.
SGS keeps no revision history: the ingest builds it by noticing changed values.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd

from research_core.catalog import SeriesSpec
from research_core.connectors.base import Connector, date_windows

MAX_YEARS = 10


class SGS(Connector):
    """One SGS series per catalog code, fetched in windows of at most ten years."""

    name: ClassVar[str] = "bcb_sgs"
    base_url: ClassVar[str] = "https://api.bcb.gov.br/dados/serie/"
    min_interval: ClassVar[float] = 0.25
    default_start: ClassVar[str] = "1994-07-01"

    def sgs_code(self, spec: SeriesSpec) -> str:
        """The numeric SGS code behind ``spec``."""
        if not spec.code.isdigit():
            raise self.error(f"SGS code must be a number, got {spec.code!r}", series=spec.id)
        return spec.code

    def _fetch(
        self, spec: SeriesSpec, lo: pd.Timestamp, hi: pd.Timestamp, released_since: Any
    ) -> pd.DataFrame:
        code = self.sgs_code(spec)
        records: list[dict[str, Any]] = []
        refused = 0
        windows = date_windows(lo, hi, MAX_YEARS)
        for a, b in windows:
            params = {
                "formato": "json",
                "dataInicial": a.strftime("%d/%m/%Y"),
                "dataFinal": b.strftime("%d/%m/%Y"),
            }
            response = self.get(f"bcdata.sgs.{code}/dados", params, series=spec.id, ok=(404,))
            if response.status_code == 404:
                refused += 1
                continue
            body = self.decode_json(response, series=spec.id)
            if not isinstance(body, list):
                raise self.error(
                    f"expected a JSON array, got {type(body).__name__}: {str(body)[:160]}",
                    series=spec.id,
                )
            records.extend(body)
        if refused == len(windows) and not records:
            raise self.error(
                f"HTTP 404 for code {code} in every window {lo.date()}..{hi.date()}: "
                "unknown SGS code or no data in range",
                series=spec.id,
                status=404,
            )
        return self.parse(spec, records)

    def parse(self, spec: SeriesSpec, records: list[dict[str, Any]]) -> pd.DataFrame:
        """Observation rows from SGS records."""
        if not records:
            return self.rows(spec, [], [])
        for record in records[:1]:
            self.require(record, ("data", "valor"), series=spec.id)
        frame = pd.DataFrame.from_records(records)
        dates = self.dates(frame["data"], "%d/%m/%Y", series=spec.id)
        values = self.numbers(frame["valor"], series=spec.id, missing=("-",))
        if dates.duplicated().any():
            raise self.error("SGS answered the same date twice", series=spec.id)
        return self.rows(spec, dates, values)


class FXFlow(SGS):
    """BCB FX flow (fluxo cambial): weekly SGS series in US$ million, same wire format.

    Catalog codes are ``fluxo_cambial|<segment>``; the SGS numbers below come from the
    BCB's FX flow release tables and must be re-checked against the SGS catalogue
    (PROVENANCE: not confirmed here).
    """

    name: ClassVar[str] = "bcb_fx_flow"
    CODES: ClassVar[dict[str, str]] = {
        "fluxo_cambial|comercial": "22718",
        "fluxo_cambial|financeiro": "22719",
        "fluxo_cambial|total": "22720",
    }

    def sgs_code(self, spec: SeriesSpec) -> str:
        if spec.code.isdigit():
            return spec.code
        if spec.code not in self.CODES:
            raise self.error(
                f"unknown FX flow segment {spec.code!r}; known: {sorted(self.CODES)}",
                series=spec.id,
            )
        return self.CODES[spec.code]
