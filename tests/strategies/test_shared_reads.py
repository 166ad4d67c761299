"""The strategies' per-date work (issue 29): every series is read once per view for all
the strategies, their units and freshness checks, never shared between two views; the
z-scores, trends, momentum, volatility ratios and ranks computed on arrays give pandas'
own numbers, bit for bit (pandas is the reference here: the frames the code built before)."""

from __future__ import annotations

import inspect
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest

from research_core.lake.pit import PITView
from research_core.models.scores import zscore_last
from research_core.pnl import shared_series, view_reads
from research_core.signals.sources import strategy_outcome
from research_core.strategies import _market, load_config
from research_core.strategies.base import trend_z
from research_core.strategies.cross_asset import UNIVERSE
from tests.strategies.conftest import AS_OF, HandLake


class CountingView:
    """A real view that counts the series read through it (everything else is the view's)."""

    def __init__(self, view: PITView) -> None:
        self.view, self.reads = view, Counter[str]()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.view, name)

    def series(self, sid: str) -> pd.Series:
        self.reads[sid] += 1
        return self.view.series(sid)

    def values(self, sid: str) -> tuple[np.ndarray, np.ndarray]:
        self.reads[sid] += 1
        return self.view.values(sid)

    def history_arrays(self, sids: list[str]) -> list[tuple[np.ndarray, ...]]:
        self.reads.update(sids)
        return self.view.history_arrays(sids)

    def marked_arrays(self, sids: list[str]) -> Any:
        self.reads.update(sids)
        return self.view.marked_arrays(sids)


def test_every_strategy_at_a_date_reads_each_series_once(hand_lake: HandLake) -> None:
    view = CountingView(hand_lake.lake.at(AS_OF))
    last: dict[str, int | None] = {}
    own = {  # the strategies that read the lake themselves (the agents' readers: tests/agents)
        name: s
        for name, s in load_config().items()
        if "agent_position" not in inspect.getsource(type(s).positions)
    }
    said = {
        name: strategy_outcome(view, s, last, None, ("",))  # type: ignore[arg-type]
        for name, s in own.items()
    }
    assert sum(o.skipped is None for o in said.values()) >= 20  # they ran, not skipped
    assert len(view.reads) >= 30
    assert max(view.reads.values()) == 1, view.reads.most_common(5)


def test_reads_are_kept_per_view_never_across_as_ofs(hand_lake: HandLake) -> None:
    late, early = hand_lake.lake.at(AS_OF), hand_lake.lake.at("2021-03-31")
    assert view_reads(late) is view_reads(late)
    assert view_reads(early) is not view_reads(late)
    cds_late, cds_early = shared_series(late, "BR.CDS.5Y"), shared_series(early, "BR.CDS.5Y")
    assert cds_early.index.max() == pd.Timestamp("2021-03-31")  # the rows written by hand
    assert cds_late.index.max() == pd.Timestamp("2021-06-30")
    pd.testing.assert_series_equal(cds_late, late.series("BR.CDS.5Y"))


def _bits(a: object) -> bytes:
    return np.asarray(a, dtype=float).tobytes()


@pytest.mark.parametrize("seed", range(4))
def test_zscore_and_trend_on_arrays_are_pandas_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(50):
        x = pd.Series(np.cumsum(rng.normal(size=int(rng.integers(5, 900)))))
        x[rng.random(len(x)) < 0.1] = np.nan
        for window in (None, 30, 504):
            tail = x.dropna()
            tail = tail.iloc[-window:] if window else tail
            need = max(20, window // 4) if window else 2
            sd, mean = float(tail.std()), float(tail.mean())  # pandas: the reference
            want = np.nan if len(tail) < need else (float(tail.iloc[-1]) - mean) / sd
            assert _bits(zscore_last(x, window)) == _bits(want)
        s, n = x.dropna(), 21
        sd = float(s.diff().iloc[-252:].std())
        want = np.nan if len(s) <= max(2 * n, 20) else (s.iloc[-1] - s.iloc[-1 - n]) / (sd * n**0.5)
        assert _bits(trend_z(x, n)) == _bits(want)


def test_momentum_volatility_ratio_value_and_ranks_are_the_frames_bit_for_bit(
    hand_lake: HandLake,
) -> None:
    view, book = hand_lake.view, load_config()
    r = _market.unit_returns(view, UNIVERSE, 252 + 21)  # the frame the code used to build
    window = r.iloc[:-21]
    frame = np.log1p(window).sum() / (window.std() * np.sqrt(len(window))).replace(0.0, np.nan)
    assert _bits(_market.momentum_array(view, UNIVERSE, 252, 21)) == _bits(frame.fillna(0.0))
    rank = frame.fillna(0.0).rank(method="average")
    scaled = (rank - rank.mean()) / (rank.max() - rank.mean())
    assert book["XA_MOM_01"].positions(view) == {k: float(v) for k, v in scaled.items()}
    r = _market.unit_returns(view, UNIVERSE, 252)
    ratio = (r.std() / r.iloc[-21:].std()).clip(upper=1.0).fillna(0.0)
    m = frame.fillna(0.0)
    want = {i: float(np.tanh(m[i])) * float(ratio[i]) for i in UNIVERSE}
    assert book["XA_VOLMOM_01"].positions(view) == want
    ties = pd.Series([0.5, np.nan, -1.0, 0.5, 2.0], index=list("abcde"))
    got = _market.rank_items(ties.index, ties.to_numpy())
    rank = ties.dropna().rank(method="average")
    want_ranks = (rank - rank.mean()) / (rank.max() - rank.mean())
    assert got == {k: float(v) for k, v in want_ranks.items()}
    # by hand: ranks a 2.5, c 1, d 2.5, e 4; mean 2.5, max - mean 1.5
    assert got == {"a": 0.0, "c": -1.0, "d": 0.0, "e": 1.0}
