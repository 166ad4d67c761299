"""Write the built response bodies of this folder (see README.md); rerun to regenerate.

Every body follows a source's documented format (``../shared/fixtures/api/PROVENANCE.md``
and the connectors' docstrings); the values are made up: a seeded walk from the sample
lake's last values (2026-10-30) through the days after it. Run from the repository root:
``python pipelines/replay/build_bodies.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RNG = np.random.default_rng(20261102)
B3 = ["2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06"]  # 11-02 is Finados
NYSE = ["2026-11-02", *B3]
FRED_STAMP = "2026-11-06"  # the realtime (vintage) date the FRED answers carry
OLINDA = "https://was-p.bcnet.bcb.gov.br/olinda/servico/{}/versao/v1/odata$metadata#{}"
CKAN = "https://www.tesourotransparente.gov.br/ckan/"

# start (the sample's 2026-10-30 value), daily step (absolute or relative), decimals
DAILY: dict[str, tuple[float, float, int, str]] = {
    "ptax": (5.5748, 0.006, 4, "rel"),
    "selic": (12.40, 0.0, 2, "abs"),
    "cdi": (12.40, 0.0, 2, "abs"),
    "reserves": (348268.0, 300.0, 0, "abs"),
    "ust_3m": (1.85, 0.02, 2, "abs"),
    "ust_2y": (2.53, 0.03, 2, "abs"),
    "ust_5y": (3.39, 0.03, 2, "abs"),
    "ust_10y": (4.06, 0.03, 2, "abs"),
    "ust_30y": (4.42, 0.03, 2, "abs"),
    "DFF": (1.83, 0.01, 2, "abs"),
    "DFII5": (1.62, 0.02, 2, "abs"),
    "DFII10": (2.18, 0.02, 2, "abs"),
    "T5YIE": (1.79, 0.01, 2, "abs"),
    "T10YIE": (1.89, 0.01, 2, "abs"),
    "BAA10Y": (1.94, 0.01, 2, "abs"),
    "DCOILWTICO": (46.92, 0.015, 2, "rel"),
}
# symbol: last close, currency, exchange time zone, sessions
YAHOO: dict[str, tuple[float, str, str, str]] = {
    "BRL=X": (5.5786, "BRL", "Europe/London", "fx"),
    "DX-Y.NYB": (96.7151, "USD", "America/New_York", "nyse"),
    "^BVSP": (21595.21, "BRL", "America/Sao_Paulo", "b3"),
    "EWZ": (16.08, "USD", "America/New_York", "nyse"),
    "^GSPC": (9699.66, "USD", "America/New_York", "nyse"),
    "^VIX": (14.94, "USD", "America/Chicago", "nyse"),
    "BZ=F": (49.00, "USD", "America/New_York", "nyse"),
    "TIO=F": (21.15, "USD", "America/New_York", "nyse"),
    "ZS=F": (1554.49, "USX", "America/Chicago", "nyse"),
    "HG=F": (3.061, "USD", "America/New_York", "nyse"),
    "GC=F": (2222.30, "USD", "America/New_York", "nyse"),
}
BAR_OPEN = {"fx": ("Europe/London", "00:00"), "nyse": ("America/New_York", "09:30")}
BAR_OPEN["b3"] = ("America/Sao_Paulo", "10:00")


def walk(start: float, step: float, decimals: int, kind: str, n: int) -> list[float]:
    """``n`` values after ``start``: a seeded random walk, rounded as the source shows."""
    out, value = [], start
    for z in RNG.standard_normal(n):
        value = value * (1 + step * z) if kind == "rel" else value + step * z
        out.append(round(value, decimals))
    return out


def path_of(name: str, days: list[str]) -> dict[str, float]:
    return dict(zip(days, walk(*DAILY[name], len(days)), strict=True))


def write(relative: str, body: Any) -> None:
    target = HERE / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, indent=1)
    target.write_text(text.rstrip("\n") + "\n", "utf-8")


def br_date(day: str) -> str:
    return pd.Timestamp(day).strftime("%d/%m/%Y")


def br_number(value: float, decimals: int) -> str:
    """``1234.5`` as ``1.234,50`` (Tesouro Transparente CSVs)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def sgs(values: dict[str, float], decimals: int) -> list[dict[str, str]]:
    return [{"data": br_date(d), "valor": f"{v:.{decimals}f}"} for d, v in values.items()]


