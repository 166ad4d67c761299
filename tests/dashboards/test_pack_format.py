"""The Morning Pack answers first, in one number format (issue 26 items 1 and 2).

The pack is the one the pipeline's own step wrote for the dashboards' good run
(``runfolder.write_book_run``, shared with the page tests). Its tables are read back from
the HTML and every cell is checked for raw formats; the week ahead is checked against the
meeting calendars and release rules by hand; one headless Chromium load checks the section
order, a chart in the first two screens and the page width in the DOM.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from research_core.narrative import sections
from research_core.runs import RunFolder
from tests.dashboards.conftest import GOOD, write_runs

ORDER = ["today", "alerts", "markets", "week", "changed", "agents", "book", "attribution"]
SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")
TUPLE = re.compile(r"\(\s*'[^']*'\s*,")  # ('historical', 0.95)
BARE_FRACTION = re.compile(r"^[−+-]?0\.\d+$")  # a number below 1 with no unit at all


@pytest.fixture(scope="module")
def pack_html(runs_path: Path, sample_lake_path: Path, pms_url: str) -> str:
    write_runs(runs_path, sample_lake_path, pms_url)
    return (runs_path / GOOD / "artifacts/morning_pack/morning_pack.html").read_text("utf-8")


def _cells(page: str) -> list[str]:
    """Every table cell's text (SVG charts and the style sheet taken out)."""
    page = re.sub(r"<svg.*?</svg>|<style>.*?</style>", "", page, flags=re.S)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", page)]


def test_every_table_cell_has_one_format(pack_html: str) -> None:
    cells = _cells(pack_html)
    assert len(cells) > 200  # every table of the pack, the appendix included
    assert [c for c in cells if SCIENTIFIC.search(c)] == []
    assert [c for c in cells if TUPLE.search(c)] == []
    assert [c for c in cells if BARE_FRACTION.match(c)] == []
    # the VaR rows are labelled in words, e.g. "historical 99%" (risk/target/var.parquet)
    assert "historical 99%" in cells and "historical 95%" in cells


def test_week_ahead_has_the_decisions_and_payrolls(pack_html: str) -> None:
    week = pack_html[pack_html.index('<table data-table="week-ahead"') :]
    week = week[: week.index("</table>")]
    rows = [_cells(r) for r in re.findall(r"<tr>(.*?)</tr>", week)]
    by_series = {re.search(r"\(([^()]*)\)$", r[1]).group(1): r for r in rows if r}
    # policy_meetings.yaml: Copom decides on 2026-11-04 after the close (21:00 Brasília);
    # BLS: the Employment Situation for October 2026 on Friday 2026-11-06 at 08:30 ET
    assert by_series["BR.SELIC.TARGET"][0] == "2026-11-04 21:00 -03"
    assert by_series["BR.SELIC.TARGET"][2] == "decision"
    assert by_series["US.PAYROLLS.CHG"][0] == "2026-11-06 08:30 EST"
    assert by_series["US.PAYROLLS.CHG"][5] == "model AR(1)"
    assert by_series["US.PAYROLLS.CHG"][4].endswith(" thousands")  # expectation with its unit
    # the next FOMC after 2026-10-30 is 2026-12-09 (policy_meetings.yaml), 14:30 New York
    line = re.search(r'class="next-decisions">(.*?)</p>', pack_html).group(1)
    assert "Copom 2026-11-04 21:00 -03" in line and "FOMC 2026-12-09 14:30 EST" in line


def test_what_matters_lines_are_checked_facts(pack_html: str, runs_path: Path) -> None:
    items = re.findall(r'<ul class="matters">(.*?)</ul>', pack_html, re.S)[0]
    lines = re.findall(r"<li>(.*?)</li>", items)
    assert 3 <= len(lines) <= 5 and all("source: " in x for x in lines)
    record = json.loads((runs_path / GOOD / "artifacts/morning_pack/facts.json").read_text())
    limits = pd.read_parquet(runs_path / GOOD / "artifacts/risk/target/limits.parquet")
    n_breach = int((limits["status"] == "breach").sum())
    n_warn = int((limits["status"] == "warn").sum())
    if n_breach + n_warn:  # limits first when something is in breach or near its line
        assert lines[0].startswith(f"Target-book limits: {n_breach} in breach and {n_warn}")
    assert any("Next Copom decision on 2026-11-04" in x for x in lines)
    assert record["narrative"]["source"] == "template"
    shown = [html.unescape(re.sub(r" <span.*", "", x)) for x in lines]
    assert [x["text"] for x in record["what_matters"]] == shown  # recorded in facts.json


def _write(folder: Path, as_of: str, direction: int, status: str, proposal: str) -> RunFolder:
    art = folder / as_of / "artifacts"
    for sub in ("agents", "risk/target", "book", "morning_pack"):
        (art / sub).mkdir(parents=True, exist_ok=True)
    signal = {"instrument": "USDBRL.FUT", "direction": direction, "model": "BEER"}
    (art / "agents/reports.json").write_text(json.dumps({"fx_equilibrium": {"signals": [signal]}}))
    limits = pd.DataFrame({"status": [status, "ok"]}, index=["gross leverage", "VaR 99% 1d"])
    limits.to_parquet(art / "risk/target/limits.parquet")
    pd.DataFrame({"instrument": [proposal], "side": ["buy"]}).to_parquet(
        art / "book/proposals.parquet"
    )
    (folder / as_of / "manifest.json").write_text(
        json.dumps({"as_of": as_of, "status": "succeeded", "steps": []})
    )
    return RunFolder(folder / as_of)


def test_what_changed_since_the_previous_pack(tmp_path: Path) -> None:
    first = _write(tmp_path, "2026-10-29", -1, "ok", "DI1.1Y")
    assert sections.what_changed(first)[0] is None  # first pack
    now = _write(tmp_path, "2026-10-30", 1, "breach", "ES.FUT")
    previous, changes = sections.what_changed(now)
    assert previous == "2026-10-29"
    assert changes.values.tolist() == [
        ["signal flip", "USDBRL.FUT (BEER)", "short", "long"],
        ["new breach", "target book: gross leverage", "ok or warn", "breach"],
        ["new proposal", "buy ES.FUT", "–", "proposed"],
        ["proposal gone", "buy DI1.1Y", "proposed", "–"],
    ]


def test_pack_in_chromium_answers_first(pack_html: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
    try:
        page.set_content(pack_html, wait_until="load")
        shown = page.eval_on_selector_all(
            "section[data-section]", "s => s.map(x => x.dataset.section)"
        )
        assert [s for s in shown if s in ORDER] == ORDER
        first_chart = page.eval_on_selector("svg", "s => s.getBoundingClientRect().top")
        assert first_chart < 2 * 768  # a chart within the first two screens
        assert page.evaluate("document.documentElement.scrollWidth") <= 1440
        text = page.inner_text("main")
        assert not SCIENTIFIC.search(text) and not TUPLE.search(text)
        assert "first pack" in text  # no earlier run beside the good run when it was written
        # the appendix (fact sheet) is collapsed
        assert page.eval_on_selector("#appendix details", "d => d.open") is False
    finally:
        page.close()
