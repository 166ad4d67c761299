"""Each agent's main conclusion on a synthetic lake whose true parameters are known
(``tests/agents/agent_lake.py`` plants them).

Tolerance: an estimate must sit within 4 of its own reported standard errors of the
planted value (for a correctly specified estimator a miss has probability ~6e-5 under
normality), and the standard error must be small enough that the same check would fail
for a coefficient of the wrong size (the bound is stated next to each case).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.agents import AgentReport
from tests.agents.agent_lake import MACRO_END, TRUTH, AgentLake, build, reports


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[AgentLake, dict[str, AgentReport]]:
    root = tmp_path_factory.getbasetemp() / "agent_lake"
    return build(root), reports(root)


def _close(table: pd.DataFrame, name: str, truth: float, max_se: float) -> None:
    coef, se = float(table.loc[name, "coef"]), float(table.loc[name, "std_err"])
    assert se < max_se, f"{name}: se {se:.4f} too wide to test anything"
    assert abs(coef - truth) < 4 * se, f"{name}: {coef:.4f} vs planted {truth} (se {se:.4f})"


def _signal(report: AgentReport, instrument: str) -> float:
    (s,) = [s for s in report.signals if s.instrument == instrument]
    return float(s.strength)


@pytest.mark.parametrize("country", ["BR", "US"])
def test_monetary_policy_recovers_the_planted_taylor_rule(planted, country: str) -> None:
    diag = planted[1]["monetary_policy"].diagnostics
    truth = TRUTH[f"taylor_{country}"]
    long_run = diag[f"taylor_{country}.model"]  # long-run responses k / (1 - rho)
    _close(long_run, "inflation", truth["inflation"], max_se=0.1)  # 1.5: a Taylor-principle test
    _close(long_run, "gap", truth["gap"], max_se=0.05)  # no gap response planted
    _close(diag[f"taylor_{country}"], "rate_lag", truth["rho"], max_se=0.02)


def test_inflation_agent_recovers_the_planted_phillips_curve(planted) -> None:
    table = planted[1]["inflation"].diagnostics["phillips_curve"]
    for name in ("inflation_lag", "expectations", "fx_lag"):  # pass-through 0.03 with se < 0.005
        _close(table, name, TRUTH["phillips"][name], max_se=0.05 if name != "fx_lag" else 0.005)
    _close(table, "gap_lag", 0.0, max_se=0.01)
    months = [f"m_{k}" for k in range(2, 13)]  # no seasonality planted
    assert (table.loc[months, "coef"].abs() < 4 * table.loc[months, "std_err"]).all()


def test_fx_agent_recovers_the_planted_beer_cointegration(planted) -> None:
    table = planted[1]["fx_equilibrium"].diagnostics["beer"]
    _close(table, "terms_of_trade", TRUTH["beer"]["terms_of_trade"], max_se=0.05)
    _close(table, "real_rate_diff", TRUTH["beer"]["real_rate_diff"], max_se=0.005)
    _close(table, "log_cds", TRUTH["beer"]["log_cds"], max_se=0.05)


def test_fiscal_agent_stabilizing_primary_balance_by_hand(planted) -> None:
    lake, reps = planted
    m = lake.monthly.loc[:MACRO_END]
    debt, primary = float(m["debt"].iloc[-1]), float(m["primary"].iloc[-1])
    r = TRUTH["implicit_rate"]  # interest bill planted at 10 % of last year's debt
    real_growth = ((1 + TRUTH["gdp_qoq"] / 100) ** 4 - 1) * 100
    inflation = (np.prod(1 + m["ipca"].iloc[-12:] / 100) - 1) * 100
    g = ((1 + real_growth / 100) * (1 + inflation / 100) - 1) * 100
    stabilizing = debt * (r - g) / (100 + g)  # d (r - g) / (1 + g), in % of GDP
    pb_vol = max(float(m["primary"].diff(12).std()), 0.25)
    report = reps["fiscal"]
    assert _signal(report, "BR.FISCAL") == pytest.approx((stabilizing - primary) / pb_vol, rel=1e-9)
    path = [debt]
    for _ in range(5):
        path.append(path[-1] * (1 + r / 100) / (1 + g / 100) - primary)
    np.testing.assert_allclose(report.diagnostics["debt_dynamics"]["baseline"], path, rtol=1e-9)
    assert f"{stabilizing:+.2f}% to stabilize" in report.signals[0].rationale


def test_cross_asset_hmm_finds_the_planted_turbulent_weeks(planted) -> None:
    lake, reps = planted
    report = reps["cross_asset"]
    probs = report.charts["risk_regime"]
    truth = lake.turbulent.reindex(probs.index)
    assert truth.notna().all() and truth.sum() >= 100
    called_off = probs["risk_off"] > 0.5
    assert (called_off == truth).mean() > 0.97  # weekly vol 4x apart: nearly every week
    assert probs["risk_on"].iloc[-1] < 0.05  # the last twelve weeks are turbulent
    assert _signal(report, "GLOBAL.RISK") < -1.5  # risk-off: z = Φ⁻¹(p(risk-on))
