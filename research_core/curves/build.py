"""The fund's curves from the lake as known at a date: DI, NTN-B, UST and TIPS.

Each curve is its catalog series at fixed tenors, read through a point-in-time view (only
the lake decides what was known when):

* ``DI``: BR.DI.* — B3 DI × pré swap zero rates at fixed business-day tenors (the code's
  ``B3.DIxPRE.<du>``); basis du/252 on the B3 calendar, annual compounding.
* ``NTNB``: BR.NTNB.* — NTN-B Principal (Tesouro IPCA+) zero real yields at n years, i.e.
  du = 252 n; annual compounding on du/252, as Tesouro quotes them.
* ``UST``: US.UST.* — Treasury par yields (bond-equivalent, semiannual); the 3-month is a
  bill (a zero); act/365.25 years.
* ``TIPS``: US.TIPS.* — TIPS real par yields (semiannual), where the lake has them.

:func:`build_curve` builds one day; :func:`curve_history` builds every day of a range at
once from ``Lake.panel`` (each day's quotes as known at that day's end).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from research_core.calendars import B3_SESSIONS_PER_YEAR, business_day_range, business_days
from research_core.catalog import series_catalog
from research_core.config import get_settings
from research_core.curves.curve import (
    FREQUENCY,
    Curve,
    bootstrap,
    log_df_to_rate,
    rate_to_log_df,
    reprice,
)
from research_core.curves.monotone import refit_par_pillars
from research_core.curves.nss import NSSFit, fit_nss
from research_core.errors import CurveError
from research_core.lake.pit import PITView
from research_core.lake.store import Lake

_TENOR = re.compile(r"^(\d+)([MY])$")
METHODS = ("log-linear", "monotone-convex", "nss")


@dataclass(frozen=True)
class CurveSpec:
    """Which series make a curve, at what times (years on ``basis``), and how to read them."""

    name: str
    label: str
    series: tuple[str, ...]
    times: tuple[float, ...]
    kinds: tuple[str, ...]
    compounding: str
    basis: str


def _fixed_tenors(prefix: str) -> list[tuple[float, str]]:
    out = []
    for sid in series_catalog():
        if sid.startswith(prefix) and (m := _TENOR.match(sid[len(prefix) :])):
            n = float(m.group(1))
            out.append((n / 12.0 if m.group(2) == "M" else n, sid))
    return sorted(out)


def _di_tenors() -> list[tuple[float, str]]:
    cat = series_catalog()
    out = []
    for sid, spec in cat.items():
        if sid.startswith("BR.DI.") and spec.code.startswith("B3.DIxPRE."):
            out.append((int(spec.code.rsplit(".", 1)[1]) / B3_SESSIONS_PER_YEAR, sid))
    return sorted(out)


def _spec(name: str, label: str, tenors: list[tuple[float, str]], **kw: str) -> CurveSpec:
    times = tuple(t for t, _ in tenors)
    kinds = tuple("zero" if kw["compounding"] == "annual" or t <= 0.5 else "par" for t, _ in tenors)
    return CurveSpec(name, label, tuple(s for _, s in tenors), times, kinds, **kw)


def curve_specs() -> dict[str, CurveSpec]:
    """The four curves the catalog holds, by name."""
    bus, act = "business days/252 (B3)", "act/365.25"
    return {
        "DI": _spec("DI", "DI × pré (nominal BRL)", _di_tenors(), compounding="annual", basis=bus),
        "NTNB": _spec(
            "NTNB", "NTN-B Principal (real BRL)", _fixed_tenors("BR.NTNB."), compounding="annual",
            basis=bus,
        ),
        "UST": _spec(
            "UST", "Treasury par (nominal USD)", _fixed_tenors("US.UST."),
            compounding="semiannual", basis=act,
        ),
        "TIPS": _spec(
            "TIPS", "TIPS par (real USD)", _fixed_tenors("US.TIPS."), compounding="semiannual",
            basis=act,
        ),
    }  # fmt: skip


def spec_of(name: str) -> CurveSpec:
    specs = curve_specs()
    if name not in specs:
        raise CurveError(f"unknown curve {name!r}; curves: {', '.join(specs)}")
    return specs[name]


def fit_curve(curve: Curve) -> Curve:
    """The NSS (NS below six pillars) fit of a bootstrapped curve's zero rates, as a curve
    that reads every maturity from the fit; ``curve.nss`` reports its quality (bp)."""
    t = curve.times
    y_cont = log_df_to_rate(curve.log_df, t, "continuous")
    fit: NSSFit = fit_nss(t, y_cont)
    return dataclasses.replace(curve, method=f"{fit.model} fit", nss=fit)


def _make(spec: CurveSpec, day: pd.Timestamp, quotes: np.ndarray, log_df: np.ndarray) -> Curve:
    return Curve(
        name=spec.name,
        as_of=day,
        times=np.asarray(spec.times),
        log_df=log_df,
        compounding=spec.compounding,
        basis=spec.basis,
        quotes=pd.Series(quotes, index=list(spec.series), name="quote_pct"),
    )


def local_day(view: PITView) -> pd.Timestamp:
    """The view's date in the fund's time zone (a bare date as-of is that day's end)."""
    return view.as_of.tz_convert(get_settings().timezone).tz_localize(None).normalize()


def build_curve(view: PITView, name: str, method: str = "log-linear") -> Curve:
    """Curve ``name`` from the last quote of each of its series known at the view;
    ``method``: ``log-linear`` or ``monotone-convex`` (bootstrapped with that
    interpolation) or ``nss`` (fitted to the log-linear bootstrap)."""
    if method not in METHODS:
        raise CurveError(f"curve method {method!r}; valid: {', '.join(METHODS)}")
    spec = spec_of(name)
    last = view.latest(list(spec.series))
    q = last["value"].reindex(list(spec.series)).to_numpy(dtype=float)
    missing = [s for s, v in zip(spec.series, q, strict=True) if not np.isfinite(v)]
    if missing:
        raise CurveError(f"curve {name} at {local_day(view).date()}: no quote known for {missing}")
    day = pd.Timestamp(last["obs_date"].max())
    grid = np.asarray(spec.times)
    log_df = bootstrap(grid, q, spec.kinds, spec.compounding)[0]
    if method == "monotone-convex":
        freq = FREQUENCY[spec.compounding]
        log_df = refit_par_pillars(grid, log_df, spec.kinds, q, freq)
        return replace(_make(spec, day, q, log_df), method="monotone-convex")
    curve = _make(spec, day, q, log_df)
    return fit_curve(curve) if method == "nss" else curve


def business_days_to(day: object, ends: object) -> np.ndarray:
    """B3 sessions from ``day`` (inclusive) to each of ``ends`` (exclusive): the du of the
    DI convention (e.g. a swap of n calendar days ends at ``day + n``)."""
    sessions = business_days("B3").values
    start = np.searchsorted(sessions, pd.Timestamp(day).to_datetime64())  # type: ignore[arg-type]
    return np.searchsorted(sessions, pd.DatetimeIndex(ends).values) - start  # type: ignore[arg-type]


def di_curve(day: object, du: np.ndarray, rates_pct: np.ndarray, label: str = "DI") -> Curve:
    """A DI curve from zero quotes (% a.a., 252) at ``du`` business days — DI1 settlements
    (``connectors.b3.parse_di1_settlements``) or DI × pré swaps — log-linear bootstrap."""
    order = np.argsort(du)
    t, q = (
        np.asarray(du, dtype=float)[order] / B3_SESSIONS_PER_YEAR,
        np.asarray(rates_pct, float)[order],
    )
    log_df = bootstrap(t, q[None, :], ("zero",) * len(t), "annual")[0]
    return Curve(label, pd.Timestamp(day), t, log_df, "annual", "business days/252 (B3)",  # type: ignore[arg-type]
                 quotes=pd.Series(q, index=du[order], name="quote_pct"))  # fmt: skip


@dataclass(frozen=True, eq=False)
class CurveHistory:
    """Every day's bootstrapped pillars of one curve: ``quotes`` and ``log_df`` (days ×
    pillars, NaN rows where a quote was unknown) and the repricing error (bp)."""

    spec: CurveSpec
    dates: pd.DatetimeIndex
    quotes: np.ndarray
    log_df: np.ndarray

    def curve(self, day: object) -> Curve:
        i = int(self.dates.get_indexer([pd.Timestamp(day)])[0])  # type: ignore[arg-type]
        if i < 0:
            raise CurveError(f"curve {self.spec.name}: {day} is not a day of this history")
        return _make(self.spec, pd.Timestamp(self.dates[i]), self.quotes[i], self.log_df[i])

    def zeros(self, tenors: object) -> pd.DataFrame:
        """Zero rates (% a.a.) at ``tenors`` (years) on every day, by log-linear DF."""
        from research_core.curves.curve import interp_log_df

        t = np.asarray(tenors, dtype=float)
        ld = interp_log_df(np.asarray(self.spec.times), self.log_df, t)
        return pd.DataFrame(log_df_to_rate(ld, t, self.spec.compounding), self.dates, t)

    def max_reprice_error_bp(self) -> float:
        """Largest |quote the curve gives back − input quote| over all days, bp."""
        back = reprice(
            np.asarray(self.spec.times), self.log_df, self.spec.kinds, self.spec.compounding
        )
        return float(np.nanmax(np.abs(back - self.quotes)) * 100.0)


def curve_history(lake: Lake, name: str, start: object, end: object) -> CurveHistory:
    """Curve ``name`` on every business day from ``start`` to ``end`` (its own calendar),
    each day from the quotes known at that day's end (``Lake.panel``)."""
    spec = spec_of(name)
    days = business_day_range(start, end, "B3" if name in ("DI", "NTNB") else "NYSE")
    if len(days) == 0:
        raise CurveError(f"curve {name}: no business day between {start} and {end}")
    panel = lake.panel(list(spec.series), days)
    wide = panel.pivot(index="as_of", columns="series_id", values="value")
    q = wide.reindex(columns=list(spec.series)).to_numpy(dtype=float)
    log_df = np.full_like(q, np.nan)
    ok = np.isfinite(q).all(axis=1)
    if ok.any():
        log_df[ok] = bootstrap(np.asarray(spec.times), q[ok], spec.kinds, spec.compounding)
    return CurveHistory(spec, days, q, log_df)


__all__ = [
    "CurveHistory",
    "CurveSpec",
    "build_curve",
    "curve_history",
    "curve_specs",
    "fit_curve",
    "rate_to_log_df",
]
