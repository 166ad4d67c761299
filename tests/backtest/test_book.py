"""The book backtest: attribution by hand on a 2-instrument toy, and the live decision path
on the sample lake (a few monthly rebalances, causality verified, the CLI report)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from research_core._memo import MEMO
from research_core.agents import store
from research_core.backtest import simulate
from research_core.backtest.book import (
    CASH,
    NETTING,
    UNATTRIBUTED,
    BookBacktest,
    attribute,
    instrument_pnl,
    run_book_backtest,
    source_shares,
)
from research_core.cli import main
from research_core.errors import BacktestError, PortfolioError
from research_core.lake.store import Lake
from research_core.portfolio import Constraints, decide
from research_core.viz.backtests import attribution_figure

# --- the toy: 2 instruments, 5 sessions, trades at rows 1 and 3 -------------------------
PRICES = np.array([[1.0, 2.0], [1.0, 2.0], [1.1, 1.9], [1.2, 2.0], [1.2, 2.2]])
ROWS = np.array([1, 3])
UNITS = np.array([[1.0, -0.5], [0.5, 0.5]])
COSTS = np.array([[0.01, 0.02], [0.005, 0.0]])
RF = np.array([0.0, 0.001, 0.001, 0.001, 0.001])


def _provenance(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["instrument", "source", "contribution"])


# decision 0: X is all A's; Y is A 1/4, B 3/4. Decision 1: X all B; Y A -0.2, B +0.6 (a
# conflict: A is short what the book is long).
PROV = [
    _provenance([("X", "A", 0.8), ("Y", "A", -0.1), ("Y", "B", -0.3)]),
    _provenance([("X", "B", 0.4), ("Y", "A", -0.2), ("Y", "B", 0.6)]),
]


def test_shares_split_each_score_by_gross_contribution():
    shares, sources = source_shares(PROV, ["X", "Y"])
    assert sources == ["A", "B", NETTING, UNATTRIBUTED]
    # hand, share = sign(net) * c / gross, netting = 1 - |net| / gross:
    # X 0.8/0.8; Y net -0.4, gross 0.4: 0.1/0.4, 0.3/0.4, nothing netted
    np.testing.assert_allclose(shares[0], [[1, 0, 0, 0], [0.25, 0.75, 0, 0]], atol=1e-15)
    # X 0.4/0.4; Y net +0.4, gross 0.8: -0.2/0.8, 0.6/0.8, netting 1 - 0.4/0.8
    np.testing.assert_allclose(shares[1], [[0, 1, 0, 0], [-0.25, 0.75, 0.5, 0]], atol=1e-15)
    # an instrument no source speaks for at a date keeps the last owners, else unattributed
    later, _ = source_shares([PROV[0], _provenance([("X", "B", 1.0)])], ["X", "Y", "Z"])
    np.testing.assert_allclose(later[1, 1], [0.25, 0.75, 0.0, 0.0])
    np.testing.assert_allclose(later[1, 2], [0.0, 0.0, 0.0, 1.0])


def test_two_opposing_sources_get_bounded_shares_and_the_netting_line():
    """Issue 24 item 8: A +1.4 and B -1.3 on one CDS. Split by the net score (old code) A
    took +14x the position's P&L and B -13x; by hand now, net 0.1, gross 2.7: A +1.4/2.7
    = 14/27, B -1.3/2.7 = -13/27, netting 1 - 0.1/2.7 = 26/27 (sum 27/27)."""
    prov = [_provenance([("CDS", "A", 1.4), ("CDS", "B", -1.3)])]
    shares, sources = source_shares(prov, ["CDS"])
    assert sources == ["A", "B", NETTING, UNATTRIBUTED]
    np.testing.assert_allclose(shares[0, 0], [14 / 27, -13 / 27, 26 / 27, 0.0], atol=1e-15)
    # the opposite net direction: A (now short, with the net score) keeps its +14/27
    flipped, _ = source_shares([_provenance([("CDS", "A", -1.4), ("CDS", "B", 1.3)])], ["CDS"])
    np.testing.assert_allclose(flipped[0, 0], [14 / 27, -13 / 27, 26 / 27, 0.0], atol=1e-15)
    # through the P&L: 1 unit held from row 1, price 100 -> 103 -> 101, cost 0.27 at row 1
    prices = np.array([[100.0], [100.0], [103.0], [101.0]])
    market, cost = instrument_pnl(prices, np.array([[1.0]]), np.array([1]), np.array([[0.27]]))
    v = np.array([1000.0, 999.73, 1002.73, 1000.73])  # hand: 1000 - 0.27 + 3 - 2
    rf = np.zeros(4)
    e = v / v[0]  # no CDI: the equity is the book value over the initial NAV
    _, by_src = attribute(market, cost, v, e, rf, np.array([1]), shares)
    total = dict(zip([*sources, CASH], by_src.sum(axis=0), strict=True))
    pnl = (-0.27 + 3.0 - 2.0) / 1000.0  # each day's P&L / v[t-1] * e[t-1] = P&L / 1000
    assert total["A"] == pytest.approx(pnl * 14 / 27, abs=1e-12)
    assert total["B"] == pytest.approx(-pnl * 13 / 27, abs=1e-12)
    assert total[NETTING] == pytest.approx(pnl * 26 / 27, abs=1e-12)
    assert by_src.sum() == pytest.approx(e[-1] - 1.0, abs=1e-12)  # netting line included


def test_attribution_matches_a_hand_computation_to_1e_9():
    market, cost = instrument_pnl(PRICES, UNITS, ROWS, COSTS)
    # hand, per day: units held over (t-1, t] times the price move, less costs at trades
    np.testing.assert_allclose(
        market + cost,
        [[0, 0], [-0.01, -0.02], [0.1, 0.05], [0.1 - 0.005, -0.05], [0.0, 0.1]],
        atol=1e-15,
    )
    v = np.array([1.0, 0.97, 1.12, 1.165, 1.265])  # book value: 1, less costs, plus P&L
    r = np.r_[0.0, v[1:] / v[:-1] - 1 + RF[1:]]  # total return = excess + CDI
    e = np.cumprod(1 + r)
    shares, sources = source_shares(PROV, ["X", "Y"])
    by_inst, by_src = attribute(market, cost, v, e, RF, ROWS, shares)
    # hand: day t's piece is its P&L / v[t-1] * e[t-1]; costs at a trade go to the
    # decision traded, moves to the decision held (decision 0 over days 2-3, 1 on day 4)
    a = (
        (-0.01 * 1.0 - 0.02 * 0.25) * e[0] / v[0]
        + (0.1 * 1.0 + 0.05 * 0.25) * e[1] / v[1]
        + (0.1 * 1.0 - 0.05 * 0.25) * e[2] / v[2]
        + (-0.005 * 0.0) * e[2] / v[2]
        + (0.0 * 0.0 + 0.1 * -0.25) * e[3] / v[3]
    )
    b = (
        (-0.02 * 0.75) * e[0] / v[0]
        + (0.05 * 0.75) * e[1] / v[1]
        + (-0.05 * 0.75) * e[2] / v[2]
        + (-0.005 * 1.0) * e[2] / v[2]
        + (0.1 * 0.75) * e[3] / v[3]
    )
    netting = (0.1 * 0.5) * e[3] / v[3]
    cash = sum(RF[t] * e[t - 1] for t in range(1, 5))
    total = dict(zip([*sources, CASH], by_src.sum(axis=0), strict=True))
    assert total["A"] == pytest.approx(a, abs=1e-9)
    assert total["B"] == pytest.approx(b, abs=1e-9)
    assert total[NETTING] == pytest.approx(netting, abs=1e-9)
    assert total[CASH] == pytest.approx(cash, abs=1e-9)
    assert total[UNATTRIBUTED] == 0.0
    assert a + b + netting + cash == pytest.approx(e[-1] - 1.0, abs=1e-12)  # hand adds up
    assert by_src.sum() == pytest.approx(e[-1] - 1.0, abs=1e-12)
    assert by_inst.sum() == pytest.approx(e[-1] - 1.0, abs=1e-12)
    np.testing.assert_allclose(by_src.sum(axis=1), np.r_[0.0, np.diff(e)], atol=1e-15)


def test_instrument_pnl_adds_up_to_the_simulated_book():
    """Peer: the simulation core's own equity on the same trades."""
    sim = simulate(PRICES, np.array([[0.6, -0.3], [0.2, 0.5]]), ROWS, fee=0.001, impact=0.01)
    market, cost = instrument_pnl(PRICES, sim.units[:, 0, :], ROWS, sim.costs[:, 0, :])
    np.testing.assert_allclose((market + cost).sum(axis=1)[1:], np.diff(sim.equity[:, 0]))


