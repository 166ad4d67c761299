"""The dashboard pages: one reader (run artifacts → what the page shows) and one renderer each.

A page notebook calls ``read_page(name)`` after ``voila.utils.wait_for_request()`` and then
``render(page)``. Each page's reader and renderer live in its module (``risk_page``,
``position_page``, ``agent_page``, ``health_page``, ``curves_page``; the landing page here)
and are listed in :data:`PAGES`. Readers only read what the pipeline (and the PMS) already
produced; bad states (no run, failed or stale run, empty book, missing artifact) become
messages.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from research_core.catalog import instruments, series_catalog
from research_core.viz import (
    agent_page,
    curves_page,
    health_page,
    position_page,
    risk_page,
    theme,
)
from research_core.viz.agent_page import (  # noqa: F401  (public names of this module)
    FAN,
    NO_ATTRIBUTION,
    PERIODS,
    attribution_pct,
    fan_chart,
)
from research_core.viz.agent_page import render_attribution as _render_attribution  # noqa: F401
from research_core.viz.book_view import LIVE, NONE_HELD, live_day  # noqa: F401
from research_core.viz.risk_page import BOOKS, LABEL, RISK_TABLES, native_pack  # noqa: F401
from research_core.viz.runs import Item, Page, Problem, Run, open_run


def preload() -> None:
    """Load the catalogs (YAML, about 0.15 s) and make the house plot theme the default: a
    page kernel calls this while it waits in the pool, so the visitor does not wait for it
    (never done on import)."""
    theme.use()
    series_catalog()
    instruments()


Reader = Callable[[Run], tuple[dict[str, Any], list[Problem]]]
Renderer = Callable[[Page], list[Item]]


def read_page(name: str, query: str | None = None, **run_options: Any) -> Page:
    """Read page ``name`` for the run in ``query`` (default: the request's QUERY_STRING)."""
    if name not in PAGES:
        raise KeyError(f"unknown page {name!r}; pages: {sorted(PAGES)}")
    if query is None:
        query = os.environ.get("QUERY_STRING", "")
    run = open_run(query, **run_options)
    if not run.usable:
        return Page(name, run, {}, run.problems)
    data, extra = PAGES[name][0](run)
    return Page(name, run, data, run.problems + tuple(extra))


def items(page: Page) -> list[Item]:
    """Header, messages, then the page's content (none when the run cannot be used)."""
    title = theme.PAGES.get(page.name, "Macro research workbench")
    out: list[Item] = [
        theme.header(
            title,
            as_of=page.run.date,
            sample=page.run.sample,
            status=page.run.status if page.run.path else None,
            runs=page.run.runs,
            page=page.name,
        )
    ]
    run = page.run
    if run.date and len(run.versions) > 1:
        out.append(theme.revision_note(page.name, run.date, run.version, run.versions))
    out += [theme.message(p.text, p.level, title=p.title) for p in page.problems]
    if page.run.usable:
        out += PAGES[page.name][1](page)
    elif page.name == "index":  # no usable run (a failed one): the open alerts matter most
        from research_core.viz.alerts_view import open_alerts_card, read_open_alerts

        card = open_alerts_card(read_open_alerts()["alerts"])
        out += [] if card is None else [theme.grid([card])]
    return out


def render(page: Page) -> None:
    """Display the page in the notebook (Voilà shows it)."""
    from IPython.display import HTML, display

    for item in items(page):
        display(HTML(item) if isinstance(item, str) else item)


# --------------------------------------------------------------------------- landing


def _read_index(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    from research_core.viz.alerts_view import read_open_alerts
    from research_core.viz.landing import read_landing

    return read_open_alerts() | read_landing(run), []


def _render_index(page: Page) -> list[Item]:
    date = page.run.date
    cards = [
        theme.card(
            title,
            f'<a href="{key}.ipynb?date={theme.esc(date)}">Open {theme.esc(title)}</a>',
            span=4,
        )
        for key, title in theme.PAGES.items()
    ]
    from research_core.viz.alerts_view import open_alerts_card
    from research_core.viz.landing import landing_tiles

    alerts = open_alerts_card(page.data.get("alerts"))  # open alerts at the top
    head = [landing_tiles(page.run, page.data)]  # status, freshness, breaches, proposals
    return head + ([] if alerts is None else [theme.grid([alerts])]) + [theme.grid(cards)]


PAGES: dict[str, tuple[Reader, Renderer]] = {  # name -> (reader, renderer)
    "index": (_read_index, _render_index),
    "morning_pack": (risk_page.read_pack, risk_page.render_pack),
    "position_book": (position_page.read_positions, position_page.render_positions),
    "trade_blotter": (position_page.read_pms, position_page.render_blotter),
    "risk_monitor": (risk_page.read_risk, risk_page.render_risk),
    "attribution": (agent_page.read_attribution, agent_page.render_attribution),
    "decision_journal": (position_page.read_pms, position_page.render_journal),
    "agent_hub": (agent_page.read_agents, agent_page.render_agents),
    "strategy_health": (health_page.read_health, health_page.render_health),
    "curves": (curves_page.read_curves, curves_page.render_curves),
}


def page_names() -> list[str]:
    """Every page with a reader (landing page first)."""
    return sorted(PAGES, key=lambda n: (n != "index", n))
