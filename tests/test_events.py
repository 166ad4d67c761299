"""The release clock, surprises and their point-in-time behaviour (issue 19, items 1-2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.ar_model import AutoReg

from research_core.catalog import policy_decisions, series
from research_core.cli import main
from research_core.events import (
    Z_WINDOW,
    ar1_forecast,
    compute_surprises,
    register_surprise_series,
    release_calendar,
    surprise_history,
    todays_releases,
    update_surprises,
)
from research_core.lake import Lake
from research_core.lake.sample import build_sample_lake

TARGETS = ("BR.IPCA.MOM", "US.CPI.MOM")
END, CUT = "2013-06-28", "2011-08-15"


# ---- the release clock -------------------------------------------------------------------
def test_calendar_times_counted_by_hand():
    cal = release_calendar("2026-10-08", "2026-10-13")
    at = dict(zip(cal["series_id"], cal["local_time"], strict=False))
    # IPCA Sep-2026: 6th B3 session after 2026-09-30 -> Oct 1, 2, 5, 6, 7, 8.
    assert at["BR.IPCA.MOM"] == "2026-10-08 09:00 -03"
    # US CPI Sep-2026: 9th NYSE session after 2026-09-30 (NYSE opens on Columbus Day):
    # Oct 1, 2, 5, 6, 7, 8, 9, 12, 13.
    assert at["US.CPI.MOM"] == "2026-10-13 08:30 EDT"
    ipca = cal[cal["series_id"] == "BR.IPCA.MOM"].iloc[0]
    assert ipca["publisher"] == "IBGE" and ipca["obs_date"] == pd.Timestamp("2026-09-01")
    # Day bounds are whole days in the fund's time zone.
    assert "BR.IPCA.MOM" not in set(release_calendar("2026-10-09", "2026-10-13")["series_id"])
    # Decisions: Copom 2026-12-09 21:00 Brasília (= 00:00 UTC on the 10th) is on the 9th.
    dec = release_calendar("2026-12-09", "2026-12-09")
    assert {"BR.SELIC.TARGET", "US.FEDFUNDS.TARGET"} <= set(dec["series_id"])
    assert "BR.SELIC.TARGET" not in set(release_calendar("2026-12-10", "2026-12-10")["series_id"])
    # Daily market series are not releases; only BR/US.
    assert not set(cal["series_id"]) & {"BRL.USD.PTAX", "US.UST.10Y", "CFTC.JPY.NET.NONCOMM"}


def test_meeting_calendars_cover_2000_to_2027():
    """FOMC 2027: the tentative schedule announced 2025-09-05 (federalreserve.gov press
    release), second meeting days; Copom 2026: BCB's 2026 calendar (second days)."""
    fomc = policy_decisions("fomc").tz_convert("America/New_York")
    copom = policy_decisions("copom").tz_convert("America/Sao_Paulo")
    assert all((fomc.year == y).sum() >= 8 for y in range(2000, 2028))
    assert all((copom.year == y).sum() >= 8 for y in range(2000, 2027))
    assert [f"{d:%m-%d}" for d in fomc[fomc.year == 2027]] == [
        "01-27", "03-17", "04-28", "06-09", "07-28", "09-15", "10-27", "12-08",
    ]  # fmt: skip
    assert [f"{d:%m-%d}" for d in copom[copom.year == 2026]] == [
        "01-28", "03-18", "04-29", "06-17", "08-05", "09-16", "11-04", "12-09",
    ]  # fmt: skip


def test_pending_periods_by_hand():
    ipca = series("BR.IPCA.MOM")  # Oct-2024 printed 2024-11-08 09:00 Brasília (12:00 UTC)
    got = ipca.pending_periods(["2024-11-08 11:59", "2024-11-08 12:00", "2024-12-20 00:00"])
    assert [f"{d:%Y-%m}" for d in got] == ["2024-10", "2024-11", "2024-12"]


