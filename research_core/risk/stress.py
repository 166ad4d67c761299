"""Stress tests: historical episodes replayed from the lake and hypothetical quote shocks.

A historical episode applies each instrument's unit return over the episode window, read
from the lake (carry, roll and USD translation included, ``pnl.unit_index``), to
today's weights, each instrument on its own exchange's sessions (a B3 holiday is still a
NYSE session for ES.FUT). Where the lake holds no prices for an instrument over the window (the
2002 election predates the sample lake), the episode's *calibrated* quote move is used
instead — rounded moves from the public record — and the row says so. Calibrated P&L
earned in USD is translated at the episode's own USD/BRL move, like a hypothetical shock.

A hypothetical shock moves quotes: yields and spreads in basis points, FX and prices as a
fraction (USD/BRL +0.25 is BRL −20 %). The P&L of a unit is ``pnl.quote_move`` at today's
quote; P&L earned in USD (``pnl.pnl_currency``) is translated at the shocked USD/BRL.

A curve stress (``curves=True``; :mod:`research_core.risk.curve_shocks`) shifts or twists
the DI, NTN-B and UST curves known at the view and reprices every rate position from its
cash flows: parallel ±100 bp, the 2s10s steepener and flattener, and the Copom-path shock.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from research_core.catalog import instrument, instruments
from research_core.errors import CurveError, PriceHistoryError, RiskError, WorkbenchWarning
from research_core.lake.pit import PITView
from research_core.pnl import (
    BASE_CURRENCY,
    USDBRL,
    last_quote,
    pnl_currency,
    quote_move,
    unit_index,
)
from research_core.risk.curve_shocks import book_curve_stress
from research_core.risk.key_rates import rate_ids


@dataclass(frozen=True)
class Episode:
    """A historical window to replay, with why it matters and calibrated fallback moves."""

    name: str
    start: str
    end: str
    why: str
    calibrated: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Shock:
    """Hypothetical quote moves by instrument id or id prefix ("DI1", "UST", "USDBRL")."""

    name: str
    moves: Mapping[str, float]
    why: str


EPISODES = (
    Episode(
        "2002 Brazil election",
        "2002-04-30",
        "2002-10-21",
        "Lula's rise in the polls: BRL lost ~40 %, EMBI/CDS blew out, DI curve repriced",
        # Rounded from the public record (USD/BRL 2.36 → 3.93, CDS ~+1,500 bp, DI 1y +700 bp,
        # Ibovespa −35 %, S&P −25 %, UST 10y −130 bp); used only where the lake has no data.
        {
            "DI1.1Y": 700,
            "DI1.2Y": 850,
            "DI1.3Y": 950,
            "DI1.5Y": 1000,
            "DI1.10Y": 1000,
            "NTNB": 400,
            "USDBRL": 0.66,
            "BR.CDS": 1500,
            "IBOV": -0.35,
            "ES": -0.25,
            "UST.2Y": -150,
            "UST.5Y": -140,
            "UST.10Y": -130,
            "UST.30Y": -90,
            "BRENT": 0.15,
            "GOLD": 0.05,
        },
    ),
    Episode("2008 GFC", "2008-09-12", "2008-11-20", "Lehman to the November low"),
    Episode("2013 taper tantrum", "2013-05-21", "2013-08-30", "Bernanke's taper talk; EM sell-off"),
    Episode(
        "2015 Brazil downgrade",
        "2015-07-28",
        "2015-09-24",
        "S&P outlook cut to loss of investment grade (9 Sep) and the BRL peak",
    ),
    Episode(
        "2017 Joesley Day",
        "2017-05-17",
        "2017-05-18",
        "one-day political shock (JBS tapes): the largest one-day BRL and DI move since 2008",
    ),
    Episode("2020 COVID", "2020-02-20", "2020-03-23", "pandemic crash to the Fed's backstop"),
    Episode(
        "2024 Brazil fiscal package",
        "2024-11-27",
        "2024-12-18",
        "spending package disappoints: USD/BRL through 6.0, DI curve +250 bp",
    ),
)

SHOCKS = (
    Shock("DI +100 bp parallel", {"DI1": 100.0}, "parallel shift of the DI1 curve"),
    Shock("BRL −20 %", {"USDBRL": 0.25}, "USD/BRL up 25 % (BRL loses 20 % of its value)"),
    Shock("UST +50 bp parallel", {"UST": 50.0}, "parallel shift of the Treasury curve"),
    Shock("Brazil CDS +150 bp", {"BR.CDS": 150.0}, "sovereign credit shock"),
    Shock("NTN-B real yields +75 bp", {"NTNB": 75.0}, "real-rate repricing"),
    Shock(
        "Brazil combined sell-off",
        {"DI1": 200.0, "NTNB": 120.0, "USDBRL": 0.15, "BR.CDS": 100.0, "IBOV": -0.15},
        "fiscal-credibility shock across Brazil assets",
    ),
    Shock("Global equities −20 %", {"ES": -0.20, "IBOV": -0.25}, "global risk-off"),
)


@dataclass(frozen=True, eq=False)
class StressResult:
    """Stress P&L (BRL) by scenario and position, with where each move came from."""

    pnl: pd.DataFrame  # scenarios x instruments, plus "total"
    source: pd.DataFrame  # scenarios x instruments: "lake", "calibrated", "shock", "no data"
    kind: pd.Series  # scenario -> "historical" | "hypothetical" | "curve"
    nav: float

    def to_frame(self) -> pd.DataFrame:
        out = self.pnl.copy()
        out.insert(0, "kind", self.kind)
        out["total_pct_nav"] = self.pnl["total"] / self.nav
        return out

    def summary(self) -> str:
        worst = self.pnl["total"].sort_values().index[:3]
        total = self.pnl["total"] / self.nav
        parts = "; ".join(f"{s} {total[s]:+.2%}" for s in worst)
        return f"stress tests: worst {parts} of NAV"


def _match(key: str, iid: str) -> bool:
    return iid == key or iid.startswith(key + ".")


def _move_for(moves: Mapping[str, float], iid: str) -> float | None:
    hits = [k for k in moves if _match(k, iid)]
    return moves[max(hits, key=len)] if hits else None  # the most specific key wins


def shock_returns(view: PITView, ids: Iterable[str], moves: Mapping[str, float]) -> pd.Series:
    """Unit return (BRL) of each instrument under quote ``moves`` at the view's quotes."""
    ids = list(ids)
    unmatched = [k for k in moves if not any(_match(k, i) for i in instruments())]
    if unmatched:
        raise RiskError(f"shock keys match no instrument: {unmatched}")
    fx_move = _move_for(moves, "USDBRL") or 0.0
    out = {}
    for iid in ids:
        inst = instrument(iid)
        move = _move_for(moves, iid)
        if move is None:
            out[iid] = 0.0
            continue
        q0 = last_quote(view, inst.price_series)
        if not np.isfinite(q0):
            raise RiskError(f"{iid}: no quote for {inst.price_series} at {view.as_of}")
        if inst.quote in ("price", "fx"):
            q1 = q0 * (1.0 + move)
        else:
            q1 = q0 + move / (100.0 if inst.quote == "yield" else 1.0)
        r = float(quote_move(inst, np.array(q0), np.array(q1)))
        out[iid] = r * (1.0 + fx_move) if pnl_currency(inst) != BASE_CURRENCY else r
    return pd.Series(out, dtype="float64")


