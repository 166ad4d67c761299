"""What one NTN-B is worth at a date: its IPCA-indexed face (the VNA) × its quotation.

Tesouro Nacional's methodology ("Metodologia de cálculo dos títulos públicos federais
ofertados nos leilões primários", the NTN-B and NTN-B Principal sections) and ANBIMA's
("Metodologia de precificação de títulos públicos federais", VNA): the face of an NTN-B is
R$1,000 on the base date 2000-07-15 and is restated by the IPCA on each 15th — the VNA of
the 15th of month k carries the IPCA up to month k−1, which IBGE publishes about the 10th.
Between two 15ths it grows pro rata at month k's IPCA, projected (ANBIMA uses its own
projection; here the Focus median) until IBGE publishes it; the exponent counts calendar
days as Tesouro's methodology does (ANBIMA's secondary-market VNA counts business days,
which moves the VNA by hundredths of a percent):

    VNA(d) = 1000 × Π_{m = 2000-07}^{k−1} (1 + IPCA_m) × (1 + IPCA_k)^(dcp / dct)

dcp: calendar days from the 15th of month k to d; dct: from that 15th to the next. The
bond's price is VNA × quotation; the NTN-B Principal (the catalog's ``Tesouro IPCA+`` real
yields) is a zero, quotation = (1 + y)^(−du/252) with du/252 its years to maturity.
The coupon NTN-B (6 % a.a. real, (1.06)^(1/2) − 1 a semester) is priced from its cash
flows on the real curve × the VNA: ``research_core.curves.pricing`` (``ntnb_coupon_flows``,
``price_on_curve``); the instrument registry lists only NTN-B Principal.

Everything comes from the lake's monthly IPCA (``BR.IPCA.MOM``, BCB SGS 433) as known at
the date. A lake whose IPCA starts after July 2000 (the sample lake starts in 2005) chains
instead from the VNA of 2005-01-15 computed from the published IPCA (``ANCHORS``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_core.config import get_settings
from research_core.errors import PriceHistoryError
from research_core.lake.pit import PITView

IPCA = "BR.IPCA.MOM"
IPCA_PROJECTION = "BR.FOCUS.IPCA.MOM"  # Focus median for the next IPCA month to be released
VNA_BASE = 1000.0  # R$ per bond on 2000-07-15 (Tesouro Nacional)
# (last IPCA month carried, VNA of the 15th of the month after it), earliest first:
# R$1,000 on 2000-07-15; and R$1,000 × the IPCA of July 2000 to December 2004 (IBGE, BCB
# SGS 433: H2 2000 4.26 %, 2001 7.67 %, 2002 12.53 %, 2003 9.30 %, 2004 7.60 %, chained
# month by month) on 2005-01-15, for lakes whose IPCA starts in January 2005.
ANCHORS = ((pd.Period("2000-06", "M"), VNA_BASE), (pd.Period("2004-12", "M"), 1485.76))


def _month(ordinal: int) -> str:
    return str(pd.Period(ordinal=ordinal, freq="M"))


def _chain(ipca: pd.Series) -> tuple[int, float, np.ndarray]:
    """The anchor month (ordinal), its VNA and the monthly IPCA after it (fractions), from
    the earliest anchor the series reaches back to; every month after it must be there."""
    ipca = ipca.dropna()
    if ipca.empty:
        raise PriceHistoryError(f"NTN-B VNA: no {IPCA} known")
    months = pd.DatetimeIndex(ipca.index).to_period("M").asi8
    first = int(months[0])
    usable = [(p.ordinal, v) for p, v in ANCHORS if first <= p.ordinal + 1]
    if not usable:
        raise PriceHistoryError(
            f"NTN-B VNA: {IPCA} starts {_month(first)}; the VNA needs it from 2000-07 "
            f"(or from {_month(ANCHORS[-1][0].ordinal + 1)} with the published anchor)"
        )
    anchor, value = usable[0]
    keep = months > anchor
    expected = np.arange(anchor + 1, anchor + 1 + int(keep.sum()))
    gap = np.flatnonzero(months[keep] != expected)
    if len(gap):
        raise PriceHistoryError(f"NTN-B VNA: {IPCA} has no value for {_month(expected[gap[0]])}")
    return anchor, value, ipca.to_numpy(dtype=float)[keep] / 100.0


def vna(ipca: pd.Series, days: pd.DatetimeIndex, projection: np.ndarray | float) -> np.ndarray:
    """VNA (R$ per bond) on each of ``days`` from the monthly IPCA (% a month, indexed by
    period start); a month it does not hold yet grows at ``projection`` (% a month, one
    value or one per day). NaN on days before the chain's first 15th."""
    d = pd.DatetimeIndex(days).normalize().to_numpy().astype("datetime64[D]")
    anchor, value, rates = _chain(ipca)
    last = anchor + len(rates)  # ordinal of the newest IPCA month held
    level = value * np.r_[1.0, np.cumprod(1.0 + rates)]  # VNA after anchor, anchor + 1, ...
    proj = np.broadcast_to(np.asarray(projection, dtype=float) / 100.0, (len(d),))
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(int) + 1
    k = month.astype(np.int64) - (day_of_month < 15)  # month of the 15th at or before each day
    before = k - 1 < anchor  # the VNA of that 15th predates the chain: unknown
    k = np.where(before, anchor + 1, k)
    held = np.minimum(k - 1, last) - anchor
    ahead = np.maximum(k - 1 - last, 0)  # months carried but not published: projected
    rate_k = np.where(k <= last, np.r_[rates, 0.0][np.minimum(k - anchor - 1, len(rates))], proj)
    start = k.astype("datetime64[M]").astype("datetime64[D]") + np.timedelta64(14, "D")
    stop = (k + 1).astype("datetime64[M]").astype("datetime64[D]") + np.timedelta64(14, "D")
    x = (d - start).astype(float) / (stop - start).astype(float)
    out = level[held] * (1.0 + proj) ** ahead * (1.0 + rate_k) ** x
    return np.where(before, np.nan, out)


