"""Every page in headless Chromium against a real ``workbench serve``.

Expected numbers are read from the run's Parquet artifacts in the test and formatted here
(the same display rule a reader applies: % with two decimals, BRL with thousands separators),
not taken from the page code.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pandas as pd
import pytest

from research_core.page_registry import NAMES
from tests.dashboards.conftest import ACTING, EMPTY, FAILED, GOOD, KERNEL_PAGES, SECRET, Visit
from tests.dashboards.runfolder import HELD

PAGES = list(NAMES)  # the page registry
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
        assert kpis[f"{book}_var99_brl"] == f"BRL {row['var_brl'] / 1e6:,.1f} mn"
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
        order = limits.sort_values("utilization", ascending=False, kind="stable")  # highest first
        assert shown == order["status"].fillna("–").tolist()
    held = pd.read_parquet(art / "risk" / "held" / "var.parquet")
    target = pd.read_parquet(art / "risk" / "target" / "var.parquet")
    rows = page.query_selector_all('[data-table="var"] tbody tr')  # type: ignore[attr-defined]
    cells = [[c.inner_text() for c in r.query_selector_all("td")] for r in rows]
    # method, level, held VaR, target VaR, held ES, target ES, held VaR BRL, target VaR BRL
    assert [c[6] for c in cells] == [f"BRL {v / 1e6:,.1f} mn" for v in held["var_brl"]]
    assert [c[7] for c in cells] == [f"BRL {v / 1e6:,.1f} mn" for v in target["var_brl"]]
    _check_var_history(page, art)


def _check_var_history(page: object, art: Path) -> None:
    """The held book's VaR history chart: the stored path and the limit from limits.yaml
    (the held book's ``VaR 99% 1d`` line), the breach days counted as stored."""
    hist = pd.read_parquet(art / "risk" / "held" / "var_history.parquet")
    limits = pd.read_parquet(art / "risk" / "held" / "limits.parquet")
    line = float(limits.loc[limits["key"] == "var_99", "max"].iloc[0])
    traces = page.evaluate(  # type: ignore[attr-defined]
        """() => [...document.querySelectorAll('.js-plotly-plot')]
             .filter(g => (g.layout.title.text || '').startsWith('VaR history'))
             .flatMap(g => g._fullData.map(t => [t.name, Array.from(t.y)]))"""
    )
    by_name = dict(traces)
    assert by_name["VaR 99% limit"] == pytest.approx([100 * line] * len(hist))
    assert by_name["VaR 99% 1d (historical)"] == pytest.approx(list(100 * hist["var_99"]))
    n = int(hist["breach"].sum())
    assert len(by_name[f"VaR 99% above its limit ({n} days)"]) == n


def _check_position_book(page: object, art: Path) -> None:
    """The held book read live from the PMS at the run's mark, the target beside it; the
    mark-date picker shows another mark."""
    _check_book_numbers(page, art)
    assert page.locator(".wb-mark-date select").input_value() == GOOD  # type: ignore[attr-defined]
    # another mark: the book held then, at that mark's NAV (the PMS read live)
    nav = pd.read_parquet(art / "pms" / "nav_history.parquet")["nav_brl"]
    page.select_option(".wb-mark-date select", "2026-10-28")  # type: ignore[attr-defined]
    tile = page.wait_for_selector('[data-kpi="nav"]:has-text("2026-10-28")')  # type: ignore[attr-defined]
    assert tile.query_selector(".wb-value").inner_text() == f"BRL {nav['2026-10-28'] / 1e6:,.1f} mn"


def _check_book_numbers(page: object, art: Path) -> None:
    """The held book's tiles and rows (the test book) with the run's target beside it."""
    w = pd.read_parquet(art / "book" / "weights.parquet")
    target = w[w["weight"] != 0]
    kpis = _kpis(page)
    assert kpis["positions"] == str(len(HELD))
    assert kpis["target_positions"] == str(len(target))
    assert kpis["target_gross"] == f"{target['weight'].abs().sum():.2f}"
    cells = page.query_selector_all('[data-table="book"] tbody tr td:first-child')  # type: ignore[attr-defined]
    assert sorted(c.inner_text() for c in cells) == sorted(set(target.index) | {h[0] for h in HELD})


def _check_agent_hub(page: object, art: Path) -> None:
    agents = sorted(json.loads((art / "agents" / "reports.json").read_text()))
    text = page.inner_text("body")  # type: ignore[attr-defined]
    for name in agents:
        assert f"{name.replace('_', ' ')} agent" in text
    # the signal history the agents step stored: one run date (the good run is the first)
    hist = pd.read_parquet(art / "agents" / "history.parquet")
    assert set(hist["date"]) == {GOOD}
    assert "no agent changed its view over 1 run date(s)" in text
    reasons = page.evaluate(  # type: ignore[attr-defined]
        """() => [...document.querySelectorAll('.js-plotly-plot')]
             .filter(g => (g.layout.title.text || '').includes('signal strength by run'))
             .flatMap(g => g.data.flatMap(t => Array.from(t.customdata)))"""
    )
    assert sorted(reasons) == sorted(hist["rationale"])  # every call's reason, on hover


def _check_strategy_health(page: object, art: Path) -> None:
    """Counts and the first card's numbers as the health step stored them, with units."""
    cards = pd.read_parquet(art / "health" / "cards.parquet")
    record = json.loads((art / "health" / "cards.json").read_text())
    kpis = _kpis(page)
    for status in ("RED", "AMBER", "GREEN"):
        assert kpis[status.lower()] == str(int((cards["status"] == status).sum()))
    assert kpis["missing"] == str(len(record["missing"]))
    text = page.inner_text("body")  # type: ignore[attr-defined]
    first = cards.iloc[0]
    assert f"{100 * first['cusum_down']:.0f}% of the alarm line" in text
    assert f"{first['sharpe']:+.2f} (annualized)" in text
    assert "No stored backtest" in text
    assert len(page.query_selector_all(".js-plotly-plot")) >= 3  # type: ignore[attr-defined]


def _check_pack_page(page: object, art: Path) -> None:
    """The KPI tiles, then the pack itself in the page (no iframe), answers first."""
    _check_risk_kpis(page, art)
    assert page.query_selector_all("iframe") == []  # type: ignore[attr-defined]
    shown = page.eval_on_selector_all(  # type: ignore[attr-defined]
        ".wb-pack section[data-section]", "s => s.map(x => x.dataset.section)"
    )
    assert shown[:8] == ["today", "alerts", "markets", "week", "changed", "agents", "book",
                         "attribution"]  # fmt: skip
    text = page.inner_text(".wb-pack")  # type: ignore[attr-defined]
    assert "Copom 2026-11-04 21:00 -03" in text and "Nonfarm payrolls" in text
    assert not re.search(r"\d[eE][+-]\d|\('", text)  # no scientific notation, no tuple


def _bp(x: float) -> str:
    """bp as ``workbench curves`` prints them: one decimal, signed, never "-0.0"."""
    return "–" if pd.isna(x) else f"{round(x, 1) + 0.0:+.1f}"


def _check_curves(page: object, art: Path) -> None:
    """The page's Copom path and largest moves are the numbers of ``workbench curves``
    (``CurvesReport``) for the run's date, computed here from the lake."""
    from research_core.curves.report import curves_report
    from research_core.lake import Lake

    lake = json.loads((art.parent / "manifest.json").read_text())["parameters"]["lake_path"]
    report = curves_report(Lake.open(lake).at(GOOD))
    kpis = _kpis(page)
    assert kpis["selic"] == f"{report.path.policy_rate_pct:.2f}"
    rows = page.query_selector_all('[data-table="copom"] tbody tr')  # type: ignore[attr-defined]
    cells = [[c.inner_text() for c in r.query_selector_all("td")] for r in rows]
    path = report.path.table
    assert len(cells) == len(path)
    pct = ["–" if pd.isna(x) else f"{x:.2f}" for x in path["survey_pct"]]
    assert [c[4] for c in cells] == [f"{x:.2f}" for x in path["implied_policy_pct"]]
    assert [c[5] for c in cells] == [_bp(x) for x in path["change_bp"]]
    assert [c[6] for c in cells] == [_bp(x) for x in path["cumulative_bp"]]
    assert [c[7] for c in cells] == pct
    assert [c[8] for c in cells] == [_bp(x) for x in path["market_vs_survey_bp"]]
    rows = page.query_selector_all('[data-table="moves"] tbody tr')  # type: ignore[attr-defined]
    cells = [[c.inner_text() for c in r.query_selector_all("td")] for r in rows]
    words = {"DI": "DI", "NTNB": "NTN-B", "UST": "Treasury"}  # curves named in words
    moves = report.moves.replace({"curve": words})
    assert [c[:2] for c in cells] == moves[["curve", "tenor"]].values.tolist()
    assert [c[5] for c in cells] == [_bp(x) for x in report.moves["move_1w_bp"]]


READY = {"position_book": '[data-table="book"]'}
CHECKS = {
    "risk_monitor": _check_risk_monitor,
    "morning_pack": _check_pack_page,
    "position_book": _check_position_book,
    "agent_hub": _check_agent_hub,
    "strategy_health": _check_strategy_health,
    "curves": _check_curves,
}


@pytest.mark.parametrize("name", PAGES)
def test_page(name: str, visit: Visit, runs_path: Path, artifacts_dir: Path) -> None:
    """Loads without an error or timeout, says 'sample data', fits 1366 px, shows the
    run's numbers; a screenshot is kept. A page with widgets: its kernel page (acting)."""
    page = visit.open(name, ACTING if name in KERNEL_PAGES else f"date={GOOD}")
    page.wait_for_load_state("networkidle", timeout=60_000)  # type: ignore[attr-defined]
    if name in READY:  # a widget's content is drawn after the page has loaded
        page.wait_for_selector(READY[name], timeout=60_000)  # type: ignore[attr-defined]
    text = _assert_clean(page)
    assert "sample data" in text  # the sample lake's runs say so on every page
    raw = re.findall(r".{30}(?:\d[eE][+-]\d|\('\w+', ).{10}", text)
    assert raw == [], raw  # one number format: no scientific notation, no tuple labels
    assert f"run of {GOOD}" in text
    width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    assert width <= 1366, f"{name} overflows horizontally at 1366 px ({width})"
    page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
    if name in CHECKS:
        CHECKS[name](page, runs_path / GOOD / "artifacts")


WIDE = 1440  # the widest screen the pages are read on
# the widget pages draw their content after the page has loaded
WIDGETS = {"trade_blotter": '[data-table="proposals"]',
           "decision_journal": '[data-table="journal"], .wb-msg'}  # fmt: skip
RAW = re.compile(r".{0,30}(?:\d[eE][+-]\d|\('\w+', ).{0,10}")  # 1.2e+09, ('historical', 0.95)
# In the DOM: tables not in the theme's table style, bare fractions (0.xxx anywhere but a
# discount factor or p-value, or any decimal under a NAV / weight header that names no
# unit), plotly figures not in the house template (colourway, font), and colours of the
# pack's SVG outside the palette.
DOM_CHECK = r"""([table, card]) => {
  const tables = [...document.querySelectorAll('table')]
    .filter(t => !t.closest('.js-plotly-plot'));
  const unstyled = tables.filter(t => !t.classList.contains(table))
    .map(t => t.dataset.table || t.outerHTML.slice(0, 60));
  const bare = [];
  for (const t of tables) {
    const heads = [...t.querySelectorAll('th')].map(h => h.innerText);
    for (const r of t.querySelectorAll('tr')) {
      [...r.querySelectorAll('td')].forEach((c, i) => {
        const x = c.innerText.trim(), h = heads[i] || '';
        const pctCol = /NAV|weight/i.test(h) && !/%/.test(h);  // "(% a.a.)": unit in header
        const unitless = /factor|\bp\b|p-value/i.test(h);  // a discount factor, a p-value
        if ((!unitless && /^[-+−]?0\.\d{3,}$/.test(x)) || (pctCol && /^[-+−]?\d*\.\d+$/.test(x)))
          bare.push(h + ': ' + x);
      });
    }
  }
  const plots = [...document.querySelectorAll('.js-plotly-plot')]
    .map(g => [g._fullLayout.colorway.join(','), g._fullLayout.font.family]);
  const colours = [...document.querySelectorAll('svg.chart:not(.heatmap) *, svg.spark *')]
    .flatMap(e => [e.getAttribute('fill'), e.getAttribute('stroke')])
    .filter(c => c && c.startsWith('#')).map(c => c.toLowerCase());
  const cards = document.querySelectorAll(`.${card}, .wb-msg`).length;
  return {unstyled, bare, plots, colours, cards,
          width: document.documentElement.scrollWidth, text: document.body.innerText};
}"""


def _one_look(page: object, where: str) -> dict[str, object]:
    """The DOM checks of one page: fits 1,440 px, one number format, the house theme."""
    from research_core import palette

    got: dict[str, object] = page.evaluate(DOM_CHECK, [palette.TABLE, palette.CARD])  # type: ignore[attr-defined]
    text = str(got["text"])
    assert int(got["width"]) <= WIDE, f"{where} is {got['width']} px wide at {WIDE} px"  # type: ignore[call-overload]
    raw = RAW.findall(text)
    assert raw == [], f"{where}: raw number formats {raw}"
    assert got["bare"] == [], f"{where}: bare fractions where a % is meant {got['bare']}"
    assert got["unstyled"] == [], f"{where}: tables outside the theme {got['unstyled']}"
    assert int(got["cards"]) > 0, f"{where} shows no card or message of the theme"  # type: ignore[call-overload]
    house = [",".join(palette.SERIES), palette.FONT]
    assert all(p == house for p in got["plots"]), f"{where}: a figure outside the theme"  # type: ignore[attr-defined]
    assert set(got["colours"]) <= palette.colours(), f"{where}: {got['colours']}"  # type: ignore[arg-type]
    return got


def test_every_page_and_the_pack_at_1440_one_format_one_theme(
    context: tuple[object, list[str]], server: str, runs_path: Path
) -> None:
    """One pass over every page and the static pack at a 1,440-px viewport (issue 26 item
    4): no page wider than the screen, no raw number format, every table, card and figure
    in the house theme (``viz.theme``, ``research_core.palette``)."""
    ctx, outside = context
    visit = Visit(ctx, server, outside)
    visit.page.set_viewport_size({"width": WIDE, "height": 900})  # type: ignore[attr-defined]
    try:
        plots = 0
        for name in PAGES:
            page = visit.open(name, f"date={GOOD}")
            page.wait_for_load_state("networkidle", timeout=60_000)  # type: ignore[attr-defined]
            ready = {**READY, **WIDGETS}.get(name, ".wb-card, .wb-msg")
            page.wait_for_selector(ready, timeout=60_000)  # type: ignore[attr-defined]
            plots += len(_one_look(page, name)["plots"])  # type: ignore[arg-type]
        assert plots >= 10  # the figures were there to check
        pack = (runs_path / GOOD / "artifacts/morning_pack/morning_pack.html").read_text("utf-8")
        visit.page.set_content(pack, wait_until="load")  # type: ignore[attr-defined]
        got = _one_look(visit.page, "the static pack")
        assert got["colours"], "the pack's charts were there to check"
    finally:
        visit.page.close(run_before_unload=True)  # type: ignore[attr-defined]
    assert outside == [], f"requests to outside hosts: {outside}"


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
    visit.open("decision_journal", ACTING)  # a page with a kernel
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
    visit.open("decision_journal", ACTING)  # a page with a kernel
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


NOISE = ("is not trusted", "without encryption", "Traceback", "cannot be longer than")


def test_the_console_is_quiet_and_a_page_error_is_one_line_naming_it(
    context: tuple[object, list[str]], server: str, server_log: Path, runs_path: Path
) -> None:
    """Issue 25 item 6: the console printed "Notebook ... is not trusted" per page and
    visit, "Kernel is running over TCP without encryption" per kernel and a websocket-ping
    warning: noise that hid real errors. Visitors open a static page and a kernel page and
    close the tabs (with and without the leave beacon); then a page meets a run whose
    table is not Parquet: that is one line naming the page, no traceback."""
    ctx, outside = context
    visits = (("morning_pack", f"date={GOOD}", True), ("trade_blotter", ACTING, False),
              ("index", f"date={GOOD}", False))  # fmt: skip
    for page, query, beacon in visits:
        visit = Visit(ctx, server, outside)
        visit.open(page, query)
        visit.page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
        visit.page.close(run_before_unload=beacon)  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60  # the blotter's kernel stops once its tab closed
    while server_log.read_text().count("Kernel shutdown") < 1:
        assert time.monotonic() < deadline, "no kernel stopped after its tab closed"
        time.sleep(0.5)
    bad = "2026-01-02"  # older than every other run: no page's latest run
    (runs_path / bad / "artifacts" / "risk").mkdir(parents=True)
    (runs_path / bad / "artifacts" / "risk" / "compare.parquet").write_bytes(b"not parquet")
    (runs_path / bad / "manifest.json").write_text(
        json.dumps({"as_of": bad, "status": "succeeded", "steps": [], "parameters": {}})
    )
    visit = Visit(ctx, server, outside)
    visit.page.goto(f"{server}/voila/render/risk_monitor.ipynb?date={bad}")  # type: ignore[attr-defined]
    assert "could not finish" in visit.page.inner_text("body")  # type: ignore[attr-defined]
    visit.page.close()  # type: ignore[attr-defined]
    text = server_log.read_text()
    assert [n for n in NOISE if n in text] == [], text[-3000:]
    lines = [line for line in text.splitlines() if "risk_monitor" in line and bad in line]
    assert len(lines) == 1 and "page risk_monitor (date=2026-01-02) failed:" in lines[0]


def _first_content(name: str, pms: object) -> tuple[str, int, str]:
    """A widget page's table, its row count read from the PMS here (the Position Book's
    rows: ``_check_book_numbers``), and what its static note must say: the held book as of
    the PMS's newest mark on or before the run, or the PMS read live."""
    if name == "position_book":
        marks = pms.nav_history().index  # type: ignore[attr-defined]
        mark = f"{marks[marks <= pd.Timestamp(GOOD)].max():%Y-%m-%d}"
        return "book", -1, f"held book, live from PMS as of {mark}"
    if name == "trade_blotter":
        return "proposals", len(pms.proposals()), "live from PMS as read at "  # type: ignore[attr-defined]
    return "journal", len(pms.journal()), "live from PMS as read at "  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", KERNEL_PAGES)
def test_a_widget_page_first_content_needs_no_kernel(
    name: str, visit: Visit, server: str, pms_url: str, runs_path: Path
) -> None:
    """Issue 25 item 6: the tables of a widget page (book, blotter, journal) are in the page
    the server sends, drawn by the widgets' code without a kernel (before: a kernel per
    visitor, the eighth of a crowd waited 11 s); the page says which book it shows and
    links to its kernel page, where the buttons are."""
    from research_core.pms import PMS

    table, rows, says = _first_content(name, PMS.open(pms_url, create=False))
    ctx = visit.page.context  # type: ignore[attr-defined]
    raw = ctx.request.get(f"{server}/voila/render/{name}.ipynb?date={GOOD}").text()
    assert f'data-table="{table}"' in raw and "jupyter-config-data" not in raw  # no kernel
    page = visit.open(name, f"date={GOOD}")
    shown = page.query_selector_all(f'[data-table="{table}"] tbody tr')  # type: ignore[attr-defined]
    if rows < 0:
        _check_book_numbers(page, runs_path / GOOD / "artifacts")
    else:
        assert len(shown) == rows
    assert says in page.inner_text(".wb-static-note")  # type: ignore[attr-defined]
    controls = ", ".join(f"{c}:not(.wb-header *)" for c in ("button", "input", "select"))
    assert page.query_selector_all(controls) == []  # type: ignore[attr-defined]  # the kernel page's
    act = page.get_attribute("a.wb-act", "href")  # type: ignore[attr-defined]
    assert act == f"{name}.ipynb?{ACTING}"
    _assert_clean(page)