def _episode_fx_move(view: PITView, episode: Episode) -> float:
    """USD/BRL move over the episode, to translate calibrated USD P&L as the hypothetical
    shocks do: the calibrated move, else the lake's spot over the window, else 0."""
    move = _move_for(episode.calibrated, "USDBRL.FUT")
    if move is not None:
        return move
    spot = view.series(USDBRL).dropna()
    before, upto = spot[: episode.start], spot[: episode.end]
    if before.empty or len(upto) == len(before):
        return 0.0
    return float(upto.iloc[-1] / before.iloc[-1] - 1.0)


def episode_returns(view: PITView, ids: Iterable[str], episode: Episode) -> pd.DataFrame:
    """Unit return over the episode per instrument, and its source ("lake", "calibrated",
    "no data"). Only data known at the view's as-of is used."""
    start, end = pd.Timestamp(episode.start), pd.Timestamp(episode.end)
    if end >= view.as_of.tz_convert(None):
        raise RiskError(f"{episode.name} ends {end.date()}, after the view's as-of {view.as_of}")
    rows = {}
    for iid in ids:
        try:
            cal = instrument(iid).calendar  # each instrument on its own exchange's sessions
            level = unit_index(view, [iid], start - pd.Timedelta(days=7), end, cal)[iid]
            known = level[level.index <= start]
            if known.empty:
                raise PriceHistoryError(f"{iid}: no prices at {start.date()}")
            rows[iid] = (float(level.iloc[-1]) / float(known.iloc[-1]) - 1.0, "lake")
        except PriceHistoryError:
            move = _move_for(episode.calibrated, iid)
            if move is None:
                rows[iid] = (np.nan, "no data")
            else:
                moves = {iid: move, "USDBRL": _episode_fx_move(view, episode)}
                rows[iid] = (shock_returns(view, [iid], moves)[iid], "calibrated")
    return pd.DataFrame.from_dict(rows, orient="index", columns=["return", "source"])


def stress_test(
    view: PITView,
    weights: pd.Series,
    *,
    nav: float = 1.0,
    episodes: Iterable[Episode] = EPISODES,
    shocks: Iterable[Shock] = SHOCKS,
    curves: bool = False,
) -> StressResult:
    """P&L of ``weights`` (notional per NAV) under each episode and shock, × ``nav``;
    with ``curves``, also under each curve stress when the book holds rate positions."""
    w = weights[weights != 0.0].astype("float64")
    if w.empty:
        raise RiskError("empty book: no non-zero weights to stress")
    ids = list(w.index)
    for iid in ids:
        instrument(iid)  # unknown ids raise CatalogError naming the valid ones
    pnl, source, kind = {}, {}, {}
    for ep in episodes:
        if pd.Timestamp(ep.end) >= view.as_of.tz_convert(None):
            continue
        rets = episode_returns(view, ids, ep)
        pnl[ep.name] = rets["return"] * w * nav
        source[ep.name] = rets["source"]
        kind[ep.name] = "historical"
    for sh in shocks:
        pnl[sh.name] = shock_returns(view, ids, sh.moves) * w * nav
        source[sh.name] = pd.Series("shock", index=ids)
        kind[sh.name] = "hypothetical"
    if curves and rate_ids(w):
        try:
            curve_rows = book_curve_stress(view, w, nav).drop(columns="total")
        except (RiskError, CurveError) as err:  # no curve to build: the other rows stand
            warnings.warn(f"curve stresses left out: {err}", WorkbenchWarning, stacklevel=2)
            curve_rows = pd.DataFrame()
        for name, row in curve_rows.iterrows():
            pnl[str(name)] = row.reindex(ids, fill_value=0.0)
            source[str(name)] = pd.Series("curve", index=ids)
            kind[str(name)] = "curve"
    table = pd.DataFrame(pnl).T[ids]
    table["total"] = table.sum(axis=1, min_count=1)
    return StressResult(table, pd.DataFrame(source).T[ids], pd.Series(kind), nav)
