"""The sample lake: complete, deterministic, point-in-time consistent, believable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from research_core.calendars import business_days
from research_core.catalog import series_catalog
from research_core.lake import Lake
from research_core.lake.maintenance import check_lake, lake_info
from research_core.lake.sample import SampleSpec, sample_observations


def test_every_catalog_series_from_2005(sample_lake_path):
    lake = Lake.open(sample_lake_path)
    info = lake_info(lake).table
    assert set(info["series_id"]) == set(series_catalog())
    assert set(info["source"]) == {"sample"}
    fixed_year = info["series_id"].str.fullmatch(r"BR\.FOCUS\..*\.\d{4}")
    assert info.loc[~fixed_year, "first_obs"].max() <= pd.Timestamp("2005-04-01")
    # Fixed-reference Focus series start when the survey starts asking (4 years ahead).
    for r in info.loc[fixed_year].itertuples():
        assert r.first_obs.year == int(r.series_id[-4:]) - 4
    assert info["last_obs"].min() >= pd.Timestamp("2026-01-01")
    assert check_lake(lake).ok


def test_revisable_series_have_vintages_and_others_do_not(sample_lake_path):
    lake = Lake.open(sample_lake_path)
    info = lake_info(lake).table.set_index("series_id")
    for sid, spec in series_catalog().items():
        assert (info.loc[sid, "max_vintages"] > 1) == spec.revisable, sid
    gdp = lake.vintages("US.GDP.QOQ")
    per_period = gdp.groupby("obs_date")["release_time"].agg(["count", "min", "max"])
    assert (per_period["count"].iloc[:-3] == 3).all()
    assert (per_period["max"] > per_period["min"]).iloc[:-3].all()


def test_business_day_calendars(sample_lake_path):
    lake = Lake.open(sample_lake_path)
    di = lake.at("2026-10-30").series("BR.DI.1Y")
    assert di.index.isin(business_days("B3")).all()
    assert pd.Timestamp("2024-02-13") not in di.index  # Carnival
    spx = lake.at("2026-10-30").series("US.SPX")
    assert pd.Timestamp("2024-07-04") not in spx.index
    assert spx.index.isin(business_days("NYSE")).all()


def test_real_data_drives_the_sample(sample_lake_path):
    from arch.data import sp500

    lake = Lake.open(sample_lake_path)
    spx = lake.at("2026-10-30").series("US.SPX")
    real = sp500.load()["Adj Close"]
    common = real.index.intersection(spx.index)
    common = common[(common >= "2005-01-01") & (common <= "2018-12-31")]
    ratio = spx.loc[common] / real.loc[common]
    assert len(common) > 3000 and np.allclose(ratio, ratio.iloc[0], rtol=1e-9)


def test_believable_dynamics(sample_lake_path):
    lake = Lake.open(sample_lake_path)
    view = lake.at("2026-10-30")
    selic = view.series("BR.SELIC.TARGET")
    steps = selic.diff().dropna()
    steps = steps[steps != 0]
    assert len(steps) > 20 and np.allclose(steps * 4, np.round(steps * 4))  # 25 bp multiples
    fx = np.log(view.series("BRL.USD.SPOT")).diff().dropna()
    assert fx.kurt() > 1.0  # fat tails
    cds = view.series("BR.CDS.5Y")
    joint = pd.concat([fx, np.log(cds).diff()], axis=1, join="inner").dropna()
    assert joint.corr().iloc[0, 1] > 0.2  # BRL weakens when CDS widens
    vix = view.series("US.VIX")
    assert vix.loc["2008-10-01":"2008-12-31"].mean() > 2 * vix.loc["2017-01-01":"2017-12-31"].mean()
    assert (vix > 0).all()


def test_deterministic_for_a_seed():
    spec = SampleSpec(pd.Timestamp("2019-01-01"), pd.Timestamp("2020-06-30"), 11)
    a, b = sample_observations(spec), sample_observations(spec)
    pd.testing.assert_frame_equal(a, b)
    c = sample_observations(SampleSpec(spec.start, spec.end, 12))
    assert not np.allclose(a["value"].to_numpy()[:5000], c["value"].to_numpy()[:5000])


def test_lake_files_are_sorted_for_fast_reads(sample_lake_path):
    lake = Lake.open(sample_lake_path)
    (path,) = lake.files()
    table = pq.read_table(path, columns=["series_id", "release_time"]).to_pandas()
    assert table.equals(table.sort_values(["series_id", "release_time"], kind="stable"))


def test_policy_targets_move_at_decisions_and_are_released_by_them(sample_lake_path):
    """The sample's Selic and Fed targets step only the day after a decision and are
    stamped by it. Decision days by hand from the central banks' calendars: Copom 2011
    (BCB) and FOMC 2005-2006 (Federal Reserve); announcements 21:00 BRT / 14:30 ET."""
    lake = Lake.open(sample_lake_path)
    copom_2011 = ["01-19", "03-02", "04-20", "06-08", "07-20", "08-31", "10-19", "11-30"]
    fomc = ["2005-02-02", "2005-03-22", "2005-05-03", "2005-06-30", "2005-08-09"]
    fomc += ["2005-09-20", "2005-11-01", "2005-12-13", "2006-01-31", "2006-03-28"]
    cases = [
        (
            "BR.SELIC.TARGET",
            [f"2011-{d}" for d in copom_2011],
            "2011",
            "21:00",
            "America/Sao_Paulo",
        ),
        ("US.FEDFUNDS.TARGET", fomc, "2005-01-01", "14:30", "America/New_York"),
    ]
    for sid, days, start, hhmm, tz in cases:
        hist = lake.at("2026-10-30").history(sid)
        window = hist.loc[start : days[-1]]
        value = window["value"]
        moved = value.index[1:][value.diff().iloc[1:] != 0]
        decided = pd.DatetimeIndex(days)
        assert len(moved) >= 3
        for day in moved:  # first session after a decision day
            prev = decided[decided < day].max()
            assert window.index[window.index > prev][0] == day
        for day in decided.intersection(window.index):
            local = pd.Timestamp(window.at[day, "release_time"]).tz_convert(tz)
            assert local.strftime("%Y-%m-%d %H:%M") == f"{day.date()} {hhmm}"
