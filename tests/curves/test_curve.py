"""Curve objects: the bootstrap gives back its instruments, NSS gives back published yields."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import interp1d

from research_core.curves import Curve, bootstrap, fit_nss, nss_yield
from research_core.errors import CurveError

# Federal Reserve Board, "The U.S. Treasury Yield Curve: 1961 to the Present" (Gürkaynak,
# Sack and Wright, FEDS 2006-28), daily file feds200628.csv, rows 2026-01-30 and
# 2026-02-06: parameters BETA0..BETA3 (%), TAU1, TAU2 (years) and the published zero yields
# SVENY01, 02, 05, 10, 20, 30 (continuously compounded, %, rounded to 4 decimals). Public
# copy read from github.com/liny-r/MTH9877-IR-Assignment1 (commit 701dcab3), feds200628.csv.
GSW = {
    "2026-01-30": (
        (2.73223428673321, 1.11589795429641, -2.23283857117987e-05, 7.97100821589802,
         0.706486109134989, 18.5208097649536),
        {1: 3.5368, 2: 3.5038, 5: 3.7903, 10: 4.325, 20: 4.9388, 30: 5.1277},
    ),
    "2026-02-06": (
        (2.48148959982137, 1.23169757714238, 8.33064972598025e-05, 8.61660816724105,
         1.05093501341198, 17.7605928411708),
        {1: 3.5098, 2: 3.4824, 5: 3.7457, 10: 4.2926, 20: 4.9222, 30: 5.0924},
    ),
}  # fmt: skip


@pytest.mark.parametrize("day", sorted(GSW))
def test_nss_reproduces_the_feds_published_yields(day: str) -> None:
    params, published = GSW[day]
    n = np.array(sorted(published), dtype=float)
    got = nss_yield(params, n)
    assert np.abs(got - [published[k] for k in sorted(published)]).max() <= 0.5e-4 + 1e-9


def test_nss_fit_of_the_published_curve_reports_a_tight_fit() -> None:
    """Fitting the GSW 2026-01-30 curve's yields at 1..30 years (generated from the
    published parameters) gives them back within a hundredth of a bp."""
    params, _ = GSW["2026-01-30"]
    n = np.arange(1.0, 31.0)
    fit = fit_nss(n, nss_yield(params, n))
    assert fit.model == "NSS" and fit.n_points == 30
    assert fit.rmse_bp < 0.01 and fit.max_abs_bp < 0.02
    assert np.abs(nss_yield(fit.params, n) - nss_yield(params, n)).max() * 100 < 0.02


def _par_price(curve: Curve, coupon_pct: float, maturity: float) -> float:
    """A semiannual bullet priced by hand from the curve's discount factors."""
    times = np.arange(0.5, maturity + 1e-9, 0.5)
    return float(coupon_pct / 200.0 * curve.discount(times).sum() + curve.discount(maturity)[0])


def _ust_curve(quotes: list[float], method: str = "log-linear") -> Curve:
    """A 3-month bill (zero) and 2/5/10/30-year par bonds, semiannual, bootstrapped; with
    ``method="monotone-convex"`` the par pillars refitted for Hagan–West interpolation."""
    from research_core.curves.monotone import refit_par_pillars

    grid = np.array([0.25, 2.0, 5.0, 10.0, 30.0])
    kinds = ("zero", "par", "par", "par", "par")
    log_df = bootstrap(grid, np.array([quotes]), kinds, "semiannual")[0]
    if method == "monotone-convex":
        log_df = refit_par_pillars(grid, log_df, kinds, np.array(quotes), 2)
    return Curve("UST", None, grid, log_df, "semiannual", "act/365.25", method)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["log-linear", "monotone-convex"])
def test_bootstrap_reprices_each_par_bond_and_the_bill_to_1e10(method: str) -> None:
    quotes = [4.31, 3.95, 3.80, 4.25, 4.70]
    curve = _ust_curve(quotes, method)
    # the bill: a zero at its bond-equivalent yield, DF = (1 + y/2)^(-2 t)
    assert abs(curve.discount(0.25)[0] - (1 + 0.0431 / 2) ** -0.5) < 1e-12
    for coupon, maturity in zip(quotes[1:], (2.0, 5.0, 10.0, 30.0), strict=True):
        assert abs(_par_price(curve, coupon, maturity) - 1.0) < 1e-10, maturity


def test_between_pillars_the_discount_is_log_linear_like_scipy() -> None:
    curve = _ust_curve([4.31, 3.95, 3.80, 4.25, 4.70])
    t = np.linspace(0.01, 29.9, 200)
    peer = interp1d(np.r_[0.0, curve.times], np.r_[0.0, curve.log_df])(t)
    assert np.abs(curve.discount(t) - np.exp(peer)).max() < 1e-14


