"""Benchmark: every curve on every business day 2010–2026 from the sample lake (issue 27).

Target: the DI, NTN-B, UST and TIPS curves for every business day of 2010-01-01 ..
2026-10-30 in under 30 s on this 2-core machine. Measured here, in one run:

* ``research_core``   ``curves.curve_history`` per curve: the point-in-time quotes of
                      every day (``Lake.panel``) and the log-linear bootstrap of all days
                      at once; its repricing error (bp) is reported
* ``scipy interp``    the peer without a bootstrap: ``scipy.interpolate.interp1d`` of each
                      day's quoted rates (what a plain interpolation of par yields gives;
                      the zero-rate gap to the bootstrap at 7 and 20 years is reported)
* ``QuantLib``        (only if ``import QuantLib`` works; it is not a dependency) the UST
                      curve bootstrapped by ``PiecewiseLogLinearDiscount`` from the same
                      par bonds and bill (SimpleDayCounter, so its times are ours); the
                      largest discount-factor difference to ours is reported
* ``NSS fit``         the Nelson–Siegel–Svensson fit of the DI curve on ``--fit-days``
                      days (RMSE and max error, bp)

Run ``python benchmarks/curves.py`` (uses WORKBENCH_LAKE_PATH).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from _args import lake_parser, open_lake  # benchmarks/ is on sys.path when run as a script
from _timing import best_of
from scipy.interpolate import interp1d

from research_core.curves import curve_history, fit_curve
from research_core.curves.build import CurveHistory
from research_core.lake import Lake

NAMES = ("DI", "NTNB", "UST", "TIPS")
TARGET = 30.0


def ours(lake: Lake, start: str, end: str) -> dict[str, CurveHistory]:
    return {n: curve_history(lake, n, start, end) for n in NAMES}


def scipy_plain(hist: dict[str, CurveHistory]) -> dict[str, np.ndarray]:
    """Each day's quotes linearly interpolated at 7 and 20 years (flat beyond the ends)."""
    out = {}
    for name, h in hist.items():
        t = np.asarray(h.spec.times)
        rows = [
            interp1d(t, q, bounds_error=False, fill_value=(q[0], q[-1]))([7.0, 20.0])
            for q in h.quotes
            if np.isfinite(q).all()
        ]
        out[name] = np.array(rows)
    return out


def quantlib_ust(h: CurveHistory, every: int) -> float | None:
    """Largest |DF(QuantLib) − DF(ours)| at the UST pillars over every ``every``-th day."""
    try:
        import QuantLib as ql
    except ImportError:
        return None
    dc, cal = ql.SimpleDayCounter(), ql.NullCalendar()
    today = ql.Date(15, 1, 2020)  # a fixed anchor: SimpleDayCounter times are months / 12
    ql.Settings.instance().evaluationDate = today
    worst = 0.0
    for i in range(0, len(h.dates), every):
        q = h.quotes[i]
        if not np.isfinite(q).all():
            continue
        helpers = []
        for years, kind, y in zip(h.spec.times, h.spec.kinds, q, strict=True):
            months = round(years * 12)
            mat = today + ql.Period(months, ql.Months)
            if kind == "zero":  # the bill: DF = (1 + y/2)^(−2t)
                bond = ql.ZeroCouponBond(0, cal, 100.0, mat, ql.Unadjusted)
                price = 100.0 * (1 + y / 200.0) ** (-2 * years)
            else:
                sched = ql.Schedule(today, mat, ql.Period(6, ql.Months), cal, ql.Unadjusted,
                                    ql.Unadjusted, ql.DateGeneration.Backward, False)  # fmt: skip
                bond = ql.FixedRateBond(0, 100.0, sched, [y / 100.0], dc)
                price = 100.0
            helpers.append(ql.BondHelper(ql.QuoteHandle(ql.SimpleQuote(price)), bond))
        curve = ql.PiecewiseLogLinearDiscount(today, helpers, dc)
        qdf = np.array([curve.discount(float(t)) for t in h.spec.times])
        worst = max(worst, float(np.abs(qdf - np.exp(h.log_df[i])).max()))
    return worst


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    p = lake_parser(__doc__, start="2010-01-01")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--fit-days", type=int, default=250, help="DI days fitted by NSS")
    p.add_argument("--ql-every", type=int, default=1, help="QuantLib on every N-th day")
    args = p.parse_args(argv)
    lake = open_lake(args.lake)
    seconds: dict[str, float] = {}
    seconds["research_core"], hist = best_of(args.repeat, lambda: ours(lake, args.start, args.end))
    days = sum(len(h.dates) for h in hist.values())
    errs = {n: h.max_reprice_error_bp() for n, h in hist.items()}
    print(f"research_core: {len(NAMES)} curves x their business days = {days:,} curves in "
          f"{seconds['research_core']:.2f} s (target {TARGET:.0f} s)")  # fmt: skip
    print("  largest repricing error, bp: " + ", ".join(f"{n} {e:.1e}" for n, e in errs.items()))
    seconds["scipy interp"], plain = best_of(args.repeat, lambda: scipy_plain(hist))
    print(f"scipy interp1d of the quotes (no bootstrap): {seconds['scipy interp']:.2f} s")
    for n, h in hist.items():
        ok = np.isfinite(h.quotes).all(axis=1)
        gap = (h.zeros([7.0, 20.0]).to_numpy()[ok] - plain[n]) * 100
        print(f"  {n}: bootstrapped zero − interpolated quote at 7y/20y, median "
              f"{np.median(gap[:, 0]):+.1f} / {np.median(gap[:, 1]):+.1f} bp")  # fmt: skip
    t0 = time.perf_counter()
    worst = quantlib_ust(hist["UST"], args.ql_every)
    if worst is None:
        print("QuantLib: not installed (pip install QuantLib to compare)")
    else:
        seconds["QuantLib UST"] = time.perf_counter() - t0
        n_ql = len(range(0, len(hist["UST"].dates), args.ql_every))
        print(f"QuantLib PiecewiseLogLinearDiscount, UST on {n_ql:,} days: "
              f"{seconds['QuantLib UST']:.2f} s; largest |DF difference| {worst:.1e}")  # fmt: skip
    di = hist["DI"]
    picks = np.linspace(0, len(di.dates) - 1, min(args.fit_days, len(di.dates))).astype(int)
    t0 = time.perf_counter()
    fits = [fit_curve(di.curve(di.dates[i])).nss for i in picks if np.isfinite(di.quotes[i]).all()]
    seconds["NSS fit DI"] = time.perf_counter() - t0
    rmse = np.array([f.rmse_bp for f in fits if f is not None])
    print(
        f"NSS fit of the DI curve on {len(rmse)} days: {seconds['NSS fit DI']:.2f} s; "
        f"RMSE median {np.median(rmse):.2f} bp, 95th pct {np.percentile(rmse, 95):.2f} bp"
    )
    return seconds


if __name__ == "__main__":
    main()
