"""The replay server: every connector, through its own HTTP and parsing code, against a
local server that answers in the source's format from stored bodies (issue 25 item 1).

Recorded bodies come from ``../shared/fixtures/api`` (PROVENANCE.md there); the others
are the built bodies of ``pipelines/replay`` (README.md there; values made up by
``build_bodies.py``). Expected values below are read off those files by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from research_core.connectors import CONNECTORS
from research_core.connectors.base import reachable
from research_core.connectors.replay import ROUTES, ReplayServer
from research_core.errors import ConnectorError

from .conftest import FIXTURES, spec

BUILT = Path(__file__).resolve().parents[2] / "pipelines" / "replay"


@pytest.fixture(scope="module")
def recorded() -> Iterator[ReplayServer]:
    if not FIXTURES.is_dir():
        pytest.fail(f"shared fixtures {FIXTURES} are missing (../shared must sit beside the repo)")
    with ReplayServer([FIXTURES]) as server:
        yield server


@pytest.fixture(scope="module")
def built() -> Iterator[ReplayServer]:
    with ReplayServer([BUILT]) as server:
        yield server


def local(rows: pd.DataFrame, tz: str) -> list[str]:
    return [t.strftime("%Y-%m-%d %H:%M") for t in rows["release_time"].dt.tz_convert(tz)]


def test_every_connector_has_a_route_and_talks_only_to_the_server(built):
    assert set(ROUTES) == set(CONNECTORS)
    for name in CONNECTORS:
        conn = built.connector(name)
        assert conn.endpoint.startswith(f"{built.url}/{name}/")
        conn.close()


# ---- recorded bodies -------------------------------------------------------------------
def test_fred_latest_values_recorded(recorded):
    """series_observations_GDP.json: 1946 quarters are ".", 1947-01-01 is 243.164."""
    conn = recorded.connector("fred")
    rows = conn.fetch(spec("US.GDP.NOMINAL", source="fred"), "1946-01-01", "1947-12-31")
    assert rows["obs_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "1947-01-01", "1947-04-01", "1947-07-01", "1947-10-01"
    ]  # fmt: skip
    assert rows["value"].tolist() == [243.164, 245.968, 249.585, 259.745]
    assert recorded.requests[-1] == "fred fred/series/observations"


def test_alfred_vintages_recorded(recorded):
    """alfred_observations_GDP_all_vintages.json, GDP 1946Q1: 199.7 from 1992-12-22,
    "." from 1996-01-19, 210.4 from 1997-05-07, "." from 1999-10-28 (BEA 08:30 ET)."""
    rows = recorded.connector("alfred").fetch(spec("US.GDP.NOMINAL"), "1946-01-01", "1946-03-31")
    assert local(rows, "America/New_York") == [
        "1992-12-22 08:30", "1996-01-19 08:30", "1997-05-07 08:30", "1999-10-28 08:30"
    ]  # fmt: skip
    assert rows["withdrawn"].tolist() == [False, True, False, True]
    assert rows["value"].iloc[[0, 2]].tolist() == [199.7, 210.4]


def test_yahoo_window_recorded(recorded):
    """chart_EURUSD=X: three bars from 2020-01-01; asking for 01-01..01-02 gets two,
    close 1.1220825910568237 both days."""
    rows = recorded.connector("yahoo").fetch(
        spec("BRL.USD.SPOT", code="EURUSD=X"), "2020-01-01", "2020-01-02"
    )
    assert rows["obs_date"].dt.strftime("%Y-%m-%d").tolist() == ["2020-01-01", "2020-01-02"]
    assert rows["value"].tolist() == [1.1220825910568237] * 2


def test_tesouro_direto_csv_recorded(recorded):
    """PrecoTaxaTesouroDireto_head.csv on 27/07/2022 has two zero-coupon IPCA+ bonds:
    2024-08-15 at 7,2 and 2045-05-15 at 6,29 (Taxa Compra Manha). 10Y by hand: linear in
    years to maturity (days / 365.25) between them."""
    rows = recorded.connector("tesouro_direto").fetch(
        spec("BR.NTNB.10Y"), "2022-07-27", "2022-07-27"
    )
    short = (date(2024, 8, 15) - date(2022, 7, 27)).days / 365.25
    long = (date(2045, 5, 15) - date(2022, 7, 27)).days / 365.25
    expected = 7.2 + (10 - short) / (long - short) * (6.29 - 7.2)
    assert rows["value"].tolist() == [pytest.approx(expected, abs=1e-12)]


def test_sgs_refusal_is_the_recorded_406_body(recorded):
    """A daily SGS series without dataInicial: the BCB's real refusal (python-bcb #19)."""
    answer = httpx.get(f"{recorded.url}/bcb_sgs/dados/serie/bcdata.sgs.432/dados?formato=json")
    assert answer.status_code == 406
    assert "no máximo, 10 anos" in answer.json()["error"]


