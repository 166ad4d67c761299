"""The page registry is the one page list: it matches the notebooks and the page code, and
decides which request gets the static page and which the kernel page (issue 28 item 6)."""

from __future__ import annotations

from research_core.page_registry import REGISTRY, WIDGET_PAGES
from research_core.serve_static import static_answer
from research_core.viz import theme
from tests.dashboards.conftest import REPO


def test_the_registry_lists_every_notebook_and_reader_once() -> None:
    notebooks = sorted(p.name for p in (REPO / "dashboards").glob("*.ipynb"))
    assert sorted(p.notebook for p in REGISTRY) == notebooks
    from research_core.viz.pages import page_names

    assert [p.name for p in REGISTRY if p.name != "index"] == list(theme.PAGES)  # the links
    assert sorted(p.name for p in REGISTRY) == sorted(page_names())
    assert WIDGET_PAGES == ("position_book", "trade_blotter", "decision_journal")


def test_a_widget_page_is_static_until_asked_to_act() -> None:
    assert static_answer("trade_blotter", "date=2026-10-30")
    assert not static_answer("trade_blotter", "date=2026-10-30&act=1")
    assert not static_answer("position_book", "act=")  # the key decides, not its value
    assert static_answer("morning_pack", "act=1")  # nothing to act on: always static
    assert not static_answer("not_a_page", "")  # Voilà answers it (404)
