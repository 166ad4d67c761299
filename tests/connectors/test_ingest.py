"""Incremental ingest against a real lake: idempotence, vintaging, failures, fallback, catch-up.

The network is an ``httpx.MockTransport`` serving bodies in the documented SGS/PTAX formats
(written, not recorded) and the real ALFRED recording.
"""

from __future__ import annotations

import json

import httpx
import pandas as pd
import pytest

from research_core.connectors import connector
from research_core.errors import LakeError
from research_core.lake import Lake
from research_core.lake.ingest import ingest
from research_core.lake.quality import quality_report

from .conftest import FAST, fixture_text, json_reply

NOW = pd.Timestamp("2026-11-21 12:00", tz="UTC")


class SGSData:
    """A mutable SGS: {code: {date: value}} served in the documented format."""

    def __init__(self, data: dict[str, dict[str, str]]) -> None:
        self.data = data
        self.fail: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        code = request.url.path.split("bcdata.sgs.")[1].split("/")[0]
        if code in self.fail:
            return httpx.Response(503, text="<html>Service Unavailable</html>")
        lo = pd.to_datetime(request.url.params["dataInicial"], format="%d/%m/%Y")
        hi = pd.to_datetime(request.url.params["dataFinal"], format="%d/%m/%Y")
        rows = [
            {"data": f"{pd.Timestamp(d):%d/%m/%Y}", "valor": v}
            for d, v in self.data.get(code, {}).items()
            if lo <= pd.Timestamp(d) <= hi
        ]
        return json_reply(rows) if rows else httpx.Response(404, text="Not Found")


@pytest.fixture
def lake(tmp_path) -> Lake:
    return Lake.open(tmp_path / "lake", create=True)


def factory(handler):
    transport = httpx.MockTransport(handler)
    return lambda name: connector(
        name, transport=transport, sleep=lambda s: None, retry=FAST, api_key="k" * 32
    )


def run(lake, series, handler, observed_at=NOW, **options):  # type: ignore[no-untyped-def]
    """``ingest`` of ``series`` whose sources answer through ``handler``, seen at
    ``observed_at`` (no progress bar)."""
    return ingest(
        lake, series=series, connectors=factory(handler), observed_at=observed_at,
        progress=False, **options,
    )  # fmt: skip


def months(values: list[str], start: str = "2026-01-01") -> dict[str, str]:
    return {
        f"{d:%Y-%m-%d}": v
        for d, v in zip(pd.date_range(start, periods=len(values), freq="MS"), values, strict=True)
    }


def test_first_ingest_rerun_and_revision(lake):
    sgs = SGSData(
        {"433": months(["0.16", "1.31", "0.56", "0.43", "0.26", "0.24", "0.38", "0.44", "0.48"])}
    )
    first = run(lake, ["BR.IPCA.MOM"], sgs)
    assert first.ok and first.outcomes[0].added == 9
    version = lake.version
    again = run(lake, ["BR.IPCA.MOM"], sgs, NOW + pd.Timedelta(hours=1))
    assert again.outcomes[0].status == "unchanged" and lake.version == version  # nothing written
    # The source quietly revises August: the lake keeps both, the new one released when seen.
    sgs.data["433"]["2026-08-01"] = "0.47"
    seen = NOW + pd.Timedelta(days=1)
    third = run(lake, ["BR.IPCA.MOM"], sgs, seen)
    assert (third.outcomes[0].added, third.outcomes[0].revised) == (0, 1)
    stored = lake.vintages("BR.IPCA.MOM")
    aug = stored[stored["obs_date"] == pd.Timestamp("2026-08-01")]
    assert aug["value"].tolist() == [0.44, 0.47]
    assert aug["release_time"].iloc[1] == seen
    assert lake.at(seen - pd.Timedelta(minutes=1)).series("BR.IPCA.MOM")["2026-08-01"] == 0.44
    assert lake.at(seen).series("BR.IPCA.MOM")["2026-08-01"] == 0.47
    # Incremental: the third run asked only for a recent window, not all history.
    assert len(third.outcomes) == 1


def test_failed_series_leaves_lake_as_it_was(lake):
    sgs = SGSData({"433": months(["0.16", "1.31"]), "189": months(["0.2", "0.3"])})
    run(lake, ["BR.IPCA.MOM", "BR.IGPM.MOM"], sgs)
    before = lake.vintages("BR.IPCA.MOM")
    sgs.data["433"]["2026-03-01"] = "0.56"
    sgs.data["189"]["2026-03-01"] = "0.9"
    sgs.fail.add("433")
    report = run(lake, ["BR.IPCA.MOM", "BR.IGPM.MOM"], sgs, NOW + pd.Timedelta(days=40))
    status = dict(zip(report.to_frame()["series_id"], report.to_frame()["status"], strict=True))
    assert status == {"BR.IPCA.MOM": "failed", "BR.IGPM.MOM": "added"}
    assert not report.ok and "HTTP 503" in report.outcomes[0].error and "failed" in report.summary()
    pd.testing.assert_frame_equal(lake.vintages("BR.IPCA.MOM"), before)


