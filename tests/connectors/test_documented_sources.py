"""Contract tests for sources with NO real recorded body: BCB SGS (success bodies), PTAX,
Focus, IBGE SIDRA, STN CKAN, CFTC Socrata, US Treasury XML and BCB FX flow.

Every body here is WRITTEN from the formats documented in ../shared/fixtures/api/PROVENANCE.md
(python-bcb docs, OData/CKAN/Socrata conventions, Treasury feed shape). The two SGS error
bodies (406 ten-year window, 400 "ultimos") are REAL, quoted by the python-bcb maintainer.
"""

from __future__ import annotations

import httpx
import pandas as pd
import pytest

from research_core.errors import ConnectorError

from .conftest import fixture_text, json_reply, spec


# ---- BCB SGS ---------------------------------------------------------------------------
def sgs_enforcing_ten_years(values: dict[str, str]):
    """An SGS stand-in that refuses windows over 10 years with the REAL 406 body."""
    refusal = fixture_text("bcb_sgs/error_406_daily_series_window_over_10y.json")

    def reply(request: httpx.Request) -> httpx.Response:
        p = request.url.params
        if "dataInicial" not in p:
            return json_reply(refusal, 406)
        lo = pd.Timestamp(pd.to_datetime(p["dataInicial"], format="%d/%m/%Y"))
        hi = pd.Timestamp(pd.to_datetime(p["dataFinal"], format="%d/%m/%Y"))
        if hi - lo > pd.Timedelta(days=3653):
            return json_reply(refusal, 406)
        data = [
            {"data": f"{d:%d/%m/%Y}", "valor": v}
            for d, v in ((pd.Timestamp(k), v) for k, v in values.items())
            if lo <= d <= hi
        ]
        return json_reply(data) if data else json_reply([], 404)

    return reply


def ipca(server, make, reply, start="2026-09-01", end="2026-10-31"):  # type: ignore[no-untyped-def]
    """IPCA (SGS 433) from ``start`` to ``end``, the server answering ``reply``."""
    server.routes.clear()
    server.route("bcdata.sgs.433", reply)
    return make("bcb_sgs").fetch(spec("BR.IPCA.MOM"), start, end)


def test_sgs_daily_history_in_ten_year_windows(server, make):
    days = pd.bdate_range("1999-01-04", "2026-11-20")
    values = {f"{d:%Y-%m-%d}": f"{10 + i / 10000:.4f}" for i, d in enumerate(days)}
    server.route("bcdata.sgs.432", sgs_enforcing_ten_years(values))
    rows = make("bcb_sgs").fetch(spec("BR.SELIC.TARGET"), "1999-01-01", "2026-11-20")
    assert len(rows) == len(days) and rows["obs_date"].is_unique
    assert rows["value"].iloc[-1] == pytest.approx(10 + (len(days) - 1) / 10000)
    assert len(server.requests) == 3
    # Release rule copom (issue 13): midnight Sao Paulo of the date itself, and on a Copom
    # decision day (1999-01-18, BCB meeting calendar) 21:00, after the announcement.
    local = rows.set_index("obs_date")["release_time"].dt.tz_convert("America/Sao_Paulo")
    first, decision = local.loc["1999-01-04"], local.loc["1999-01-18"]
    assert (first.date(), first.hour) == (pd.Timestamp("1999-01-04").date(), 0)
    assert (decision.date(), decision.hour) == (pd.Timestamp("1999-01-18").date(), 21)


def test_sgs_ten_year_refusal_is_a_clear_error(server, make):
    server.route(
        "bcdata.sgs.432",
        json_reply(fixture_text("bcb_sgs/error_406_daily_series_window_over_10y.json"), 406),
    )
    with pytest.raises(ConnectorError, match="no máximo, 10 anos") as info:
        make("bcb_sgs").fetch(spec("BR.SELIC.TARGET"), "2020-01-01", "2020-02-01")
    assert info.value.status == 406


def test_sgs_400_body(server, make):
    reply = json_reply(fixture_text("bcb_sgs/error_400_ultimos_max_20.json"), 400)
    with pytest.raises(ConnectorError, match="quantidade máxima de valores deve ser 20"):
        ipca(server, make, reply, "2024-01-01", "2024-03-01")


