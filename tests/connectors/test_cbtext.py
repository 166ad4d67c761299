"""Central-bank text connectors: Copom communiqués/minutes (BCB site API), FOMC statements.

Copom communiqués: the REAL bodies of ../shared/data/real/bcb_copom_selic/comunicados (the
record the BCB API returned in ``conteudo[0]``; the downloader's added ``paragrafos`` list is
dropped and the ``{"conteudo": [...]}`` envelope put back, as the downloader read it).
Copom minutes and FOMC pages have no recording here: their bodies are WRITTEN from the
documented formats (BCB ``atas_detalhes`` record fields; the Board's press-release page,
``div#article`` with ``p.article__time``, ``h3.title``, ``p.releaseTime`` and paragraphs).
Release times are checked by hand against policy_meetings.yaml (Copom 21:00 Brasília,
FOMC 14:30 New York) and the BCB's minutes practice (08:00 on the Tuesday after).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pandas as pd
import pytest

from research_core.connectors.cbtext import CopomText, FOMCStatements
from research_core.errors import ConnectorError
from research_core.tone import tone

from .conftest import FAST, json_reply

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real" / "bcb_copom_selic"


def real_body(meeting: int) -> dict[str, object]:
    path = REAL / "comunicados" / f"com_{meeting}.json"
    if not path.exists():
        pytest.fail(f"shared data {path} is missing (../shared must sit beside the repo)")
    record = json.loads(path.read_text("utf-8"))
    record.pop("paragrafos")
    return {"conteudo": [record]}


def test_copom_communique_from_the_real_body_with_a_retry(server, sleeps):
    server.route("comunicados_detalhes", httpx.Response(503), json_reply(real_body(230)))
    doc = CopomText(transport=server.transport(), sleep=sleeps, retry=FAST).communique(230)
    assert server.params() == {"nro_reuniao": "230"} and len(server.requests) == 2
    assert (doc.meeting, doc.date, doc.kind) == (230, pd.Timestamp("2020-05-06"), "communique")
    # 2020-05-06 21:00 Brasília (UTC-3, no DST since 2019) = 2020-05-07 00:00 UTC
    assert doc.release_time == pd.Timestamp("2020-05-07 00:00", tz="UTC")
    assert doc.text.startswith("Em sua 230ª reunião, o Comitê de Política Monetária")
    assert "<" not in doc.text and doc.title == "Copom reduz a taxa Selic para 3,00% a.a."


def test_copom_unknown_meeting_and_missing_field_are_clear_errors(server):
    server.route("comunicados_detalhes", json_reply({"conteudo": []}))
    copom = CopomText(transport=server.transport(), retry=FAST)
    with pytest.raises(ConnectorError, match="no document for Copom meeting 999"):
        copom.communique(999)
    with pytest.raises(ConnectorError, match="lacks field"):
        copom.parse({"dataReferencia": "2020-05-06"})
    with pytest.raises(ConnectorError, match="not a copom decision day"):
        copom.parse({"dataReferencia": "2020-05-07", "textoComunicado": "<p>x</p>"})


def test_copom_minutes_written_from_the_documented_record(server):
    body = {
        "conteudo": [
            {
                "nro_reuniao": 230,
                "dataReferencia": "2020-05-06",
                "titulo": "230ª Reunião - 5-6 maio, 2020",
                "textoAta": (
                    "<p>A) Atualização da conjuntura econômica</p><p>1. A inflação recuou.</p>"
                ),
            }
        ]
    }
    server.route("atas_detalhes", json_reply(body))
    doc = CopomText(transport=server.transport(), retry=FAST).minutes(230)
    # no dataPublicacao: the Tuesday after Wednesday 2020-05-06 is 2020-05-12, 08:00 BRT
    assert doc.kind == "minutes" and doc.release_time == pd.Timestamp("2020-05-12 11:00", tz="UTC")
    assert doc.text == "A) Atualização da conjuntura econômica 1. A inflação recuou."


FOMC_PAGE = """<html><body><div id="content"><div id="article">
<div class="heading col-xs-12 col-sm-8 col-md-8">
<p class="article__time">March 20, 2024</p>
<h3 class="title"><em>Federal Reserve issues FOMC statement</em></h3>
<p class="releaseTime">For release at 2:00 p.m. EDT</p></div>
<div class="col-xs-12 col-sm-8 col-md-8">
<p>Recent indicators suggest that economic activity has been expanding at a solid pace.
Inflation has eased over the past year but remains elevated.</p>
<p>In support of its goals, the Committee decided to maintain the target range for the
federal funds rate at 5-1/4 to 5-1/2 percent.</p>
<p>Voting for the monetary policy action were Jerome H. Powell, Chair; John C. Williams.</p>
<p>For media inquiries, please email media@frb.gov or call 202-452-2955.</p>
</div></div></div></body></html>"""


def test_fomc_statement_from_a_page_in_the_documented_layout(server):
    server.route("monetary20240320a.htm", httpx.Response(200, text=FOMC_PAGE))
    doc = FOMCStatements(transport=server.transport(), retry=FAST).statement("2024-03-20")
    assert doc.title == "Federal Reserve issues FOMC statement"
    # 2024-03-20 14:30 New York (EDT, UTC-4) = 18:30 UTC
    assert doc.release_time == pd.Timestamp("2024-03-20 18:30", tz="UTC")
    assert doc.text.startswith("Recent indicators") and "media inquiries" not in doc.text
    r = tone(doc.text, "en")
    assert len(r.masked) == 2  # the decision and the vote
    assert all("target range" not in s for s in r.sentences)


def test_fomc_page_without_article_is_a_clear_error(server):
    server.route("monetary20240320a.htm", httpx.Response(200, text="<html>moved</html>"))
    with pytest.raises(ConnectorError, match="div#article"):
        FOMCStatements(transport=server.transport(), retry=FAST).statement("2024-03-20")
