"""Contract tests on REAL recorded bodies: FRED/ALFRED, Yahoo chart, Tesouro Direto CSV.

Bodies are read from ``../shared/fixtures/api`` (recordings; see PROVENANCE.md there). The
FRED "vintage limit" and error bodies are written from FRED's documentation and the issue
threads PROVENANCE.md quotes, and are marked so below.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import httpx
import numpy as np
import pandas as pd
import pytest

from research_core.connectors.fred import vintage_release_times
from research_core.errors import ConnectorError

from .conftest import fixture_text, json_reply, spec

KEY = {"api_key": "k" * 32}


def test_fred_observations_real_recording(server, make):
    server.route(
        "series/observations", json_reply(fixture_text("fred/series_observations_GDP.json"))
    )
    gdp = spec("US.GDP.NOMINAL", source="fred")
    rows = make("fred", **KEY).fetch(gdp)
    body = json.loads(fixture_text("fred/series_observations_GDP.json"))["observations"]
    present = [o for o in body if o["value"] != "."]
    assert len(rows) == len(present)  # "." (1946) dropped, nothing else
    assert rows["obs_date"].iloc[0] == pd.Timestamp("1947-01-01")
    assert rows["value"].iloc[0] == 243.164
    # No own vintages: the catalog rule (BEA, ~28 days after the quarter, 08:30 New York).
    first = rows["release_time"].iloc[0].tz_convert("America/New_York")
    assert (first.month, first.day, first.hour, first.minute) == (4, 28, 8, 30)
    assert server.params()["series_id"] == "GDP"


def _gdp_every_vintage(server, make):  # type: ignore[no-untyped-def]
    """GDP's every ALFRED vintage, fetched from the real recordings (fred/*_GDP*.json)."""
    server.route(
        "series/vintagedates", json_reply(fixture_text("fred/series_vintagedates_GDP.json"))
    )
    server.route(
        "series/observations",
        json_reply(fixture_text("fred/alfred_observations_GDP_all_vintages.json")),
    )
    return make("alfred", **KEY).fetch(spec("US.GDP.NOMINAL"))


def test_alfred_every_vintage_real_recording(server, make):
    rows = _gdp_every_vintage(server, make)
    body = json.loads(fixture_text("fred/alfred_observations_GDP_all_vintages.json"))[
        "observations"
    ]
    q1946 = rows.loc[rows["obs_date"] == "1946-01-01"]
    # 199.7 (1992-12-22), "." (1996-01-19: withdrawn), 210.4 (1997-05-07), "." (1999-10-28).
    assert q1946["value"].tolist()[::2] == [199.7, 210.4]
    assert q1946["value"].isna().tolist() == [False, True, False, True]
    assert q1946["withdrawn"].tolist() == [False, True, False, True]
    expected = vintage_release_times(
        spec("US.GDP.NOMINAL"),
        pd.DatetimeIndex(["1992-12-22", "1996-01-19", "1997-05-07", "1999-10-28"]),
    )
    assert list(q1946["release_time"]) == list(expected)
    assert q1946["release_time"].iloc[0].tz_convert("America/New_York").hour == 8
    assert len(rows) <= len(body)
    assert rows.groupby("obs_date")["release_time"].is_monotonic_increasing.all()
    # realtime_start/realtime_end went out as one window from the first vintage date.
    assert server.params()["realtime_start"] == "1991-12-04"
    assert server.params()["realtime_end"] == "9999-12-31"


def test_withdrawn_alfred_values_stay_withdrawn_in_the_lake(server, make, tmp_path):
    """Issue 13.7: GDP 1946Q1 as of 2005 showed 210.4; ALFRED has had no value since
    1999-10-28 (the recording: 199.7 from 1992-12-22, "." from 1996-01-19, 210.4 from
    1997-05-07, "." from 1999-10-28)."""
    from research_core.lake import Lake

    rows = _gdp_every_vintage(server, make)
    lake = Lake.open(tmp_path / "lake", create=True)
    lake.write(rows)
    assert lake.write(rows).written == 0  # withdrawals are idempotent too
    q1 = pd.Timestamp("1946-01-01")
    for day, value in [("1994-01-01", 199.7), ("1996-06-01", None), ("1998-01-01", 210.4)]:
        known = lake.at(day).series("US.GDP.NOMINAL")
        assert (known.get(q1) if q1 in known.index else None) == value, day
    assert q1 not in lake.at("2005-01-01").series("US.GDP.NOMINAL").index
    assert lake.vintages("US.GDP.NOMINAL").query("obs_date == @q1")["value"].isna().sum() == 2


