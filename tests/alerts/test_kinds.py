"""Each alert kind from a hand-built run folder (the contract in pipelines/README.md):
expected messages written out by hand from the inputs."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
import pytest

from research_core.alerts import AlertsError, alerts_from_run, load_config
from research_core.alerts.config import Thresholds
from research_core.risk.breakers import LadderState
from tests.alerts.conftest import write_run


def _by_subject(folder, **kw):
    return {a.subject: a for a in alerts_from_run(folder, **kw)}


def test_failed_and_late_steps(tmp_path):
    steps = [
        {"name": "agents", "status": "succeeded", "duration_s": 100.0},
        {"name": "book", "status": "succeeded", "duration_s": 750.0},
        {"name": "risk", "status": "failed", "error": {"ename": "ValueError", "evalue": "x"}},
    ]
    folder = write_run(tmp_path, steps=steps)
    got = _by_subject(folder, deadlines={"agents": 600, "book": 900, "risk": 900})
    assert set(got) == {"step book", "step risk"}  # agents used 17 % of its deadline
    assert (got["step risk"].kind, got["step risk"].severity) == ("step_failed", "critical")
    assert got["step risk"].message == "failed (ValueError)"
    # 750 s > 0.8 × 900 s = 720 s: late
    assert got["step book"].message == "late: took 750 s of a deadline of 900 s"
    assert _by_subject(folder, deadlines={"book": 900}, thresholds=Thresholds(late_fraction=0.9)
                       ).keys() == {"step risk"}  # 750 < 0.9 × 900 = 810  # fmt: skip


def test_stale_key_series_and_quality_findings_over_their_threshold(tmp_path):
    gate = {
        "stale": True, "on_stale": "mark", "stale_series": ["BR.IPCA.MOM", "US.SPX"],
        "details": ["next period 2026-09-01 due by 2026-10-10 12:00 UTC (+grace); 20 days late",
                    "no data known"],
    }  # fmt: skip
    findings = pd.DataFrame(
        {"series_id": ["A"] * 6 + ["B"] * 2, "check": ["jump"] * 6 + ["gap"] * 2,
         "obs_date": pd.Timestamp("2026-10-01"), "detail": "x"}
    )  # fmt: skip
    folder = write_run(
        tmp_path, **{"quality__freshness.json": gate, "quality__findings.parquet": findings}
    )
    got = _by_subject(folder)
    assert got["series BR.IPCA.MOM"].message == "stale: next release 20 days late"
    assert got["series US.SPX"].message == "stale: no data known"
    assert got["series US.SPX"].severity == "warning"  # on_stale: mark
    # 6 jumps ≥ 5 raise one alert; 2 gaps < 10 none
    assert got["data quality: jump"].message == "6 findings, threshold 5"
    assert "data quality: gap" not in got


def test_a_drawdown_ladder_level_change_against_the_previous_run(tmp_path):
    before = LadderState(cap=1.0, level=1, state="alert", drawdown=0.041, event="")
    now = LadderState(cap=0.75, level=2, state="cut 25%", drawdown=0.061, event="cut 25%")
    write_run(tmp_path, "2026-10-29", **{"book__summary.json": {"ladder": asdict(before)}})
    folder = write_run(tmp_path, **{"book__summary.json": {"ladder": asdict(now)}})
    alert = _by_subject(folder)["drawdown ladder"]
    assert alert.severity == "critical"  # a cut
    assert alert.message == "level 2 (was 1): drawdown 6.10 %, gross cap 75 %"
    same = write_run(tmp_path, "2026-10-31", **{"book__summary.json": {"ladder": asdict(now)}})
    assert "drawdown ladder" not in _by_subject(same)


def test_a_health_card_turning_red(tmp_path):
    def cards(**status):
        return {"cards": [{"name": n, "status": s, "psr": 0.12} for n, s in status.items()]}

    write_run(tmp_path, "2026-10-29", **{"health__cards.json": cards(A="GREEN", B="RED")})
    folder = write_run(tmp_path, **{"health__cards.json": cards(A="RED", B="RED", C="AMBER")})
    got = _by_subject(folder)
    assert list(got) == ["strategy A"]  # B was RED already, C is not RED
    assert got["strategy A"].message == "health card turned RED (was GREEN): PSR 0.12"
    assert got["strategy A"].dedupe_key == "2026-10-30|strategy A"


def test_a_run_without_health_cards_raises_none(tmp_path):
    assert alerts_from_run(write_run(tmp_path)) == []


def test_a_bad_alerts_file_is_one_line_naming_it(tmp_path):
    bad = tmp_path / "alerts.yaml"
    bad.write_text("email: {host: h, port: 99999, sender: s, to: [x]}\n", encoding="utf-8")
    with pytest.raises(AlertsError, match=r"alerts file .*alerts\.yaml: .*port"):
        load_config(bad)


def test_the_target_books_limits_are_one_step_milder_than_the_held_books(tmp_path):
    from tests.alerts.conftest import limits_table

    folder = write_run(
        tmp_path,
        **{"risk__held__limits.parquet": limits_table(),
           "risk__target__limits.parquet": limits_table()},
    )  # fmt: skip
    got = {s: a.severity for s, a in _by_subject(folder).items()}
    assert got == {
        "VaR 99% 1d (held book)": "critical", "gross leverage (held book)": "warning",
        "VaR 99% 1d (target book)": "warning", "gross leverage (target book)": "info",
    }  # fmt: skip
