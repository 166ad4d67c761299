"""A small hand-built lake for known-answer strategy tests.

Every series the strategies read is written here from a seeded random walk (daily on B3
sessions, released the same evening; weekly and monthly ones released days after their
period), so a test can recompute a signal from the very rows it wrote.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core.calendars import business_day_range
from research_core.lake import Lake
from research_core.lake.pit import PITView
from tests.agents.agent_lake import _rows as agent_rows

# An instant (not a date): 2021-06-30 is the last session, its 22:00 UTC rows are known.
AS_OF = "2021-06-30T23:00:00+00:00"

# series id -> (start level, daily step sd, geometric?)
DAILY = {
    "BR.DI.1Y": (10.0, 0.05, False),
    "BR.DI.2Y": (10.5, 0.06, False),
    "BR.DI.3Y": (10.8, 0.06, False),
    "BR.DI.5Y": (11.0, 0.07, False),
    "BR.DI.10Y": (11.5, 0.07, False),
    "BR.DI.3M": (9.5, 0.03, False),
    "BR.NTNB.5Y": (5.0, 0.04, False),
    "BR.NTNB.10Y": (5.3, 0.04, False),
    "BR.BREAKEVEN.5Y": (5.5, 0.03, False),
    "BR.CDS.5Y": (200.0, 3.0, False),
    "US.UST.2Y": (2.0, 0.04, False),
    "US.UST.5Y": (2.3, 0.05, False),
    "US.UST.10Y": (2.6, 0.05, False),
    "US.UST.30Y": (3.0, 0.05, False),
    "US.TIPS.10Y": (0.5, 0.04, False),
    "US.BREAKEVEN.5Y": (2.0, 0.02, False),
    "US.VIX": (18.0, 0.8, False),
    "US.BAA.SPREAD": (2.0, 0.03, False),
    "BRL.USD.SPOT": (4.0, 0.008, True),
    "BR.IBOV": (100_000.0, 0.012, True),
    "US.SPX": (3_000.0, 0.010, True),
    "CMD.BRENT": (60.0, 0.018, True),
    "CMD.GOLD": (1_500.0, 0.009, True),
    "CMD.IRON.ORE": (90.0, 0.015, True),
    "CMD.SOYBEAN": (900.0, 0.011, True),
    "US.DXY": (95.0, 0.004, True),
}
CONSTANT = {"BR.CDI": 9.0, "US.UST.3M": 1.5, "BR.FOCUS.IPCA.12M": 4.0}
MONTHLY = {  # id -> (level, sd of each month, cumulative?)
    "BR.IBCBR.SA": (140.0, 0.6, True),
    "US.PAYROLLS.CHG": (180.0, 60.0, False),
    "BR.IPCA.MOM": (0.35, 0.15, False),
    "BR.IPCA15.MOM": (0.35, 0.15, False),
}
WEEKLY = {
    "BR.FXFLOW.COMMERCIAL": (500.0, 800.0),
    "BR.FXFLOW.FINANCIAL": (-300.0, 1200.0),
    "CFTC.BRL.NET.NONCOMM": (10_000.0, 3_000.0),
    "CFTC.UST10Y.NET.NONCOMM": (-50_000.0, 20_000.0),
    "CFTC.SPX.NET.NONCOMM": (20_000.0, 10_000.0),
}


_rows = functools.partial(agent_rows, source="hand_test")  # one vintage of a series


def build_rows(seed: int = 28) -> pd.DataFrame:
    """All observation rows of the test lake (one vintage each)."""
    rng = np.random.default_rng(seed)
    days = business_day_range("2015-01-02", "2021-07-30", "B3")
    evening = pd.Timedelta(hours=22)
    out = []
    for sid, (level, sd, geometric) in DAILY.items():
        steps = rng.normal(0.0, sd, len(days))
        values = level * np.exp(np.cumsum(steps)) if geometric else level + np.cumsum(steps)
        out.append(_rows(sid, days, values, evening))
    for sid, level in CONSTANT.items():
        out.append(_rows(sid, days, np.full(len(days), level), evening))
    months = pd.date_range("2012-01-01", "2021-07-01", freq="MS")
    for sid, (level, sd, cumulative) in MONTHLY.items():
        steps = rng.normal(0.0, sd, len(months))
        values = level * np.exp(np.cumsum(steps) / 100) if cumulative else level + steps
        out.append(_rows(sid, months, values, pd.Timedelta(days=40, hours=12)))
    weeks = pd.date_range("2014-01-03", "2021-07-30", freq="W-FRI")
    crowded = {"CFTC.BRL.NET.NONCOMM": 2.5, "CFTC.SPX.NET.NONCOMM": -2.5}  # sd's, from June 2021
    for sid, (level, sd) in WEEKLY.items():
        values = level + rng.normal(0.0, sd, len(weeks))
        values[weeks >= "2021-06-01"] = level + crowded.get(sid, 0.0) * sd
        out.append(_rows(sid, weeks, values, pd.Timedelta(days=4)))
    return pd.concat(out, ignore_index=True)


@dataclass(frozen=True)
class HandLake:
    """The lake, the rows written to it and the view the tests read at ``AS_OF``."""

    lake: Lake
    rows: pd.DataFrame
    view: PITView
    by_id: dict[str, pd.Series] = field(default_factory=dict)

    def known(self, sid: str) -> pd.Series:
        """The rows of ``sid`` released by the view's instant, by obs_date (from the frame
        the test wrote, not from the lake)."""
        if sid not in self.by_id:
            r = self.rows[self.rows["series_id"] == sid]
            r = r[r["release_time"] <= self.view.as_of]
            self.by_id[sid] = r.set_index("obs_date")["value"].sort_index()
        return self.by_id[sid].copy()


@pytest.fixture(scope="session")
def hand_lake(tmp_path_factory: pytest.TempPathFactory) -> HandLake:
    path: Path = tmp_path_factory.mktemp("strategies_lake") / "lake"
    lake = Lake.open(path, create=True)
    rows = build_rows()
    lake.write(rows)
    return HandLake(lake, rows, lake.at(AS_OF))
