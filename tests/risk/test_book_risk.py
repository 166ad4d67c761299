"""Stresses, limits, breakers and the correlation monitor, on the sample lake and by hand."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from research_core.catalog import instrument
from research_core.errors import CatalogError, RiskError
from research_core.lake.store import Lake
from research_core.portfolio.book import decide
from research_core.risk import (
    DrawdownLadder,
    RiskOptions,
    Shock,
    backtest_var,
    book_returns,
    correlation_monitor,
    historical,
    risk_report,
    stress_test,
)
from research_core.risk.backtesting import rolling_var
from research_core.risk.stress import EPISODES
from tests.risk.conftest import statsmodels_t_fit

AS_OF = pd.Timestamp("2026-10-30 23:00", tz="America/Sao_Paulo")
BOOK = pd.Series(
    {"DI1.2Y": 0.8, "DI1.5Y": -0.3, "USDBRL.FUT": 0.4, "UST.10Y.FUT": -0.5, "IBOV.FUT": 0.3}
)


@pytest.fixture(scope="module")
def view(sample_lake_path: Path):
    return Lake.open(sample_lake_path).at(AS_OF)


def _last(view, iid: str) -> float:
    return float(view.series(instrument(iid).price_series).dropna().iloc[-1])


def test_hypothetical_stress_pnl_by_hand(view):
    nav = 1e8
    w = pd.Series({"DI1.2Y": 0.5, "USDBRL.FUT": 1.0, "UST.10Y.FUT": -2.0, "BR.CDS.5Y": 0.3})
    res = stress_test(view, w, nav=nav, episodes=())
    # exact repricing by hand: DI1 zero (1 + y)^-2; UST par bond at y0, semiannual 10y;
    # CDS buyer (s1 − s0) × RPV01(s1), flat hazard s1 / (1 − 0.4), zero rates
    y = _last(view, "DI1.2Y") / 100
    di = 0.5 * nav * (1 - ((1 + y) / (1 + y + 0.01)) ** 2)
    assert res.pnl.at["DI +100 bp parallel", "DI1.2Y"] == pytest.approx(di, rel=1e-9)
    assert res.pnl.at["DI +100 bp parallel", "total"] == pytest.approx(di, rel=1e-9)
    assert res.pnl.at["BRL −20 %", "USDBRL.FUT"] == pytest.approx(0.25 * nav)
    y0 = _last(view, "UST.10Y.FUT") / 100
    y1 = y0 + 0.005
    v = (1 + y1 / 2) ** -20
    ust = 1 - (y0 / y1 * (1 - v) + v)
    assert res.pnl.at["UST +50 bp parallel", "UST.10Y.FUT"] == pytest.approx(-2.0 * nav * ust)
    h = (_last(view, "BR.CDS.5Y") + 150) / 1e4 / 0.6
    rpv01 = (1 - np.exp(-5 * h)) / h
    assert res.pnl.at["Brazil CDS +150 bp", "BR.CDS.5Y"] == pytest.approx(0.3 * nav * rpv01 * 0.015)
    assert set(res.kind) == {"hypothetical"}
    with pytest.raises(RiskError, match="match no instrument"):
        stress_test(view, w, shocks=[Shock("bad", {"XYZ": 1.0}, "")], episodes=())


def test_historical_episodes_replay_the_lake_and_fall_back_before_it(view):
    res = stress_test(view, pd.Series({"IBOV.FUT": 1.0, "DI1.1Y": 0.5}), nav=1.0, shocks=())
    ibov = view.series("BR.IBOV").dropna()
    gfc = next(e for e in EPISODES if e.name == "2008 GFC")
    start = ibov[ibov.index <= gfc.start].iloc[-1]
    end = ibov[ibov.index <= gfc.end].iloc[-1]
    assert res.pnl.at["2008 GFC", "IBOV.FUT"] == pytest.approx(end / start - 1, rel=1e-9)
    assert res.source.at["2008 GFC", "IBOV.FUT"] == "lake"
    # 2002 predates the sample lake: calibrated moves, flagged as such
    assert res.source.at["2002 Brazil election", "IBOV.FUT"] == "calibrated"
    assert res.pnl.at["2002 Brazil election", "IBOV.FUT"] == pytest.approx(-0.35)
    assert len(res.pnl) == 7
    with pytest.raises(CatalogError, match="unknown instrument"):
        stress_test(view, pd.Series({"NOPE": 1.0}))
    with pytest.raises(RiskError, match="empty book"):
        stress_test(view, pd.Series({"IBOV.FUT": 0.0}))


def test_risk_report_has_every_part_and_nine_limits(view):
    rep = risk_report(BOOK, view, nav=1e9, n_sims=20_000)
    frame = rep.to_frame()
    methods = {"historical", "normal", "student_t", "cornish_fisher", "monte_carlo_normal"}
    assert set(frame.index.get_level_values("method")) == methods
    for res in rep.results:
        assert res.component_var.sum() == pytest.approx(res.var, rel=1e-9)
    comp = rep.components("historical", 0.99)
    assert list(comp.index) == list(BOOK.index)
    kinds = {
        "VaR",
        "ES",
        "gross",
        "net",
        "concentration",
        "asset class",
        "DV01",
        "FX delta",
        "drawdown",
        "liquidity",
    }
    assert all(any(k in name for name in rep.limits.index) for k in kinds)
    assert len(rep.limits) >= 9
    assert set(rep.limits["status"]) <= {"ok", "warn", "breach", "n/a"}
    # DV01 by hand: DI1.2Y and DI1.5Y fall in different buckets
    y = _last(view, "DI1.2Y")
    assert rep.limits.at["DV01 BRL nominal (DI1) ≤2y", "value"] == pytest.approx(
        0.8 * 2 / (1 + y / 100)
    )
    assert rep.limits.at["FX delta USD/BRL", "value"] == pytest.approx(0.4)
    assert rep.limits.at["gross leverage", "value"] == pytest.approx(2.3)
    assert rep.stress.pnl.shape[0] >= 12
    assert rep.correlation is not None and 0 <= rep.correlation.p_value <= 1
    assert "VaR" in rep.summary()
    tight = risk_report(BOOK, view, n_sims=5_000, limits=rep_limits(gross=1.0), equity=_equity())
    assert tight.limits.at["gross leverage", "status"] == "breach"
    assert tight.limits.at["drawdown", "value"] == pytest.approx(0.1)


def test_student_t_var_of_the_sample_book_rests_on_the_ml_fit(view):
    """The daily pipeline's book at 2026-10-30 (``decide``, as ``workbench book``): the
    t fit is statsmodels' ML fit of the book's 750 daily returns (ν ≈ 38; scipy's
    ``t.fit`` stopped at 2.14 and the old code used 2.5, so t ES 99 % read 1.73 % and VaR
    95 % 0.49 % of NAV), and t VaR/ES are the closed forms at that ν, computed here with
    scipy on the report's Ledoit–Wolf book sd: 0.70 % / 1.17 % of NAV (audit, issue #24)."""
    w = decide(view).portfolio.weights
    w = w[w != 0]
    rep = risk_report(w, view, n_sims=1_000)
    pnl = book_returns(view, list(w.index)).to_numpy() @ w.to_numpy()
    peer = statsmodels_t_fit(pnl)
    fit = rep.student_t
    assert fit.converged and not fit.at_bound and fit.n == len(pnl) == 750
    assert fit.df == pytest.approx(peer["df"], rel=1e-3)
    assert fit.loc == pytest.approx(peer["loc"], abs=1e-7)
    assert fit.scale == pytest.approx(peer["scale"], rel=1e-5)
    assert fit.loglik == pytest.approx(peer["loglik"], abs=1e-5)
    nu, cov = peer["df"], rep.covariance.covariance.loc[w.index, w.index]
    sd = float(np.sqrt(w @ cov @ w)) * np.sqrt((nu - 2) / nu)  # unit-variance t
    frame = rep.to_frame()
    for alpha in (0.95, 0.99):
        q = stats.t.ppf(1 - alpha, nu)
        es = stats.t.expect(lambda y: -y, args=(nu,), ub=q, conditional=True)
        row = frame.loc[("student_t", alpha)]
        assert row["var"] == pytest.approx(-q * sd, rel=1e-5)
        assert row["es"] == pytest.approx(es * sd, rel=1e-5)
        assert f"ν {nu:.1f} (ML over 750 days" in row["fit"]
    assert f"ν {nu:.1f}" in rep.summary() and "converged" in rep.summary()
    assert (frame.loc["historical", "fit"] == "").all()


