"""The daily ``health`` step: cards of the live strategies from their stored backtests,
cached by strategy and lake snapshot, and one line per strategy with no backtest.

A small lake of our own (CDI at 0 % so excess returns are the stored returns, and one price
series per strategy) and hand-built backtest returns whose CUSUM alarm date is worked out
below by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from research_core import workspace
from research_core.health.loop import health_loop
from research_core.lake import Lake
from research_core.pipeline import steps
from tests.health.smalllake import (
    AS_OF,
    DATES,
    SHIFT,
    TRADED,
    rows,
    shifted_path,
    small_lake,
    write_sources,
)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return small_lake(tmp_path / "lake")


def test_step_alarm_date_by_hand_and_the_missing_backtest_line(
    lake: Lake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reference (first 252 sessions) alternates MEAN ± SD: mean MEAN, sd
    vol = SD·√(252/251), so its standardized returns are ±c, c = √(251/252) < 1.5 (no
    clipping), with centre 0 and spread 1: the scores are the z's. Healthy sessions give
    S− = max(0, S− − s − k) ∈ {0, c − k}; the last healthy one (651, odd, a − day) leaves
    S− = c − k. From SHIFT every score is −1, so after j shifted sessions
    S− = (c − k) + j·(1 − k), k = 0.75/√252 (half the daily shift of a 1.5 → 0 Sharpe
    collapse). The alarm is the first j with S− > h = 29.80 (detectors.CUSUM_H, 252-session
    reference): j = ⌈(h − (c − k)) / (1 − k)⌉ = 31."""
    k, c, h = 0.75 / math.sqrt(252), math.sqrt(251 / 252), 29.80
    j = math.ceil((h - (c - k)) / (1 - k))
    assert j == 31
    run_dir = tmp_path / "runs" / AS_OF
    write_sources(run_dir, ["RATES_BR_01", "FX_BR_01"])
    url = f"sqlite:///{tmp_path / 'pms.db'}"
    steps.health(lake_path=str(lake.root), as_of=AS_OF, run_dir=str(run_dir), db_url=url)

    art = run_dir / "artifacts" / "health"
    paths = pd.read_parquet(art / "health_paths.parquet")
    mine = paths[paths["name"] == "RATES_BR_01"].set_index("date")
    alarms = mine.index[mine["cusum_alarm"] == -1]
    assert alarms[0] == DATES[SHIFT + j - 1]
    assert mine.loc[alarms[0], "cusum_down"] == pytest.approx((c - k) + j * (1 - k), rel=1e-9)
    assert len(mine) == 504 and mine["threshold"].iloc[0] == pytest.approx(h)
    record = json.loads((art / "cards.json").read_text())
    (card,) = record["cards"]
    assert card["name"] == "RATES_BR_01" and card["status"] == "RED"
    cards = pd.read_parquet(art / "cards.parquet")
    assert cards["status"].tolist() == ["RED"]
    # FX_BR_01 is live but has no stored backtest: one line saying how to make one
    command = f"workbench backtest FX_BR_01 --start 2016-01-01 --end {AS_OF}"
    assert record["missing"] == {"FX_BR_01": command}
    out = capsys.readouterr().out
    assert f"FX_BR_01: no stored backtest; make one with `{command}`" in out.splitlines()


def _cache_files(cache: Path) -> dict[str, set[str]]:
    """Cached cards and paths per strategy (lock files aside)."""
    return {
        d.name: {p.name for p in d.iterdir() if p.suffix in (".json", ".parquet")}
        for d in cache.iterdir()
    }


