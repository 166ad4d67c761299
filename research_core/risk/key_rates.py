"""Key-rate DV01s of the book's rate positions, priced on the curve.

Each rate instrument is a set of cash flows on its curve (``CURVE_OF``): the DI1 and the
NTN-B Principal are zeros paying 1 at their tenor (DI and NTN-B curves, business
days/252, annual compounding); a Treasury future is the par bullet of its tenor, paying
semiannually the curve's par coupon (UST curve). A unit is the house's (``pnl``): notional
equal to the book's value, long the quote, so its P&L when the curve moves is
``1 − PV(shocked)/PV(today)`` — positive when rates rise.

Key-rate construction (Ho, 1992, "Key rate durations"): key tenors t_1 < … < t_n; the bump
of key k adds Δ·w_k(t) to the zero rate (the curve's own compounding) at every maturity t,
with w_k the triangle that is 1 at t_k and falls linearly to 0 at the neighbouring keys
(w_1 = 1 before t_1, w_n = 1 after t_n). The weights sum to 1 at every t, so the key
bumps add up to the parallel bump. Each DV01 is a central difference with Δ = 1 bp,
(PV(−Δ) − PV(+Δ)) / (2 PV(0)): the first-order terms add up exactly to the parallel
DV01's, and the rest is third order, relative size ≈ (T+1)(T+2)·Δ²/6 ≤ 1.7e-6 for a
zero of T ≤ 30 y — so the key rates sum to the parallel DV01 within 1e-5 of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

import numpy as np
import pandas as pd

from research_core.catalog import Instrument, instrument
from research_core.curves.build import build_curve
from research_core.curves.curve import Curve
from research_core.curves.pricing import (
    BUMP_BP,
    CURVE_OF,
    Shift,
    cash_flows,
    unit_pnl,
    zero_shift,
)
from research_core.errors import RiskError
from research_core.lake.pit import PITView

KEY_TENORS = {
    "DI": (0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
    "NTNB": (2.0, 5.0, 10.0, 20.0, 30.0),
    "UST": (0.25, 2.0, 5.0, 10.0, 30.0),
}


def rate_ids(weights: pd.Series, nav: float = 1.0) -> list[str]:
    """The book's non-zero positions priced on a curve (DI1, NTN-B, Treasury futures);
    the NAV (BRL) and the weights must be finite, the NAV positive."""
    if not (np.isfinite(nav) and nav > 0):
        raise RiskError(f"nav must be a positive amount of BRL, got {nav!r}")
    w = pd.Series(weights, dtype="float64")
    if not np.isfinite(w.to_numpy()).all():
        raise RiskError(f"weights must be finite: {list(w.index[~np.isfinite(w.to_numpy())])}")
    w = w[w != 0.0]
    return [i for i in w.index if instrument(str(i)).dv01_convention in CURVE_OF]


def key_weights(keys: tuple[float, ...], t: np.ndarray) -> np.ndarray:
    """Triangular key-rate weights (keys × times); each column sums to 1."""
    eye = np.eye(len(keys))
    return np.stack([np.interp(t, keys, eye[k]) for k in range(len(keys))])


def _key_weight(keys: tuple[float, ...], k: int, t: np.ndarray) -> np.ndarray:
    return key_weights(keys, t)[k]


def _dv01(inst: Instrument, curve: Curve, bp: Callable[[np.ndarray], np.ndarray]) -> float:
    up = unit_pnl(inst, curve, zero_shift(lambda t: BUMP_BP * bp(t)))
    down = unit_pnl(inst, curve, zero_shift(lambda t: -BUMP_BP * bp(t)))
    return (up - down) / 2.0


def key_rate_dv01(
    curves: Mapping[str, Curve],
    weights: pd.Series,
    nav: float,
    keys: Mapping[str, tuple[float, ...]] = KEY_TENORS,
) -> pd.DataFrame:
    """P&L of a +1 bp bump of each key tenor (years, ``keys`` per curve), per rate position
    (rows: instrument, curve, key — ``parallel`` rows for the whole-curve bump):
    ``pnl_brl_mn`` (BRL mn, of a book worth ``nav`` BRL) and ``pnl_bp_nav`` (bp of NAV).
    ``weights``: notional / NAV."""
    ids = rate_ids(weights, nav)
    if not ids:
        raise RiskError("no DI1, NTN-B or Treasury position to price on a curve")
    rows = []
    for iid in ids:
        inst = instrument(iid)
        name = CURVE_OF[inst.dv01_convention]
        if name not in curves:
            raise RiskError(f"{iid}: the {name} curve is missing; given {sorted(curves)}")
        kt, w = tuple(keys[name]), float(weights[iid])
        for k, key in enumerate(kt):
            r = _dv01(inst, curves[name], partial(_key_weight, kt, k))
            rows.append((iid, name, f"{key:g}y", r * w))
        rows.append((iid, name, "parallel", _dv01(inst, curves[name], np.ones_like) * w))
    out = pd.DataFrame(rows, columns=["instrument", "curve", "key", "pnl_frac_nav"])
    out["pnl_brl_mn"] = out.pop("pnl_frac_nav") * nav / 1e6
    out["pnl_bp_nav"] = out["pnl_brl_mn"] * 1e6 / nav * 1e4
    return out


def book_curves(view: PITView, weights: pd.Series) -> dict[str, Curve]:
    """The curves known at the view that the book's rate positions are priced on."""
    names = {CURVE_OF[instrument(i).dv01_convention] for i in rate_ids(weights)}
    return {n: build_curve(view, n) for n in sorted(names)}


def book_key_rates(view: PITView, weights: pd.Series, nav: float) -> pd.DataFrame:
    """:func:`key_rate_dv01` on the curves known at the view, by curve × key (totals)."""
    table = key_rate_dv01(book_curves(view, weights), weights, nav)
    return table.groupby(["curve", "key"], sort=False)[["pnl_brl_mn", "pnl_bp_nav"]].sum()


__all__ = [  # the pricing helpers are re-exported for the curve stresses
    "CURVE_OF",
    "KEY_TENORS",
    "Shift",
    "book_curves",
    "book_key_rates",
    "cash_flows",
    "key_rate_dv01",
    "key_weights",
    "rate_ids",
    "unit_pnl",
    "zero_shift",
]