def rep_limits(gross: float):
    from research_core.risk import RiskLimits

    return RiskLimits(gross_leverage=gross)


def _equity() -> pd.Series:
    return pd.Series([1.0, 1.2, 1.08], index=pd.bdate_range("2026-10-28", periods=3))


def test_risk_report_bad_input(view):
    with pytest.raises(RiskError, match="empty book"):
        risk_report(pd.Series(dtype=float), view)
    with pytest.raises(CatalogError, match="unknown instrument"):
        risk_report(pd.Series({"NOPE.FUT": 1.0}), view)
    with pytest.raises(RiskError, match="NaN"):
        risk_report(pd.Series({"IBOV.FUT": np.nan}), view)
    with pytest.raises(RiskError, match="covariance"):
        risk_report(BOOK, view, covariance="sample")
    with pytest.raises(RiskError, match="unknown option 'n_sim'; options: alphas"):
        risk_report(BOOK, view, n_sim=1_000)  # a misspelt keyword names the options


def test_risk_options_object_and_keywords_agree(view):
    """The options object and the keywords it replaces measure the same book the same way."""
    by_kw = risk_report(BOOK, view, n_sims=1_000, alphas=(0.99,), seed=3)
    by_opt = risk_report(BOOK, view, options=RiskOptions(n_sims=1_000, alphas=(0.99,), seed=3))
    assert [(r.method, r.var) for r in by_kw.results] == [(r.method, r.var) for r in by_opt.results]