def test_malformed_body_fails_cleanly(lake):
    def bad(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, text='[{"data": "01/01/2026", "valor": "0.1"}, {"data": "31/02/2026"'
        )

    report = run(lake, ["BR.IPCA.MOM"], bad)
    assert report.outcomes[0].status == "failed" and "expected JSON" in report.outcomes[0].error
    assert lake.version == 0 or lake.vintages("BR.IPCA.MOM").empty


def test_dry_run_writes_nothing(lake):
    sgs = SGSData({"433": months(["0.16", "1.31"])})
    report = run(lake, ["BR.IPCA.MOM"], sgs, dry_run=True)
    assert report.outcomes[0].status == "would add" and report.outcomes[0].added == 2
    assert lake.vintages("BR.IPCA.MOM").empty


def test_ptax_falls_back_to_sgs(lake):
    def handler(request: httpx.Request) -> httpx.Response:
        if "olinda" in request.url.host:
            return httpx.Response(500)
        return json_reply(
            [{"data": "04/01/2021", "valor": "5.1626"}, {"data": "05/01/2021", "valor": "5.2688"}]
        )

    report = run(lake, ["BRL.USD.PTAX"], handler, since="2021-01-04")
    outcome = report.outcomes[0]
    assert outcome.fallback and outcome.source == "bcb_sgs" and outcome.added == 2
    assert set(lake.vintages("BRL.USD.PTAX")["source"]) == {"bcb_sgs"}


def test_alfred_incremental_keeps_source_vintages(lake):
    body = json.loads(fixture_text("fred/alfred_observations_GDP_asof_2019-01-01.json"))

    def handler(request: httpx.Request) -> httpx.Response:
        if "vintagedates" in request.url.path:
            return json_reply(
                {"vintage_dates": sorted({o["realtime_start"] for o in body["observations"]})}
            )
        start = request.url.params["realtime_start"]
        # ALFRED clips realtime_start to the request; emulate that faithfully.
        rows = [
            dict(o, realtime_start=max(o["realtime_start"], start))
            for o in body["observations"]
            if o["realtime_end"] >= start
        ]
        return json_reply({"observations": rows})

    first = run(lake, ["US.GDP.NOMINAL"], handler)
    stored = len(lake.vintages("US.GDP.NOMINAL"))
    assert first.ok and first.outcomes[0].added + first.outcomes[0].revised == stored > 100
    again = run(lake, ["US.GDP.NOMINAL"], handler)
    assert (
        again.outcomes[0].status == "unchanged" and len(lake.vintages("US.GDP.NOMINAL")) == stored
    )
    vintages = lake.vintages("US.GDP.NOMINAL")
    q = vintages[vintages["obs_date"] == pd.Timestamp("2013-10-01")]
    assert q["value"].tolist() == [16957.6, 16999.9, 16999.888, 17083.137]


def test_market_price_before_its_close_is_not_stored(lake):
    chart = json.loads(fixture_text("yahoo/chart_EURUSD=X_1d_2020-01-01_2020-01-03.json"))
    early = pd.Timestamp("2020-01-03 12:00", tz="UTC")  # before the 2020-01-03 NYSE close rule
    report = run(lake, ["BRL.USD.SPOT"], lambda r: json_reply(chart), early, since="2020-01-01")
    assert report.outcomes[0].added == 2
    assert lake.vintages("BRL.USD.SPOT")["obs_date"].max() == pd.Timestamp("2020-01-02")


def test_catch_up_refetches_gaps(lake):
    full = {f"{d:%Y-%m-%d}": "10.0" for d in pd.bdate_range("2026-10-01", "2026-11-19")}
    holes = {"2026-10-13", "2026-10-14", "2026-10-15", "2026-10-16"}
    holey = {d: v for d, v in full.items() if d not in holes}
    sgs = SGSData({"432": holey})
    run(lake, ["BR.SELIC.TARGET"], sgs, since="2026-10-01")
    gaps = quality_report(lake, as_of=NOW).to_frame().query("check == 'gap'")
    assert len(gaps) == 1 and gaps["obs_date"].iloc[0] == pd.Timestamp(
        "2026-10-13"
    )  # 12 Oct: B3 holiday
    sgs.data["432"] = full
    plain = run(lake, ["BR.SELIC.TARGET"], sgs)
    assert plain.outcomes[0].added == 0  # the look-back window does not reach mid-October
    caught = run(lake, ["BR.SELIC.TARGET"], sgs, catch_up=True)
    assert caught.outcomes[0].added == 4
    assert quality_report(lake, as_of=NOW).to_frame().query("check == 'gap'").empty


def test_ingest_selection_errors(lake):
    from research_core.errors import WorkbenchError

    with pytest.raises(WorkbenchError, match="unknown source"):
        ingest(lake, sources=["bloomberg"], progress=False)
    with pytest.raises(WorkbenchError, match="not public APIs"):
        ingest(lake, series=["BR.DI.1Y"], progress=False)


def test_a_misspelt_ingest_option_is_named_and_writes_nothing(lake):
    version = lake.version
    with pytest.raises(LakeError, match="unknown option 'dryrun'; options: since, dry_run"):
        ingest(lake, series=["BR.IPCA.MOM"], dryrun=True)
    assert lake.version == version
