"""Tesouro Transparente (CKAN): Tesouro Direto rates/prices and STN fiscal data.

Both publish ``;``-separated CSV with decimal commas and ``dd/mm/yyyy`` dates. Tesouro
Direto's file (one per bond and day, unsorted, ``0,00`` where there was no offer) becomes
constant-maturity yields: catalog code ``Bond type|10Y|Column`` interpolates linearly in
years to maturity between the bonds whose type is exactly ``Bond type`` (``Tesouro IPCA+``
is the zero-coupon NTN-B Principal only; coupon bonds, ``... com Juros Semestrais``, have
their own type and a different yield), with no extrapolation. STN datasets are
found with CKAN ``package_show``; code ``dataset|column`` reads one column of the
dataset's CSV resource.
"""

from __future__ import annotations

import io
import re
import unicodedata
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from research_core.catalog import SeriesSpec
from research_core.connectors.base import Connector

CKAN = "https://www.tesourotransparente.gov.br/ckan/"
TD_CSV = (
    "dataset/df56aa42-484a-4a59-8184-7676580c81e3/resource/"
    "796d2059-14e9-44e3-80c9-2d9e30b405c1/download/PrecoTaxaTesouroDireto.csv"
)
TD_COLUMNS = ("Tipo Titulo", "Data Vencimento", "Data Base")


Window = tuple[pd.Timestamp, pd.Timestamp] | None  # [lo, hi] of the dates to keep; None: all


def _within(dates: pd.Series | pd.DatetimeIndex, window: Window) -> Any:
    """Which of ``dates`` fall in ``window`` (all of them when there is none)."""
    if window is None:
        return np.ones(len(dates), dtype=bool)
    return (dates >= window[0]) & (dates <= window[1])


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


class _CKAN(Connector):
    base_url: ClassVar[str] = CKAN
    min_interval: ClassVar[float] = 0.5

    def csv(self, path: str, *, series: str) -> pd.DataFrame:
        """A ``;``/decimal-comma CSV resource as strings."""
        response = self.get(path, series=series)
        text = response.text
        if not text.strip():
            raise self.error("empty CSV", series=series)
        if text.lstrip().startswith(("<", "{")):
            raise self.error(f"expected CSV, got {text.strip()[:80]!r}", series=series)
        try:
            return pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise self.error(f"malformed CSV: {exc}", series=series) from None


class TesouroDireto(_CKAN):
    """Constant-maturity yields from the Tesouro Direto price and rate history."""

    name: ClassVar[str] = "tesouro_direto"
    default_start: ClassVar[str] = "2002-01-01"

    def _fetch(
        self, spec: SeriesSpec, lo: pd.Timestamp, hi: pd.Timestamp, released_since: Any
    ) -> pd.DataFrame:
        raw = self.csv(TD_CSV, series=spec.id)
        return self.parse(spec, raw, (lo, hi))

    def parse(self, spec: SeriesSpec, raw: pd.DataFrame, window: Window = None) -> pd.DataFrame:
        """Interpolated yields for ``spec`` from the raw CSV frame."""
        try:
            bond, tenor, column = spec.code.split("|")
            years = float(tenor.rstrip("Y"))
        except ValueError:
            raise self.error(
                f"code must be 'Bond type|<n>Y|Column', got {spec.code!r}", series=spec.id
            ) from None
        self.require(dict.fromkeys(raw.columns), (*TD_COLUMNS, column), series=spec.id)
        types = raw["Tipo Titulo"].str.strip()
        frame = raw.loc[types == bond]
        if frame.empty and len(raw):
            raise self.error(
                f"no bonds of type {bond!r}; the file has {sorted(set(types))}", series=spec.id
            )
        base = self.dates(frame["Data Base"], "%d/%m/%Y", series=spec.id)
        maturity = self.dates(frame["Data Vencimento"], "%d/%m/%Y", series=spec.id)
        rate = self.numbers(frame[column], series=spec.id, decimal=",").to_numpy()
        table = pd.DataFrame(
            {"base": base, "ttm": (maturity - base).days.to_numpy() / 365.25, "rate": rate}
        )
        table = table.loc[(table["rate"] > 0) & (table["ttm"] > 0) & _within(table["base"], window)]
        dates, values = [], []
        for day, group in table.groupby("base", sort=True):
            curve = group.groupby("ttm")["rate"].mean().sort_index()
            x = curve.index.to_numpy()
            if len(x) and x[0] <= years <= x[-1]:
                dates.append(day)
                values.append(float(np.interp(years, x, curve.to_numpy())))
        return self.rows(spec, dates, values)


class STN(_CKAN):
    """A column of an STN dataset's CSV resource (found with CKAN ``package_show``)."""

    name: ClassVar[str] = "stn"
    default_start: ClassVar[str] = "1997-01-01"
    DATASETS: ClassVar[dict[str, str]] = {"RTN": "resultado-do-tesouro-nacional"}

    def resource_url(self, dataset: str, *, series: str) -> str:
        """URL of the newest CSV resource of a CKAN dataset."""
        body = self.get_json("api/3/action/package_show", {"id": dataset}, series=series, ok=())
        if not isinstance(body, dict) or not body.get("success"):
            error = body.get("error") if isinstance(body, dict) else body
            raise self.error(f"CKAN package_show({dataset!r}) failed: {error}", series=series)
        resources = [
            r
            for r in body["result"].get("resources", [])
            if str(r.get("format", "")).upper() == "CSV"
        ]
        if not resources:
            raise self.error(f"dataset {dataset!r} has no CSV resource", series=series)
        newest: dict[str, Any] = max(
            resources, key=lambda r: str(r.get("last_modified") or r.get("created") or "")
        )
        self.require(newest, ("url",), series=series)
        return str(newest["url"])

    def _fetch(
        self, spec: SeriesSpec, lo: pd.Timestamp, hi: pd.Timestamp, released_since: Any
    ) -> pd.DataFrame:
        dataset, _, column = spec.code.partition("|")
        if not column:
            raise self.error(
                f"STN code must be 'dataset|column', got {spec.code!r}", series=spec.id
            )
        url = self.resource_url(self.DATASETS.get(dataset, dataset), series=spec.id)
        return self.parse(spec, self.csv(url, series=spec.id), (lo, hi))

    def parse(self, spec: SeriesSpec, raw: pd.DataFrame, window: Window = None) -> pd.DataFrame:
        """Rows from a fiscal CSV: first column the period (``mm/yyyy``, ``dd/mm/yyyy`` or ISO)."""
        column = spec.code.partition("|")[2]
        slugs = {_slug(c): c for c in raw.columns}
        if _slug(column) not in slugs:
            raise self.error(
                f"CSV has no column {column!r}; columns: {list(slugs)[:12]}", series=spec.id
            )
        period = raw[raw.columns[0]].astype(str).str.strip()
        dates = None
        for fmt in ("%m/%Y", "%d/%m/%Y", "%Y-%m-%d", "%Y-%m"):
            parsed = pd.to_datetime(period, format=fmt, errors="coerce")
            if parsed.notna().all():
                dates = pd.DatetimeIndex(parsed).to_period("M").to_timestamp()
                break
        if dates is None:
            raise self.error(
                f"unreadable periods in first column, e.g. {period.head(3).tolist()}",
                series=spec.id,
            )
        values = self.numbers(
            raw[slugs[_slug(column)]], series=spec.id, decimal=",", missing=("-",)
        )
        keep = np.asarray(_within(dates, window), dtype=bool)
        return self.rows(spec, dates[keep], values.to_numpy()[keep])