def test_sgs_404_everywhere_is_unknown_code(server, make):
    reply = httpx.Response(404, text="<html>Not Found</html>")
    with pytest.raises(ConnectorError, match="unknown SGS code or no data"):
        ipca(server, make, reply, "2024-01-01", "2024-03-01")


def test_sgs_monthly_release_rule_ipca(server, make):
    """IPCA for a month is public on about the 6th business day after it, 09:00 Sao Paulo."""
    body = [{"data": "01/09/2026", "valor": "0.48"}, {"data": "01/10/2026", "valor": "0.09"}]
    rows = ipca(server, make, json_reply(body))
    local = rows["release_time"].dt.tz_convert("America/Sao_Paulo")
    assert [t.strftime("%Y-%m-%d %H:%M") for t in local] == ["2026-10-08 09:00", "2026-11-10 09:00"]
    assert rows["value"].tolist() == [0.48, 0.09]


def test_sgs_malformed_values(server, make):
    with pytest.raises(ConnectorError, match="not numbers"):
        ipca(server, make, json_reply([{"data": "01/09/2026", "valor": "abc"}]))
    with pytest.raises(ConnectorError, match="lacks field"):
        ipca(server, make, json_reply([{"date": "01/09/2026", "valor": "0.1"}]))


def test_fx_flow_uses_sgs_wire_format(server, make):
    body = [{"data": "06/11/2026", "valor": "-1234.5"}, {"data": "13/11/2026", "valor": "987.0"}]
    server.route("bcdata.sgs.", json_reply(body))
    rows = make("bcb_fx_flow").fetch(spec("BR.FXFLOW.FINANCIAL"), "2026-11-01", "2026-11-20")
    assert rows["value"].tolist() == [-1234.5, 987.0] and rows["source"].eq("bcb_fx_flow").all()


# ---- PTAX ------------------------------------------------------------------------------
PTAX_BODY = {
    "@odata.context": "https://was-p.bcnet.bcb.gov.br/olinda/servico/PTAX/versao/v1/odata$metadata#_CotacaoDolarPeriodo",
    "value": [
        {
            "cotacaoCompra": 5.16200,
            "cotacaoVenda": 5.16260,
            "dataHoraCotacao": "2021-01-04 13:07:33.461",
        },
        {
            "cotacaoCompra": 5.26820,
            "cotacaoVenda": 5.26880,
            "dataHoraCotacao": "2021-01-05 13:11:27.7",
        },
        {"cotacaoCompra": 5.31, "cotacaoVenda": 5.3106, "dataHoraCotacao": "2021-01-06 13:04:01"},
    ],
}


def test_ptax_release_is_the_bulletin_time(server, make):
    server.route("CotacaoDolarPeriodo", json_reply(PTAX_BODY))
    rows = make("bcb_ptax").fetch(spec("BRL.USD.PTAX"), "2021-01-04", "2021-01-06")
    assert rows["value"].tolist() == [5.1626, 5.2688, 5.3106]
    first = rows["release_time"].iloc[0].tz_convert("America/Sao_Paulo")
    assert first.strftime("%Y-%m-%d %H:%M:%S") == "2021-01-04 13:07:33"
    assert server.params()["@dataInicial"] == "'01-04-2021'"  # OData dates are 'MM-DD-YYYY'


def test_ptax_empty_day_and_bulletins(server, make):
    server.route("CotacaoDolarPeriodo", json_reply({"value": []}))
    assert make("bcb_ptax").fetch(spec("BRL.USD.PTAX"), "2021-01-01", "2021-01-01").empty
    body = {
        "value": [
            {
                "cotacaoVenda": 5.20,
                "dataHoraCotacao": "2021-01-04 10:09:00.1",
                "tipoBoletim": "Abertura",
            },
            {
                "cotacaoVenda": 5.25,
                "dataHoraCotacao": "2021-01-04 13:07:33.461",
                "tipoBoletim": "Fechamento",
            },
        ]
    }
    server.route("CotacaoMoedaPeriodo", json_reply(body))
    rows = make("bcb_ptax").fetch(
        spec("BRL.USD.PTAX", code="CotacaoMoedaPeriodo:EUR|cotacaoVenda|Fechamento"),
        "2021-01-04",
        "2021-01-04",
    )
    assert rows["value"].tolist() == [5.25]