def build_bcb() -> None:
    """SGS (policy rates, reserves, PTAX, FX flow) and the PTAX OData answer."""
    next_day = ["2026-10-30", *B3[:-1]]  # published the next business day
    ptax = path_of("ptax", B3)
    write("bcb_sgs/432.json", sgs(dict.fromkeys(B3, 12.50), 2))  # Copom held on 11-04
    write("bcb_sgs/1178.json", sgs(path_of("selic", next_day), 2))
    write("bcb_sgs/4389.json", sgs(path_of("cdi", next_day), 2))
    write("bcb_sgs/13621.json", sgs(path_of("reserves", next_day), 0))
    write("bcb_sgs/1.json", sgs(ptax, 4))
    write("bcb_sgs/22718.json", [{"data": "30/10/2026", "valor": "1318.4"}])  # commercial
    write("bcb_sgs/22719.json", [{"data": "30/10/2026", "valor": "-742.9"}])  # financial
    records = []
    for i, (day, value) in enumerate(ptax.items()):
        stamp = f"{day} 13:{4 + i:02d}:{int(RNG.integers(10, 59))}.{147 * (i + 1)}"
        records.append(
            {"cotacaoCompra": round(value - 0.0006, 4), "cotacaoVenda": value,
             "dataHoraCotacao": stamp}
        )  # fmt: skip
    context = OLINDA.format("PTAX", "_CotacaoDolarPeriodo")
    write("bcb_ptax/CotacaoDolarPeriodo.json", {"@odata.context": context, "value": records})


def focus_row(
    day: str, indicator: str, median: float, *, base: int = 0, **fields: Any
) -> dict[str, Any]:
    stats = {"Media": round(median + 0.02, 4), "Mediana": median, "DesvioPadrao": 0.31}
    stats |= {"Minimo": round(median - 0.9, 2), "Maximo": round(median + 1.1, 2)}
    counts = {"numeroRespondentes": 97, "baseCalculo": base}
    return {"Indicador": indicator, "Data": day, **fields, **stats, **counts}


def build_focus() -> None:
    """Focus surveys of 2026-10-29 and 10-30 (the weekly value is the week's last day)."""
    days = ["2026-10-29", "2026-10-30"]
    annual = [
        ("IPCA", "2026", 6.0112), ("IPCA", "2027", 4.7688), ("Selic", "2026", 12.5),
        ("Selic", "2027", 12.5), ("Câmbio", "2026", 5.6150), ("PIB Total", "2026", 2.2911),
    ]  # fmt: skip
    rows = [
        focus_row(d, name, m, IndicadorDetalhe=None, DataReferencia=ref)
        for d in days
        for name, ref, m in annual
    ]
    # the last-30-days base (baseCalculo 1) is another statistic: the connector skips it
    rows.append(focus_row(days[1], "IPCA", 9.99, base=1, DataReferencia="2026"))
    monthly = [
        focus_row(d, "IPCA", m, DataReferencia=ref)
        for d in days
        for ref, m in (("10/2026", 0.41), ("11/2026", 0.33))
    ]
    twelve = [focus_row(d, "IPCA", 5.5901, Suavizada=s) for d in days for s in ("S", "N")]
    for entity, value in (
        ("ExpectativasMercadoAnuais", rows),
        ("ExpectativaMercadoMensais", monthly),
        ("ExpectativasMercadoInflacao12Meses", twelve),
    ):
        context = OLINDA.format("Expectativas", entity)
        write(f"bcb_focus/{entity}.json", {"@odata.context": context, "value": value})


def fred_body(values: dict[str, float], stamp: str = FRED_STAMP) -> dict[str, Any]:
    obs = [
        {"realtime_start": stamp, "realtime_end": stamp, "date": d, "value": f"{v:.2f}"}
        for d, v in values.items()
    ]
    return {
        "realtime_start": stamp, "realtime_end": stamp, "observation_start": "1600-01-01",
        "observation_end": "9999-12-31", "units": "lin", "output_type": 1, "file_type": "json",
        "order_by": "observation_date", "sort_order": "asc", "count": len(obs), "offset": 0,
        "limit": 100000, "observations": obs,
    }  # fmt: skip


