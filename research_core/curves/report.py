"""What a PM reads about the curves at a date: the DI curve, the Copom path, breakevens.

One object for the CLI (``workbench curves --as-of D``), a page and the pack, so the
same numbers appear everywhere. Units: rates in % a.a., spreads and changes in bp.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from research_core.calendars import business_days
from research_core.curves.breakeven import breakevens
from research_core.curves.build import build_curve, fit_curve, local_day
from research_core.curves.curve import Curve
from research_core.curves.policy import PolicyPath, copom_path
from research_core.errors import CurveError
from research_core.lake.pit import PITView

TENORS = (("3M", 0.25), ("6M", 0.5), ("1Y", 1.0), ("2Y", 2.0), ("3Y", 3.0), ("5Y", 5.0),
          ("10Y", 10.0))  # fmt: skip


@dataclass(frozen=True, eq=False)
class CurvesReport:
    """The DI curve (table by tenor), its NSS fit, the Copom path and the breakevens."""

    day: pd.Timestamp
    di: Curve
    di_fit: Curve
    path: PolicyPath
    breakevens: pd.DataFrame
    moves: pd.DataFrame

    def di_table(self) -> pd.DataFrame:
        frame = self.di.to_frame([t for _, t in TENORS])
        frame.insert(0, "tenor", [n for n, _ in TENORS])
        frame["nss_zero_pct"] = self.di_fit.zero(frame["years"].to_numpy())
        return frame

    def to_frame(self) -> pd.DataFrame:
        """The three tables stacked, labelled by ``section``."""
        parts = {"DI curve": self.di_table(), "Copom path": self.path.to_frame(),
                 "breakevens": self.breakevens, "moves": self.moves}  # fmt: skip
        return pd.concat(parts, names=["section", "row"]).reset_index(level=0)

    def text(self) -> str:
        fit = self.di_fit.nss
        assert fit is not None
        lines = [
            f"DI curve at {self.day.date()} ({self.di.basis}, annual compounding; "
            "log-linear discount bootstrap of the DI × pré swaps)",
            "tenor  zero % a.a.  fwd t−1y→t % a.a.  par % a.a.  discount  NSS zero % a.a.",
        ]
        for r in self.di_table().itertuples():
            lines.append(
                f"{r.tenor:>5}  {r.zero_pct:11.2f}  {r.fwd_1y_pct:18.2f}  {r.par_pct:10.2f}"
                f"  {r.discount:8.4f}  {r.nss_zero_pct:15.2f}"
            )
        lines.append(f"fit: {fit.summary()}")
        lines += ["", self._path_text(), "", self._breakeven_text(), "", self._moves_text()]
        return "\n".join(lines)

    def _moves_text(self, top: int = 8) -> str:
        lines = [
            "Largest moves by tenor (zero rates; 1w = 5 sessions, 1m = 21 sessions ago)",
            "curve  tenor  zero % a.a.  1w ago % a.a.  1m ago % a.a.  1w move bp  1m move bp",
        ]
        for r in self.moves.head(top).to_dict("records"):
            lines.append(
                f"{r['curve']:<5}  {r['tenor']:>5}  {r['zero_pct']:11.2f}"
                f"  {r['zero_1w_pct']:13.2f}  {r['zero_1m_pct']:13.2f}"
                f"  {_bp(r['move_1w_bp']):>10}  {_bp(r['move_1m_bp']):>10}"
            )
        return "\n".join(lines)

    def _path_text(self) -> str:
        p = self.path
        lines = [
            f"{p.label} at {p.as_of.date()}: Selic target {p.policy_rate_pct:.2f} % a.a., "
            f"CDI − Selic {p.spread_bp:+.1f} bp",
            "meeting     CDI from    bdays  CDI % a.a.  Selic % a.a.  change bp  "
            "cumulative bp  Focus % a.a.  market − Focus bp",
        ]
        for r in p.table.itertuples():
            row: Any = r
            meeting = "(now)" if pd.isna(row.meeting) else str(pd.Timestamp(row.meeting).date())
            change, cum, gap = (_bp(x) for x in (row.change_bp, row.cumulative_bp,
                                                 row.market_vs_survey_bp))  # fmt: skip
            survey = "" if pd.isna(row.survey_pct) else f"{row.survey_pct:.2f}"
            lines.append(
                f"{meeting:<10}  {pd.Timestamp(row.effective).date()}  {row.business_days:5d}"
                f"  {row.implied_rate_pct:10.2f}  {row.implied_policy_pct:12.2f}  {change:>9}"
                f"  {cum:>13}  {survey:>12}  {gap:>17}"
            )
        return "\n".join(lines)

    def _breakeven_text(self) -> str:
        lines = [
            "Breakevens (compounded nominal vs real zero; BR: DI vs NTN-B Principal, the VNA's "
            "IPCA carry with no lag adjustment; US: Treasury vs TIPS)",
            "country  tenor  nominal % a.a.  real % a.a.  breakeven % a.a.  nominal − real bp",
        ]
        for r in self.breakevens.itertuples():
            lines.append(
                f"{r.country:<7}  {r.tenor_years:4.0f}Y  {r.nominal_pct:14.2f}  {r.real_pct:11.2f}"
                f"  {r.breakeven_pct:16.2f}  {r.simple_bp:17.1f}"
            )
        return "\n".join(lines)


def curve_moves(view: PITView, names: tuple[str, ...] = ("DI", "NTNB", "UST")) -> pd.DataFrame:
    """Zero rates (% a.a.) by curve and tenor today, 1 week (5 sessions) and 1 month (21
    sessions) ago — each curve as known then — and the moves in bp, largest first."""
    rows = []
    for name in names:
        today = build_curve(view, name)
        sessions = business_days("B3" if name in ("DI", "NTNB") else "NYSE")
        i = int(np.searchsorted(sessions.values, today.as_of.to_datetime64()))
        tenors = [(n, t) for n, t in TENORS if t >= today.times[0] - 1e-9]
        t = np.array([x for _, x in tenors])
        now = today.zero(t)
        past = {lag: build_curve(view.at(str(sessions[i - lag].date())), name).zero(t)
                for lag in (5, 21)}  # fmt: skip
        for k, (label, _) in enumerate(tenors):
            rows.append((name, label, now[k], past[5][k], past[21][k]))
    out = pd.DataFrame(rows, columns=["curve", "tenor", "zero_pct", "zero_1w_pct", "zero_1m_pct"])
    out["move_1w_bp"] = (out["zero_pct"] - out["zero_1w_pct"]) * 100.0
    out["move_1m_bp"] = (out["zero_pct"] - out["zero_1m_pct"]) * 100.0
    order = out["move_1w_bp"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def _bp(x: float) -> str:
    """A signed bp figure to one decimal ("" when missing; never "−0.0")."""
    return "" if pd.isna(x) else f"{round(float(x), 1) + 0.0:+.1f}"


def curves_report(view: PITView) -> CurvesReport:
    """Everything in :class:`CurvesReport` from the lake as known at the view."""
    di = build_curve(view, "DI")
    try:
        bei = breakevens(view, ("BR", "US"))
    except CurveError:  # the US pair is optional: a lake may hold no TIPS
        bei = breakevens(view, ("BR",))
    path = copom_path(view, di)
    return CurvesReport(local_day(view), di, fit_curve(di), path, bei, curve_moves(view))