def test_regime_conditional_covariance_option(view):
    rep = risk_report(BOOK, view, n_sims=5_000, covariance="regime", copula="t")
    assert rep.covariance_regime in {"risk_on", "risk_off"}
    assert {r.method for r in rep.results} >= {"monte_carlo_t"}


def test_var_backtest_on_the_sample_lake(view):
    """Rolling 500-day historical VaR of a fixed book, 2 years out of sample."""
    rets = book_returns(view, list(BOOK.index), lookback=1000)
    path = rolling_var(BOOK, rets, 0.99, lambda w, r, a: historical(w, r, (a,))[0].var, step=5)
    bt = backtest_var(path["pnl"], path["var"], 0.99)
    assert bt.n == 500
    assert 0 < bt.exceedances < 25  # 5 expected; the model is not wildly off
    assert 0 <= bt.p_pof <= 1 and 0 <= bt.p_ind <= 1


def test_drawdown_ladder_cuts_flattens_and_ramps_back():
    ladder = DrawdownLadder(alert=0.05, cut_25=0.08, cut_50=0.12, flatten=0.15, ramp_days=4)
    idx = pd.bdate_range("2024-01-01", periods=40)
    r = pd.Series(0.0, index=idx)
    r.iloc[1:15] = -0.02  # steady losses
    out = ladder.run(r, reviews=[idx[25]])
    levels = out["level"].to_numpy()
    assert list(dict.fromkeys(levels[:16])) == [0, 1, 2, 3, 4]
    # each cap applies from the next day
    first_cut = int(np.argmax(levels == 2))
    assert out["cap_applied"].iloc[first_cut] == 1.0
    assert out["cap_applied"].iloc[first_cut + 1] == 0.75
    flat = int(np.argmax(levels == 4))
    assert (out["cap_applied"].iloc[flat + 1 : 26] == 0.0).all()  # flat until the review
    assert "awaiting manual review" in out["event"].iloc[flat + 2]
    after = out["cap_applied"].iloc[26:31].to_numpy()
    np.testing.assert_allclose(after, [0.25, 0.5, 0.75, 1.0, 1.0])
    assert out["level"].iloc[-1] == 0


