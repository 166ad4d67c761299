"""Central-bank texts: Copom communiqués and minutes (BCB site API), FOMC statements (Fed).

BCB: ``www.bcb.gov.br/api/servico/sitebcb/copom/comunicados_detalhes?nro_reuniao=N`` and
``.../atas_detalhes?nro_reuniao=N`` answer ``{"conteudo": [{"nro_reuniao", "dataReferencia",
"titulo", "textoComunicado" | "textoAta" (HTML), ...}]}``; an unknown meeting answers an
empty ``conteudo``. Fed: ``www.federalreserve.gov/newsevents/pressreleases/monetary
YYYYMMDDa.htm`` is an HTML page whose ``div#article`` holds the date, the title and the
statement paragraphs.

Release times come from the meeting calendar (``policy_meetings.yaml``): a communiqué or
statement is public at its decision's announcement. Copom minutes are published the
Tuesday after the meeting at 08:00 Brasília (BCB practice since 2006; ``dataPublicacao``
when the API gives it).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
from bs4 import BeautifulSoup

from research_core.catalog import policy_decisions
from research_core.connectors.base import Connector
from research_core.errors import CatalogError

_TAGS = re.compile(r"<[^>]+>")


def strip_html(text: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(_TAGS.sub(" ", text)).split())


BANKS = {"copom": "America/Sao_Paulo", "fomc": "America/New_York"}


@dataclass(frozen=True)
class PolicyText:
    """One central-bank document, with the instant it became public."""

    bank: str  # "copom" | "fomc"
    kind: str  # "communique" | "minutes" | "statement"
    date: pd.Timestamp  # the decision (meeting) date
    release_time: pd.Timestamp  # UTC
    text: str  # plain text
    title: str = ""
    meeting: int | None = None

    @property
    def language(self) -> str:
        return "pt" if self.bank == "copom" else "en"


def decision_release(bank: str, date: Any) -> pd.Timestamp:
    """The announcement instant (UTC) of ``bank``'s decision on ``date``, from the calendar."""
    day = pd.Timestamp(date).normalize()
    stamps = policy_decisions(bank)
    local = stamps.tz_convert(BANKS[bank])
    hit = stamps[(local.tz_localize(None).normalize() == day)]
    if len(hit) != 1:
        raise CatalogError(f"{day.date()} is not a {bank} decision day in policy_meetings.yaml")
    return pd.Timestamp(hit[0])


class CopomText(Connector):
    """Copom communiqués and minutes from the BCB site API, one meeting per request."""

    name: ClassVar[str] = "bcb_copom"
    base_url: ClassVar[str] = "https://www.bcb.gov.br/api/servico/sitebcb/copom/"
    min_interval: ClassVar[float] = 0.25

    def communique(self, meeting: int) -> PolicyText:
        """The decision communiqué of meeting ``meeting`` (46 onwards)."""
        body = self.get_json("comunicados_detalhes", {"nro_reuniao": int(meeting)})
        return self.parse(self._record(body, meeting), kind="communique")

    def minutes(self, meeting: int) -> PolicyText:
        """The minutes (ata) of meeting ``meeting``."""
        body = self.get_json("atas_detalhes", {"nro_reuniao": int(meeting)})
        return self.parse(self._record(body, meeting), kind="minutes")

    def _record(self, body: Any, meeting: int) -> dict[str, Any]:
        rows = body.get("conteudo") if isinstance(body, dict) else None
        if not rows or not isinstance(rows, list):
            raise self.error(f"no document for Copom meeting {meeting} (empty 'conteudo')")
        return dict(rows[0])

    def parse(self, record: dict[str, Any], *, kind: str = "communique") -> PolicyText:
        """A :class:`PolicyText` from one API record (as stored by the BCB site API)."""
        field = "textoComunicado" if kind == "communique" else "textoAta"
        self.require(record, ("dataReferencia", field), series=f"copom {kind}")
        date = pd.Timestamp(record["dataReferencia"]).normalize()
        if kind == "communique":
            try:
                released = decision_release("copom", date)
            except CatalogError as err:
                raise self.error(str(err), series="copom communique") from None
        else:
            published = record.get("dataPublicacao")
            day = (
                pd.Timestamp(published).normalize()
                if published
                else date + pd.offsets.Week(weekday=1)  # the Tuesday after
            )
            released = (day + pd.Timedelta(hours=8)).tz_localize(BANKS["copom"]).tz_convert("UTC")
        text = strip_html(str(record[field] or ""))
        if not text:
            raise self.error(f"empty {field} for meeting {record.get('nro_reuniao')}")
        meeting = record.get("nro_reuniao") or record.get("nroReuniao")
        return PolicyText(
            "copom", kind, date, released, text, str(record.get("titulo", "")),
            int(meeting) if meeting is not None else None,
        )  # fmt: skip


class FOMCStatements(Connector):
    """FOMC post-meeting statements from the Board's press-release pages."""

    name: ClassVar[str] = "fed_fomc"
    base_url: ClassVar[str] = "https://www.federalreserve.gov/newsevents/pressreleases/"
    min_interval: ClassVar[float] = 0.5

    def statement(self, date: Any) -> PolicyText:
        """The statement released on decision day ``date``."""
        day = pd.Timestamp(date)
        response = self.get(f"monetary{day:%Y%m%d}a.htm", series="fomc statement")
        return self.parse(response.text, day)

    def parse(self, page: str, date: Any) -> PolicyText:
        """A :class:`PolicyText` from a press-release page (``div#article`` paragraphs)."""
        soup = BeautifulSoup(page, "html.parser")
        article = soup.find("div", id="article")
        if article is None:
            raise self.error("page has no div#article (the Board may have changed its layout)")
        title_tag = article.find(class_="title")
        paras = []
        for p in article.find_all("p"):
            classes = set(p.get_attribute_list("class") or [])
            text = " ".join(p.get_text(" ").split())
            if not text or {"article__time", "releaseTime"} & classes:
                continue
            if text.startswith(("For media inquiries", "Implementation Note")):
                break
            paras.append(text)
        if not paras:
            raise self.error(f"no statement paragraphs on the page for {pd.Timestamp(date).date()}")
        day = pd.Timestamp(date).normalize()
        try:
            released = decision_release("fomc", day)
        except CatalogError as err:
            raise self.error(str(err), series="fomc statement") from None
        title = " ".join(title_tag.get_text(" ").split()) if title_tag else ""
        return PolicyText("fomc", "statement", day, released, "\n".join(paras), title)
