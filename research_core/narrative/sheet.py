"""Build the Morning Pack's fact sheet from the lake (market snapshot) and a run folder
(book, risk, limits, agents, data quality). Every number the narrative may state is here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from research_core.lake import Lake
from research_core.lake.pit import PITView
from research_core.narrative.curves_section import curve_facts
from research_core.narrative.facts import CUES, Fact, FactSheet, date_value
from research_core.narrative.health import health_facts
from research_core.narrative.tone_facts import tone_facts
from research_core.runs import RunFolder, RunFolderError

# series, fact id, entity, aliases, level (unit, decimals), change (unit, decimals, how)
MarketRow = tuple[str, str, str, tuple[str, ...], str, int, str, int, str]
MARKET: tuple[MarketRow, ...] = (
    ("BRL.USD.PTAX", "usdbrl", "USD/BRL", ("PTAX", "dollar", "dólar"), "", 4, "%", 2, "pct"),
    ("BR.IBOV", "ibov", "Ibovespa", ("Ibov",), "", 0, "%", 2, "pct"),
    ("US.SPX", "spx", "S&P 500", (), "", 1, "%", 2, "pct"),
    ("BR.DI.1Y", "di_1y", "DI 1Y", ("DI 1y", "1-year DI"), "%", 2, "bp", 0, "bp"),
    ("BR.DI.5Y", "di_5y", "DI 5Y", ("DI 5y", "5-year DI"), "%", 2, "bp", 0, "bp"),
    ("US.UST.10Y", "ust_10y", "UST 10Y", ("10-year Treasury",), "%", 2, "bp", 0, "bp"),
    ("US.UST.2Y", "ust_2y", "UST 2Y", ("2-year Treasury",), "%", 2, "bp", 0, "bp"),
    ("BR.CDS.5Y", "cds_5y", "Brazil CDS", ("CDS 5Y", "CDS"), "bp", 0, "bp", 0, "diff"),
    ("US.VIX", "vix", "VIX", (), "", 2, "", 2, "diff"),
    ("CMD.BRENT", "brent", "Brent", (), "", 2, "%", 2, "pct"),
    ("BR.SELIC.TARGET", "selic", "Selic", ("Selic target",), "%", 2, "pp", 2, "diff"),
    ("BR.IPCA.YOY", "ipca_12m", "IPCA 12m", ("IPCA",), "%", 2, "pp", 2, "diff"),
    ("US.CPI.YOY", "us_cpi", "US CPI", ("CPI",), "%", 2, "pp", 2, "diff"),
)  # fmt: skip
HELD, TARGET = "risk/held", "risk/target"  # the run folder's two books (pipelines/README.md)
HELD_NAMES = {  # fact → entity, aliases (en, pt-BR): names no target fact uses
    "book": ("Held book", ("book detido", "carteira detida")),
    "var": ("held-book VaR", ("held-book 99 % 1-day VaR", "VaR 99 % de 1 dia do book detido")),
    "es": ("held-book ES", ("ES do book detido",)),
    "stress": ("held-book worst stress", ("held book's worst stress",
                                          "pior estresse do book detido")),
    "limits": ("held-book limits", ("limites do book detido",)),
}  # fmt: skip


AGENT_NAMES = {
    "inflation": "inflation agent",
    "monetary_policy": "monetary policy agent",
    "fiscal": "fiscal agent",
    "fx_equilibrium": "FX agent",
    "cross_asset": "cross-asset agent",
}


def market_change(last: float, then: float, how: str) -> float:
    """A market move as the sheet states it: % for prices, bp for rates, points otherwise."""
    if how == "pct":
        return (last / then - 1.0) * 100.0
    if how == "bp":
        return (last - then) * 100.0
    return last - then


def market_series(view: PITView) -> Iterator[tuple[MarketRow, pd.Series]]:
    """Each :data:`MARKET` row with its series as ``view`` knows it (two values at least)."""
    for row in MARKET:
        try:
            s = view.series(row[0]).dropna()
        except KeyError:
            continue
        if len(s) >= 2:
            yield row, s


def market_facts(view: PITView, as_of: str) -> list[Fact]:
    """Last value and last change of the key market and macro series known at ``as_of``."""
    facts: list[Fact] = []
    for (sid, fid, entity, aliases, lu, ld, cu, cd, how), s in market_series(view):
        last, prev = float(s.iloc[-1]), float(s.iloc[-2])
        when = f"{pd.Timestamp(s.index[-1]):%Y-%m-%d}"
        change = market_change(last, prev, how)
        facts.append(Fact(f"{fid}.last", entity, last, lu, ld, sid, when, "level", "last", aliases))
        facts.append(Fact(f"{fid}.chg", entity, change, cu, cd, sid, when, "change", "change"))
    return facts


def run_facts(run: RunFolder, as_of: str) -> list[Fact]:
    """Book, risk, limits, agents and data-quality facts from the run's artifacts."""
    facts: list[Fact] = []
    art = run.artifact

    facts += held_facts(run, as_of)
    facts += target_facts(run, as_of)
    if _has(run, "agents/reports.json"):
        reports = art("agents/reports.json")
        best: tuple[float, str, str] | None = None
        for name, rep in reports.items():
            for s in rep["signals"]:
                if best is None or abs(s["strength"]) > abs(best[0]):
                    best = (float(s["strength"]), s["instrument"], name)
        if best is not None:
            facts.append(
                Fact("agents.top_z", "strongest call", best[0], "", 2,
                     "artifacts/agents/reports.json", as_of, "change",
                     aliases=("convicção mais forte",),
                     label=f"{best[1]} ({AGENT_NAMES.get(best[2], best[2])})")
            )  # fmt: skip
    if _has(run, "attribution/pnl.json"):
        p = art("attribution/pnl.json")
        src = "artifacts/attribution/pnl.json"
        facts += [
            Fact("pnl.day", "P&L", p["pnl_day_brl"] / 1e6, "BRL mn", 1, src, as_of, "change",
                 label="yesterday", cues=CUES["day"]),
            Fact("pnl.mtd", "P&L", p["mtd"] * 100, "%", 2, src, as_of, "change", label="MTD",
                 cues=CUES["mtd"]),
            Fact("pnl.ytd", "P&L", p["ytd"] * 100, "%", 2, src, as_of, "change", label="YTD",
                 cues=CUES["ytd"]),
            Fact("pnl.nav", "fund NAV", p["nav_brl"] / 1e6, "BRL mn", 1, src, as_of,
                 aliases=("PL do fundo",)),
        ]  # fmt: skip
    if _has(run, "book/proposals.parquet"):
        props = art("book/proposals.parquet")
        facts.append(
            Fact("pms.proposals", "proposals", len(props), "count", 0,
                 "artifacts/book/proposals.parquet", as_of, aliases=("propostas",))
        )  # fmt: skip
    if _has(run, "quality/freshness.json"):
        gate = art("quality/freshness.json")
        src = "artifacts/quality/freshness.json"
        facts += [
            Fact("dq.stale", "Data quality", len(gate["stale_series"]), "count", 0, src, as_of,
                 label="key series stale", aliases=("data-quality", "qualidade dos dados"),
                 cues=CUES["stale"]),
            Fact("dq.findings", "Data quality", sum(gate["counts"].values()), "count", 0, src,
                 as_of, label="findings", cues=CUES["findings"]),
        ]  # fmt: skip
    facts += health_facts(run, as_of)  # the Strategy health section's numbers
    return facts