def test_calendar_cli(capsys):
    assert main(["calendar", "--from", "2026-10-08", "--to", "2026-10-08"]) == 0
    out = capsys.readouterr().out
    assert "2026-10-08 09:00 -03" in out and "BR.IPCA.MOM" in out and "2026-09" in out
    assert main(["calendar", "--from", "2026-13-01", "--to", "2026-12-01"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("workbench: error: --from") and "\n" not in err
    assert main(["calendar", "--from", "2026-12-02", "--to", "2026-12-01"]) == 2
    assert "--from 2026-12-02 is after --to 2026-12-01" in capsys.readouterr().err


# ---- surprises -----------------------------------------------------------------------------
def test_due_series_by_the_release_clock(sample_lake_path: Path, tmp_path: Path):
    """The sample lake ends 2026-10-30 with every release due by then (nothing due). By the
    end of Tuesday 2026-11-03: every daily series (their next session's value, or the
    10-30 value of the next-day series, is out by then) and the ten weekly Focus series
    (10-30 survey: lag 3 days = Monday 11-02, Finados on B3, so Tuesday 08:25); not the
    FX flow (10-30 week + 5 days = Wednesday 11-04 14:30), CFTC (positions of Tuesday
    11-03 out Friday 11-06), industrial production (Sep: 09-30 + 35 days = 11-04) nor any
    other monthly series. A series the lake holds nothing of is always due."""
    from research_core.events import due_series
    from research_core.lake.ingest import ingestible

    lake = Lake.open(sample_lake_path)
    specs = ingestible(lake)
    assert not due_series(lake, "2026-10-30", specs)["due"].any()
    table = due_series(lake, "2026-11-03", specs).set_index("series_id")
    daily = {s.id for s in specs if s.frequency == "D"}
    focus = {s.id for s in specs if s.source == "bcb_focus"}
    assert (len(daily), len(focus)) == (36, 10)
    assert set(table.index[table["due"]]) == daily | focus
    cdi = table.loc["BR.CDI"]  # 10-30's CDI is published the next B3 session, 09:00
    assert (cdi["next_obs"], cdi["next_release"]) == (
        pd.Timestamp("2026-10-30"), pd.Timestamp("2026-11-03 09:00", tz="America/Sao_Paulo")
    )  # fmt: skip
    ipca = table.loc["BR.FOCUS.IPCA.CY", "next_release"].tz_convert("America/Sao_Paulo")
    assert f"{ipca:%a %Y-%m-%d %H:%M}" == "Tue 2026-11-03 08:25"
    empty = Lake.open(tmp_path / "empty", create=True)
    assert due_series(empty, "2026-11-03", specs[:3])["due"].tolist() == [True] * 3


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lake, Lake]:
    """A small sample lake with surprises to END, and a copy cut at CUT (rows released
    by then only) with surprises computed on it."""
    root = tmp_path_factory.mktemp("events")
    build_sample_lake(str(root / "full"), start="2005-01-01", end=END, seed=7)
    full = Lake.open(root / "full")
    frame = full.table().drop_columns(["ingested_at"]).to_pandas()
    frame["obs_date"] = pd.to_datetime(frame["obs_date"])
    cut = full.at(CUT).as_of
    trunc = Lake.open(root / "cut", create=True)
    trunc.write(frame[frame["release_time"] <= cut])
    update_surprises(full, END, targets=TARGETS)
    update_surprises(trunc, CUT, targets=TARGETS)
    return full, trunc


def test_truncated_lake_gives_identical_surprises(lakes):
    full, trunc = lakes
    for target in TARGETS:
        a = surprise_history(full.at(CUT), target)
        b = surprise_history(trunc.at(CUT), target)
        assert len(a) > 40
        pd.testing.assert_frame_equal(a, b)
        later = surprise_history(full.at(END), target)
        assert len(later) > len(a)  # prints after CUT exist, invisible at CUT


def test_surprise_visible_only_from_the_print(lakes):
    full, _ = lakes
    first = full.vintages("BR.IPCA.MOM").groupby("obs_date")["release_time"].min()
    period = pd.Timestamp("2012-05-01")
    released = first[period]
    sid = "BR.IPCA.MOM.SURPRISE"
    assert period not in full.at(released - pd.Timedelta(1, "ns")).series(sid).index
    assert period in full.at(released).series(sid).index


def test_focus_consensus_and_z_by_hand(lakes):
    """Consensus: the last Focus survey released by the end of the day before the print
    whose target month is the print's; the target month is found from the IPCA rows'
    own release times (the month after the last one released by the survey's end)."""
    full, _ = lakes
    got = compute_surprises(full, END, targets=("BR.IPCA.MOM",)).frame.set_index("obs_date")
    ipca = full.vintages("BR.IPCA.MOM").groupby("obs_date").first()
    focus = full.vintages("BR.FOCUS.IPCA.MOM")
    tz = "America/Sao_Paulo"
    for period in pd.to_datetime(["2010-03-01", "2012-11-01"]):
        released = ipca.loc[period, "release_time"]
        eve = (released.tz_convert(tz).normalize() - pd.Timedelta(days=1)).tz_localize(None)
        limit = (eve + pd.Timedelta(days=1)).tz_localize(tz) - pd.Timedelta(1, "ns")
        known = focus[focus["release_time"] <= limit].iloc[-10:]
        survey_end = (known["obs_date"] + pd.Timedelta(days=1)).dt.tz_localize(tz)
        out = ipca["release_time"]
        last_out = [ipca.index[out < e][-1] for e in survey_end]
        about = pd.DatetimeIndex(last_out) + pd.DateOffset(months=1)
        expected = known["value"].to_numpy()[about == period][-1]
        assert got.loc[period, "expected"] == pytest.approx(expected)
        assert got.loc[period, "actual"] == pytest.approx(ipca.loc[period, "value"])
    s = got["surprise"].to_numpy()
    i = 70  # z against the Z_WINDOW = 36 surprises before it (sample std, ddof=1)
    window = s[i - 36 : i]
    assert got["z"].iloc[i] == pytest.approx((s[i] - window.mean()) / window.std(ddof=1))
    assert got["z"].iloc[:12].isna().all()


def test_ar1_forecast_matches_statsmodels_autoreg():
    rng = np.random.default_rng(3)
    y = np.zeros(150)
    for t in range(1, 150):
        y[t] = 0.2 + 0.6 * y[t - 1] + rng.normal(0, 0.3)
    idx = pd.date_range("2000-01-01", periods=150, freq="MS")
    history = pd.Series(y, idx)
    fit = AutoReg(y[-120:], lags=1, trend="c").fit()  # the peer: OLS AR(1) with constant
    one = fit.predict(start=120, end=120)[0]
    two = fit.predict(start=120, end=121)[-1]
    nxt = idx[-1] + pd.DateOffset(months=1)
    assert ar1_forecast(history, nxt, "M") == pytest.approx(one, rel=1e-9)
    assert ar1_forecast(history, nxt + pd.DateOffset(months=1), "M") == pytest.approx(two)
    assert np.isnan(ar1_forecast(history.iloc[:10], idx[10], "M"))


def test_update_is_incremental_and_append_only(lakes, tmp_path: Path):
    full, trunc = lakes
    frame = full.table().drop_columns(["ingested_at"]).to_pandas()
    frame = frame[frame["source"] == "sample"]
    frame["obs_date"] = pd.to_datetime(frame["obs_date"])
    trunc.write(frame[frame["release_time"] > trunc.at(CUT).as_of])
    result = update_surprises(trunc, END, targets=TARGETS)
    assert result.written > 0
    for target in TARGETS:
        pd.testing.assert_frame_equal(
            surprise_history(trunc.at(END), target), surprise_history(full.at(END), target)
        )
    assert update_surprises(trunc, END, targets=TARGETS).written == 0


def _sample_rows(lake: Lake) -> pd.DataFrame:
    frame = lake.table().drop_columns(["ingested_at"]).to_pandas()
    frame = frame[frame["source"] == "sample"]
    frame["obs_date"] = pd.to_datetime(frame["obs_date"])
    return frame


def _agents_at(view) -> tuple[list, tuple[str, ...]]:
    from research_core.agents.inflation import InflationAgent
    from research_core.agents.monetary import MonetaryPolicyAgent

    return list(InflationAgent().run(view).signals), MonetaryPolicyAgent().run(view).narrative


EARLY = "2010-03-31"  # before the last Z_WINDOW prints to END (IPCA's from 2010-06)


def test_a_lake_filled_from_its_last_prints_gets_its_whole_history(lakes, tmp_path: Path):
    """Issue 24 item 9b: the pipeline stored only the last Z_WINDOW = 36 prints on a lake
    with none (the sample lake's surprises began 2023-10), so agents before then saw no
    surprises there but did on a lake filled from the start. Such a lake now gets its
    head once, and the agents say the same at an early date on both lakes."""
    full, _ = lakes
    shallow = Lake.open(tmp_path / "shallow", create=True)
    shallow.write(_sample_rows(full))
    register_surprise_series(shallow, TARGETS)
    last = compute_surprises(shallow, END, targets=TARGETS, recent=dict.fromkeys(TARGETS, Z_WINDOW))
    shallow.write(last.observations())  # the state the old pipeline left
    early = shallow.at(EARLY)
    assert all(surprise_history(early, t).empty for t in TARGETS)  # nothing known early
    assert update_surprises(shallow, END, targets=TARGETS).written > 0
    for target in TARGETS:
        pd.testing.assert_frame_equal(
            surprise_history(shallow.at(END), target), surprise_history(full.at(END), target)
        )
    signals, narrative = _agents_at(full.at(EARLY))
    assert any(s.rationale.startswith("BR.IPCA.MOM surprises") for s in signals)
    assert _agents_at(shallow.at(EARLY)) == (signals, narrative)
    assert update_surprises(shallow, END, targets=TARGETS).written == 0  # complete: no more


def test_the_pipeline_stores_the_whole_surprise_history(lakes, tmp_path: Path):
    """The stored history starts at the start of the data: IPCA's first print (the sample
    Focus survey exists from the start), US CPI's 25th (an AR(1) needs AR_MIN = 24 prints
    before it); it used to start Z_WINDOW = 36 prints before the as-of date."""
    from research_core.pipeline.steps import _update_surprises

    full, _ = lakes
    fresh = Lake.open(tmp_path / "fresh", create=True)
    rows = _sample_rows(full)
    fresh.write(rows[rows["series_id"].isin([*TARGETS, "BR.FOCUS.IPCA.MOM"])])
    assert _update_surprises(fresh, END) > 0
    prints = {t: fresh.vintages(t)["obs_date"].drop_duplicates().sort_values() for t in TARGETS}
    start = {t: surprise_history(fresh.at(END), t).index.min() for t in TARGETS}
    assert start["BR.IPCA.MOM"] == prints["BR.IPCA.MOM"].iloc[0] == pd.Timestamp("2005-01-01")
    assert start["US.CPI.MOM"] == prints["US.CPI.MOM"].iloc[24]


def test_todays_releases_previous_and_consensus(lakes):
    full, _ = lakes
    ipca_out = full.vintages("BR.IPCA.MOM").groupby("obs_date")["release_time"].min()
    released = ipca_out[pd.Timestamp("2013-04-01")]
    morning = full.at(released - pd.Timedelta(hours=2))
    today = todays_releases(morning).set_index("series_id")
    row = today.loc["BR.IPCA.MOM"]
    assert row["obs_date"] == pd.Timestamp("2013-04-01") and np.isnan(row["actual"])
    assert row["previous"] == pytest.approx(morning.series("BR.IPCA.MOM").iloc[-1])
    assert row["basis"] == "Focus median" and np.isfinite(row["expected"])


def test_agents_read_the_surprises(lakes):
    from research_core.agents.inflation import InflationAgent
    from research_core.agents.monetary import MonetaryPolicyAgent

    full, _ = lakes
    view = full.at(END)
    z = surprise_history(view, "BR.IPCA.MOM")["z"].dropna()
    report = InflationAgent().run(view)
    (sig,) = [s for s in report.signals if s.rationale.startswith("BR.IPCA.MOM surprises")]
    assert sig.instrument == "BR.INFLATION"
    assert sig.strength == pytest.approx(z.iloc[-3:].mean())  # mean of the last three z
    lines = MonetaryPolicyAgent().run(view).narrative
    (line,) = [x for x in lines if x.startswith("Last inflation surprises")]
    assert f"z {z.iloc[-1]:+.2f} (vs Focus)" in line and "US.CPI.MOM" in line


def test_morning_pack_section_shows_previous_and_consensus(lakes):
    from research_core.events import morning_releases
    from research_core.narrative.pack import _todays_section

    full, _ = lakes
    first = full.vintages("BR.IPCA.MOM").groupby("obs_date")["release_time"].min()
    period = pd.Timestamp("2013-03-01")
    eve = first[period].tz_convert("America/Sao_Paulo") - pd.Timedelta(days=1)
    table = morning_releases(full, f"{eve:%Y-%m-%d}").set_index("series")
    stored = surprise_history(full.at(first[period]), "BR.IPCA.MOM").loc[period]
    row = table.loc["BR.IPCA.MOM"]
    assert row["period"] == "2013-03" and row["basis"] == "Focus median"
    assert row["expected"] == pytest.approx(stored["expected"])  # the consensus of the eve
    assert row["previous"] == pytest.approx(
        full.at(f"{eve:%Y-%m-%d}").series("BR.IPCA.MOM").iloc[-1]
    )
    html = _todays_section(morning_releases(full, f"{eve:%Y-%m-%d}"))
    assert "Today&#x27;s releases" in html or "Today's releases" in html
    assert f"{row['expected']:,.2f}" in html and "not a market consensus" in html


def test_stale_surprises_give_no_signal():
    """Surprises that stopped being updated (newest more than two months before the latest
    print) say nothing about today: the inflation agent drops them."""
    from research_core.agents.inflation import _surprise_features

    months = pd.date_range("2020-01-31", periods=6, freq="ME")
    prints = pd.Series(0.3, index=months)
    z_old = pd.Series([0.5, 1.0, 1.5], index=months[:3])  # newest 2020-03, prints to 2020-06
    z_new = pd.Series([0.5, 1.0, 1.5], index=months[2:5])  # newest 2020-05
    base = {"BR.IPCA.MOM": prints}
    assert _surprise_features({**base, "surprise_z:BR.IPCA.MOM": z_old}) == {}
    got = _surprise_features({**base, "surprise_z:BR.IPCA.MOM": z_new})
    assert got["surprise_z:BR.IPCA.MOM"].tolist() == [0.5, 1.0, 1.5]
