"""Focus monthly expectations, reference ``NEXT``: the month the IPCA has not yet printed.

Bodies are written from the documented Olinda format of ``ExpectativaMercadoMensais``
(one row per survey day and reference month ``MM/YYYY``); no recording is stored.
"""

from __future__ import annotations

import pytest

from research_core.errors import ConnectorError

from .conftest import json_reply, spec


def monthly(day: str, ref: str, median: float) -> dict:
    return {
        "Indicador": "IPCA",
        "Data": day,
        "DataReferencia": ref,
        "Media": median,
        "Mediana": median,
        "DesvioPadrao": 0.05,
        "Minimo": 0.1,
        "Maximo": 0.9,
        "numeroRespondentes": 80,
        "baseCalculo": 0,
    }


def test_next_keeps_the_month_not_yet_released(server, make):
    # October 2026 IPCA: 6th B3 session after 2026-10-31, counted by hand skipping the
    # 2026-11-02 holiday (Finados): Nov 3, 4, 5, 6, 9, 10 -> released 2026-11-10 09:00.
    # Surveys of the week ending Fri 2026-11-06 still forecast October; those of the
    # week ending 2026-11-13 (after the print) forecast November.
    records = [
        monthly(day, ref, value)
        for day in ("2026-11-05", "2026-11-06", "2026-11-12", "2026-11-13")
        for ref, value in (("10/2026", 0.10), ("11/2026", 0.20), ("12/2026", 0.30))
    ]
    records = [
        {**r, "Mediana": r["Mediana"] + (0.01 if r["Data"].endswith(("06", "13")) else 0)}
        for r in records
    ]
    server.route("ExpectativaMercadoMensais", json_reply({"value": records}))
    rows = make("bcb_focus").fetch(spec("BR.FOCUS.IPCA.MOM"), "2026-11-01", "2026-11-15")
    assert rows["obs_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-11-06", "2026-11-13"]
    assert rows["value"].tolist() == pytest.approx([0.11, 0.21])
    assert "Indicador eq 'IPCA'" in server.requests[0].url.params["$filter"]


def test_next_needs_a_known_monthly_indicator(server, make):
    server.route(
        "ExpectativaMercadoMensais", json_reply({"value": [monthly("2026-11-06", "10/2026", 0.1)]})
    )
    bad = spec("BR.FOCUS.IPCA.MOM", code="ExpectativaMercadoMensais|IGP-M|NEXT|Mediana")
    with pytest.raises(ConnectorError, match="NEXT needs a monthly indicator"):
        make("bcb_focus").fetch(bad, "2026-11-01", "2026-11-15")
