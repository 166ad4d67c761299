"""The PMS pages with ipywidgets: the Trade Blotter (``viz.blotter``), the Position Book
(``viz.book_view``) and the Decision Journal (here), on common parts (``viz.pms_common``:
how entries are parsed, writes go through the PMS workflow, and who acts). Their public
names are importable from here too.
"""

from __future__ import annotations

import ipywidgets as w

from research_core.errors import WorkbenchError
from research_core.pms import PMS
from research_core.viz import theme
from research_core.viz.blotter import PACKAGE_SLOT, blotter, hard_breaches
from research_core.viz.book_view import (
    HELD_FORMATS,
    NONE_HELD,
    STALE_CLI,
    held_table,
    mark_dates,
    mark_form,
    position_book,
    position_html,
)
from research_core.viz.pms_common import EXECUTABLE, PENDING, open_pms, parse_price, parse_size

__all__ = [
    "EXECUTABLE",
    "HELD_FORMATS",
    "NONE_HELD",
    "PACKAGE_SLOT",
    "PENDING",
    "STALE_CLI",
    "blotter",
    "hard_breaches",
    "held_table",
    "journal_view",
    "mark_dates",
    "mark_form",
    "open_pms",
    "parse_price",
    "parse_size",
    "position_book",
    "position_html",
    "preload_replay",
]


def preload_replay() -> None:
    """Import and build what the Replay button needs before its own work: the decision
    path (construction, scipy's optimizers for ERC, risk), the agents (for a snapshot the
    store does not hold), the exchange calendars and the store's code digest. The Decision
    Journal's kernel calls this while it waits in the pool (never on import), so a PM's
    first replay waits only for the replay. Nothing here reads the lake."""
    import scipy.optimize  # noqa: F401  ERC's trust-exact, imported by construction on use

    import research_core.portfolio.book
    import research_core.risk.report  # noqa: F401
    from research_core.agents.runner import AGENTS
    from research_core.agents.store import code_digest
    from research_core.calendars import business_days

    for name in AGENTS:  # each agent's module (statsmodels, hmmlearn) as the runner loads it
        AGENTS[name]
    for calendar in ("B3", "NYSE"):
        business_days(calendar)
    code_digest()


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
        from research_core.pms.replay import REPLAY_STEPS, replay

        def step(name: str) -> None:  # each step as it starts: a book rebuild takes seconds
            k = REPLAY_STEPS.index(name) + 1
            text = f"decision {number}, step {k} of {len(REPLAY_STEPS)}: {name}…"
            result.value = theme.message(text, "info", title="Replaying:")
            # on the button too: below a long journal the message is out of view
            button.description = f"Replaying {k}/{len(REPLAY_STEPS)}…"

        button.disabled = True
        try:
            rep = replay(pms.engine, pms.lake, number, progress=step)
        except WorkbenchError as err:
            result.value = theme.message(str(err), "error")
            return
        finally:
            button.disabled, button.description = False, "Replay"
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
