"""The PMS pages' common parts (open the database, parse an entry, run an action as the
signed-in user) and the Decision Journal; the Trade Blotter is ``viz.blotter``, the Position
Book ``viz.book_view``.

Every write goes through the PMS workflow (``PMS.approve/reject/modify/submit/execute``),
which validates, journals and audits it in one transaction. Widget entries are parsed here
first (a size "abc", a negative price): a bad entry shows a one-line message and nothing is
called. The database URL is shown only with its password masked.

Who acts is the served session's user (``served_user``), never a name typed on the page:
``workbench serve`` forwards it to the page's kernel (``research_core/serve_auth.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w
from sqlalchemy.exc import SQLAlchemyError

from research_core.config import get_settings
from research_core.errors import (
    DatabaseURLError,
    WorkbenchError,
)
from research_core.identity import served_user
from research_core.pms import PMS
from research_core.pms.db import safe_url
from research_core.pms.positions import check_size
from research_core.viz import theme
from research_core.viz.runs import Problem

PENDING = ("PROPOSED",)
EXECUTABLE = ("APPROVED", "MODIFIED")


def open_pms(url: str | None = None) -> tuple[PMS | None, Problem | None]:
    """The PMS at ``url`` (default WORKBENCH_DB_URL) for reading and workflow writes, or a
    Problem: a missing SQLite file, an unreachable server, a schema to upgrade. Never
    creates a database or changes a schema."""
    url = url or get_settings().db_url
    shown = safe_url(url)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
        text = f"no PMS database at {shown}: run `workbench pms init`"
        return None, Problem("error", "No PMS database", text)
    try:
        return PMS.open(url, create=False, actor=served_user() or "dashboard"), None
    except (SQLAlchemyError, OSError, DatabaseURLError) as err:
        cause = err.__cause__ if isinstance(err, DatabaseURLError) else err
        if not isinstance(cause, SQLAlchemyError | OSError):  # a malformed URL
            return None, Problem("error", "PMS database", str(err).replace(url, shown))
        text = f"the PMS database {shown} cannot be reached ({type(cause).__name__})"
        return None, Problem("error", "Database unreachable", text)
    except WorkbenchError as err:
        return None, Problem("error", "PMS database", str(err).replace(url, shown))


def parse_size(text: str) -> float:
    """A positive size typed in a widget (``1e8``, ``150,000,000``); TradeInputError else."""
    return check_size(text.replace(",", "").replace("_", "").strip() or text)


def parse_price(text: str) -> float | None:
    """An optional positive price typed in a widget (blank: the day's market quote)."""
    if not text.strip():
        return None
    return check_size(text.replace(",", "").strip(), "price")


class Action:
    """Runs one workflow call from a button and shows success or the one-line refusal in
    ``out``, the line beside that button. A success is kept in ``notes`` under the proposal
    (``key``) so the card rebuilt by ``refresh`` shows it beside the same buttons."""

    def __init__(
        self,
        out: w.HTML,
        refresh: Callable[[], None],
        notes: dict[int, str] | None = None,
        key: int | None = None,
    ) -> None:
        self.out, self.refresh, self.notes, self.key = out, refresh, notes, key

    def __call__(self, fn: Callable[[], str]) -> None:
        self.out.value = theme.message("…", "info", title="Working:")  # shown at once
        try:
            done = fn()
        except WorkbenchError as err:
            self.out.value = theme.message(str(err), "error", title="Not done:")
            return
        said = theme.message(done, "info", title="Done:")
        if self.notes is not None and self.key is not None:
            self.notes[self.key] = said  # shown by the rebuilt card, not the one replaced
        else:
            self.out.value = said
        self.refresh()


def feedback(name: str, value: str = "") -> w.HTML:
    """The line beside a row of buttons where their result appears (class ``name``)."""
    out = w.HTML(value, layout=w.Layout(flex="1 1 auto", margin="0 0 0 8px"))
    out.add_class(name)
    return out


def acting_user() -> str:
    name = served_user()
    if not name:
        raise NoActorError(NoActorError.text)
    return name


class NoActorError(WorkbenchError):
    """A workflow button was pressed on a page not opened through ``workbench serve``."""

    text = "no signed-in user: open this page through `workbench serve`"


def journal_view(pms: PMS) -> w.VBox:
    """Search decisions (instrument, strategy, outcome), see each one's P&L since, and
    replay a decision from its recorded lake snapshot."""
    inst = w.Text(description="Instrument")
    strat = w.Text(description="Strategy")
    outcome = w.Dropdown(
        options=["", "gain", "loss", "flat", "open", "none"], description="Outcome"
    )
    search = w.Button(description="Search", button_style="primary")
    search.add_class("wb-search")
    table = w.HTML()
    rid = w.Text(description="Decision #")
    rid.add_class("wb-replay-id")
    button = w.Button(description="Replay")
    button.add_class("wb-replay")
    result = w.HTML()

    def do_search(_: object = None) -> None:
        try:
            frame = pms.journal(
                instrument=inst.value.strip() or None,
                strategy=strat.value.strip() or None,
                outcome=outcome.value or None,
            )
        except WorkbenchError as err:
            table.value = theme.message(str(err), "error")
            return
        from research_core.viz.journal_table import journal_table

        body = (
            journal_table(frame)
            if not frame.empty
            else theme.message("no decision matches", "info")
        )
        table.value = theme.grid([theme.card(f"Decisions ({len(frame)})", body)])

    def do_replay(_: object) -> None:
        try:
            number = int(rid.value.strip())
        except ValueError:
            result.value = theme.message(
                f"decision number {rid.value!r} is not a whole number", "error"
            )
            return
        from research_core.pms.journal import REPLAY_STEPS, replay

        def step(name: str) -> None:  # each step as it starts: a book rebuild takes seconds
            k = REPLAY_STEPS.index(name) + 1
            text = f"decision {number}, step {k} of {len(REPLAY_STEPS)}: {name}…"
            result.value = theme.message(text, "info", title="Replaying:")

        button.disabled = True
        try:
            rep = replay(pms.engine, pms.lake, number, progress=step)
        except WorkbenchError as err:
            result.value = theme.message(str(err), "error")
            return
        finally:
            button.disabled = False
        result.value = theme.message(
            rep.summary(), "info" if rep.identical else "warn", title="Replay:"
        )

    search.on_click(do_search)
    button.on_click(do_replay)
    do_search()
    return w.VBox(
        [
            w.HTML(theme.style()),
            w.HBox([inst, strat, outcome, search]),
            table,
            w.HBox([rid, button]),
            result,
        ]
    )


_MOVED = {  # names that moved out of this module (issue 28: no module over 600 lines)
    "research_core.viz.blotter": ("blotter", "hard_breaches", "PACKAGE_SLOT"),
    "research_core.viz.book_view": (
        "NONE_HELD",
        "mark_dates",
        "held_table",
        "HELD_FORMATS",
        "position_html",
        "position_book",
        "STALE_CLI",
        "mark_form",
    ),
}


def __getattr__(name: str) -> Any:
    """The Trade Blotter (``viz.blotter``) and the Position Book (``viz.book_view``), still
    importable from here; imported on first use (they import this module)."""
    import importlib

    for module, names in _MOVED.items():
        if name in names:
            return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