def test_alfred_as_of_matches_fred_as_of_query(server, make, tmp_path):
    """The lake's PIT answer equals what ALFRED itself says was current on 2017-06-30."""
    from research_core.lake import Lake

    server.route("series/vintagedates", json_reply({"vintage_dates": ["2014-04-30"]}))
    server.route(
        "series/observations",
        json_reply(fixture_text("fred/alfred_observations_GDP_asof_2019-01-01.json")),
    )
    rows = make("alfred", **KEY).fetch(spec("US.GDP.NOMINAL"))
    lake = Lake.open(tmp_path / "lake", create=True)
    lake.write(rows)
    body = pd.DataFrame(
        json.loads(fixture_text("fred/alfred_observations_GDP_asof_2019-01-01.json"))[
            "observations"
        ]
    )
    day = "2017-06-30"
    current = body[
        (body["realtime_start"] <= day) & (body["realtime_end"] >= day) & (body["value"] != ".")
    ]
    truth = pd.Series(
        current["value"].astype(float).to_numpy(), index=pd.to_datetime(current["date"])
    )
    known = lake.at(day).series("US.GDP.NOMINAL")
    common = truth.index.intersection(known.index)
    assert len(common) >= 10
    np.testing.assert_array_equal(known[common].to_numpy(), truth[common].to_numpy())
    # Nothing released after the as-of date is visible.
    assert known.index.max() <= pd.Timestamp(day)


def test_alfred_chunks_more_than_2000_vintages(server, make):
    """FRED refuses more than 2,000 vintage dates per request (error body written from the
    FRED docs); a synthetic series with 4,500 vintages is fetched in three windows."""
    vintages = pd.bdate_range("2000-01-03", periods=4500).strftime("%Y-%m-%d").tolist()

    def dates(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        return json_reply({"vintage_dates": vintages[offset : offset + limit]})

    def observations(request: httpx.Request) -> httpx.Response:
        lo, hi = request.url.params["realtime_start"], request.url.params["realtime_end"]
        inside = [v for v in vintages if lo <= v <= hi]
        if len(inside) > 2000:
            return json_reply(
                {
                    "error_code": 400,
                    "error_message": "Bad Request.  This exceeds the maximum number of "
                    "vintage dates allowed (2000).",
                },
                400,
            )
        obs = [
            {"realtime_start": v, "realtime_end": v, "date": "1999-10-01", "value": str(i)}
            for i, v in enumerate(vintages)
            if v in inside
        ]
        return json_reply({"observations": obs})

    server.route("vintagedates", dates).route("observations", observations)
    rows = make("alfred", **KEY).fetch(spec("US.GDP.NOMINAL"))
    assert len(rows) == 4500
    assert len([r for r in server.requests if "observations" in r.url.path]) == 3


@pytest.mark.parametrize("status", [400, 404])
def test_fred_unknown_series(server, make, status):
    """Error bodies quoted in the issue threads PROVENANCE.md cites (written, not recorded)."""
    message = (
        "Bad Request.  The series does not exist."
        if status == 400
        else "Not Found.  The series does not exist."
    )
    server.route(
        "series/observations", json_reply({"error_code": status, "error_message": message}, status)
    )
    with pytest.raises(ConnectorError, match="The series does not exist") as info:
        make("fred", **KEY).fetch(spec("US.UNEMPLOYMENT"))
    assert info.value.status == status and info.value.series == "US.UNEMPLOYMENT"


def test_fred_renamed_field(server, make):
    body = json.loads(fixture_text("fred/series_observations_GDP.json"))
    body["observations"] = [
        {"date": o["date"], "val": o["value"], "realtime_start": "x"} for o in body["observations"]
    ]
    server.route("series/observations", json_reply(body))
    with pytest.raises(ConnectorError, match=r"lacks field\(s\) \['value'\]"):
        make("fred", **KEY).fetch(spec("US.UNEMPLOYMENT"))


def test_yahoo_split_dividend_adjclose_real_recording(server, make):
    server.route(
        "AAPL", json_reply(fixture_text("yahoo/chart_AAPL_1d_2020-08-31_2020-11-07_split.json"))
    )
    conn = make("yahoo")
    result = conn.chart(
        "AAPL", pd.Timestamp("2020-08-31"), pd.Timestamp("2020-11-07"), series="TEST"
    )
    bars = conn.bars(result, series="TEST")
    events = conn.events(result)
    assert len(bars) == 49 and bars.index[0] == pd.Timestamp("2020-08-31")
    assert events["splits"]["ratio"].iloc[0] == 4.0
    assert events["splits"].index[0] == pd.Timestamp("2020-08-31")
    div_day = events["dividends"].index[0]
    ratio = bars["adjclose"] / bars["close"]
    # Adjusted/close steps up at the ex-dividend day (later dividends, recorded in 2025,
    # scale the whole window) and is flat in between.
    before, after = ratio[ratio.index < div_day], ratio[ratio.index >= div_day]
    assert (ratio < 1).all() and before.max() < after.min()
    assert np.ptp(before.to_numpy()) < 1e-4
    rows = conn.fetch(spec("US.SPX", code="AAPL|adjclose"), "2020-08-31", "2020-11-07")
    assert len(rows) == 49 and rows["source"].eq("yahoo").all()
    close = rows["release_time"].iloc[0].tz_convert("America/New_York")
    assert (close.day, close.hour, close.minute) == (31, 16, 15)


def test_yahoo_fx_and_null_bars(server, make):
    body = json.loads(fixture_text("yahoo/chart_EURUSD=X_1d_2020-01-01_2020-01-03.json"))
    body["chart"]["result"][0]["indicators"]["quote"][0]["close"][1] = None
    server.route("EURUSD", json_reply(body))
    rows = make("yahoo").fetch(spec("BRL.USD.SPOT", code="EURUSD=X"), "2020-01-01", "2020-01-03")
    assert len(rows) == 2  # the null bar is dropped, not stored as NaN
    assert rows["obs_date"].dt.year.eq(2020).all() and rows["value"].between(1.0, 1.3).all()


def test_yahoo_error_body(server, make):
    """Error shape quoted in yfinance issue #1548 (written, not recorded)."""
    body = {
        "chart": {
            "result": None,
            "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"},
        }
    }
    server.route("NOPE", json_reply(body, 404))
    with pytest.raises(ConnectorError, match="symbol may be delisted"):
        make("yahoo").fetch(spec("US.SPX", code="NOPE"), "2020-01-01", "2020-01-10")