def _has(run: RunFolder, name: str) -> bool:
    try:
        run.artifact_path(name)
    except RunFolderError:
        return False
    return True


def target_facts(run: RunFolder, as_of: str) -> list[Fact]:
    """The target book (optimizer): its size (``book/summary.json``) and its risk
    (``risk/target/``), every label saying it is the target."""
    facts: list[Fact] = []
    art = run.artifact

    if _has(run, "book/summary.json"):
        b = art("book/summary.json")
        src = "artifacts/book/summary.json"
        facts += [  # gross Σ|w| and net Σw of the weights (notional / NAV), in % of NAV
            Fact("book.positions", "Book", b["positions"], "count", 0, src, as_of,
                 label="target book positions", aliases=("book",), cues=CUES["positions"]),
            Fact("book.gross", "Book", b["gross"] * 100, "%", 0, src, as_of,
                 label="target book gross notional, % of NAV", cues=CUES["gross"]),
            Fact("book.net", "Book", b["net"] * 100, "%", 0, src, as_of,
                 label="target book net notional, % of NAV", cues=CUES["net"]),
            Fact("book.vol", "Book", b["vol"] * 100, "%", 1, src, as_of,
                 label="target book ex-ante vol", cues=CUES["vol"]),
        ]  # fmt: skip
    if _has(run, f"{TARGET}/var.parquet"):
        var = art(f"{TARGET}/var.parquet").loc[("historical", 0.99)]
        src = f"artifacts/{TARGET}/var.parquet"
        aliases = ("99 % 1-day VaR", "VaR 99 % de 1 dia", "99 % VaR", "VaR 99 %", "VaR")
        label = "target book 99 % 1-day historical VaR"
        facts += [
            Fact("risk.var99", "VaR", var["var"] * 100, "%", 2, src, as_of, label=label,
                 aliases=aliases),
            Fact("risk.var99_brl", "VaR", var["var_brl"] / 1e6, "BRL mn", 1, src, as_of,
                 label=label),  # the same VaR in BRL
            Fact("risk.es99", "ES", var["es"] * 100, "%", 2, src, as_of,
                 label="target book 99 % 1-day historical ES",
                 aliases=("99 % ES", "expected shortfall")),
        ]  # fmt: skip
    if _has(run, f"{TARGET}/stress.parquet") and _has(run, "risk/summary.json"):
        stress = art(f"{TARGET}/stress.parquet")
        nav = float(art("risk/summary.json")["nav"])
        worst = stress["total"].idxmin()
        facts.append(
            Fact("risk.worst_stress", "worst stress", float(stress.at[worst, "total"]) / nav * 100,
                 "%", 2, f"artifacts/{TARGET}/stress.parquet", as_of, label=str(worst),
                 aliases=(str(worst), "worst stress scenario"))
        )  # fmt: skip
    if _has(run, f"{TARGET}/limits.parquet"):
        lim = art(f"{TARGET}/limits.parquet")
        src = f"artifacts/{TARGET}/limits.parquet"
        n_breach = int((lim["status"] == "breach").sum())
        n_warn = int((lim["status"] == "warn").sum())
        facts += [
            Fact("limits.breach", "Limits", n_breach, "count", 0, src, as_of,
                 label="target book limits in breach", aliases=("limit",), cues=CUES["breach"]),
            Fact("limits.warn", "Limits", n_warn, "count", 0, src, as_of,
                 label="target book limits near their line", cues=CUES["warn"]),
        ]  # fmt: skip
    return facts


