"""Risk Monitor tables for people: limits by utilization, the VaR backtest, the correlation
monitor — each number in its unit (``risk.limits.UNITS``; p-values with two decimals)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from research_core.formats import DASH, number, pct
from research_core.viz import theme

if TYPE_CHECKING:
    import plotly.graph_objects as go


def limit_value(v: Any, key: str, *, signed: bool = False) -> str:
    """A limit's number (value, cap or headroom) in its unit: ``0.42% of NAV``,
    ``7.34 × NAV``, ``5.00 days`` (``risk.limits.UNITS``, by the limit's ``key``)."""
    from research_core.risk.limits import UNITS

    name, scale = UNITS.get(key, ("", 1.0))
    text = number(None if v is None else float(v) * scale, 2, signed=signed)
    gap = "" if name.startswith("%") else " "
    return text if text == DASH else f"{text}{gap}{name}".strip()


def limit_view(limits: pd.DataFrame) -> pd.DataFrame:
    """A book's limit table highest utilization first, value and limit in their units."""
    t = limits.reset_index() if "limit" not in limits.columns else limits
    t = t.sort_values("utilization", ascending=False, kind="stable", na_position="last")
    unit = limit_value
    keys = t["key"] if "key" in t else pd.Series("", index=t.index)
    return pd.DataFrame(
        {
            "limit": t["limit"].astype(str),
            "value": [unit(v, k) for v, k in zip(t["value"], keys, strict=True)],
            "max": [unit(v, k) for v, k in zip(t["max"], keys, strict=True)],
            "measured as": t["unit"].astype(str) if "unit" in t else "",
            "utilization": [
                pct(u, 0) + " of limit" if pd.notna(u) else DASH for u in t["utilization"]
            ],
            "status": t["status"].astype(str),
            **({"kind": t["kind"].astype(str)} if "kind" in t else {}),
        }
    )


def backtest_view(table: pd.DataFrame) -> pd.DataFrame:
    """The VaR backtest per level: exceptions against the expected count, p-values."""
    return pd.DataFrame(
        {
            "VaR level": [pct(a, 0) for a in table["alpha"]],
            "days": [number(n, 0) for n in table["days"]],
            "exceptions": [number(n, 0) for n in table["exceptions"]],
            "expected": [number(n, 1) for n in table["expected"]],
            "Kupiec p": [number(p, 2) for p in table["p_kupiec"]],
            "Christoffersen p": [number(p, 2) for p in table["p_christoffersen"]],
            "conditional coverage p": [number(p, 2) for p in table["p_conditional"]],
        }
    )


def backtest_card(table: pd.DataFrame, title: str, book: str) -> str:
    window = number(table["window"].iloc[0], 0) if "window" in table and len(table) else DASH
    note = (f"historical VaR out of sample ({window}-day window, today's weights) against "
            "the book's daily P&L; p under 0.05 rejects the model")  # fmt: skip
    body = f'<p class="wb-sub">{theme.esc(note)}</p>'
    body += theme.table(backtest_view(table), index=False, name=f"backtest-{book}")
    return theme.card(f"VaR backtest — {title}", body, span=6)


def correlation_card(pairs: pd.DataFrame, test: dict[str, Any] | None, title: str,
                     book: str, top: int = 8) -> str:  # fmt: skip
    """The Jennrich test (last 63 days vs the 504 before) and the pairs that moved most."""
    line = ""
    if test:
        word = "break" if test.get("flagged") else "stable"
        line = (f"Jennrich χ² {number(test['statistic'], 1)} (df {number(test['df'], 0)}), "
                f"p {number(test['p_value'], 2)}: regime {word}")  # fmt: skip
    shown = pairs.head(top)
    frame = pd.DataFrame(
        {
            "pair": shown["pair"].astype(str),
            "recent (63 d)": [number(v, 2, signed=True) for v in shown["recent"]],
            "history (504 d)": [number(v, 2, signed=True) for v in shown["history"]],
            "change": [number(v, 2, signed=True) for v in shown["change"]],
        }
    )
    body = f'<p class="wb-sub" data-jennrich="{book}">{theme.esc(line)}</p>' if line else ""
    body += theme.table(frame, index=False, name=f"correlation-{book}")
    return theme.card(f"Correlation monitor — {title}", body, span=6)


def var_history_figure(hist: pd.DataFrame, title: str, sample: bool) -> go.Figure:
    """The book's VaR 95/99 % (% of NAV) per day against the 99 % limit (limits.yaml), as
    the risk step stored them (``var_history.parquet``): breach days (VaR 99 % above the
    limit) and exceptions (a loss beyond the VaR 99 %) marked."""
    what = "today's book on each past day, rolling out-of-sample historical VaR"
    fig = theme.figure(f"VaR history against its limit — {title} ({what})", sample=sample,
                       yaxis="% of NAV")  # fmt: skip
    x = pd.to_datetime(hist["date"])
    pc = 100.0  # fractions of NAV drawn in %
    fig.add_scatter(x=x, y=hist["var_95"] * pc, name="VaR 95% 1d (historical)",
                    line={"color": theme.SERIES[2]})  # fmt: skip
    fig.add_scatter(x=x, y=hist["var_99"] * pc, name="VaR 99% 1d (historical)",
                    line={"color": theme.NAVY})  # fmt: skip
    fig.add_scatter(x=x, y=hist["limit_99"] * pc, name="VaR 99% limit",
                    line={"color": theme.STATUS["breach"], "dash": "dash"})  # fmt: skip
    marks = (("breach", "VaR 99% above its limit", hist["var_99"], "x"),
             ("exception_99", "loss beyond VaR 99%", -hist["pnl"], "circle-open"))  # fmt: skip
    for column, name, y, symbol in marks:
        on = hist[column].astype(bool).to_numpy()
        mark = {"color": theme.STATUS["breach"], "symbol": symbol, "size": 7}
        fig.add_scatter(x=x[on], y=y[on] * pc, mode="markers", marker=mark,
                        name=f"{name} ({int(on.sum())} days)")  # fmt: skip
    fig.update_layout(yaxis_ticksuffix="%", yaxis_tickformat=".2f", height=380,
                      hovermode="x unified")  # fmt: skip
    fig.update_traces(hovertemplate="%{y:.2f}% of NAV")
    return fig
