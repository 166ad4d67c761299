"""The Strategy Health page without a browser: the health step's run folder (the small lake
of ``tests/health/smalllake.py``) read and drawn: counts, cards with units, the CUSUM path
as a share of the alarm line, the monitored record against the backtest, and the line for
a live strategy with no stored backtest."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from research_core.pipeline import steps
from research_core.viz import pages, theme
from tests.dashboards.runfolder import write_manifest
from tests.health.smalllake import AS_OF, DATES, MEAN, SD, SHIFT, small_lake, write_sources


def test_the_page_shows_the_cards_and_paths(tmp_path: Path) -> None:
    lake = small_lake(tmp_path / "lake")
    runs = tmp_path / "runs"
    write_sources(runs / AS_OF, ["RATES_BR_01", "FX_BR_01"])
    url = f"sqlite:///{tmp_path / 'pms.db'}"
    steps.health(lake_path=str(lake.root), as_of=AS_OF, run_dir=str(runs / AS_OF), db_url=url)
    write_manifest(runs / AS_OF, AS_OF, parameters={"lake_path": str(lake.root)})

    assert "strategy_health" in theme.PAGES  # listed on the landing page with the others
    page = pages.read_page("strategy_health", f"date={AS_OF}", runs_path=runs)
    (info,) = [p for p in page.problems if p.title == "No stored backtest"]
    assert "(FX_BR_01)" in info.text
    assert f"`workbench backtest NAME --start 2016-01-01 --end {AS_OF}`" in info.text
    shown = pages.items(page)
    html = "".join(i for i in shown if isinstance(i, str))
    assert 'data-kpi="red"' in html and 'data-kpi="missing"' in html
    card = pd.read_parquet(runs / AS_OF / "artifacts" / "health" / "cards.parquet").iloc[0]
    assert f"{100 * card['cusum_down']:.0f}% of the alarm line" in html
    assert f"{card['sharpe']:+.2f} (annualized)" in html
    assert "504 sessions (backtest)" in html

    figs = {f.layout.title.text: f for f in shown if hasattr(f, "data")}
    cusum = figs["RATES_BR_01: CUSUM and ADWIN"]
    assert cusum.layout.yaxis.title.text == "% of the alarm line"
    lower = next(t for t in cusum.data if t.name.startswith("lower CUSUM"))
    # by hand (tests/health/test_loop.py): the first alarm after 31 shifted sessions, the
    # lower CUSUM then at (c − k) + 31·(1 − k) over h = 29.80
    k, c = 0.75 / math.sqrt(252), math.sqrt(251 / 252)
    at = list(pd.to_datetime(lower.x)).index(DATES[SHIFT + 30])
    assert lower.y[at] == pytest.approx(100 * ((c - k) + 31 * (1 - k)) / 29.80, rel=1e-9)
    record = figs["RATES_BR_01: backtest as if live (no live P&L)"]
    assert record.layout.yaxis.title.text == "cumulative excess return, %"
    (line,) = record.data  # no live P&L: the backtest's monitored sessions alone
    # by hand: 200 pairs (1 + MEAN ± SD), then 104 sessions of 1 + MEAN − SD·√(252/251)
    vol = SD * math.sqrt(252 / 251)
    growth = ((1 + MEAN) ** 2 - SD**2) ** 200 * (1 + MEAN - vol) ** 104
    assert line.y[-1] == pytest.approx(100 * (growth - 1), rel=1e-9)
    assert "PSR and minimum-track-record progress" in figs


def test_a_run_without_the_health_step_says_so(tmp_path: Path) -> None:
    write_manifest(tmp_path / "2026-10-30", "2026-10-30")
    page = pages.read_page("strategy_health", "date=2026-10-30", runs_path=tmp_path)
    assert [p.text for p in page.problems] == [
        "the 2026-10-30 run has no strategy health cards (step health)"
    ]
    html = "".join(i for i in pages.items(page) if isinstance(i, str))
    assert "data-kpi" not in html  # no counts of zero that would read as "all healthy"