# ---- Focus -----------------------------------------------------------------------------
def focus_record(day: str, ref: str, median: float, base: int = 0) -> dict:
    return {
        "Indicador": "IPCA",
        "IndicadorDetalhe": None,
        "Data": day,
        "DataReferencia": ref,
        "Media": median + 0.01,
        "Mediana": median,
        "DesvioPadrao": 0.3,
        "Minimo": 3.0,
        "Maximo": 6.0,
        "numeroRespondentes": 120,
        "baseCalculo": base,
    }


def test_focus_reference_year_and_weekly_dating(server, make):
    records = [
        focus_record("2026-11-12", "2026", 4.50),
        focus_record("2026-11-12", "2027", 4.00),
        focus_record("2026-11-13", "2026", 4.55),
        focus_record("2026-11-13", "2027", 4.05),
        focus_record("2026-11-13", "2027", 9.99, base=1),  # last-30-days base: ignored
        focus_record("2026-11-20", "2026", 4.60),
        focus_record("2026-11-20", "2027", 4.10),
    ]
    pages = [json_reply({"value": records[:4]}), json_reply({"value": records[4:]})]
    server.route("ExpectativasMercadoAnuais", *pages)
    conn = make("bcb_focus")
    conn.page_size = 4  # exercise $top/$skip paging
    rows = conn.fetch(spec("BR.FOCUS.IPCA.2027"), "2026-11-01", "2026-11-20")
    assert rows["obs_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-11-13", "2026-11-20"]
    assert rows["value"].tolist() == [4.05, 4.10]
    monday = rows["release_time"].iloc[0].tz_convert("America/Sao_Paulo")
    assert monday.strftime("%a %H:%M") == "Mon 08:25"
    assert [r.url.params["$skip"] for r in server.requests] == ["0", "4"]
    assert "Indicador eq 'IPCA'" in server.requests[0].url.params["$filter"]
    server.routes.clear()
    server.route("ExpectativasMercadoAnuais", json_reply({"value": records}))
    conn.page_size = 5000
    cy = conn.fetch(spec("BR.FOCUS.IPCA.CY"), "2026-11-01", "2026-11-20")
    assert cy["value"].tolist() == [4.55, 4.60]


def test_focus_bad_code_and_missing_statistic(server, make):
    with pytest.raises(ConnectorError, match="statistic"):
        make("bcb_focus").fetch(
            spec("BR.FOCUS.IPCA.CY", code="ExpectativasMercadoAnuais|IPCA|CY|Median")
        )
    record = focus_record("2026-11-13", "2026", 4.5)
    del record["Mediana"]
    server.route("ExpectativasMercadoAnuais", json_reply({"value": [record]}))
    with pytest.raises(ConnectorError, match="Mediana"):
        make("bcb_focus").fetch(spec("BR.FOCUS.IPCA.CY"), "2026-11-01", "2026-11-20")


# ---- IBGE SIDRA -------------------------------------------------------------------------
SIDRA_HEADER = {
    "NC": "Nível Territorial (Código)",
    "NN": "Nível Territorial",
    "MC": "Unidade de Medida (Código)",
    "MN": "Unidade de Medida",
    "V": "Valor",
    "D1C": "Brasil (Código)",
    "D1N": "Brasil",
    "D2C": "Mês (Código)",
    "D2N": "Mês",
    "D3C": "Variável (Código)",
    "D3N": "Variável",
}


def sidra_row(period: str, value: str) -> dict:
    return {
        "NC": "1",
        "NN": "Brasil",
        "MC": "2",
        "MN": "%",
        "V": value,
        "D1C": "1",
        "D1N": "Brasil",
        "D2C": period,
        "D2N": period,
        "D3C": "355",
        "D3N": "IPCA-15 - Variação mensal",
    }


