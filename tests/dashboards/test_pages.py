"""Every page in headless Chromium against a real ``workbench serve``.

Expected numbers are read from the run's Parquet artifacts in the test and formatted here
(the same display rule a reader applies: % with two decimals, BRL with thousands separators),
not taken from the page code.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.dashboards.conftest import EMPTY, FAILED, GOOD, SECRET, Visit
from tests.dashboards.runfolder import HELD

PAGES = [
    "index",
    "morning_pack",
    "position_book",
    "trade_blotter",
    "risk_monitor",
    "attribution",
    "decision_journal",
    "agent_hub",
]
# What Voilà puts in the page when a cell raised or timed out (the HTTP status stays 200).
ERROR_SELECTOR = (
    '[data-mime-type="application/vnd.jupyter.stderr"], '
    '[data-mime-type="application/vnd.jupyter.error"], .jp-OutputArea-output.jp-mod-error'
)
ERROR_TEXTS = ("Execution error", "timed out", "Traceback", "took too long", "could not finish")


def _assert_clean(page: object) -> str:
    text: str = page.inner_text("body")  # type: ignore[attr-defined]
    assert page.query_selector_all(ERROR_SELECTOR) == [], text[:2000]  # type: ignore[attr-defined]
    for bad in ERROR_TEXTS:
        assert bad not in text
    html: str = page.content()  # type: ignore[attr-defined]
    assert SECRET not in html
    assert "wait_for_request" not in html  # sources are stripped
    return text


def _kpis(page: object) -> dict[str, str]:
    cards = page.query_selector_all("[data-kpi]")  # type: ignore[attr-defined]
    return {c.get_attribute("data-kpi"): c.query_selector(".wb-value").inner_text() for c in cards}


def _check_risk_kpis(page: object, art: Path) -> None:
    """Each book's tiles, titled with its book: the held book first, then the target."""
    kpis = _kpis(page)
    for book in ("held", "target"):
        var = pd.read_parquet(art / "risk" / book / "var.parquet").reset_index()
        row = var[(var["method"] == "historical") & (var["alpha"].round(4) == 0.99)].iloc[0]
        stress = pd.read_parquet(art / "risk" / book / "stress.parquet")
        limits = pd.read_parquet(art / "risk" / book / "limits.parquet")
        assert kpis[f"{book}_var99"] == f"{100 * row['var']:.2f}%"
        assert kpis[f"{book}_var99_brl"] == f"BRL {round(row['var_brl']):,}"
        assert kpis[f"{book}_es99"] == f"{100 * row['es']:.2f}%"
        assert kpis[f"{book}_worst_stress"] == f"{100 * stress['total_pct_nav'].min():.2f}%"
        assert kpis[f"{book}_breaches"] == str(int((limits["status"] == "breach").sum()))
    tiles = page.query_selector_all("[data-kpi]")  # type: ignore[attr-defined]
    books = [t for t in tiles if t.get_attribute("data-kpi").startswith(("held_", "target_"))]
    labels = [t.query_selector(".wb-label").text_content() for t in books]
    assert len(labels) == 10 and labels[0].startswith("Held book · ")  # held first
    assert [t.startswith("Held book · ") for t in labels] == [True] * 5 + [False] * 5
    assert all(t.startswith("Target book (optimizer) · ") for t in labels[5:])


def _check_risk_monitor(page: object, art: Path) -> None:
    _check_risk_kpis(page, art)
    for book in ("held", "target"):
        limits = pd.read_parquet(art / "risk" / book / "limits.parquet")
        rows = page.query_selector_all(f'[data-table="limits-{book}"] tbody tr')  # type: ignore[attr-defined]
        shown = [r.query_selector_all("td")[-2].inner_text() for r in rows]  # then hard/soft
        assert shown == limits["status"].fillna("–").tolist()
    held = pd.read_parquet(art / "risk" / "held" / "var.parquet")
    target = pd.read_parquet(art / "risk" / "target" / "var.parquet")
    rows = page.query_selector_all('[data-table="var"] tbody tr')  # type: ignore[attr-defined]
    cells = [[c.inner_text() for c in r.query_selector_all("td")] for r in rows]
    # method, level, held VaR, target VaR, held ES, target ES, held VaR BRL, target VaR BRL
    assert [c[6] for c in cells] == [f"{round(v):,}" for v in held["var_brl"]]
    assert [c[7] for c in cells] == [f"{round(v):,}" for v in target["var_brl"]]


def _check_position_book(page: object, art: Path) -> None:
    """The held book read live from the PMS at the run's mark, the target beside it."""
    w = pd.read_parquet(art / "book" / "weights.parquet")
    target = w[w["weight"] != 0]
    kpis = _kpis(page)
    assert kpis["positions"] == str(len(HELD))
    assert kpis["target_positions"] == str(len(target))
    assert kpis["target_gross"] == f"{target['weight'].abs().sum():.2f}"
    cells = page.query_selector_all('[data-table="book"] tbody tr td:first-child')  # type: ignore[attr-defined]
    assert sorted(c.inner_text() for c in cells) == sorted(set(target.index) | {h[0] for h in HELD})
    assert page.locator(".wb-mark-date select").input_value() == GOOD  # type: ignore[attr-defined]
    # another mark: the book held then, at that mark's NAV (the PMS read live)
    nav = pd.read_parquet(art / "pms" / "nav_history.parquet")["nav_brl"]
    page.select_option(".wb-mark-date select", "2026-10-28")  # type: ignore[attr-defined]
    tile = page.wait_for_selector('[data-kpi="nav"]:has-text("2026-10-28")')  # type: ignore[attr-defined]
    assert tile.query_selector(".wb-value").inner_text() == f"BRL {nav['2026-10-28']:,.0f}"


