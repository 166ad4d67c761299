"""The landing page's headline tiles: the run's status, the freshness gate (stale key
series), limits in breach per book and the proposals awaiting approval in the PMS."""

from __future__ import annotations

from typing import Any

from research_core.formats import DASH, number
from research_core.viz import theme
from research_core.viz.runs import Run

BOOKS = {"held": "Held book", "target": "Target book (optimizer)"}


def read_landing(run: Run) -> dict[str, Any]:
    """What the tiles show, from the run folder (freshness, limits) and the PMS."""
    from research_core.viz.pms_pages import open_pms

    data: dict[str, Any] = {"freshness": run.record("quality/freshness")}
    for book in BOOKS:
        limits = run.table(f"risk/{book}/limits")
        data[f"{book}_limits"] = None if limits is None else {
            s: int((limits["status"] == s).sum()) for s in ("breach", "warn")}  # fmt: skip
    pms, _problem = open_pms()
    data["pending"] = None
    if pms is not None:
        try:
            data["pending"] = len(pms.proposals(state="PROPOSED"))
        finally:
            pms.engine.dispose()
    return data


def _count(n: int, word: str) -> str:
    return f"{number(n, 0)} {word}{'' if n == 1 else 's'}"


def landing_tiles(run: Run, data: dict[str, Any]) -> str:
    """One row of KPI tiles; a missing input says so in words."""
    tiles = [theme.kpi("Run status", f"{run.status} · {run.date}", span=3, key="run_status")]
    gate = data.get("freshness")
    if gate is None:
        fresh = "not checked in this run"
    else:
        stale = list(gate.get("stale_series") or [])
        keys = len(gate.get("key_series") or []) or DASH
        fresh = f"{number(len(stale), 0)} of {keys} key series stale"
        fresh += f" ({', '.join(stale)})" if stale else ""
    tiles.append(theme.kpi("Freshness", fresh, span=3, key="freshness"))
    for book, title in BOOKS.items():
        counts = data.get(f"{book}_limits")
        near = "" if counts is None else number(counts["warn"], 0)
        text = (
            DASH
            if counts is None
            else f"{_count(counts['breach'], 'limit')} in breach, {near} near"
        )
        tiles.append(theme.kpi(f"{title} · breaches", text, span=2, key=f"{book}_breaches"))
    pending = data.get("pending")
    text = "no PMS" if pending is None else f"{_count(pending, 'proposal')} awaiting approval"
    tiles.append(theme.kpi("Pending proposals (PMS)", text, span=2, key="pending"))
    return theme.grid(tiles)