def test_cache_reuse_and_a_revision_recomputes_only_its_strategy(
    lake: Lake, tmp_path: Path
) -> None:
    cache, names = tmp_path / "cache", list(TRADED)
    first = health_loop(lake, AS_OF, names, cache_dir=cache)
    assert sorted(first.computed) == names and first.reused == ()
    files = _cache_files(cache)
    assert {n: len(f) for n, f in files.items()} == {n: 2 for n in names}  # .json + .parquet

    again = health_loop(lake, AS_OF, names, cache_dir=cache)  # same lake snapshot
    assert again.computed == () and sorted(again.reused) == names
    assert _cache_files(cache) == files  # nothing written
    assert again.record()["cards"] == first.record()["cards"]  # NaN-safe
    pd.testing.assert_frame_equal(again.paths, first.paths, check_dtype=False)

    # a revision of the 1-year DI (traded only by RATES_BR_01), released by the as-of
    lake.write(rows("BR.DI.1Y", [10.15], DATES[1:2], released="22:30"))
    later = health_loop(lake, AS_OF, names, cache_dir=cache)
    assert later.computed == ("RATES_BR_01",) and later.reused == ("RATES_US_01",)
    now = _cache_files(cache)
    assert len(now["RATES_BR_01"]) == 4 and now["RATES_US_01"] == files["RATES_US_01"]

    # a row released after the as-of is not in its snapshot: nothing to recompute
    late = DATES[-1] + pd.offsets.BDay(3)
    lake.write(rows("US.UST.10Y", [4.0], pd.DatetimeIndex([late])))
    assert health_loop(lake, AS_OF, names, cache_dir=cache).computed == ()
    # the next days: new prints after the backtests' last date change no card
    lake.write(rows("BR.CDI", [0.0], pd.DatetimeIndex([late])))
    day = f"{late:%Y-%m-%d}"
    next_day = health_loop(lake, day, names, cache_dir=cache)
    assert next_day.computed == () and {c["as_of"] for c in next_day.cards} == {day}
    assert {c["through"] for c in next_day.cards} == {AS_OF}


def test_a_backtest_too_short_for_a_card_is_skipped_with_the_command(
    lake: Lake, tmp_path: Path
) -> None:
    """Without live P&L a card needs 252 reference + 504 monitored sessions (card.py)."""
    short = workspace.backtest_returns(lake.root, "RATES_US_01")
    pd.read_parquet(short).iloc[-300:].to_parquet(short)
    got = health_loop(lake, AS_OF, list(TRADED), cache_dir=tmp_path / "cache")
    assert [c["name"] for c in got.cards] == ["RATES_BR_01"]
    command = f"workbench backtest RATES_US_01 --start 2016-01-01 --end {AS_OF}"
    assert got.skipped == {
        "RATES_US_01": f"300 backtest sessions up to {AS_OF}; a card needs 756 "
        f"(store a longer one: {command})"
    }


def test_live_pnl_is_monitored_and_a_corrected_mark_recomputes_only_that_card(
    lake: Lake, tmp_path: Path
) -> None:
    """Live returns for RATES_BR_01 over 40 sessions (0.2 %, −0.1 % alternating):
    its card monitors them against the backtest before them; the other stays on its
    backtest. Sharpe by hand: mean 0.05 %, sd 0.15 %·√(40/39), × √252."""
    days = DATES[600:640]  # where the backtest alternates (drift needs it not constant)
    values = [0.002 if i % 2 == 0 else -0.001 for i in range(40)]
    live = pd.DataFrame({"RATES_BR_01": values}, index=days)
    cache = tmp_path / "cache"
    got = health_loop(lake, AS_OF, list(TRADED), cache_dir=cache, live=live)
    card = {c["name"]: c for c in got.cards}
    assert card["RATES_BR_01"]["source"] == "live" and card["RATES_US_01"]["source"] == "backtest"
    assert card["RATES_BR_01"]["n_obs"] == 40
    sharpe = 0.0005 / (0.0015 * math.sqrt(40 / 39)) * math.sqrt(252)
    assert card["RATES_BR_01"]["sharpe"] == pytest.approx(sharpe, rel=1e-9)
    mine = got.paths[got.paths["name"] == "RATES_BR_01"].set_index("date")
    assert mine["monitored"].tolist() == values
    assert mine["backtest"].tolist() == shifted_path().loc[days].tolist()  # CDI at 0 %
    live.iloc[5, 0] = 0.0015  # a corrected mark
    again = health_loop(lake, AS_OF, list(TRADED), cache_dir=cache, live=live)
    assert again.computed == ("RATES_BR_01",) and again.reused == ("RATES_US_01",)