def test_drawdown_ladder_recovers_from_a_cut_with_a_ramp():
    ladder = DrawdownLadder(ramp_days=2)
    r = pd.Series(
        [-0.09, 0.0, 0.05, 0.05, 0.0, 0.0, 0.0], index=pd.bdate_range("2024-01-01", periods=7)
    )
    out = ladder.run(r)
    assert out["level"].iloc[0] == 2 and out["next_cap"].iloc[0] == 0.75
    assert "re-entry" in " ".join(out["event"])
    assert out["next_cap"].iloc[-1] == 1.0
    with pytest.raises(RiskError, match="increasing"):
        DrawdownLadder(alert=0.1, cut_25=0.05)


def test_correlation_monitor_flags_a_break_and_not_noise():
    rng = np.random.default_rng(11)
    calm = rng.multivariate_normal(np.zeros(3), [[1, 0.6, 0.0], [0.6, 1, 0.0], [0, 0, 1]], 504)
    broke = rng.multivariate_normal(np.zeros(3), [[1, -0.4, 0.7], [-0.4, 1, 0.0], [0.7, 0, 1]], 63)
    idx = pd.bdate_range("2020-01-01", periods=567)
    flagged = correlation_monitor(
        pd.DataFrame(np.vstack([calm, broke]), index=idx, columns=list("XYZ"))
    )
    assert flagged.flagged and flagged.p_value < 1e-6
    assert flagged.pairs.index[0] in {"X/Y", "X/Z"}
    same = rng.multivariate_normal(np.zeros(3), [[1, 0.6, 0.0], [0.6, 1, 0.0], [0, 0, 1]], 63)
    quiet = correlation_monitor(
        pd.DataFrame(np.vstack([calm, same]), index=idx, columns=list("XYZ"))
    )
    assert not quiet.flagged
    assert quiet.df == 3


def test_calibrated_2002_episode_translates_usd_positions_at_its_own_fx_move(view):
    """2002 (before the lake): USD/BRL 2.36 → 3.93 (+66 %, calibrated). A USD-booked
    future's BRL P&L is its USD return × 1.66; BRL and USD/BRL positions are not
    translated. By hand: ES −25 % → −0.415, gold +5 % → +0.083, Ibovespa −0.35,
    NDF +0.66. (The USD legs were left untranslated: −0.25 and +0.05.)"""
    book = pd.Series({"ES.FUT": 1.0, "GOLD.FUT": 1.0, "IBOV.FUT": 1.0, "USDBRL.NDF": 1.0})
    res = stress_test(view, book, nav=1.0, shocks=())
    row = res.pnl.loc["2002 Brazil election"]
    assert (res.source.loc["2002 Brazil election"] == "calibrated").all()
    assert row["ES.FUT"] == pytest.approx(-0.25 * 1.66)
    assert row["GOLD.FUT"] == pytest.approx(0.05 * 1.66)
    assert row["IBOV.FUT"] == pytest.approx(-0.35)
    assert row["USDBRL.NDF"] == pytest.approx(0.66)


