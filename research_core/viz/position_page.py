"""The PMS pages' readers and renderers: the Position Book (the held book live from the
PMS, the run's target book beside it), the Trade Blotter and the Decision Journal.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from research_core.viz import theme
from research_core.viz.book_view import (
    NONE_HELD,
    live_day,
    live_note,
    mark_dates,
    mark_form,
    position_book,
)
from research_core.viz.pms_pages import blotter, journal_view, open_pms
from research_core.viz.runs import Item, Page, Problem, Run, missing, open_run


def read_positions(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    """The PMS, read live (held book per mark date), and the run's target book."""
    pms, problem = open_pms()
    target = _target(run)
    problems = [problem] if problem else []
    day = live_day(run, pms)
    marks = [] if pms is None else [d for d in mark_dates(pms) if d <= (day or str(run.date))]
    if day is not None:
        problems.append(live_note(run, day))
    if not marks:
        what = f"the PMS has no mark on or before {run.date}" if pms is not None else "no PMS"
        if target is None:
            problems.append(missing(run, "book", "book"))
        elif target.empty:
            problems.append(
                Problem("info", "Empty book", f"the book of {run.date} has no positions")
            )
        problems.append(Problem("info", "Held book", f"{what}: {NONE_HELD}"))
    return {"pms": pms, "marks": marks, "target": target}, problems


def _target(run: Run) -> pd.Series | None:
    """The target book (optimizer) of a run: its non-zero weights, or None without one."""
    weights = run.table("book/weights")
    if weights is None:
        return None
    w = weights.set_index("instrument")["weight"] if "instrument" in weights else weights["weight"]
    return w[w.fillna(0.0) != 0.0]


def _target_at(day: str) -> pd.Series | None:
    """The target book of the pipeline run of ``day``, if there is one."""
    run = open_run(f"date={day}")
    return _target(run) if run.path is not None else None


def render_positions(page: Page) -> list[Item]:
    pms, target, marks = page.data.get("pms"), page.data.get("target"), page.data.get("marks")
    date = str(page.run.date)
    if pms is not None and marks:  # the newest mark shown (see _read_positions), all selectable
        return [position_book(pms, marks[0], _target_at, run_date=date)]
    form: list[Item] = [] if pms is None else [mark_form(pms, lambda _: None, run_date=date)]
    if target is None or target.empty:
        return form
    frame = target.rename("target % NAV").reset_index()
    tiles = [
        theme.kpi("Target book (optimizer) · positions", str(len(target)), key="target_positions"),
        theme.kpi("Target book (optimizer) · gross (× NAV)", f"{target.abs().sum():.2f}",
                  key="target_gross"),
        theme.kpi("Target book (optimizer) · net (× NAV)", f"{target.sum():+.2f}",
                  key="target_net"),
    ]  # fmt: skip
    body = theme.table(frame, formats={"target % NAV": "{:+.2%}"}, index=False, name="target")
    title = f"Target book (optimizer) of the {page.run.date} run — {NONE_HELD}"
    out: list[Item] = [theme.grid(tiles), theme.grid([theme.card(title, body)])]
    s = target.sort_values()
    fig = theme.figure("Target book (optimizer) weights (× NAV)", sample=page.run.sample)
    colors = [theme.POSITIVE if v >= 0 else theme.NEGATIVE for v in s]
    fig.add_bar(x=s, y=s.index, orientation="h", marker_color=colors, name="target weight")
    fig.update_layout(height=440, hovermode="y")
    out.append(fig)
    return out + form


def read_pms(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    """The Trade Blotter's and the Decision Journal's data: the PMS, read live."""
    pms, problem = open_pms()
    return {"pms": pms}, [problem] if problem else []


def render_blotter(page: Page) -> list[Item]:
    pms = page.data.get("pms")
    return [] if pms is None else [blotter(pms, str(page.run.date))]


def render_journal(page: Page) -> list[Item]:
    pms = page.data.get("pms")
    return [] if pms is None else [journal_view(pms)]
