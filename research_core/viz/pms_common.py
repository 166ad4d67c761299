"""The PMS pages' common parts: open the database, parse an entry, run an action as the
signed-in user (:mod:`research_core.viz.pms_pages` lists the pages).

Every write goes through the PMS workflow (``PMS.approve/reject/modify/submit/execute``),
which validates, journals and audits it in one transaction; a widget's entry is parsed
first (a size "abc", a negative price): a bad entry shows a one-line message and nothing
is called. The database URL is shown only with its password masked.

Who acts is the served session's user (``served_user``), never a name typed on the page:
``workbench serve`` forwards it to the page's kernel (``research_core/serve_auth.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