# --- the live path on the sample lake --------------------------------------------------
START, END = "2016-01-04", "2016-04-29"  # month-ends Jan..Mar trade; April's is the last day


@pytest.fixture(scope="module")
def lake(sample_lake_path: Path) -> Lake:
    return Lake.open(sample_lake_path)


@pytest.fixture(scope="module")
def book(lake: Lake) -> BookBacktest:
    return run_book_backtest(lake, START, END, method="erc", freq="M", verify=1)


def test_book_attribution_sums_exactly_to_the_equity(book):
    res = book.result
    assert len(res.signals) == 3 and len(res.verified) == 1  # Jan, Feb, Mar month-ends
    assert book.attribution.to_numpy().sum() == pytest.approx(res.equity.iloc[-1] - 1.0, abs=1e-9)
    # each day's contributions are that day's return
    np.testing.assert_allclose(book.contributions.sum(axis=1), res.returns, atol=1e-12)
    assert book.by_kind.drop(CASH.split(":")[0]).abs().sum() > 0  # sources earned something
    assert {"agent", "strategy", "cash", NETTING} <= set(book.by_kind.index)
    np.testing.assert_allclose(
        book.instrument_pnl.sum(axis=1), book.attribution.sum(axis=1), atol=1e-15
    )


def test_book_trades_the_live_decision_at_the_next_session(book, lake):
    res = book.result
    first = res.signals.index[0]
    # peer: the live path on the view as of the first decision (flat book), one BLAS thread
    # like the backtest (ERC's trust-region solve can stall with threaded BLAS here)
    with threadpool_limits(1):
        try:
            live = decide(lake.at(first), method="erc").portfolio.weights
        except PortfolioError as err:  # no book that day: the backtest keeps the one held
            reason = book.held.set_index("date").loc[first, "reason"]
            assert str(err) in reason
            live = pd.Series(0.0, index=res.signals.columns)
    np.testing.assert_allclose(
        res.signals.loc[first, live.index].to_numpy(), live.to_numpy(), atol=1e-9
    )
    sessions = res.returns.index
    assert res.weights.index[0] == sessions[sessions.get_loc(first) + 1]  # next session
    cons = Constraints()
    assert (res.weights.abs().sum(axis=1) <= cons.limits.gross_leverage + 1e-9).all()
    assert (res.weights.abs().max(axis=1) <= cons.limits.position + 1e-9).all()
    # costs: every trade pays at least the instrument's one-way fee (impact on top)
    assert (res.trades["cost_bps"] > 0).all()
    assert book.costs[res.turnover > 0].gt(0).all() and (res.turnover > 0).sum() >= 2
    assert book.constraint_hits.index.equals(res.signals.index)