def test_unknown_resources_get_the_sources_own_not_found(recorded):
    """FRED: 400 "Bad Request.  The series does not exist." (PROVENANCE: issues quote it);
    Yahoo: chart.error "No data found, symbol may be delisted" (yfinance #1548)."""
    with pytest.raises(ConnectorError, match="The series does not exist") as info:
        recorded.connector("fred").fetch(spec("US.UNEMPLOYMENT"), "2026-01-01", "2026-02-01")
    assert info.value.status == 400
    with pytest.raises(ConnectorError, match="No data found, symbol may be delisted"):
        recorded.connector("yahoo").fetch(spec("US.SPX"), "2026-01-01", "2026-02-01")
    with pytest.raises(ConnectorError, match="no stored response for the 2026 par yield"):
        recorded.connector("ust_treasury").fetch(spec("US.UST.10Y"), "2026-01-01", "2026-02-01")


# ---- built bodies (pipelines/replay) ------------------------------------------------------
def test_ptax_bulletins_built(built):
    """CotacaoDolarPeriodo.json: 11-03 5.6161 at 13:04:52.147, 11-04 5.6097 at 13:05:14.294;
    paged one record at a time ($top/$skip)."""
    conn = built.connector("bcb_ptax")
    conn.page_size = 1  # type: ignore[attr-defined]
    before = len(built.requests)
    rows = conn.fetch(spec("BRL.USD.PTAX"), "2026-11-01", "2026-11-04")
    assert rows["value"].tolist() == [5.6161, 5.6097]
    stamps = rows["release_time"].dt.tz_convert("America/Sao_Paulo").dt.strftime("%H:%M:%S.%f")
    assert stamps.tolist() == ["13:04:52.147000", "13:05:14.294000"]
    assert len(built.requests) - before == 3  # two full pages and an empty one


def test_focus_filters_entities_and_statistics_built(built):
    """Surveys of 10-29 and 10-30: the weekly value is 10-30's median (released Tuesday
    11-03 08:25: Monday 11-02 is a B3 holiday); the last-30-days base (9.99) is skipped."""
    conn = built.connector("bcb_focus")
    window = ("2026-10-20", "2026-11-06")
    got = {
        sid: conn.fetch(spec(sid), *window)["value"].tolist()
        for sid in ("BR.FOCUS.IPCA.CY", "BR.FOCUS.FX.CY", "BR.FOCUS.IPCA.MOM", "BR.FOCUS.IPCA.12M")
    }
    assert got == {
        "BR.FOCUS.IPCA.CY": [6.0112],  # Anuais, IPCA 2026
        "BR.FOCUS.FX.CY": [5.615],  # Anuais, "Câmbio" (accented filter)
        "BR.FOCUS.IPCA.MOM": [0.41],  # Mensais 10/2026: October is not out by 10-31
        "BR.FOCUS.IPCA.12M": [5.5901],  # 12 meses, Suavizada "S" rows only
    }
    rows = conn.fetch(spec("BR.FOCUS.IPCA.CY"), *window)
    assert local(rows, "America/Sao_Paulo") == ["2026-11-03 08:25"]