def test_episodes_move_each_instrument_on_its_own_exchange_sessions(view):
    """2008-11-20 is a B3 holiday (Consciência Negra, São Paulo) but a NYSE session: the
    GFC window must end on it for ES.FUT. By hand: S&P 500 returns on NYSE sessions from
    2008-09-12 to 2008-11-20, each × the day's USD/BRL ratio (last spot known), compounded."""
    from research_core.calendars import business_days

    assert pd.Timestamp("2008-11-20") not in business_days("B3")
    assert pd.Timestamp("2008-11-20") in business_days("NYSE")
    res = stress_test(view, pd.Series({"ES.FUT": 1.0}), nav=1.0, shocks=())
    spx, fx = view.series("US.SPX").dropna(), view.series("BRL.USD.SPOT").dropna()
    days = spx.index[(spx.index >= "2008-09-12") & (spx.index <= "2008-11-20")]
    assert days[-1] == pd.Timestamp("2008-11-20")
    level = 1.0
    for prev, day in itertools.pairwise(days):
        level *= 1 + (spx[day] / spx[prev] - 1) * fx[:day].iloc[-1] / fx[:prev].iloc[-1]
    assert res.pnl.at["2008 GFC", "ES.FUT"] == pytest.approx(level - 1, rel=1e-9)


def test_live_risk_paths_raise_risk_errors_not_backtest_errors(sample_lake_path):
    """Before the lake has any prices the risk report says so with a RiskError; the P&L
    layer's own error is a PriceHistoryError (a WorkbenchError), never a BacktestError."""
    from research_core.errors import BacktestError, PriceHistoryError, WorkbenchError
    from research_core.pnl import unit_index

    early = Lake.open(sample_lake_path).at("2005-01-02")
    with pytest.raises(RiskError, match="no return history") as info:
        risk_report(pd.Series({"IBOV.FUT": 1.0}), early, n_sims=1000)
    assert not isinstance(info.value, BacktestError)
    with pytest.raises(PriceHistoryError) as raw:
        unit_index(early, ["IBOV.FUT"], "2004-01-01")
    assert isinstance(raw.value, WorkbenchError) and not isinstance(raw.value, BacktestError)


def test_curve_stresses_join_the_stress_table_by_hand(view):
    # DI1.2Y is a zero paying 1 at 2 y on the DI curve, whose 2y pillar is the DI1.2Y
    # quote itself: under a zero-rate move d the long-quote unit earns
    # 1 − ((1 + y)/(1 + y + d))^2 (annual compounding). The 2s10s twist moves the 2y by
    # ±50 bp × (2 − 5)/8 = ∓18.75 bp (the steepener lowers it).
    nav, w = 1e8, pd.Series({"DI1.2Y": 0.5, "IBOV.FUT": 0.2})
    res = stress_test(view, w, nav=nav, episodes=(), curves=True)
    y = _last(view, "DI1.2Y") / 100

    def hand(d: float) -> float:
        return 0.5 * nav * (1 - ((1 + y) / (1 + y + d)) ** 2)

    for name, d in (
        ("Curves +100 bp parallel", 0.01),
        ("Curves −100 bp parallel", -0.01),
        ("2s10s steepener +50 bp", -0.001875),
        ("2s10s flattener −50 bp", 0.001875),
    ):
        assert res.pnl.at[name, "DI1.2Y"] == pytest.approx(hand(d), rel=1e-9), name
        assert res.pnl.at[name, "IBOV.FUT"] == 0.0 and res.kind[name] == "curve"
        assert res.pnl.at[name, "total"] == pytest.approx(hand(d), rel=1e-9)
        assert (res.source.loc[name] == "curve").all()
    copom = res.pnl.filter(like="Copom", axis=0)
    assert len(copom) == 1 and copom["DI1.2Y"].iloc[0] > 0  # a long-quote unit: rates up, gain
    assert len(res.pnl) == 7 + 5  # the quote shocks, then the curve stresses
    assert "curve" not in set(stress_test(view, w, nav=nav, episodes=()).kind)  # opt-in
    assert "curve" not in set(stress_test(view, w.drop("DI1.2Y"), episodes=(), curves=True).kind)