def test_sidra_header_row_and_missing_symbols(server, make):
    body = [
        SIDRA_HEADER,
        sidra_row("202608", "0.16"),
        sidra_row("202609", "..."),
        sidra_row("202610", "-0.05"),
    ]
    server.route("/values/t/3065/n1/all/v/355/p/202608-202610", json_reply(body))
    rows = make("ibge_sidra").fetch(spec("BR.IPCA15.MOM"), "2026-08-01", "2026-10-31")
    assert rows["obs_date"].dt.strftime("%Y-%m").tolist() == ["2026-08", "2026-10"]
    assert rows["value"].tolist() == [0.16, -0.05]


def test_sidra_quarterly_codes(server, make):
    header = {**SIDRA_HEADER, "D2C": "Trimestre (Código)", "D2N": "Trimestre"}
    body = [header, sidra_row("202601", "0.4"), sidra_row("202602", "0.6")]
    server.route("/values/t/5932/", json_reply(body))
    rows = make("ibge_sidra").fetch(spec("BR.GDP.QOQ"), "2026-01-01", "2026-06-30")
    assert rows["obs_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-01", "2026-04-01"]
    assert "/p/202601-202602" in server.requests[0].url.path


def test_sidra_empty_body_and_renamed_value(server, make):
    server.route("/values/t/3065/", json_reply([]))
    with pytest.raises(ConnectorError, match="non-empty JSON array"):
        make("ibge_sidra").fetch(spec("BR.IPCA15.MOM"), "2026-08-01", "2026-10-31")
    server.routes.clear()
    header = {k: v for k, v in SIDRA_HEADER.items() if k != "V"} | {"Valor": "Valor"}
    server.route("/values/t/3065/", json_reply([header]))
    with pytest.raises(ConnectorError, match="'V'"):
        make("ibge_sidra").fetch(spec("BR.IPCA15.MOM"), "2026-08-01", "2026-10-31")


# ---- STN / CKAN -------------------------------------------------------------------------
def ckan_envelope(url: str) -> dict:
    return {
        "help": "https://www.tesourotransparente.gov.br/ckan/api/3/action/help_show?name=package_show",
        "success": True,
        "result": {
            "name": "resultado-do-tesouro-nacional",
            "resources": [
                {
                    "id": "a1",
                    "name": "RTN mensal (antigo)",
                    "format": "CSV",
                    "url": url + "?old",
                    "last_modified": "2024-01-30T10:00:00",
                },
                {
                    "id": "a2",
                    "name": "RTN mensal",
                    "format": "CSV",
                    "url": url,
                    "last_modified": "2026-10-29T14:30:00",
                },
                {
                    "id": "a3",
                    "name": "RTN",
                    "format": "XLSX",
                    "url": url + ".xlsx",
                    "last_modified": "2026-10-29T14:30:00",
                },
            ],
        },
    }


def test_stn_package_show_then_csv(server, make):
    url = "https://www.tesourotransparente.gov.br/ckan/dataset/rtn/resource/a2/download/rtn.csv"
    csv = (
        "Mês;Receita Total;Resultado Primário Governo Central\n"
        "08/2026;210.345,12;-12.345,67\n09/2026;198.000,00;1.234,50\n"
    )
    server.route("package_show", json_reply(ckan_envelope(url))).route(
        "download/rtn.csv", httpx.Response(200, text=csv)
    )
    rows = make("stn").fetch(spec("BR.CENTRAL.GOV.PRIMARY"), "2026-01-01", "2026-12-31")
    assert rows["value"].tolist() == [-12345.67, 1234.5]
    assert rows["obs_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-08-01", "2026-09-01"]
    assert server.requests[-1].url.query == b""  # the newest CSV resource, not the old one


def test_stn_ckan_not_found(server, make):
    server.route(
        "package_show",
        json_reply(
            {"success": False, "error": {"__type": "Not Found Error", "message": "Not found"}}, 404
        ),
    )
    with pytest.raises(ConnectorError, match="Not found") as info:
        make("stn").fetch(spec("BR.CENTRAL.GOV.PRIMARY"))
    assert info.value.status == 404


# ---- CFTC -------------------------------------------------------------------------------
def cot(day: str, long: int, short: int) -> dict:
    return {
        "market_and_exchange_names": "BRAZILIAN REAL - CHICAGO MERCANTILE EXCHANGE",
        "report_date_as_yyyy_mm_dd": f"{day}T00:00:00.000",
        "cftc_contract_market_code": "102741",
        "open_interest_all": "60000",
        "noncomm_positions_long_all": str(long),
        "noncomm_positions_short_all": str(short),
    }