def test_treasury_yahoo_tesouro_built(built):
    ust = built.connector("ust_treasury").fetch(spec("US.UST.10Y"), "2026-11-01", "2026-11-06")
    assert ust["value"].tolist() == [4.11, 4.09, 4.06, 4.02, 4.03]  # BC_10YEAR in the feed
    spx = built.connector("yahoo").fetch(spec("US.SPX"), "2026-11-03", "2026-11-04")
    assert spx["value"].tolist() == [9745.5208, 9686.4138]  # closes 2 and 3 of ^GSPC
    ntnb = built.connector("tesouro_direto").fetch(spec("BR.NTNB.5Y"), "2026-11-03", "2026-11-03")
    short = (date(2029, 5, 15) - date(2026, 11, 3)).days / 365.25  # IPCA+ 2029 at 6,85
    long = (date(2035, 5, 15) - date(2026, 11, 3)).days / 365.25  # IPCA+ 2035 at 7,14
    assert ntnb["value"].tolist() == [pytest.approx(6.85 + (5 - short) / (long - short) * 0.29)]


def test_sidra_cftc_stn_fx_flow_alfred_built(built):
    ip = built.connector("ibge_sidra").fetch(spec("BR.IP.MOM"), "2026-01-01", "2026-11-06")
    assert (ip["obs_date"].dt.strftime("%Y-%m").tolist(), ip["value"].tolist()) == (
        ["2026-09"],
        [0.4],
    )
    cot = built.connector("cftc").fetch(spec("CFTC.BRL.NET.NONCOMM"), "2026-10-01", "2026-11-06")
    assert cot["value"].tolist() == [31200 - 21100]  # long minus short, market 102741
    rtn = built.connector("stn").fetch(spec("BR.CENTRAL.GOV.PRIMARY"), "2026-01-01", "2026-12-31")
    assert rtn["value"].tolist() == [18944.75]  # "18.944,75"
    assert built.requests[-1].startswith("stn ckan/dataset/")  # the envelope's URL, rewritten
    flow = built.connector("bcb_fx_flow").fetch(spec("BR.FXFLOW.COMMERCIAL"), "2026-10-01")
    assert flow["value"].tolist() == [1318.4]  # SGS 22718
    pay = built.connector("alfred").fetch(
        spec("US.PAYROLLS.CHG"), "2026-08-01", released_since="2026-10-07"
    )
    assert local(pay, "America/New_York") == ["2026-10-07 08:30", *["2026-11-06 08:30"] * 2]
    assert pay["value"].tolist() == [185.4, 201.0, 143.0]
    assert np.array_equal(pay["obs_date"].dt.month, [9, 9, 10])


def test_sgs_windows_and_missing_days_built(built):
    conn = built.connector("bcb_sgs")
    cdi = conn.fetch(spec("BR.CDI"), "2026-10-16", "2026-11-06")
    assert cdi["obs_date"].dt.strftime("%m-%d").tolist() == ["10-30", "11-03", "11-04", "11-05"]
    with pytest.raises(ConnectorError, match="unknown SGS code or no data"):
        conn.fetch(spec("BR.CDI"), "2026-01-01", "2026-02-01")  # 404 in every window


def test_bad_folder_and_reachability(tmp_path):
    with pytest.raises(ConnectorError, match="no-such: no such folder"):
        ReplayServer([tmp_path / "no-such"])
    with pytest.raises(ConnectorError, match="at least one folder"):
        ReplayServer([])
    with ReplayServer([tmp_path]) as server:
        assert reachable(server.url)
        url = server.url
    assert not reachable(url, timeout=1.0)  # closed: nothing listens there any more
