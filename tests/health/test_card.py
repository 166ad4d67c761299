"""Health cards: status rules on simulated streams, the artifact, the lake's point-in-time
series and ``workbench health``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core.backtest.ledger import TrialLedger
from research_core.cli import main
from research_core.health.card import assess
from research_core.health.report import health_report, write_health
from research_core.lake import Lake

DAYS = pd.bdate_range("2015-01-01", periods=2000)
SIGMA = 0.01
MU = 1.5 / np.sqrt(252) * SIGMA  # Sharpe 1.5


def _stream(
    seed: int, *, mean_after: float = MU, vol_after: float = SIGMA, last: int = 300
) -> pd.Series:
    """Daily returns at Sharpe 1.5, changed over the ``last`` sessions."""
    rng = np.random.default_rng(seed)
    r = rng.normal(MU, SIGMA, len(DAYS))
    r[-last:] = rng.normal(mean_after, vol_after, last)
    return pd.Series(r, index=DAYS)


def test_status_follows_the_detectors():
    ok = assess("OK", _stream(1), DAYS[-1])
    assert ok.status == "GREEN" and ok.source == "backtest" and ok.reasons[0].startswith("as ")
    crash = assess("CRASH", _stream(2, mean_after=-3 * MU), DAYS[-1])
    assert crash.status == "RED" and "returns below backtest" in crash.reasons[0]
    wild = assess("WILD", _stream(3, vol_after=2 * SIGMA, last=100), DAYS[-1])
    assert wild.status in ("AMBER", "RED")
    assert any("volatility up" in r for r in wild.reasons)


def test_live_record_with_drift_is_red():
    bt = _stream(4)
    # live barely follows the replay and pays 0.4 sigma a day more in costs
    live = bt.iloc[-200:] * 0.2 + np.random.default_rng(9).normal(-0.4 * SIGMA, SIGMA, 200)
    card = assess("S", bt, DAYS[-1], live=live)
    assert card.source == "live" and card.drift is not None
    assert card.status == "RED" and any("Spearman" in r for r in card.reasons)
    assert card.track.n_obs == 200


def _tiny_lake(path: Path) -> Lake:
    """A real lake holding only the CDI (catalog series BR.CDI, 10 % a year)."""
    lake = Lake.open(path, create=True)
    lake.write(
        pd.DataFrame(
            {
                "series_id": "BR.CDI",
                "obs_date": DAYS[:1],
                "value": [10.0],
                "release_time": pd.DatetimeIndex(DAYS[:1]).tz_localize("UTC")
                + pd.Timedelta(hours=22),
                "source": "test",
            }
        )
    )
    return lake


def test_cards_stored_as_artifact_and_pit_series(tmp_path):
    lake = _tiny_lake(tmp_path / "lake")
    cdi = 1.1 ** (1 / 252) - 1
    as_of = DAYS[-1]
    backtests = {"GOOD": _stream(1) + cdi, "BAD": _stream(2, mean_after=-3 * MU) + cdi}
    flat = pd.Series(cdi, index=DAYS)  # earns exactly the CDI: no Sharpe to assess
    report = health_report(lake, as_of, backtests={**backtests, "FLAT": flat})
    assert report.card("GOOD").status == "GREEN" and report.card("BAD").status == "RED"
    assert "FLAT" in report.skipped and "skipped FLAT" in report.summary()
    # the CDI (10 %/y, accrued from the second day) is taken out: the reference Sharpe is
    # the simulated excess stream's over the sessions before the monitored 504
    ref = _stream(1).iloc[1:-504]
    expected = ref.mean() / ref.std() * np.sqrt(252)
    assert report.card("GOOD").track.backtest_sharpe == pytest.approx(expected, rel=0.02)
    folder = write_health(report, lake)
    body = json.loads((folder / "cards.json").read_text())
    assert {c["name"]: c["status"] for c in body["cards"]} == {"GOOD": "GREEN", "BAD": "RED"}
    assert pd.read_parquet(folder / "cards.parquet").loc["BAD", "status"] == "RED"
    now = pd.Timestamp.now(tz="UTC")
    seen = lake.at(now).latest(["HEALTH.BAD.STATE", "HEALTH.GOOD.STATE"])["value"]
    assert seen.tolist() == [2.0, 0.0]
    # computed today for a past as-of (from today's ledger): released now, not back then
    before = lake.at(f"{as_of:%Y-%m-%d}").latest(["HEALTH.BAD.STATE"])
    assert as_of < now.tz_localize(None) and before["value"].isna().all()
    first_seen = pd.Timestamp.now(tz="UTC")
    other = health_report(lake, as_of, backtests={"BAD": backtests["GOOD"]})
    write_health(other, lake)
    # a later assessment is a new vintage; a view before it still sees the first card
    assert lake.at(first_seen).latest(["HEALTH.BAD.STATE"])["value"].tolist() == [2.0]
    later = lake.at(pd.Timestamp.now(tz="UTC")).latest(["HEALTH.BAD.STATE"])["value"]
    assert later.tolist() == [0.0]


def test_workbench_health_cli(tmp_path, capsys):
    lake = _tiny_lake(tmp_path / "lake")
    folder = lake.root / "artifacts" / "backtests" / "GOOD"
    folder.mkdir(parents=True)
    _stream(1).rename("as_of").to_frame().to_parquet(folder / "returns.parquet")
    TrialLedger.for_lake(lake).path.write_text(
        "".join(
            json.dumps({"trial_id": f"t{i}", "strategy": "GOOD", "sharpe_period": s}) + "\n"
            for i, s in enumerate([0.01, 0.03])
        )
    )
    day = f"{DAYS[-1]:%Y-%m-%d}"
    assert main(["health", "--as-of", day, "--path", str(lake.root)]) == 0
    out = capsys.readouterr().out
    assert "GOOD [backtest]" in out and "cards written to" in out
    assert (lake.root / "artifacts" / "health" / day / "cards.json").exists()
    assert main(["health", "--as-of", "2024-13-45", "--path", str(lake.root)]) == 2
    assert "--as-of" in capsys.readouterr().err
    # --out at the lake (not a folder the program wrote) is refused, the lake untouched
    assert main(["health", "--as-of", day, "--path", str(lake.root), "--out", str(lake.root)]) == 2
    assert "refusing" in capsys.readouterr().err
    assert not (lake.root / "cards.json").exists()
    empty = Lake.open(tmp_path / "empty", create=True)
    assert main(["health", "--as-of", day, "--path", str(empty.root)]) == 2
    assert "no backtest returns" in capsys.readouterr().err
