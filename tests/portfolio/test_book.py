"""The book for sample-lake dates: signals → weights → VaR/ES with components, stresses,
limits; every construction method; staleness from agent reports; point in time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core.errors import PortfolioError
from research_core.lake.maintenance import export_as_of
from research_core.lake.store import Lake
from research_core.portfolio import METHODS, Constraints, build_book, construct, decide
from research_core.risk import RiskLimits
from research_core.signals import aggregate, collect_signals, freshness_from_report

DATES = ["2011-03-15", "2019-08-30", "2026-10-30"]


def _view(lake: Lake, day: str):
    return lake.at(pd.Timestamp(f"{day} 23:00", tz="America/Sao_Paulo"))


@pytest.fixture(scope="module")
def lake(sample_lake_path: Path) -> Lake:
    return Lake.open(sample_lake_path)


@pytest.mark.parametrize("day", DATES)
def test_the_book_for_a_sample_lake_date(lake, day):
    book = build_book(_view(lake, day), n_sims=20_000)
    w = book.portfolio.weights
    assert len(w) >= 5 and np.isfinite(w).all()
    budget = 0.10 * book.portfolio.regime_scale
    assert book.portfolio.vol <= budget * 1.001
    if book.portfolio.vol < budget * 0.99:  # under budget only when a constraint says why
        assert book.portfolio.binding
    rc = book.portfolio.risk_contribution
    assert rc.sum() == pytest.approx(1.0)
    hist = book.risk.components("historical", 0.99)
    assert hist["component_var"].sum() == pytest.approx(
        book.risk.to_frame().loc[("historical", 0.99), "var"]
    )
    assert len(book.risk.limits) >= 9
    assert book.risk.stress.pnl["total"].notna().all()
    # provenance: each position traces back to its sources
    top = w.abs().idxmax()
    assert len(book.aggregated.attribution(top)) >= 1
    assert "book as of" in book.summary()


def test_every_method_builds_within_the_constraints(lake):
    view = _view(lake, "2019-08-30")
    collected = collect_signals(view)
    agg = aggregate(collected.signals, freshness=collected.freshness)
    from research_core.models.covariance import ledoit_wolf
    from research_core.risk import book_returns

    ids = list(agg.table.index)
    cov = ledoit_wolf(book_returns(view, ids)).covariance
    cons = Constraints(limits=RiskLimits(gross_leverage=5.0, position=0.8))
    for method in METHODS:
        res = construct(agg, cov, method, constraints=cons)
        assert res.weights.abs().sum() <= 5.0 + 1e-9, method
        assert res.weights.abs().max() <= 0.8 + 1e-9, method
        assert all(b.reason for b in res.binding)
    # risk parity positions follow the aggregated direction
    erc_w = construct(agg, cov, "erc").target
    assert (np.sign(erc_w) == agg.table.loc[erc_w.index, "direction"]).all()
    with pytest.raises(PortfolioError, match="unknown method"):
        construct(agg, cov, "magic")
    with pytest.raises(PortfolioError, match="no covariance"):
        construct(agg, cov.iloc[:2, :2], "erc")


def test_freshness_comes_from_the_agent_reports(lake):
    collected = collect_signals(_view(lake, "2019-08-30"), strategies={})
    from research_core.agents import run_agents

    reports = run_agents(_view(lake, "2019-08-30"))
    for name, report in reports.items():
        f = freshness_from_report(report)
        assert collected.freshness[f"agent:{name}"] == pytest.approx(f)
        stale = report.inputs["stale"].any()
        assert (f < 1.0) == bool(stale)


def test_the_book_is_point_in_time(lake, tmp_path):
    """The book at D from the full lake equals the book from a lake holding only what was
    released by D."""
    day = "2019-08-30"
    view = _view(lake, day)
    cut = export_as_of(lake, view.as_of, tmp_path / "cut")
    full = build_book(view, n_sims=5_000)
    past = build_book(_view(cut, day), n_sims=5_000)
    pd.testing.assert_series_equal(full.portfolio.weights, past.portfolio.weights)
    pd.testing.assert_frame_equal(full.risk.to_frame(), past.risk.to_frame())


def test_cli_writes_the_book(sample_lake_path, tmp_path, capsys):
    from research_core.cli import main

    out = tmp_path / "book"
    args = ["book", "--as-of", "2019-08-30", "--method", "hrp", "--out", str(out)]
    assert main([*args, "--path", str(sample_lake_path)]) == 0
    names = {"weights.csv", "sizes.csv", "signals.csv", "provenance.csv", "var.csv"}
    names |= {"components.csv"}
    names |= {"stress.csv", "limits.csv", "summary.txt", ".workbench-output.json"}
    assert names == {p.name for p in out.iterdir()}
    weights = pd.read_csv(out / "weights.csv", index_col=0)
    assert weights["weight"].abs().sum() > 0
    assert "book written to" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # argparse refuses an unknown method, naming the choices
        main(["book", "--as-of", "2019-08-30", "--method", "magic"])


def test_signals_from_another_day_cannot_size_the_book(lake):
    """The daily PMS step sizes proposals from the run folder's signals: a folder from
    another date (a reused run_dir) is refused, not silently traded."""
    from research_core.errors import SignalError
    from research_core.records import Signal
    from research_core.signals.sources import CollectedSignals

    view = _view(lake, "2026-10-30")
    yesterday = _view(lake, "2026-10-29").as_of
    old = Signal(yesterday, "strategy:X", "DI1.1Y", 1, 0.5, 0.5, 21, "stale folder")
    with pytest.raises(SignalError, match="cannot size a book as of"):
        build_book(view, collected=CollectedSignals((old,), {}, {}))


def test_a_misspelt_book_option_is_named(lake):
    """decide/build_book take their method and look-back in an options object or by
    keyword; a keyword that is neither a parameter nor an option is one PortfolioError."""
    view = _view(lake, "2024-06-28")
    with pytest.raises(PortfolioError, match="unknown option 'methd'; options: method"):
        decide(view, methd="hrp")
    with pytest.raises(PortfolioError, match="unknown option 'nsims'"):
        build_book(view, nsims=10)
