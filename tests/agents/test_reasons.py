"""Agents say why, consistently (issue 26 item 3): the one-line reason is built from the
model outputs, and a reason that contradicts its signal's sign or z, or cites a p-value
above 0.10 as evidence, is caught. Expected strings are written out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from research_core.agents.reasons import p_value, reason, reason_problems
from research_core.records import Signal


def _signal(z: float, direction: int, rationale: str, model: str = "BEER") -> Signal:
    return Signal(pd.Timestamp("2026-10-30", tz="UTC"), "agent:fx_equilibrium", "USDBRL.FUT",
                  direction, z, 0.3, 252, rationale, model=model)  # fmt: skip


def test_a_weak_statistic_is_a_caveat_never_evidence() -> None:
    text = reason("BEER", "USDBRL.FUT", -1.876, "USD/BRL 32.5% above its fair value",
                  (p_value("cointegration", 0.96), p_value("ADF", 0.03)))  # fmt: skip
    assert text == (
        "BEER: short USDBRL.FUT (z −1.88) — USD/BRL 32.5% above its fair value; "
        "evidence: ADF p-value 0.03; not significant: cointegration p-value 0.96"
    )
    assert reason_problems(_signal(-1.876, -1, text)) == []
    # |z| under 0.5 is no view (agents.base.direction_of)
    assert reason("BEER", "USDBRL.FUT", 0.42, "close to fair value").startswith(
        "BEER: no view USDBRL.FUT (z +0.42)"
    )


@pytest.mark.parametrize(
    ("z", "direction", "text", "problem"),
    [
        # the case: an FX call at z −1.88 "with cointegration p = 0.96" as evidence
        (-1.88, -1, "BEER: short USDBRL.FUT (z −1.88) — above fair value; cointegration "
         "p = 0.96", "cites p = 0.96 (> 0.1) as evidence"),
        (-1.88, -1, "BEER: long USDBRL.FUT (z −1.88) — above fair value",
         "says 'long' but the signal is 'short'"),
        (-1.88, -1, "BEER: short USDBRL.FUT (z +1.88) — above fair value",
         "cites z +1.88 but the signal's z is -1.88"),
        (-1.88, -1, "Phillips curve: short USDBRL.FUT (z −1.88) — above fair value",
         "names model 'Phillips curve' but the signal came from 'BEER'"),
        (-1.88, -1, "USD/BRL 5.575 vs BEER fair 4.025 (+32.5%); cointegration p=0.96",
         "not a one-line reason"),
    ],
)  # fmt: skip
def test_contradicting_reasons_are_caught(
    z: float, direction: int, text: str, problem: str
) -> None:
    problems = reason_problems(_signal(z, direction, text))
    assert any(p.startswith(problem) for p in problems), problems


def test_a_significant_p_value_may_be_cited() -> None:
    text = "BEER: short USDBRL.FUT (z −1.88) — above fair value; cointegration p = 0.04"
    assert reason_problems(_signal(-1.88, -1, text)) == []
