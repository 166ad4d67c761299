"""The agents' signal history across runs (``pipeline.signal_history``) and the Agent
Hub's table of changes of view (``viz.agent_history.changes``), on hand-built run folders:
each run's history is the previous run's plus its own signals, a re-run replaces its date."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from research_core.pipeline.signal_history import signal_history
from research_core.pipeline.steps import signals_frame
from research_core.records import Signal
from research_core.viz.agent_history import changes, history_figure, regime_table


def _signals(day: str, calls: list[tuple[str, str, str, float, str]]) -> pd.DataFrame:
    """(agent, model, instrument, z, reason) → the agents step's signals table."""
    sigs = [
        Signal(
            as_of=pd.Timestamp(f"{day} 23:59", tz="America/Sao_Paulo"),
            source=agent,
            instrument=inst,
            direction=(z > 0.5) - (z < -0.5),
            strength=z,
            confidence=0.6,
            horizon_days=21,
            rationale=why,
            model=model,
        )
        for agent, model, inst, z, why in calls
    ]
    return signals_frame(sigs)


def _run(root: Path, day: str, name: str, frame: pd.DataFrame) -> None:
    folder = root / day / "artifacts" / "agents"
    folder.mkdir(parents=True)
    (root / day / "manifest.json").write_text(
        json.dumps({"as_of": day, "status": "succeeded"}), encoding="utf-8"
    )
    frame.to_parquet(folder / name)


DAY1 = [("inflation", "phillips", "DI1.1Y", 1.2, "phillips: long DI1.1Y (z +1.20)"),
        ("fx_equilibrium", "", "USDBRL.NDF", -0.9, "beer: short USDBRL.NDF (z -0.90)")]  # fmt: skip
DAY2 = [("inflation", "phillips", "DI1.1Y", -0.8, "phillips: short DI1.1Y (z -0.80)"),
        ("inflation", "focus", "DI1.1Y", 0.7, "focus: long DI1.1Y (z +0.70)"),
        ("fx_equilibrium", "", "USDBRL.NDF", -1.1, "beer: short USDBRL.NDF (z -1.10)")]  # fmt: skip


def test_history_chains_runs_and_a_rerun_replaces_its_date(tmp_path: Path) -> None:
    _run(tmp_path, "2026-10-28", "signals.parquet", _signals("2026-10-28", DAY1))  # no history
    hist2 = signal_history(tmp_path / "2026-10-29", "2026-10-29", _signals("2026-10-29", DAY2))
    assert list(hist2["date"]) == ["2026-10-28"] * 2 + ["2026-10-29"] * 3
    _run(tmp_path, "2026-10-29", "history.parquet", hist2)

    rerun = _signals("2026-10-29", DAY1)  # a forced re-run of 10-29 said DAY1 instead
    hist3 = signal_history(tmp_path / "2026-10-29", "2026-10-29", rerun)
    assert list(hist3["date"]) == ["2026-10-28"] * 2 + ["2026-10-29"] * 2
    hist4 = signal_history(tmp_path / "2026-10-30", "2026-10-30", _signals("2026-10-30", []))
    assert hist4.equals(hist2)  # a run with no signals keeps the history it found


def test_a_run_that_finished_late_is_not_lost(tmp_path: Path) -> None:
    """A parallel backfill: 10-28's history was written while 10-27 still ran, so it lacks
    10-27; 10-29's history takes 10-27's signals from its run folder (by hand: 2 + 3 + 0)."""
    _run(tmp_path, "2026-10-28", "history.parquet", signal_history(
        tmp_path / "2026-10-28", "2026-10-28", _signals("2026-10-28", DAY2)))  # fmt: skip
    _run(tmp_path, "2026-10-27", "signals.parquet", _signals("2026-10-27", DAY1))  # late
    hist = signal_history(tmp_path / "2026-10-29", "2026-10-29", _signals("2026-10-29", []))
    assert list(hist["date"]) == ["2026-10-27"] * 2 + ["2026-10-28"] * 3


def test_changes_lists_flips_with_the_models_reason() -> None:
    hist = pd.concat(
        [
            _signals("2026-10-28", DAY1).assign(date="2026-10-28"),
            _signals("2026-10-29", DAY2).assign(date="2026-10-29"),
        ]
    )
    moved = changes(hist)
    # by hand: only phillips on DI1.1Y flipped (long → short); focus is new, the FX call held
    assert moved.to_dict("records") == [
        {
            "date": "2026-10-29",
            "agent": "inflation",
            "target": "DI1.1Y (phillips)",
            "from": "long",
            "to": "short",
            "strength (z)": "-0.80",
            "reason": "phillips: short DI1.1Y (z -0.80)",
        }
    ]
    fig = history_figure(hist, "inflation", sample=False)
    assert sorted(t.name for t in fig.data) == ["DI1.1Y (focus)", "DI1.1Y (phillips)"]


def test_regime_tables_carry_units() -> None:
    """The cross-asset agent's regime diagnostics in words and units, never 0.8944."""
    transmat = pd.DataFrame({"risk_on": [0.9657, 0.109], "risk_off": [0.0343, 0.891]},
                            index=["risk_on", "risk_off"])  # fmt: skip
    means = pd.DataFrame({"spx": [0.0018], "cds": [-0.0048]}, index=["risk_on"])
    scores = pd.DataFrame({"growth": [0.8944], "inflation": [-0.1792]}, index=["Goldilocks"])
    html = regime_table("risk_regime.transmat", transmat, "t")
    assert "(probability, %)" in html and ">96.6%<" in html and ">3.4%<" in html  # by hand
    html = regime_table("risk_regime.means", means, "m")
    assert ">+0.18%<" in html and ">-0.5 bp<" in html  # 0.0018 → 0.18 %; −0.0048 × 100 bp
    html = regime_table("macro_regime.means", scores, "s")
    assert "(mean score, z)" in html and ">+0.89<" in html and ">-0.18<" in html