def held_facts(run: RunFolder, as_of: str) -> list[Fact]:
    """The book the PMS holds, as marked at ``as_of`` (``risk/compare.parquet``, the held
    column): positions, notional, VaR/ES, worst stress and limits, under names of their
    own so no number of the target book can stand for them. An empty PMS has one fact,
    ``held.none`` (0 positions), and the pack says "no positions held; target shown"."""
    try:
        held = run.artifact("risk/compare.parquet")["held"]
    except RunFolderError:
        return []
    src = "artifacts/risk/compare.parquet"
    entity, aliases = HELD_NAMES["book"]
    if held["positions"] == 0:
        return [Fact("held.none", entity, 0, "count", 0, src, as_of, label="positions held",
                     aliases=aliases, cues=CUES["positions"])]  # fmt: skip
    var, var_aliases = HELD_NAMES["var"]
    es, es_aliases = HELD_NAMES["es"]
    stress, stress_aliases = HELD_NAMES["stress"]
    limits, limits_aliases = HELD_NAMES["limits"]
    worst = run.artifact(f"{HELD}/stress.parquet")["total"].idxmin()
    return [
        Fact("held.positions", entity, held["positions"], "count", 0, src, as_of,
             label="held book positions", aliases=aliases, cues=CUES["positions"]),
        Fact("held.gross", entity, held["gross"] * 100, "%", 0, src, as_of,
             label="held book gross notional, % of NAV", cues=CUES["gross"]),
        Fact("held.net", entity, held["net"] * 100, "%", 0, src, as_of,
             label="held book net notional, % of NAV", cues=CUES["net"]),
        Fact("held.var99", var, held["var99"] * 100, "%", 2, src, as_of,
             label="held book 99 % 1-day historical VaR", aliases=var_aliases),
        Fact("held.var99_brl", var, held["var99_brl"] / 1e6, "BRL mn", 1, src, as_of,
             label="held book 99 % 1-day historical VaR"),
        Fact("held.es99", es, held["es99"] * 100, "%", 2, src, as_of,
             label="held book 99 % 1-day historical ES", aliases=es_aliases),
        Fact("held.worst_stress", stress, held["worst_stress"] * 100, "%", 2, src, as_of,
             label=str(worst), aliases=(*stress_aliases, *(f"{a}, {worst}" for a in
                                                          stress_aliases))),
        Fact("held.breach", limits, held["breaches"], "count", 0, src, as_of,
             label="held book limits in breach", aliases=limits_aliases, cues=CUES["breach"]),
        Fact("held.warn", limits, held["warnings"], "count", 0, src, as_of,
             label="held book limits near their line", cues=CUES["warn"]),
    ]  # fmt: skip


def build_fact_sheet(
    as_of: str,
    *,
    lake: Lake | str | Path,
    run: RunFolder | None = None,
    locale: str = "en",
) -> FactSheet:
    """The fact sheet at ``as_of``: market facts from the lake, the rest from ``run``."""
    lake = lake if isinstance(lake, Lake) else Lake.open(lake)
    view = lake.at(as_of)
    facts = [
        Fact("pack.as_of", "Morning Pack", date_value(as_of), "date", 0, "run", as_of,
             aliases=("briefing", "as of")),
    ]  # fmt: skip
    facts += market_facts(view, as_of)
    facts += tone_facts(view, as_of)  # central-bank tone, where the lake holds it
    if run is not None:
        facts += run_facts(run, as_of)
        facts += curve_facts(run, as_of)  # the Copom path of the curves step
    return FactSheet(as_of, tuple(facts), locale)


def fact_table(sheet: FactSheet) -> list[dict[str, Any]]:
    """Rows for the HTML fact table (what, value as displayed, source series, as-of)."""
    return [
        {
            "id": f.id,
            "entity": f.entity,
            "label": f.label,
            "value": f.display(sheet.locale),
            "series": f.series,
            "as_of": f.as_of,
        }
        for f in sheet.facts
    ]
