"""Breakeven inflation: nominal minus real zero curves, at a date and as a daily series.

Brazil: the DI zero rate against the NTN-B Principal real zero yield at the same tenor,
both annual on business days/252, compounded (Fisher): BEI = (1 + DI)/(1 + real) − 1.
IPCA carry convention: an NTN-B's real yield is earned over its VNA, which carries the
IPCA with a lag (the VNA of the 15th of month k holds the IPCA up to month k − 1, pro rata
and projected between 15ths, ``research_core.ntnb``); the breakeven is therefore the
inflation of the VNA's index over the horizon — no lag, seasonal or risk-premium
adjustment is made. United States: the Treasury zero against the TIPS real zero
(both semiannual bond-equivalent, bootstrapped from par yields), where the lake has TIPS.

``simple_bp`` (nominal − real, bp) is shown beside the compounded breakeven: it is what the
lake's ``BR.BREAKEVEN.*`` series hold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_core.curves.build import build_curve, curve_history
from research_core.curves.curve import Curve
from research_core.lake.pit import PITView
from research_core.lake.store import Lake

PAIRS = {"BR": ("DI", "NTNB", (2.0, 3.0, 5.0, 10.0)), "US": ("UST", "TIPS", (5.0, 10.0))}


def fisher(nominal_pct: np.ndarray, real_pct: np.ndarray, freq: int) -> np.ndarray:
    """Compounded breakeven (% a.a.) of rates compounded ``freq`` times a year."""
    n, r = np.asarray(nominal_pct) / 100.0, np.asarray(real_pct) / 100.0
    return 100.0 * freq * ((1.0 + n / freq) / (1.0 + r / freq) - 1.0)


def _rows(country: str, nominal: Curve, real: Curve, tenors: tuple[float, ...]) -> pd.DataFrame:
    t = np.asarray(tenors)
    n, r = nominal.zero(t), real.zero(t)
    freq = 2 if nominal.compounding == "semiannual" else 1
    return pd.DataFrame(
        {
            "country": country,
            "tenor_years": t,
            "nominal_pct": n,
            "real_pct": r,
            "breakeven_pct": fisher(n, r, freq),
            "simple_bp": (n - r) * 100.0,
        }
    )


def breakevens(view: PITView, countries: tuple[str, ...] = ("BR", "US")) -> pd.DataFrame:
    """Breakevens at the view's date per country and tenor (see the module docstring)."""
    frames = []
    for country in countries:
        nom, real, tenors = PAIRS[country]
        frames.append(_rows(country, build_curve(view, nom), build_curve(view, real), tenors))
    return pd.concat(frames, ignore_index=True)


def breakeven_history(lake: Lake, country: str, start: object, end: object) -> pd.DataFrame:
    """Daily compounded breakevens (% a.a.; columns: tenors in years) on the nominal
    curve's business days, each day from the quotes known at its end (``Lake.panel``)."""
    nom, real, tenors = PAIRS[country]
    a, b = curve_history(lake, nom, start, end), curve_history(lake, real, start, end)
    freq = 2 if a.spec.compounding == "semiannual" else 1
    zn, zr = a.zeros(tenors), b.zeros(tenors).reindex(a.dates)
    out = pd.DataFrame(fisher(zn.to_numpy(), zr.to_numpy(), freq), a.dates, list(tenors))
    out.index.name, out.columns.name = "date", "tenor_years"
    return out