def build_fred(ust: dict[str, dict[str, float]]) -> None:
    """FRED daily series (next-day ones through 11-05), UNRATE and ALFRED PAYEMS."""
    next_day = ["2026-10-30", *NYSE[:-1]]
    for code in ("DFF", "DFII5", "DFII10", "T5YIE", "T10YIE", "BAA10Y", "DCOILWTICO"):
        write(f"fred/series_observations_{code}.json", fred_body(path_of(code, next_day)))
    for code, tenor, name in (("DGS2", "BC_2YEAR", "ust_2y"), ("DGS10", "BC_10YEAR", "ust_10y")):
        last = {"2026-10-30": DAILY[name][0]}  # the Treasury's yields, a day later
        body = fred_body(last | {d: ust[d][tenor] for d in next_day if d in ust})
        write(f"fred/series_observations_{code}.json", body)
    write("fred/series_observations_DFEDTARU.json", fred_body(dict.fromkeys(NYSE, 2.0)))
    write("fred/series_observations_UNRATE.json", fred_body({"2026-10-01": 6.9}))
    dates = fred_body({}) | {"realtime_start": "1776-07-04", "realtime_end": "9999-12-31"}
    dates = {k: v for k, v in dates.items() if k not in ("observations", "units", "output_type")}
    dates |= {"order_by": "vintage_date", "count": 2, "limit": 10000}
    dates["vintage_dates"] = ["2026-10-07", FRED_STAMP]
    write("fred/series_vintagedates_PAYEMS.json", dates)
    rows = [("2026-10-07", "2026-11-05", "2026-09-01", "185.4"),
            (FRED_STAMP, "9999-12-31", "2026-09-01", "201.0"),
            (FRED_STAMP, "9999-12-31", "2026-10-01", "143.0")]  # fmt: skip
    obs = [{"realtime_start": a, "realtime_end": b, "date": d, "value": v} for a, b, d, v in rows]
    body = fred_body({}) | {"realtime_start": "1776-07-04", "realtime_end": "9999-12-31"}
    body |= {"units": "chg", "count": len(obs), "observations": obs}
    write("fred/alfred_observations_PAYEMS_chg_all_vintages.json", body)


def build_treasury() -> dict[str, dict[str, float]]:
    """The 2026 par yield curve feed, 11-02 to 11-06 (five tenors); returns the curve."""
    names = {"BC_3MONTH": "ust_3m", "BC_2YEAR": "ust_2y", "BC_5YEAR": "ust_5y",
             "BC_10YEAR": "ust_10y", "BC_30YEAR": "ust_30y"}  # fmt: skip
    paths = {tenor: path_of(name, NYSE) for tenor, name in names.items()}
    curve = {d: {tenor: paths[tenor][d] for tenor in names} for d in NYSE}
    entries = []
    for i, (day, tenors) in enumerate(curve.items(), start=9001):
        fields = "".join(f'<d:{k} m:type="Edm.Double">{v}</d:{k}>' for k, v in tenors.items())
        entries.append(
            f"<entry><id>DailyTreasuryParYieldCurveRateData({i})</id>"
            '<content type="application/xml"><m:properties>'
            f'<d:Id m:type="Edm.Int32">{i}</d:Id>'
            f'<d:NEW_DATE m:type="Edm.DateTime">{day}T00:00:00</d:NEW_DATE>{fields}'
            "</m:properties></content></entry>"
        )
    feed = (
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" '
        'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">'
        '<title type="text">DailyTreasuryParYieldCurveRateData</title>'
        + "\n".join(entries)
        + "</feed>"
    )
    write("ust_treasury/daily_treasury_yield_curve_2026.xml", feed)
    return curve


def build_yahoo() -> None:
    """Chart answers (daily bars) for the catalog's Yahoo symbols, 11-02 to 11-06."""
    for symbol, (last, currency, tz, kind) in YAHOO.items():
        days = B3 if kind == "b3" else NYSE
        closes = walk(last, 0.008, 4, "rel", len(days))
        zone, at = BAR_OPEN[kind]
        quote = {
            "open": [round(c * 0.998, 4) for c in closes],
            "high": [round(c * 1.006, 4) for c in closes],
            "low": [round(c * 0.993, 4) for c in closes],
            "close": closes,
            "volume": [0 if kind == "fx" else 1_000_000 + 1_000 * i for i in range(len(days))],
        }
        meta = {
            "currency": currency, "symbol": symbol, "exchangeTimezoneName": tz,
            "timezone": pd.Timestamp("2026-11-03", tz=tz).tzname(), "dataGranularity": "1d",
            "instrumentType": "CURRENCY" if kind == "fx" else "EQUITY", "range": "",
        }  # fmt: skip
        result = {
            "meta": meta,
            "timestamp": [int(pd.Timestamp(f"{d} {at}", tz=zone).timestamp()) for d in days],
            "indicators": {"quote": [quote], "adjclose": [{"adjclose": closes}]},
        }
        body = {"chart": {"result": [result], "error": None}}
        write(f"yahoo/chart_{symbol}_1d_2026-11-02_2026-11-06.json", body)


