"""DI curve sources (issue 27, item 1): B3 DI1 settlements and BCB SGS DI × pré swaps.

Both bodies are built here from the sources' documented formats, not recorded: B3's
"Ajustes do pregão" page (columns Mercadoria, Vencimento, Preço de ajuste anterior, Preço
de ajuste Atual, Variação, Valor do ajuste por contrato (R$); commodity on its first row
only; Brazilian numbers) and the SGS JSON array (``{"data": "dd/mm/yyyy", "valor": "…"}``,
as the recorded SGS bodies in ../shared/fixtures/api/bcb_sgs show for errors).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.connectors.b3 import expiry, parse_di1_settlements, parse_di_pre
from research_core.curves.build import business_days_to, di_curve
from research_core.errors import ConnectorError

SESSION = "2026-10-30"
AJUSTES = """<html><body><table id="tblDadosAjustes">
<thead><tr><th>Mercadoria</th><th>Vencimento</th><th>Preço de ajuste anterior</th>
<th>Preço de ajuste Atual</th><th>Variação</th><th>Valor do ajuste por contrato (R$)</th></tr>
</thead><tbody>
<tr><td>DI1 - DI de 1 dia</td><td>X26</td><td>99.947,10</td><td>99.950,12</td><td>3,02</td>
<td>3,02</td></tr>
<tr><td></td><td>F27</td><td>98.041,00</td><td>98.044,37</td><td>3,37</td><td>3,37</td></tr>
<tr><td></td><td>F28</td><td>87.101,52</td><td>87.123,45</td><td>21,93</td><td>21,93</td></tr>
<tr><td>DOL - Dólar comercial</td><td>X26</td><td>5.401,500</td><td>5.398,000</td>
<td>-3,500</td><td>-175,00</td></tr>
</tbody></table></body></html>"""
# Days without a B3 session in the windows: the national holidays 2 Nov, 20 Nov, 25 Dec
# 2026; 1 Jan, 8-9 Feb (Carnival), 26 Mar (Good Friday), 21 Apr, 27 May (Corpus Christi),
# 7 Sep, 12 Oct, 2 Nov, 15 Nov, 20 Nov, 25 Dec 2027; and 24 and 31 Dec, when B3 does not
# trade (ANBIMA's calendar counts those two as business days).
HOLIDAYS = ["2026-11-02", "2026-11-20", "2026-12-24", "2026-12-25", "2026-12-31",
            "2027-01-01", "2027-02-08",
            "2027-02-09", "2027-03-26", "2027-04-21", "2027-05-27", "2027-09-07",
            "2027-10-12", "2027-11-02", "2027-11-15", "2027-11-20", "2027-12-24",
            "2027-12-25"]  # fmt: skip


def test_di1_settlement_page_gives_rates_by_hand() -> None:
    got = parse_di1_settlements(AJUSTES, SESSION)
    assert list(got["contract"]) == ["DI1X26", "DI1F27", "DI1F28"]  # DOL dropped
    # expiries: first business day of the month — 3 Nov 2026 (2 Nov is Finados), 4 Jan 2027
    # (1 Jan is a holiday, 2-3 Jan a weekend), 3 Jan 2028
    assert list(got["expiry"]) == [
        pd.Timestamp(d) for d in ("2026-11-03", "2027-01-04", "2028-01-03")
    ]
    du = [np.busday_count(SESSION, d, holidays=HOLIDAYS) for d in ("2026-11-03", "2027-01-04")]
    assert list(got["business_days"][:2]) == du == [1, 40]
    hand = (100_000 / 98_044.37) ** (252 / 40) - 1  # PU = 100,000 / (1 + r)^(du/252)
    assert got["rate_pct"].iloc[1] == pytest.approx(hand * 100, rel=1e-12)
    assert got["settlement_pu"].iloc[2] == 87_123.45
    # released at the session's close, 18:00 São Paulo (21:00 UTC)
    assert got["release_time"].iloc[0] == pd.Timestamp("2026-10-30 21:00", tz="UTC")


def test_a_di_curve_from_the_settlements_gives_back_each_pu() -> None:
    got = parse_di1_settlements(AJUSTES, SESSION)
    curve = di_curve(SESSION, got["business_days"].to_numpy(), got["rate_pct"].to_numpy())
    pu = 100_000 * curve.discount(got["business_days"].to_numpy() / 252)
    assert np.abs(pu - got["settlement_pu"].to_numpy()).max() < 1e-8  # R$ per contract


@pytest.mark.parametrize(
    ("html", "match"),
    [
        ("<table><tr><td>Mercadoria</td><td>Vencimento</td></tr></table>", "no settlement table"),
        (AJUSTES.replace("DI1 - DI de 1 dia", "DAP - Cupom de IPCA"), "no DI1 rows"),
        (AJUSTES.replace("98.044,37", "n/d"), "DI1 settlement prices"),
    ],
)
def test_bad_settlement_pages_are_one_line(html: str, match: str) -> None:
    with pytest.raises(ConnectorError, match=match):
        parse_di1_settlements(html, SESSION)


def test_a_bad_maturity_code_is_named() -> None:
    with pytest.raises(ConnectorError, match="maturity code 'A27'"):
        expiry("A27")


def test_sgs_swap_series_become_observation_rows_and_a_curve() -> None:
    bodies = {
        "7805": [
            {"data": "29/10/2026", "valor": "12.41"},
            {"data": "30/10/2026", "valor": "12.43"},
        ],
        "7816": [{"data": "30/10/2026", "valor": "12.71"}],
    }
    rows = parse_di_pre(bodies)
    assert set(rows["series_id"]) == {"BR.DIPRE.SGS.030D", "BR.DIPRE.SGS.360D"}
    last = rows[rows["obs_date"] == pd.Timestamp(SESSION)].set_index("series_id")["value"]
    assert last.to_dict() == {"BR.DIPRE.SGS.030D": 12.43, "BR.DIPRE.SGS.360D": 12.71}
    # SGS publishes the next business day, 09:00 São Paulo: Mon 2 Nov is Finados -> Tue 3 Nov
    released = rows.loc[rows["obs_date"] == pd.Timestamp(SESSION), "release_time"].iloc[0]
    assert released == pd.Timestamp("2026-11-03 12:00", tz="UTC")
    # 30 and 360 calendar days from 30 Oct 2026: to 29 Nov 2026 and 25 Oct 2027
    du = business_days_to(SESSION, pd.DatetimeIndex(["2026-11-29", "2027-10-25"]))
    hand = [np.busday_count(SESSION, d, holidays=HOLIDAYS) for d in ("2026-11-29", "2027-10-25")]
    assert list(du) == hand
    curve = di_curve(SESSION, du, last.to_numpy())
    assert curve.discount(du[1] / 252)[0] == pytest.approx(1.1271 ** (-hand[1] / 252), rel=1e-14)


def test_an_unknown_sgs_code_is_one_line() -> None:
    with pytest.raises(ConnectorError, match=r"codes \['432'\] are not DI × pré swaps"):
        parse_di_pre({"432": []})
