"""DI curve sources: B3's DI1 settlement prices and the BCB's DI × pré swap reference rates.

* B3 "Ajustes do pregão" (www2.bmf.com.br/pages/portal/bmfbovespa/lumis/
  lum-ajustes-do-pregao-ptBR.asp): an HTML table with the columns Mercadoria, Vencimento,
  Preço de ajuste anterior, Preço de ajuste Atual, Variação, Valor do ajuste por contrato
  (R$); the commodity ("DI1 - DI de 1 dia") is written on its first row only, numbers are
  Brazilian (``95.123,45``), a maturity is a month code and year (``F27``: January 2027;
  F G H J K M N Q U V X Z = January..December). A DI1 expires on the first B3 business day
  of its month; its settlement PU = 100,000 / (1 + r)^(du/252), du the B3 sessions from the
  session (inclusive) to the expiry (exclusive), so r = (100,000 / PU)^(252/du) − 1.
  Released at the session's close (the catalog's ``b3_close`` rule, as the lake's DI).
* BCB SGS 7805–7816: "Taxa referencial de swaps DI pré-fixada (BM&F)" for 30, 60, …, 360
  calendar days (% a.a., 252 business days), in the SGS JSON format of
  :mod:`research_core.connectors.sgs`; released the next business day at 09:00 like the
  catalog's other daily SGS series (``sgs_next_day``).
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import numpy as np
import pandas as pd

from research_core.calendars import B3_SESSIONS_PER_YEAR, business_days, roll_forward
from research_core.catalog import SeriesSpec
from research_core.connectors.base import to_float
from research_core.connectors.sgs import SGS
from research_core.errors import ConnectorError

MONTH_CODES = "FGHJKMNQUVXZ"
PU_FACE = 100_000.0
SOURCE = "b3_ajustes"
CLOSE = {"rule": "close", "time": "18:00", "tz": "America/Sao_Paulo", "calendar": "B3"}
SGS_NEXT_DAY = {"rule": "after_period", "lag_bdays": 1, "time": "09:00",
                "tz": "America/Sao_Paulo", "calendar": "B3"}  # fmt: skip
DI_PRE_SGS = {str(7805 + i): 30 * (i + 1) for i in range(12)}  # SGS code -> calendar days
COLUMNS = ("Mercadoria", "Vencimento", "Preço de ajuste anterior", "Preço de ajuste Atual",
           "Variação", "Valor do ajuste por contrato (R$)")  # fmt: skip


def di_pre_specs() -> dict[str, SeriesSpec]:
    """The 12 SGS swap series as specs (id ``BR.DIPRE.SGS.<days>D``), for ingest/register."""
    return {
        code: SeriesSpec.from_dict(
            {
                "id": f"BR.DIPRE.SGS.{days:03d}D", "source": "bcb_sgs", "code": code,
                "name": f"DI x pre swap reference rate, {days} calendar days (BM&F, via SGS)",
                "frequency": "D", "units": "% p.a.", "country": "BR", "category": "rates_curve",
                "release": SGS_NEXT_DAY,
            },
            where="connectors.b3",
        )
        for code, days in DI_PRE_SGS.items()
    }  # fmt: skip


def parse_di_pre(bodies: dict[str, list[dict[str, Any]]]) -> pd.DataFrame:
    """Observation rows of the SGS swap series from their JSON answers, by SGS code."""
    specs, sgs = di_pre_specs(), SGS()
    try:
        unknown = sorted(set(bodies) - set(specs))
        if unknown:
            raise ConnectorError("bcb_sgs", f"codes {unknown} are not DI × pré swaps 7805-7816")
        return pd.concat([sgs.parse(specs[c], b) for c, b in bodies.items()], ignore_index=True)
    finally:
        sgs.close()


class _Cells(HTMLParser):
    """The text of every table row's cells."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _table(html: str) -> pd.DataFrame:
    parser = _Cells()
    parser.feed(html)
    rows = [r for r in parser.rows if r]
    head = next((i for i, r in enumerate(rows) if r[:2] == list(COLUMNS[:2])), None)
    if head is None or rows[head] != list(COLUMNS):
        raise ConnectorError(SOURCE, f"no settlement table with the columns {list(COLUMNS)}")
    body = [r for r in rows[head + 1 :] if len(r) == len(COLUMNS)]
    frame = pd.DataFrame(body, columns=list(COLUMNS))
    frame["Mercadoria"] = frame["Mercadoria"].replace("", np.nan).ffill()
    return frame


def expiry(code: str) -> pd.Timestamp:
    """A DI1 maturity code (``F27``) → its expiry, the first B3 session of the month."""
    if len(code) != 3 or code[0] not in MONTH_CODES or not code[1:].isdigit():
        raise ConnectorError(SOURCE, f"maturity code {code!r} is not a month letter + 2 digits")
    first = pd.Timestamp(2000 + int(code[1:]), MONTH_CODES.index(code[0]) + 1, 1)
    return pd.Timestamp(roll_forward(pd.DatetimeIndex([first]), "B3")[0])


def parse_di1_settlements(html: str, session: object) -> pd.DataFrame:
    """DI1 rows of a settlement page for ``session``: contract, expiry, business_days,
    settlement_pu, rate_pct (% a.a., 252), release_time (UTC)."""
    day = pd.Timestamp(session).normalize()  # type: ignore[arg-type]
    frame = _table(html)
    frame = frame[frame["Mercadoria"].str.startswith("DI1")]
    if frame.empty:
        raise ConnectorError(SOURCE, f"no DI1 rows in the settlement table of {day.date()}")
    try:
        pu = to_float(frame["Preço de ajuste Atual"].str.replace(".", "", regex=False),
                      decimal=",").to_numpy()  # fmt: skip
    except ValueError as exc:
        raise ConnectorError(SOURCE, f"DI1 settlement prices: {exc}") from None
    expiries = pd.DatetimeIndex([expiry(c) for c in frame["Vencimento"]])
    sessions = business_days("B3").values
    du = np.searchsorted(sessions, expiries.values) - np.searchsorted(sessions, day.to_datetime64())
    live = du > 0
    spec = SeriesSpec.from_dict(
        {"id": "BR.DI1.SETTLEMENT", "name": "DI1 settlement", "source": SOURCE, "code": "DI1",
         "frequency": "D", "units": "% p.a.", "country": "BR", "category": "rates_curve",
         "release": CLOSE}, where="connectors.b3",
    )  # fmt: skip
    return pd.DataFrame(
        {
            "contract": ("DI1" + frame["Vencimento"]).to_numpy()[live],
            "expiry": expiries[live],
            "business_days": du[live],
            "settlement_pu": pu[live],
            "rate_pct": ((PU_FACE / pu[live]) ** (B3_SESSIONS_PER_YEAR / du[live]) - 1.0) * 100.0,
            "release_time": spec.release_times(pd.DatetimeIndex([day] * int(live.sum()))),
        }
    )
