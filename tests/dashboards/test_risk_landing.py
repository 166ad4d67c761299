"""Risk Monitor and landing page content (issue 26 item 4), read and rendered without a
browser from the session's good run (``runfolder.write_book_run``): expectations are
computed here from the run folder's own tables."""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from research_core.config import get_settings
from research_core.viz import pages
from tests.dashboards.conftest import GOOD, write_runs


@pytest.fixture(scope="module")
def good_run(runs_path: Path, sample_lake_path: Path, pms_url: str) -> Path:
    write_runs(runs_path, sample_lake_path, pms_url)
    return runs_path / GOOD / "artifacts"


@pytest.fixture()
def pms_env(pms_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("WORKBENCH_DB_URL", pms_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _html(name: str, runs_path: Path) -> str:
    page = pages.read_page(name, f"date={GOOD}", runs_path=runs_path)
    return "".join(i for i in pages.items(page) if isinstance(i, str))


def _rows(html: str, name: str) -> list[list[str]]:
    body = html[html.index(f'data-table="{name}"') :]
    body = body[: body.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body)
    cells = [[htmllib.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows]
    return [c for c in cells if c]


def test_risk_monitor_limits_backtest_correlation(
    good_run: Path, runs_path: Path, pms_env: None
) -> None:
    html = _html("risk_monitor", runs_path)
    limits = pd.read_parquet(good_run / "risk/target/limits.parquet").reset_index()
    rows = _rows(html, "limits-target")
    # highest utilization first; VaR in % of NAV (stored as a fraction), leverage × NAV
    expected = limits.sort_values("utilization", ascending=False, kind="stable")
    assert [r[0] for r in rows] == expected["limit"].tolist()
    var = limits.set_index("key").loc["var_99"]
    row = next(r for r in rows if r[0] == var["limit"])
    assert row[1] == f"{var['value'] * 100:.2f}% of NAV"
    assert row[2] == f"{var['max'] * 100:.2f}% of NAV" and row[3] == var["unit"]
    assert row[4] == f"{var['utilization'] * 100:.0f}% of limit"

    bt = pd.read_parquet(good_run / "risk/target/backtest.parquet")
    rows = _rows(html, "backtest-target")
    assert [r[0] for r in rows] == ["95%", "99%"]
    for r, (_, b) in zip(rows, bt.iterrows(), strict=True):
        assert r[2] == str(int(b["exceptions"])) and r[3] == f"{b['expected']:.1f}"
        assert r[4:] == [f"{b[c]:.2f}" for c in ("p_kupiec", "p_christoffersen", "p_conditional")]

    test = json.loads((good_run / "risk/summary.json").read_text())["target"]["correlation"]
    line = re.search(r'data-jennrich="target">(.*?)</p>', html).group(1)
    assert f"p {test['p_value']:.2f}" in line and f"(df {test['df']})" in line
    pairs = pd.read_parquet(good_run / "risk/target/correlation.parquet")
    first = _rows(html, "correlation-target")[0]
    assert first[0] == pairs["pair"].iloc[0] and first[3] == f"{pairs['change'].iloc[0]:+.2f}"


def test_journal_one_line_reasons_local_time() -> None:
    from research_core.viz.journal_table import journal_table

    frame = pd.DataFrame(
        {
            "at": pd.to_datetime(["2026-11-04 12:00", "2026-11-05 01:30"]),  # UTC, as stored
            "actor": ["alice", "bob"],
            "action": ["approve", "trade"],
            "as_of": ["2026-11-04", "2026-11-04"],
            "instrument": ["DI1.5Y", None],
            "strategy": ["discretionary", None],
            "reason": ["Sell DI1.5Y. Copom hawkish; fits the risk budget.", "test"],
            "pnl_since": [1_284_199.13, float("nan")],
            "outcome": ["gain", "none"],
        },
        index=pd.Index([7, 8], name="id"),
    )
    page = journal_table(frame)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", page)]
    rows = [r for r in rows if r]
    # São Paulo is UTC−3 in November 2026 (no daylight saving since 2019)
    assert rows[0][:2] == ["7", "2026-11-04 09:00 -03"] and rows[1][1] == "2026-11-04 22:30 -03"
    assert rows[0][7] == (
        "<details><summary>Sell DI1.5Y.</summary>"
        "Sell DI1.5Y. Copom hawkish; fits the risk budget.</details>"
    )
    assert rows[1][7] == "test"  # one sentence: no details
    assert rows[0][8] == "BRL 1.3 mn" and rows[1][8] == "–"
    assert "table-layout: fixed" in page


def test_landing_tiles(
    good_run: Path, runs_path: Path, sample_lake_path: Path, pms_url: str, pms_env: None,
    tmp_path: Path,
) -> None:  # fmt: skip
    """The good run copied with the quality step's freshness gate added (a real step call)."""
    import shutil

    from research_core.pipeline import steps
    from research_core.pms import PMS

    runs = tmp_path / "runs"
    shutil.copytree(runs_path / GOOD, runs / GOOD)
    keys = ["BR.SELIC.TARGET", "BR.IPCA.MOM", "US.PAYROLLS.CHG"]
    steps.quality_gate(lake_path=str(sample_lake_path), as_of=GOOD, run_dir=str(runs / GOOD),
                  key_series=keys)  # fmt: skip
    gate = json.loads((runs / GOOD / "artifacts/quality/freshness.json").read_text())
    page = _html("index", runs)
    tiles = dict(re.findall(r'data-kpi="([^"]+)">.*?<div class="wb-value">(.*?)</div>', page))
    assert tiles["run_status"] == f"succeeded · {GOOD}"
    stale = gate["stale_series"]
    assert tiles["freshness"].startswith(f"{len(stale)} of 3 key series stale")
    assert all(s in tiles["freshness"] for s in stale)
    for book in ("held", "target"):
        limits = pd.read_parquet(good_run / f"risk/{book}/limits.parquet")
        n, warn = (limits["status"] == "breach").sum(), (limits["status"] == "warn").sum()
        word = "limit" if n == 1 else "limits"
        assert tiles[f"{book}_breaches"] == f"{n} {word} in breach, {warn} near"
    proposals = PMS.open(pms_url, create=False).proposals()
    n = int((proposals["state"] == "PROPOSED").sum())
    assert n > 0 and tiles["pending"] == f"{n} proposal{'' if n == 1 else 's'} awaiting approval"