def build_tesouro() -> None:
    """Tesouro Direto rates of 11-03..11-06 (zero-coupon IPCA+ 2029, 2035, 2045 and two other
    bond types); STN's CKAN envelope and its RTN CSV (October 2026, out 11-27)."""
    bonds = {("Tesouro IPCA+", "15/05/2029"): 6.80, ("Tesouro IPCA+", "15/05/2035"): 7.08,
             ("Tesouro IPCA+", "15/05/2045"): 6.93, ("Tesouro Selic", "01/03/2029"): 0.08,
             ("Tesouro Prefixado", "01/01/2029"): 13.05}  # fmt: skip
    lines = [
        "Tipo Titulo;Data Vencimento;Data Base;Taxa Compra Manha;Taxa Venda Manha;"
        "PU Compra Manha;PU Venda Manha;PU Base Manha"
    ]
    for (kind, maturity), rate in bonds.items():
        for day, r in zip(B3, walk(rate, 0.04, 2, "abs", len(B3)), strict=True):
            years = (pd.to_datetime(maturity, format="%d/%m/%Y") - pd.Timestamp(day)).days / 365.25
            price = br_number(1000 / (1 + r / 100) ** years, 2)
            rates = [br_number(r, 2), br_number(r + 0.12, 2)]
            lines.append(";".join([kind, maturity, br_date(day), *rates, price, price, price]))
    write("tesouro_direto/PrecoTaxaTesouroDireto_2026-11.csv", "\n".join(lines))
    resource = {
        "id": "5f3c2a1e", "name": "RTN mensal", "format": "CSV",
        "url": f"{CKAN}dataset/rtn/resource/5f3c2a1e/download/rtn_mensal.csv",
        "last_modified": "2026-11-27T14:30:00",
    }  # fmt: skip
    envelope = {
        "help": f"{CKAN}api/3/action/help_show?name=package_show",
        "success": True,
        "result": {"name": "resultado-do-tesouro-nacional", "resources": [resource]},
    }
    write("stn/package_show_resultado-do-tesouro-nacional.json", envelope)
    csv = "Mês;Receita Total;Resultado Primário Governo Central\n"
    write("stn/rtn_mensal.csv", csv + f"10/2026;{br_number(221530.4, 2)};{br_number(18944.75, 2)}")


def build_ibge_cftc() -> None:
    """SIDRA industrial production (September 2026, out 11-04) and the CFTC positions of
    Tuesday 11-03 (out Friday 11-06)."""
    header = {
        "NC": "Nível Territorial (Código)", "NN": "Nível Territorial",
        "MC": "Unidade de Medida (Código)", "MN": "Unidade de Medida", "V": "Valor",
        "D1C": "Brasil (Código)", "D1N": "Brasil", "D2C": "Mês (Código)", "D2N": "Mês",
        "D3C": "Variável (Código)", "D3N": "Variável",
    }  # fmt: skip
    row = {
        "NC": "1", "NN": "Brasil", "MC": "2", "MN": "%", "V": "0.4", "D1C": "1",
        "D1N": "Brasil", "D2C": "202609", "D2N": "setembro 2026", "D3C": "11601",
        "D3N": "PIMPF - Variação mensal (com ajuste sazonal)",
    }  # fmt: skip
    write("ibge_sidra/8888_v_11601.json", [header, row])
    markets = {
        "102741": ("BRAZILIAN REAL - CHICAGO MERCANTILE EXCHANGE", 31200, 21100),
        "043602": ("UST 10Y NOTE - CHICAGO BOARD OF TRADE", 401000, 433500),
        "13874A": ("E-MINI S&P 500 - CHICAGO MERCANTILE EXCHANGE", 402300, 341000),
        "097741": ("JAPANESE YEN - CHICAGO MERCANTILE EXCHANGE", 61000, 95800),
    }
    records = [
        {
            "market_and_exchange_names": name,
            "report_date_as_yyyy_mm_dd": "2026-11-03T00:00:00.000",
            "cftc_contract_market_code": code,
            "open_interest_all": str(2 * (long + short)),
            "noncomm_positions_long_all": str(long),
            "noncomm_positions_short_all": str(short),
        }
        for code, (name, long, short) in markets.items()
    ]
    write("cftc/6dca-aqww.json", records)


def main() -> None:
    build_bcb()
    build_focus()
    build_fred(build_treasury())
    build_yahoo()
    build_tesouro()
    build_ibge_cftc()


if __name__ == "__main__":
    main()
