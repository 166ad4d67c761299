"""Known answers for the strategies that read an agent's view (``agent_position``).

Run on the synthetic agent lake (``tests/agents/agent_lake.py``), where each agent's
estimates are checked against planted parameters in ``tests/agents/test_known_answers.py``.
Here the agent's output is read from its report (direction x confidence, as the strategy
docstrings define it) and the strategy's own arithmetic — weights, signs, the value
z-scores and carry — is recomputed by hand from the rows the lake was written with.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core.agents import AgentReport
from research_core.calendars import business_day_range
from research_core.strategies import load_config
from tests.agents.agent_lake import AS_OF, AgentLake, build, reports

BOOK = load_config()
Case = tuple[AgentLake, dict[str, AgentReport]]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Case:
    root: Path = tmp_path_factory.getbasetemp() / "agent_lake"
    return build(root), reports(root)


def view_of(a: AgentLake, sid: str) -> pd.Series:
    r = a.rows[(a.rows["series_id"] == sid) & (a.rows["release_time"] <= pd.Timestamp(AS_OF))]
    return r.set_index("obs_date")["value"].sort_index()


def agent(reps: dict[str, AgentReport], name: str, instrument: str) -> float:
    (s,) = [s for s in reps[name].signals if s.instrument == instrument]
    return s.direction * s.confidence


def z_last(s: pd.Series, window: int) -> float:
    tail = s.dropna().iloc[-window:]
    return float((tail.iloc[-1] - tail.mean()) / tail.std(ddof=1))


def fx_carry_to_vol(a: AgentLake) -> float:
    """USD/BRL unit: weekly spot moves plus the rate-differential carry, on B3 sessions
    (each session holds the last weekly level known), annual carry over annual vol."""
    spot, cdi, ust = (view_of(a, s) for s in ("BRL.USD.SPOT", "BR.CDI", "US.UST.3M"))
    carry = -(cdi - ust) / 100
    ret = (spot / spot.shift(1) - 1 + carry.shift(1) / 252).iloc[1:]
    level = (1 + ret).cumprod()
    days = business_day_range("2019-01-01", "2021-03-15", "B3")
    daily = level.reindex(days, method="ffill").pct_change().iloc[-252:]
    return float(carry.iloc[-1] / (daily.std(ddof=1) * np.sqrt(252)))


def inf_br_01(a: AgentLake, reps: dict[str, AgentReport]) -> dict[str, float]:
    be = view_of(a, "BR.BREAKEVEN.2Y").resample("W-FRI").last()
    focus = view_of(a, "BR.FOCUS.IPCA.12M").resample("W-FRI").last()
    value = -np.tanh(z_last((be - focus.reindex(be.index).ffill()).dropna(), 156) / 1.5)
    x = 0.5 * value + 0.5 * agent(reps, "inflation", "BR.INFLATION")
    return {"DI1.2Y": x, "NTNB.5Y": -x}


CASES: dict[str, Callable[[AgentLake, dict[str, AgentReport]], dict[str, float]]] = {
    "RATES_BR_02": lambda a, r: {
        "DI1.1Y": agent(r, "monetary_policy", "DI1.1Y"),
        "DI1.2Y": 0.5 * agent(r, "monetary_policy", "DI1.1Y"),
    },
    "RATES_US_01": lambda a, r: {
        "UST.2Y.FUT": agent(r, "monetary_policy", "UST.2Y.FUT"),
        "UST.5Y.FUT": 0.5 * agent(r, "monetary_policy", "UST.2Y.FUT"),
    },
    "SOV_BR_01": lambda a, r: {
        "BR.CDS.5Y": 0.5 * agent(r, "fiscal", "BR.CDS.5Y")
        - 0.5 * np.tanh(z_last(view_of(a, "BR.CDS.5Y"), 252) / 1.5)
    },
    "INF_BR_01": inf_br_01,
    "FX_BR_01": lambda a, r: {
        "USDBRL.FUT": 0.5 * np.tanh(fx_carry_to_vol(a) / 0.5)
        + 0.5 * agent(r, "fx_equilibrium", "USDBRL.FUT")
    },
    "XA_REGIME_01": lambda a, r: {
        i: -agent(r, "cross_asset", "GLOBAL.RISK") * w
        for i, w in {
            "IBOV.FUT": 1,
            "ES.FUT": 1,
            "USDBRL.FUT": -1,
            "DI1.2Y": -0.5,
            "GOLD.FUT": -0.5,
        }.items()
    },
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_position_matches_the_agent_and_the_hand_formula(planted: Case, name: str) -> None:
    lake, reps = planted
    got = BOOK[name].generate_signals(lake.lake.at(AS_OF))
    want = pd.Series(CASES[name](lake, reps), dtype=float).reindex(got.index).fillna(0.0)
    assert (want.abs() > 1e-3).any()
    np.testing.assert_allclose(got.to_numpy(), want.clip(-1, 1).to_numpy(), rtol=1e-9, atol=1e-12)


def test_blend_weights_are_not_interchangeable(planted: Case) -> None:
    """At the shipped 0.5/0.5 blends a swapped weight is invisible; off-centre it is not."""
    lake, reps = planted
    view = lake.lake.at(AS_OF)
    sov = type(BOOK["SOV_BR_01"])(value_weight=0.25).generate_signals(view)["BR.CDS.5Y"]
    value = -np.tanh(z_last(view_of(lake, "BR.CDS.5Y"), 252) / 1.5)
    assert sov == pytest.approx(0.75 * agent(reps, "fiscal", "BR.CDS.5Y") + 0.25 * value, rel=1e-9)
    fx = type(BOOK["FX_BR_01"])(carry_weight=0.25).generate_signals(view)["USDBRL.FUT"]
    carry = np.tanh(fx_carry_to_vol(lake) / 0.5)
    want = 0.25 * carry + 0.75 * agent(reps, "fx_equilibrium", "USDBRL.FUT")
    assert fx == pytest.approx(want, rel=1e-9)
    rates = type(BOOK["RATES_BR_02"])(secondary=0.3).generate_signals(view)
    assert rates["DI1.2Y"] == pytest.approx(0.3 * agent(reps, "monetary_policy", "DI1.1Y"))


def test_every_registered_strategy_has_a_known_answer() -> None:
    from tests.strategies import (
        test_curve_known_answers,
        test_market_known_answers,
        test_series_known_answers,
    )

    covered = [
        *CASES,
        *test_market_known_answers.CASES,
        *test_series_known_answers.CASES,
        *test_curve_known_answers.CASES,
    ]
    assert sorted(covered) == sorted(BOOK) and len(covered) == len(set(covered)) == 33