def _check_agent_hub(page: object, art: Path) -> None:
    agents = sorted(json.loads((art / "agents" / "reports.json").read_text()))
    text = page.inner_text("body")  # type: ignore[attr-defined]
    for name in agents:
        assert f"{name.replace('_', ' ')} agent" in text


READY = {"position_book": '[data-table="book"]'}
CHECKS = {
    "risk_monitor": _check_risk_monitor,
    "morning_pack": _check_risk_kpis,
    "position_book": _check_position_book,
    "agent_hub": _check_agent_hub,
}


@pytest.mark.parametrize("name", PAGES)
def test_page(name: str, visit: Visit, runs_path: Path, artifacts_dir: Path) -> None:
    """Loads without an error or timeout, says 'sample data', fits 1366 px, shows the
    run's numbers; a screenshot is kept."""
    page = visit.open(name, f"date={GOOD}")
    page.wait_for_load_state("networkidle", timeout=60_000)  # type: ignore[attr-defined]
    if name in READY:  # a widget's content is drawn after the page has loaded
        page.wait_for_selector(READY[name], timeout=60_000)  # type: ignore[attr-defined]
    text = _assert_clean(page)
    assert "sample data" in text  # the sample lake's runs say so on every page
    assert f"run of {GOOD}" in text
    width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    assert width <= 1366, f"{name} overflows horizontally at 1366 px ({width})"
    page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
    if name in CHECKS:
        CHECKS[name](page, runs_path / GOOD / "artifacts")


@pytest.mark.parametrize(
    ("page_name", "query", "level", "words"),
    [
        (
            "risk_monitor",
            f"date={FAILED}",
            "error",
            f"the {FAILED} run failed at risk (RiskError: covariance not PSD)",
        ),
        ("morning_pack", "date=2001-01-02", "error", "there is no pipeline run for 2001-01-02"),
        ("position_book", f"date={EMPTY}", "info", f"the book of {EMPTY} has no positions"),
    ],
)
def test_bad_state_message(
    page_name: str, query: str, level: str, words: str, visit: Visit
) -> None:
    page = visit.open(page_name, query)
    msg = page.query_selector(f".wb-msg.{level}")  # type: ignore[attr-defined]
    assert msg is not None and words in msg.inner_text()
    _assert_clean(page)
    if level == "error":  # nothing of any run is shown
        assert page.query_selector("[data-kpi]") is None  # type: ignore[attr-defined]


def test_a_visitor_leaving_stops_the_page_kernel(
    context: tuple[object, list[str]], server: str, server_log: Path
) -> None:
    """When the visitor leaves, Voilà's page posts the ``_xsrf`` cookie's token to
    /voila/api/shutdown/<its kernel> (a beacon). Plain Voilà never sets that cookie
    (voila #1458): the post is refused with 403 and every visit leaves its kernel running
    until the server stops. Here the same post, with what the page's response set."""
    ctx, outside = context
    visit = Visit(ctx, server, outside)
    visit.open("index", f"date={GOOD}")
    config = visit.page.evaluate(  # type: ignore[attr-defined]
        '() => JSON.parse(document.getElementById("jupyter-config-data").textContent)'
    )
    kernel = config["kernelId"]
    cookies = {c["name"]: c["value"] for c in ctx.cookies()}  # type: ignore[attr-defined]
    assert cookies.get("_xsrf"), "the page did not set the _xsrf cookie its leave beacon sends"
    answer = ctx.request.post(  # type: ignore[attr-defined]
        f"{server}/voila/api/shutdown/{kernel}", form={"_xsrf": cookies["_xsrf"]}
    )
    assert answer.status == 204, answer.text()
    deadline = time.monotonic() + 30
    while f"Kernel shutdown: {kernel}" not in server_log.read_text():
        assert time.monotonic() < deadline, f"kernel {kernel} still running 30 s after leaving"
        time.sleep(0.2)
    visit.page.close()  # type: ignore[attr-defined]


def test_closing_the_page_stops_its_kernel_within_seconds(
    context: tuple[object, list[str]], server: str
) -> None:
    """A visitor closes the tab of a page that is wired up (its kernel websocket open).
    Playwright's ``page.close()`` runs no ``beforeunload`` handler, like a crashed tab or a
    browser that skips it: Voilà's leave beacon is never sent. The kernel must still stop
    within seconds (before: culled after about 5.5 min). Deadlines are generous bounds."""
    ctx, outside = context
    visit = Visit(ctx, server, outside)
    visit.open("index", f"date={GOOD}")
    kernel = visit.page.evaluate(  # type: ignore[attr-defined]
        '() => JSON.parse(document.getElementById("jupyter-config-data").textContent).kernelId'
    )
    model = f"{server}/api/kernels/{kernel}"
    deadline = time.monotonic() + 120
    while ctx.request.get(model).json()["connections"] < 1:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the page never connected to its kernel"
        time.sleep(0.5)
    visit.page.close()  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while ctx.request.get(model).status != 404:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, f"kernel {kernel} still running 60 s after leaving"
        time.sleep(0.5)


def test_logout_answers(context: tuple[object, list[str]], server: str) -> None:
    """``/logout`` on the loopback server (no sign-in: visitors are the OS user) is a page
    saying so, not a 500."""
    ctx, _ = context
    answer = ctx.request.get(f"{server}/logout")  # type: ignore[attr-defined]
    assert answer.status == 200, answer.text()
    assert "no sign-in to end" in answer.text()
