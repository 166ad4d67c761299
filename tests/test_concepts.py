"""One home per concept (issue 28 item 6): the year of sessions and the rebalance horizons
live in ``calendars``, the default capital in ``config``, the CDI accrual in ``pnl``, risk
contributions in ``risk.measures``, the drawdown ladder of a limit in ``RiskLimits``."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core import calendars, config
from research_core.pnl import cdi_accrual
from research_core.portfolio.constraints import Constraints
from research_core.risk.breakers import DrawdownLadder
from research_core.risk.limits import RiskLimits
from research_core.risk.measures import risk_contributions

ROOT = Path(__file__).resolve().parents[1] / "research_core"
# the same numbers meaning something else: a quote's upper bound (cli/_edge.py) and
# CUSUM's table of reference lengths in sessions, not a year (health/detectors.py)
LEFT = {"cli/_edge.py", "health/detectors.py"}
HOMES = {252: "calendars.py", 1e9: "config.py"}


def _literals() -> list[tuple[str, int, float]]:
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "migrations" in rel or rel in LEFT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and type(node.value) in (int, float)
                and node.value in HOMES
                and HOMES[node.value] != rel
            ):
                out.append((rel, node.lineno, node.value))
    return out


def test_sessions_a_year_and_capital_are_written_once() -> None:
    """252 and 1e9 appear as numbers only in their homes (docstrings may say them)."""
    assert _literals() == []


def test_calendar_horizons_agree() -> None:
    # by hand: 252 sessions a year / 12 months = 21 sessions a month; 5 sessions a week
    assert calendars.B3_SESSIONS_PER_YEAR == 252
    assert calendars.REBALANCE_SESSIONS == {"D": 1, "W": 5, "M": 21}
    per_year = calendars.REBALANCE_PERIODS_PER_YEAR
    assert per_year["M"] * calendars.REBALANCE_SESSIONS["M"] == calendars.B3_SESSIONS_PER_YEAR
    assert per_year["D"] == calendars.B3_SESSIONS_PER_YEAR


def test_default_capital_is_one_billion_brl() -> None:
    assert config.DEFAULT_CAPITAL == 1_000_000_000.0  # the fund's BRL 1 bn sample capital


def test_cdi_accrual_known_daily_factor() -> None:
    """CDI 13.65 % a.a. accrues a daily factor of 1.00050788 (B3/CETIP's 8-decimal factor
    for 13.65 %: 1.1365^(1/252)); each session earns the rate known the session before,
    the first nothing, an unknown rate nothing."""
    rf = cdi_accrual(np.array([13.65, np.nan, 10.0]))
    np.testing.assert_allclose(rf, [0.0, 0.00050788, 0.0], atol=5e-9)


def test_risk_contributions_by_hand() -> None:
    """w = (0.5, 0.5), Σ = diag(0.04, 0.01): Σw = (0.02, 0.005), wᵀΣw = 0.0125, shares
    (0.01/0.0125, 0.0025/0.0125) = (0.8, 0.2); a position missing from Σ carries none."""
    cov = pd.DataFrame([[0.04, 0.0], [0.0, 0.01]], index=["a", "b"], columns=["a", "b"])
    w = pd.Series([0.5, 0.5, 0.3], index=["a", "b", "c"])
    np.testing.assert_allclose(risk_contributions(w, cov).to_numpy(), [0.8, 0.2, 0.0])
    flat = risk_contributions(pd.Series([0.0, 0.0], index=["a", "b"]), cov)
    assert flat.isna().all()


def test_drawdown_ladder_flattens_at_the_limit() -> None:
    limits = RiskLimits(drawdown=0.2)
    assert limits.ladder().flatten == pytest.approx(0.2)
    given = DrawdownLadder(alert=0.02, cut_25=0.04, cut_50=0.06, flatten=0.1)
    assert limits.ladder(given) is given
    assert Constraints(limits=limits).drawdown_ladder.flatten == pytest.approx(0.2)