def test_book_report_folder_and_cli(book, lake, tmp_path, capsys):
    folder = book.write(tmp_path / "book")
    assert (folder / "engine" / "metrics.csv").exists()
    by_source = pd.read_csv(folder / "attribution_by_source.csv", index_col=0)["pnl"]
    assert by_source.sum() == pytest.approx(book.result.equity.iloc[-1] - 1.0, abs=1e-9)
    assert NETTING in by_source.index and f"{NETTING} " in book.summary()
    lines = {t.name for t in attribution_figure(book, by="source", top=2).data}
    assert NETTING in lines and len(lines) == 4  # the top 2, netting, the rest as "other"
    out = tmp_path / "cli"
    args = ["backtest", "--book", "--start", "2016-02-01", "--end", "2016-03-15"]
    code = main([*args, "--path", str(lake.root), "--out", str(out), "--verify", "1"])
    printed, bars = capsys.readouterr()
    assert code == 0, printed
    assert "signals:" in bars and "BOOK[erc,M] causality:" in bars  # progress (stderr)
    assert "BOOK[erc,M]" in printed and "verified causal at 1 dates" in printed
    assert "deflated Sharpe" in printed and f"{NETTING} " in printed
    assert (out / "attribution.parquet").exists() and (out / "summary.txt").exists()


def test_book_is_the_same_without_stored_agent_reports(book, lake, monkeypatch):
    # Issue 29: agent reports reused from the lake's store (as the fixture's run may have)
    # give the book of the earlier path, every report computed afresh, to 1e-12.
    monkeypatch.setattr(store, "ENABLED", False)
    MEMO.clear()
    fresh = run_book_backtest(lake, START, END, method="erc", freq="M", verify=0).result
    for field in ("signals", "weights", "returns"):
        got, want = getattr(fresh, field), getattr(book.result, field)
        assert got.index.equals(want.index), field
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=0, atol=1e-12)


def test_book_rejects_a_bad_method(lake, capsys):
    with pytest.raises(BacktestError, match="valid"):
        run_book_backtest(lake, START, END, method="magic")
    code = main(["backtest", "--book", "--start", START, "--freq", "D", "--path", str(lake.root)])
    assert code == 2 and "W or M" in capsys.readouterr().err