def _projection(ipca: pd.Series, focus: pd.Series, days: pd.DatetimeIndex) -> np.ndarray:
    """Projected IPCA (% a month) at each day: the last Focus median at or before it, else
    the last IPCA month published by then."""

    def last_on(s: pd.Series) -> np.ndarray:
        s = s.dropna()
        pos = np.searchsorted(s.index.values, days.values, side="right") - 1
        vals = s.to_numpy(dtype=float)
        return np.where(pos >= 0, vals[np.maximum(pos, 0)] if len(vals) else np.nan, np.nan)

    out = last_on(focus)
    return np.where(np.isfinite(out), out, last_on(ipca))


def vna_on(view: PITView, days: pd.DatetimeIndex) -> np.ndarray:
    """VNA on each of ``days`` from the IPCA and the Focus projection the view holds (a
    day's rate is the month's IPCA where the view has it, else the projection then)."""
    ipca, focus = view.series(IPCA), view.series(IPCA_PROJECTION)
    return vna(ipca, days, _projection(ipca, focus, pd.DatetimeIndex(days)))


def vna_at(view: PITView) -> float:
    """The VNA on the view's date, from what was published by its as-of instant."""
    day = view.as_of.tz_convert(get_settings().timezone).tz_localize(None).normalize()
    value = float(vna_on(view, pd.DatetimeIndex([day]))[0])
    if not np.isfinite(value):
        raise PriceHistoryError(
            f"NTN-B VNA on {day.date()}: the lake's {IPCA} does not reach back to its last 15th"
        )
    return value


def price(vna_value: float, real_yield: float, years: float) -> float:
    """NTN-B Principal price (R$ per bond): VNA × (1 + y)^(−years), ``real_yield`` in %."""
    return float(vna_value * (1.0 + real_yield / 100.0) ** -years)