def test_a_flat_par_curve_has_the_same_zero_and_par_rates() -> None:
    """Textbook: when every par yield is 4 % (semiannual), every zero rate is 4 %."""
    curve = _ust_curve([4.0, 4.0, 4.0, 4.0, 4.0])
    assert np.abs(curve.zero([0.5, 1, 3, 7, 20, 30]) - 4.0).max() < 1e-10
    assert abs(curve.forward(2.0, 5.0)[0] - 4.0) < 1e-10
    assert abs(curve.par(7.0) - 4.0) < 1e-10


def test_di_zero_quotes_are_their_own_discount_factors() -> None:
    """DI × pré at 252 business days 12 % a.a.: PU factor 1/1.12 (B3 exponential 252)."""
    grid = np.array([63 / 252, 1.0])
    log_df = bootstrap(grid, np.array([[11.5, 12.0]]), ("zero", "zero"), "annual")[0]
    curve = Curve("DI", None, grid, log_df, "annual", "du/252")  # type: ignore[arg-type]
    assert abs(curve.discount(1.0)[0] - 1 / 1.12) < 1e-15
    assert abs(curve.discount(0.25)[0] - 1.115**-0.25) < 1e-15
    # the forward from 63 to 252 du: (1.12 / 1.115^0.25)^(1/0.75) - 1
    expected = ((1.12 / 1.115**0.25) ** (1 / 0.75) - 1) * 100
    assert abs(curve.forward(0.25, 1.0)[0] - expected) < 1e-10


@pytest.mark.parametrize(
    ("grid", "kinds", "match"),
    [
        ([1.0, 0.5], ("zero", "zero"), "increasing"),
        ([0.5, 1.25], ("zero", "par"), "whole coupon"),
        ([0.5, 1.0], ("zero", "swap"), "kinds"),
    ],
)
def test_bad_pillars_are_one_line_errors(grid: list[float], kinds: tuple[str, ...], match: str):
    with pytest.raises(CurveError, match=match):
        bootstrap(np.array(grid), np.array([[4.0, 4.0]]), kinds, "semiannual")


def test_monotone_convex_forwards_are_continuous_where_log_linear_jumps() -> None:
    """Hagan–West: the instantaneous forward is continuous at the pillars; the log-linear
    curve's piecewise-flat forward jumps there."""
    quotes = [4.31, 3.95, 3.80, 4.25, 4.70]
    mc, ll = _ust_curve(quotes, "monotone-convex"), _ust_curve(quotes)
    h = 1e-6
    for t in (2.0, 5.0, 10.0):
        jump_mc = abs(mc.forward(t - 2 * h, t - h)[0] - mc.forward(t + h, t + 2 * h)[0])
        jump_ll = abs(ll.forward(t - 2 * h, t - h)[0] - ll.forward(t + h, t + 2 * h)[0])
        assert jump_mc < 1e-3 < jump_ll, t  # % a.a.


def test_monotone_convex_keeps_a_flat_curve_flat() -> None:
    curve = _ust_curve([4.0, 4.0, 4.0, 4.0, 4.0], "monotone-convex")
    t = np.linspace(0.1, 29.0, 50)
    assert np.abs(curve.forward(t, t + 0.5) - 4.0).max() < 1e-9


def test_a_row_bootstraps_to_the_same_bits_alone_as_in_a_batch() -> None:
    """A unit extended by one day bootstraps that day alone; a unit built from nothing
    bootstraps every day at once: the two must agree bit for bit (each curve prices its
    par bonds by hand, the batch's rows are not just one another's)."""
    rng = np.random.default_rng(7)
    quotes = np.array([4.31, 3.95, 3.80, 4.25, 4.70]) + rng.normal(0, 0.5, (200, 5))
    grid = np.array([0.25, 2.0, 5.0, 10.0, 30.0])
    kinds = ("zero", "par", "par", "par", "par")
    batch = bootstrap(grid, quotes, kinds, "semiannual")
    alone = np.array([bootstrap(grid, row[None, :], kinds, "semiannual")[0] for row in quotes])
    assert batch.tobytes() == alone.tobytes()
    for row, log_df in zip(quotes[:3], batch[:3], strict=True):
        curve = Curve("UST", None, grid, log_df, "semiannual", "act/365.25", "log-linear")  # type: ignore[arg-type]
        for coupon, maturity in zip(row[1:], grid[1:], strict=True):
            assert abs(_par_price(curve, coupon, maturity) - 1.0) < 1e-10