def test_cftc_tuesday_positions_released_friday(server, make):
    server.route(
        "6dca-aqww.json",
        json_reply([cot("2026-11-03", 30000, 12000), cot("2026-11-10", 25000, 20000)]),
    )
    rows = make("cftc").fetch(spec("CFTC.BRL.NET.NONCOMM"), "2026-11-01", "2026-11-20")
    assert rows["value"].tolist() == [18000.0, 5000.0]
    friday = rows["release_time"].iloc[0].tz_convert("America/New_York")
    assert friday.strftime("%Y-%m-%d %a %H:%M") == "2026-11-06 Fri 15:30"
    where = server.params()["$where"]
    assert "cftc_contract_market_code='102741'" in where


def test_cftc_renamed_field(server, make):
    record = cot("2026-11-03", 1, 2)
    record["noncomm_long_all"] = record.pop("noncomm_positions_long_all")
    server.route("6dca-aqww.json", json_reply([record]))
    with pytest.raises(ConnectorError, match="noncomm_positions_long_all"):
        make("cftc").fetch(spec("CFTC.BRL.NET.NONCOMM"), "2026-11-01", "2026-11-20")


# ---- US Treasury ------------------------------------------------------------------------
def ust_entry(day: str, **tenors: str) -> str:
    fields = "".join(f'<d:{k} m:type="Edm.Double">{v}</d:{k}>' for k, v in tenors.items())
    return (
        f'<entry><content type="application/xml"><m:properties>'
        f'<d:NEW_DATE m:type="Edm.DateTime">{day}T00:00:00</d:NEW_DATE>{fields}'
        f"</m:properties></content></entry>"
    )


def ust_feed(*entries: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" '
        'xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices">'
        + "".join(entries)
        + "</feed>"
    )


def test_treasury_xml_with_absent_tenor(server, make):
    feed = ust_feed(
        ust_entry("2005-03-01", BC_10YEAR="4.38", BC_2YEAR="3.63"),
        ust_entry("2005-03-02", BC_10YEAR="4.36"),
    )
    server.route(
        "/pages/xml", httpx.Response(200, text=feed, headers={"content-type": "application/xml"})
    )
    conn = make("ust_treasury")
    ten = conn.fetch(spec("US.UST.10Y"), "2005-03-01", "2005-03-02")
    two = conn.fetch(spec("US.UST.2Y"), "2005-03-01", "2005-03-02")
    assert ten["value"].tolist() == [4.38, 4.36] and two["value"].tolist() == [3.63]
    assert server.params()["field_tdr_date_value"] == "2005"


def test_treasury_malformed_xml(server, make):
    server.route("/pages/xml", httpx.Response(200, text="<feed><entry>"))
    with pytest.raises(ConnectorError, match="malformed XML"):
        make("ust_treasury").fetch(spec("US.UST.10Y"), "2005-03-01", "2005-03-02")


def test_treasury_csv_form(server, make):
    csv = (
        'Date,"1 Mo","2 Mo","3 Mo","6 Mo","1 Yr","2 Yr","3 Yr","5 Yr",'
        '"7 Yr","10 Yr","20 Yr","30 Yr"\n'
        "11/20/2026,4.01,4.02,4.03,3.98,3.90,3.70,3.65,3.72,3.85,4.12,4.55,4.60\n"
        "11/19/2026,4.00,4.02,4.02,3.97,3.91,3.68,3.64,3.70,3.84,4.10,,4.58\n"
    )
    server.route("/pages/xml", httpx.Response(200, text=csv, headers={"content-type": "text/csv"}))
    conn = make("ust_treasury")
    ten = conn.fetch(spec("US.UST.10Y"), "2026-11-19", "2026-11-20")
    assert ten["obs_date"].dt.day.tolist() == [19, 20] and ten["value"].tolist() == [4.10, 4.12]
    twenty = conn.parse_csv(spec("US.UST.10Y", code="BC_20YEAR"), csv)
    assert twenty["value"].tolist() == [4.55]  # the empty cell is missing, not zero