def _td_rows(day: str) -> list[dict[str, str]]:
    reader = csv.DictReader(
        io.StringIO(fixture_text("tesouro_direto/PrecoTaxaTesouroDireto_head.csv")), delimiter=";"
    )
    return [r for r in reader if r["Data Base"] == day and r["Tipo Titulo"] == "Tesouro IPCA+"]


def test_tesouro_direto_real_csv(server, make):
    server.route(
        "PrecoTaxaTesouroDireto.csv",
        httpx.Response(200, text=fixture_text("tesouro_direto/PrecoTaxaTesouroDireto_head.csv")),
    )
    rows = make("tesouro_direto").fetch(spec("BR.NTNB.10Y"), "2022-01-01", "2022-12-31")
    assert not rows.empty and rows["obs_date"].is_monotonic_increasing
    # By hand for 27/07/2022: interpolate the 10y point between the bracketing NTN-Bs.
    day = rows.loc[rows["obs_date"] == "2022-07-27", "value"]
    curve = sorted(
        (
            (
                pd.Timestamp(
                    r["Data Vencimento"][6:]
                    + "-"
                    + r["Data Vencimento"][3:5]
                    + "-"
                    + r["Data Vencimento"][:2]
                )
                - pd.Timestamp("2022-07-27")
            ).days
            / 365.25,
            float(r["Taxa Compra Manha"].replace(",", ".")),
        )
        for r in _td_rows("27/07/2022")
        if r["Taxa Compra Manha"] != "0,00"
    )
    below = max(c for c in curve if c[0] <= 10)
    above = min(c for c in curve if c[0] >= 10)
    w = (10 - below[0]) / (above[0] - below[0])
    assert day.iloc[0] == pytest.approx(below[1] + w * (above[1] - below[1]), abs=1e-9)
    assert rows["value"].between(4, 8).all()


def test_tesouro_ipca_curve_uses_zero_coupon_bonds_only(server, make):
    """5y NTN-B Principal on 2022-07-27, by hand from the two zero-coupon bonds in the
    official CSV: 15/08/2024 at 7,20 and 15/05/2045 at 6,29 (Taxa Compra Manha);
    years = days / 365.25. 7.07; matching "Tesouro IPCA+" as a prefix blended in the
    coupon bonds ("... com Juros Semestrais") and gave 6.33."""
    server.route(
        "PrecoTaxaTesouroDireto.csv",
        httpx.Response(200, text=fixture_text("tesouro_direto/PrecoTaxaTesouroDireto_head.csv")),
    )
    rows = make("tesouro_direto").fetch(spec("BR.NTNB.5Y"), "2022-07-27", "2022-07-27")
    base = date(2022, 7, 27)
    t1, t2 = (date(2024, 8, 15) - base).days / 365.25, (date(2045, 5, 15) - base).days / 365.25
    hand = 7.20 + (5 - t1) / (t2 - t1) * (6.29 - 7.20)
    assert hand == pytest.approx(7.07, abs=0.005)
    assert rows["value"].iloc[0] == pytest.approx(hand, abs=1e-9)
    with pytest.raises(ConnectorError, match="no bonds of type 'Tesouro IPCA'"):
        make("tesouro_direto").fetch(spec("BR.NTNB.5Y", code="Tesouro IPCA|5Y|Taxa Compra Manha"))


def test_tesouro_direto_renamed_column(server, make):
    text = fixture_text("tesouro_direto/PrecoTaxaTesouroDireto_head.csv").replace(
        "Taxa Compra Manha", "Taxa Compra"
    )
    server.route("PrecoTaxaTesouroDireto.csv", httpx.Response(200, text=text))
    with pytest.raises(ConnectorError, match="Taxa Compra Manha"):
        make("tesouro_direto").fetch(spec("BR.NTNB.10Y"), "2022-01-01", "2022-12-31")
