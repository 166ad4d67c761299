"""The Position Book: the held book at a PMS mark, read live, the target book beside it,
whether a page shows the held book live (:func:`live_day`), and the form that marks the
book (as the signed-in user, :mod:`research_core.viz.pms_common`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from research_core.errors import (
    StaleQuoteError,
    StaleQuoteWarning,
    WorkbenchError,
)
from research_core.formats import money
from research_core.pms import PMS
from research_core.pms.live import last_mark, next_session
from research_core.pms.system import to_date
from research_core.viz import theme
from research_core.viz.pms_common import Action, acting_user, feedback
from research_core.viz.runs import Problem, Run

NONE_HELD = "no positions held; target shown"


def mark_dates(pms: PMS) -> list[str]:
    """The dates the PMS book was marked, newest first (the Position Book's selector)."""
    return [f"{d:%Y-%m-%d}" for d in reversed(pms.nav_history().index)]


def live_day(run: Run, pms: Any) -> str | None:
    """The PMS's newest mark when it is later than this run and no later run exists: the
    run's held-book figures are out of date, so the pages compute the held book live."""
    marks = mark_dates(pms) if pms is not None else []
    newest_run = not run.runs or str(run.date) >= run.runs[-1]
    return marks[0] if marks and marks[0] > str(run.date) and newest_run else None


def live_note(run: Run, day: str) -> Problem:
    """The message of a page that shows the held book live (see :func:`live_day`)."""
    text = (f"{LIVE.format(day=day)}: the PMS was traded and marked after the {run.date} "
            "run; the target book is the run's")  # fmt: skip
    return Problem("info", "Held book", text)


LIVE = "held book, live from PMS as of {day}"


def held_table(pms: PMS, day: str, target: pd.Series | None) -> pd.DataFrame:
    """The book the PMS held at the mark of ``day``, read live: per instrument the quantity
    (local notional), currency, the mark (quote), BRL notional, % of NAV and the day's P&L
    (BRL), with the target book's weight beside it and the trade to it (% of NAV)."""
    held = pms.held(day)
    rows = pms.pnl_history()
    rows = rows[pd.to_datetime(rows["as_of"]) == pd.Timestamp(day)]
    marks = rows.groupby("instrument_id")["quote"].last()
    pnl = rows.groupby("instrument_id")["pnl_brl"].sum()
    ids = held.index.union(target.index if target is not None else pd.Index([]))
    out = pd.DataFrame(index=pd.Index(ids, name="instrument"))
    out["quantity (local)"] = held["quantity"]
    out["currency"] = held["currency"]
    out["mark"] = marks.reindex(ids)
    out["BRL mn"] = held["notional_brl"] / 1e6
    out["held % NAV"] = held["weight"].reindex(ids).fillna(0.0)
    if target is not None:
        out["target % NAV"] = target.reindex(ids).fillna(0.0)
        out["trade % NAV (target − held)"] = out["target % NAV"] - out["held % NAV"]
    out["P&L day (BRL mn)"] = pnl.reindex(ids) / 1e6
    first = (-out["held % NAV"].abs()).rank(method="first")  # the held book first
    return out.iloc[first.argsort()].reset_index()


HELD_FORMATS = {
    "quantity (local)": "{:,.0f}",
    "mark": "{:,.4f}",
    "BRL mn": "{:,.1f}",
    "held % NAV": "{:+.2%}",
    "target % NAV": "{:+.2%}",
    "trade % NAV (target − held)": "{:+.2%}",
    "P&L day (BRL mn)": "{:+,.2f}",
}


def position_html(pms: PMS, day: str, target: pd.Series | None) -> str:
    """Tiles and table of the held book at the mark of ``day`` (target beside it)."""
    table = held_table(pms, day, target)
    held = table[table["held % NAV"] != 0.0]
    nav = pms.nav(day)
    tiles = [
        theme.kpi("Held book · positions", str(len(held)), key="positions"),
        theme.kpi("Held book · gross (× NAV)", f"{held['held % NAV'].abs().sum():.2f}",
                  key="gross"),
        theme.kpi("Held book · net (× NAV)", f"{held['held % NAV'].sum():+.2f}", key="net"),
        theme.kpi(f"NAV at the {day} mark", money(nav), key="nav"),
    ]  # fmt: skip
    if target is not None:
        t = target[target != 0.0]
        tiles += [
            theme.kpi("Target book (optimizer) · positions", str(len(t)), key="target_positions"),
            theme.kpi("Target book (optimizer) · gross (× NAV)", f"{t.abs().sum():.2f}",
                      key="target_gross"),
        ]  # fmt: skip
    note = theme.message(NONE_HELD, "info") if held.empty else ""
    title = f"Held book at the {day} mark" + (", target book (optimizer) beside it" if
                                              target is not None else "")  # fmt: skip
    body = theme.table(table, formats=HELD_FORMATS, index=False, name="book")
    return theme.grid(tiles) + note + theme.grid([theme.card(title, body)])


def position_book(
    pms: PMS,
    default: str | None,
    target_at: Callable[[str], pd.Series | None],
    *,
    run_date: str | None = None,
) -> w.VBox:
    """The Position Book, read from the PMS live: a selector over the mark dates (default
    ``default`` when it is one, else the newest), the held book at that mark with the
    target book of that date's pipeline run (``target_at``) beside it, and a mark form
    (a new mark is selected at once)."""
    dates = mark_dates(pms)
    pick = w.Dropdown(options=dates, description="Mark of")
    pick.add_class("wb-mark-date")
    shown = w.HTML()

    def show(_: object = None) -> None:
        if pick.value is None:
            shown.value = theme.message(f"the PMS has no mark yet: {NONE_HELD}", "info")
            return
        try:
            shown.value = position_html(pms, pick.value, target_at(pick.value))
        except WorkbenchError as err:
            shown.value = theme.message(str(err), "error", title="Not shown:")

    def marked(day: str) -> None:
        pick.options = mark_dates(pms)
        pick.value = day  # observed: shows the new mark

    if dates:
        pick.value = default if default in dates else dates[0]
    pick.observe(show, names="value")
    show()
    form = mark_form(pms, marked, run_date=run_date)
    return w.VBox([w.HTML(theme.style()), pick, shown, form])


STALE_CLI = "mark with --stale-ok (stale_ok=True)"  # the PMS's hint, for the CLI


def mark_form(pms: PMS, marked: Callable[[str], None], *, run_date: str | None = None) -> w.VBox:
    """Mark the book from the lake at a date (default: the next B3 session after the last
    mark, else the run's date). Stale quotes are refused unless "accept stale quotes" is
    ticked (the CLI's ``--stale-ok``); the result shows beside the button."""
    last = last_mark(pms)
    day = f"{next_session(last):%Y-%m-%d}" if last is not None else (run_date or "")
    date = w.Text(value=day, description="Mark date")
    date.add_class("wb-mark-day")
    stale = w.Checkbox(value=False, description="accept stale quotes", indent=False)
    stale.add_class("wb-mark-stale")
    button = w.Button(description="Mark", button_style="primary")
    button.add_class("wb-mark")
    out = feedback("wb-feedback-mark")

    def do_mark() -> str:
        when = to_date(date.value.strip(), "mark date")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StaleQuoteWarning)
            try:
                m = pms.mark(when, actor=acting_user(), stale_ok=stale.value)
            except StaleQuoteError as err:
                hint = str(err).replace(STALE_CLI, "tick 'accept stale quotes'")
                raise StaleQuoteError(hint) from err
        stale_notes = [c for c in caught if issubclass(c.category, StaleQuoteWarning)]
        note = "".join(f"; {c.message}" for c in stale_notes)
        again = " (already marked: nothing changed)" if m.already_marked else ""
        text = (f"marked {when}: NAV {money(m.nav_brl)}, P&L BRL {m.pnl_brl / 1e6:+,.2f} mn "
                f"({m.lots} lots){again}{note}")  # fmt: skip
        marked(f"{when:%Y-%m-%d}")
        return text

    button.on_click(lambda _: Action(out, lambda: None)(do_mark))
    text = "<p>Marks every position from the lake as known at the date (a B3 session).</p>"
    head = w.HTML(theme.grid([theme.card("Mark the book", text)]))
    return w.VBox([head, w.HBox([date, stale]), w.HBox([button, out])])
