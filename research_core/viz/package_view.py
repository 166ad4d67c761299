"""The package impact card: what the proposals of one decision do together to the book
(``pms.package.Package``), for the Trade Blotter to show above the single proposals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from research_core.risk.limits import format_limit
from research_core.viz import theme

if TYPE_CHECKING:
    from research_core.pms.package import Package


def _pct(value: float, *, signed: bool = False) -> str:
    """A fraction of NAV as a person reads it: ``+0.21 % of NAV``."""
    return f"{value * 100:{'+' if signed else ''}.2f} % of NAV"


def package_html(package: Package) -> str:
    """ΔVaR/ΔES (historical 1-day, 95 % and 99 %, % of NAV and BRL mn) of held + approved →
    + the package, each proposal's leave-one-out contribution, the basis trades, the
    limits after the package and the trades dropped below the minimum ticket."""
    r99 = {str(k): float(v) for k, v in package.risk.to_dict("index")[0.99].items()}
    kpis = [
        ("ΔVaR 99% 1d", _pct(r99["delta_var"], signed=True), "pkg-dvar"),
        ("ΔES 99% 1d", _pct(r99["delta_es"], signed=True), "pkg-des"),
        ("VaR 99% after", _pct(r99["var_after"]), "pkg-var"),
        ("ES 99% after", _pct(r99["es_after"]), "pkg-es"),
    ]
    head = [theme.kpi(label, value, key=key) for label, value, key in kpis]
    risk = pd.DataFrame(
        {
            "confidence": [f"{a:.0%}" for a in package.risk.index],
            "VaR before": [_pct(v) for v in package.risk["var_before"]],
            "VaR after": [_pct(v) for v in package.risk["var_after"]],
            "ΔVaR": [_pct(v, signed=True) for v in package.risk["delta_var"]],
            "ΔVaR (BRL mn)": [f"{v * package.nav / 1e6:+,.2f}" for v in package.risk["delta_var"]],
            "ES before": [_pct(v) for v in package.risk["es_before"]],
            "ES after": [_pct(v) for v in package.risk["es_after"]],
            "ΔES": [_pct(v, signed=True) for v in package.risk["delta_es"]],
            "interaction (ΔVaR − Σ contributions)": [
                _pct(v, signed=True) for v in package.risk["interaction_var"]
            ],
        }
    )
    trades = pd.DataFrame(
        {
            "proposal": [str(i) for i in package.trades.index],
            "instrument": package.trades["instrument"].tolist(),
            "trade": [_pct(v, signed=True) for v in package.trades["delta_weight"]],
            "contribution to VaR 99%": [_pct(v, signed=True) for v in package.trades["loo_var_99"]],
            "contribution to ES 99%": [_pct(v, signed=True) for v in package.trades["loo_es_99"]],
        }
    )
    body = [
        theme.grid(head),
        theme.table(risk, index=False, name="package-risk"),
        '<div class="wb-sub">historical 1-day; contributions are leave-one-out: VaR after − '
        "VaR after without the proposal</div>",
        theme.table(trades, index=False, name="package-trades"),
    ]
    if len(package.basis):
        basis = pd.DataFrame(
            {
                "basis trade": package.basis["underlying"].tolist(),
                "legs": package.basis["legs"].tolist(),
                "matched": [f"{v:,.1f} BRL mn" for v in package.basis["matched_brl_mn"]],
                "net": [f"{v:+,.1f} BRL mn" for v in package.basis["net_brl_mn"]],
                "contribution to VaR 99%": [
                    _pct(v, signed=True) for v in package.basis["loo_var_99"]
                ],
            }
        )
        body.append(theme.table(basis, index=False, name="package-basis"))
    body.append(theme.table(_limits(package.limits), index=False, status_column="status",
                            name="package-limits"))  # fmt: skip
    if package.dropped:
        text = "; ".join(f"{d['instrument']} {d['side']} ({d['why']})" for d in package.dropped)
        body.append(theme.message(f"not proposed, below the minimum ticket: {text}", "info"))
    title = "Package impact" + (f" (package {package.package_id})" if package.package_id else "")
    return theme.card(title, "".join(body))


def _limits(table: pd.DataFrame) -> pd.DataFrame:
    """The limits after the package, each number with its unit."""

    def fmt(key: str, value: float) -> str:
        return "–" if pd.isna(value) else format_limit(key, float(value))

    return pd.DataFrame(
        {
            "limit": [str(i) for i in table.index],
            "before": [fmt(k, v) for k, v in zip(table["key"], table["before"], strict=True)],
            "after": [fmt(k, v) for k, v in zip(table["key"], table["value"], strict=True)],
            "cap": [fmt(k, v) for k, v in zip(table["key"], table["max"], strict=True)],
            "utilization": [
                "–" if pd.isna(u) else f"{u * 100:.0f} % of cap" for u in table["utilization"]
            ],
            "status": table["status"].astype(str).tolist(),
            "kind": table["kind"].astype(str).tolist(),
        }
    )
