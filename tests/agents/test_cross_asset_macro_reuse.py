"""The cross-asset agent's macro side (growth, inflation, their regime) is computed once
per fit and per content of its four monthly inputs (issue 29: in a daily run they change
only on a release or a revision, while the markets change every day).

Checked on hand-built inputs: a new day of market prices reuses the macro regime; a
revised macro value, or another fit, recomputes it; a reused regime is bitwise the one a
fresh process computes, in frames of its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core._memo import MEMO
from research_core.agents import cross_asset
from research_core.agents.cross_asset import MARKETS, CrossAssetAgent

MONTHS = pd.date_range("2012-01-01", periods=84, freq="MS")
DAYS = pd.bdate_range("2016-01-04", "2018-12-31")


def _data(last_price: float = 1.0, ipca_revision: float = 0.0) -> dict[str, pd.Series]:
    rng = np.random.default_rng(5)
    t = np.arange(len(MONTHS))
    ipca = pd.Series(0.4 + 0.2 * np.sin(t / 9) + rng.normal(0, 0.05, len(t)), MONTHS)
    ipca.iloc[-1] += ipca_revision
    data = {
        "US.IP.MOM": pd.Series(0.2 * np.cos(t / 7) + rng.normal(0, 0.1, len(t)), MONTHS),
        "BR.IBCBR.SA": pd.Series(100 + np.cumsum(rng.normal(0.1, 0.5, len(t))), MONTHS),
        "US.CPI.YOY": pd.Series(2 + np.sin(t / 11) + rng.normal(0, 0.1, len(t)), MONTHS),
        "BR.IPCA.MOM": ipca,
    }
    for k, sid in MARKETS.items():
        steps = rng.normal(0, 0.012 if k != "cds" else 0.03, len(DAYS))
        prices = 100 * np.exp(np.cumsum(steps))
        prices[-1] *= last_price  # another day's last price: the markets moved
        data[sid] = pd.Series(prices, DAYS)
    return data


def _macro(data: dict[str, pd.Series], fit_key: tuple[object, ...] = ("own sample",)):
    agent = CrossAssetAgent()
    agent._fit_key = fit_key
    notes: list[str] = []
    return agent.models(agent.features(data, notes), notes)["macro_regime"]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Calls of the real ``macro_regimes`` (counted, not replaced), from an empty memo."""
    calls: list[int] = []
    real = cross_asset.macro_regimes

    def count(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cross_asset, "macro_regimes", count)
    MEMO.clear()
    return calls


def test_a_new_market_day_reuses_the_macro_regime(counted: list[int]) -> None:
    first = _macro(_data())
    again = _macro(_data(last_price=1.01))
    assert counted == [1]  # one fit for both days (was one per day)
    assert first.method == "hmm"
    for name in ("probabilities", "means", "transmat"):
        mine, kept = getattr(again, name), getattr(first, name)
        assert mine is not kept  # a report's frames are its own
        pd.testing.assert_frame_equal(mine, kept, check_exact=True, check_freq=True)
    MEMO.clear()  # a fresh process computes the same numbers
    fresh = _macro(_data(last_price=1.01))
    pd.testing.assert_frame_equal(fresh.probabilities, again.probabilities, check_exact=True)
    assert fresh.loglik == again.loglik


def test_a_revision_or_another_fit_recomputes(counted: list[int]) -> None:
    first = _macro(_data())
    revised = _macro(_data(ipca_revision=0.3))
    assert counted == [1, 1]
    assert not np.array_equal(revised.probabilities.to_numpy(), first.probabilities.to_numpy())
    _macro(_data(), fit_key=("another year-end",))
    assert counted == [1, 1, 1]
