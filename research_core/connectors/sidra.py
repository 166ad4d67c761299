"""IBGE SIDRA (``apisidra.ibge.gov.br/values/t/{table}/n1/all/v/{var}/p/{periods}``).

A JSON array whose first element is a header row mapping keys (``V``, ``D2C`` ...) to
labels; data rows use the same keys, all strings. Period codes are ``YYYYMM`` (monthly) or
``YYYYQQ`` (quarterly, ``202501`` = 2025Q1). Missing values are symbols (``...``, ``-``,
``X``). Catalog code: ``table/v/variable[/c<class>/<category>...]``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd

from research_core.catalog import SeriesSpec
from research_core.connectors.base import Connector

MISSING = ("...", "..", "-", "X", "x")
PERIOD_LABELS = ("Mês", "Trimestre", "Ano", "Month", "Quarter", "Year")


class SIDRA(Connector):
    """National (``n1``) series from a SIDRA table and variable."""

    name: ClassVar[str] = "ibge_sidra"
    base_url: ClassVar[str] = "https://apisidra.ibge.gov.br/values/"
    min_interval: ClassVar[float] = 0.25
    default_start: ClassVar[str] = "1995-01-01"

    def _fetch(
        self, spec: SeriesSpec, lo: pd.Timestamp, hi: pd.Timestamp, released_since: Any
    ) -> pd.DataFrame:
        table, _, rest = spec.code.partition("/v/")
        if not table.isdigit() or not rest:
            raise self.error(
                f"SIDRA code must be 'table/v/variable[...]', got {spec.code!r}", series=spec.id
            )
        periods = f"{period_code(lo, spec.frequency)}-{period_code(hi, spec.frequency)}"
        body = self.get_json(f"t/{table}/n1/all/v/{rest}/p/{periods}", series=spec.id)
        return self.parse(spec, body)

    def parse(self, spec: SeriesSpec, body: Any) -> pd.DataFrame:
        """Rows from a SIDRA answer (header row first)."""
        if not isinstance(body, list) or not body:
            raise self.error(
                f"expected a non-empty JSON array, got {str(body)[:160]}", series=spec.id
            )
        header, data = body[0], body[1:]
        self.require(header, ("V",), series=spec.id)
        period_key = next(
            (
                k
                for k, label in header.items()
                if k.endswith("C") and str(label).split(" (")[0] in PERIOD_LABELS
            ),
            None,
        )
        if period_key is None:
            raise self.error(f"no period dimension in header {header}", series=spec.id)
        if not data:
            return self.rows(spec, [], [])
        frame = pd.DataFrame.from_records(data)
        self.require(data[0], ("V", period_key), series=spec.id)
        dates = parse_period(frame[period_key], spec.frequency)
        if dates.isna().any():
            raise self.error(
                f"unreadable period codes {frame.loc[dates.isna(), period_key].head(3).tolist()}",
                series=spec.id,
            )
        values = self.numbers(frame["V"], series=spec.id, missing=MISSING)
        return self.rows(spec, dates, values)


def period_code(day: pd.Timestamp, frequency: str) -> str:
    """SIDRA period code of the period holding ``day``."""
    if frequency == "Q":
        return f"{day.year}{(day.month - 1) // 3 + 1:02d}"
    if frequency == "A":
        return f"{day.year}"
    return f"{day.year}{day.month:02d}"


def parse_period(codes: pd.Series, frequency: str) -> pd.Series:
    """Period start dates from SIDRA period codes."""
    text = codes.astype(str).str.strip()
    year = pd.to_numeric(text.str[:4], errors="coerce")
    if frequency == "A":
        month = pd.Series(1, index=text.index)
    else:
        sub = pd.to_numeric(text.str[4:6], errors="coerce")
        month = (sub - 1) * 3 + 1 if frequency == "Q" else sub
    bad = year.isna() | month.isna() | (month < 1) | (month > 12)
    stamps = pd.to_datetime(
        {"year": year.where(~bad, 2000), "month": month.where(~bad, 1), "day": 1}, errors="coerce"
    )
    return stamps.mask(bad)
