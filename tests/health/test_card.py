"""Health cards: status rules on simulated streams, the artifact, the lake's point-in-time
series and ``workbench health``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core import workspace
from research_core.backtest.ledger import TrialLedger
from research_core.cli import main
from research_core.health.card import MONITOR, assess
from research_core.health.detectors import CUSUM_K, CUSUM_WARN, cusum_threshold
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


def _sliding(n_down: int, m: int = 1000) -> pd.Series:
    """A backtest by hand: 0.1 % a day +- 1 % alternating (reference and monitored), the
    last ``n_down`` sessions at 0.1 % - 0.9 vol (vol = 1 % x sqrt(m / (m - 1)), the
    reference's sample volatility), i.e. standardized returns of exactly -0.9; ``n_down``
    odd, so that the session before them is a + one."""
    assert n_down % 2 == 1
    days = pd.bdate_range("2010-01-01", periods=m + MONITOR)
    r = 0.001 + 0.01 * np.tile([1.0, -1.0], len(days) // 2)
    r[len(days) - n_down :] = 0.001 - 0.9 * 0.01 * np.sqrt(m / (m - 1))
    return pd.Series(r, index=days)


def test_card_rules_by_hand():
    # Reference: standardized +-sqrt(999/1000), inside the 1.5 clip: center 0, spread 1.
    # The monitored alternation leaves S- at 0 after each + session; then each of the
    # n sessions at z = -0.9 adds 0.9 - k. The lower CUSUM over its threshold h (the
    # table's, for a 1000-session reference) is n (0.9 - k) / h; the volatility falls
    # (not a card reason), the monitored Sharpe stays above half the backtest's.
    h, step = cusum_threshold(1000), 0.9 - CUSUM_K
    for ratio, status in ((0.6, "GREEN"), (0.95, "AMBER"), (1.1, "RED")):
        n = int(np.ceil(ratio * h / step)) | 1
        card = assess("S", _sliding(n), _sliding(n).index[-1])
        assert card.status == status, (ratio, card.reasons)
        if ratio < 1:
            assert card.cusum_down == pytest.approx(n * step / h)
    # 60 % of h was AMBER under the old rule (half the threshold); the warning now starts
    # at CUSUM_WARN, which the benchmark sets to show on 5 % of healthy sessions
    assert 0.6 < CUSUM_WARN < 0.95
    n = int(np.ceil(0.95 * h / step)) | 1
    card = assess("S", _sliding(n), _sliding(n).index[-1])
    assert card.reasons == (f"lower CUSUM at {n * step / h:.0%} of its alarm threshold",)


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
    folder = workspace.folder(lake.root, "backtests") / "GOOD"
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
    assert (workspace.folder(lake.root, "health") / day / "cards.json").exists()
    assert main(["health", "--as-of", "2024-13-45", "--path", str(lake.root)]) == 2
    assert "--as-of" in capsys.readouterr().err
    # --out at the lake (not a folder the program wrote) is refused, the lake untouched
    assert main(["health", "--as-of", day, "--path", str(lake.root), "--out", str(lake.root)]) == 2
    assert "refusing" in capsys.readouterr().err
    assert not (lake.root / "cards.json").exists()
    empty = Lake.open(tmp_path / "empty", create=True)
    assert main(["health", "--as-of", day, "--path", str(empty.root)]) == 2
    assert "no backtest returns" in capsys.readouterr().err
