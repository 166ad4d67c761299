"""The Morning Pack's Curves section: the Copom path's numbers are facts of the sheet, the
table shows them with units, and its sentences pass the number check — a swapped or
altered number is caught (issue 27, item 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from research_core.narrative import check_narrative
from research_core.narrative.curves_section import (
    curve_facts,
    curves_html,
    path_table,
    read_curves,
    section_text,
)
from research_core.narrative.facts import FactSheet
from research_core.runs import RunFolder

# a hand-made path: before the first meeting, then three meetings (Focus only at the last)
PATH = pd.DataFrame(
    {
        "meeting": pd.to_datetime([None, "2026-11-04", "2026-12-09", "2027-01-27"]),
        "effective": pd.to_datetime(["2026-10-30", "2026-11-05", "2026-12-10", "2027-01-28"]),
        "business_days": [3, 24, 32, 42],
        "implied_rate_pct": [14.15, 14.40, 14.55, 14.55],
        "implied_policy_pct": [14.25, 14.50, 14.65, 14.65],
        "change_bp": [float("nan"), 25.0, 15.0, 0.0],
        "cumulative_bp": [float("nan"), 25.0, 40.0, 40.0],
        "survey_pct": [float("nan"), float("nan"), 14.25, float("nan")],
        "market_vs_survey_bp": [float("nan"), float("nan"), 40.0, float("nan")],
    }
)


def _run(tmp_path: Path) -> RunFolder:
    art = tmp_path / "artifacts" / "curves"
    art.mkdir(parents=True)
    PATH.to_parquet(art / "copom_path.parquet")
    lines = pd.DataFrame(
        [("DI", "DI", w, pd.Timestamp(d), t, z + k)
         for k, (w, d) in enumerate((("today", "2026-10-30"), ("1 week ago", "2026-10-23")))
         for t, z in ((0.25, 14.2), (1.0, 14.5), (10.0, 13.9))],
        columns=["curve", "label", "when", "day", "years", "zero_pct"],
    )  # fmt: skip
    lines.to_parquet(art / "lines.parquet")
    summary = {"day": "2026-10-30", "path_label": "Copom path implied by the DI curve"}
    (art / "summary.json").write_text(json.dumps(summary))
    return RunFolder(tmp_path)


@pytest.fixture
def sheet(tmp_path: Path) -> FactSheet:
    return FactSheet("2026-10-30", tuple(curve_facts(_run(tmp_path), "2026-10-30")))


def test_every_number_of_the_path_is_a_fact_shown_with_its_unit(sheet: FactSheet) -> None:
    table = path_table(sheet)
    # expected displays written by hand from PATH (bp one decimal, signed; % two decimals)
    assert table["Copom meeting"].tolist() == ["2026-11-04", "2026-12-09", "2027-01-27"]
    assert table["change priced at the meeting"].tolist() == ["+25.0 bp", "+15.0 bp", "0.0 bp"]
    assert table["cumulative change priced"].tolist() == ["+25.0 bp", "+40.0 bp", "+40.0 bp"]
    assert table["implied Selic"].tolist() == ["14.50 %", "14.65 %", "14.65 %"]
    assert table["Focus Selic (year end)"].tolist() == ["–", "14.25 %", "–"]
    assert table["market − Focus"].tolist() == ["–", "+40.0 bp", "–"]
    assert sheet["copom2.gap"].entity == "Copom of 2026-12-09"


def test_the_sentences_pass_the_check_and_a_swapped_number_is_caught(sheet: FactSheet) -> None:
    text = section_text(sheet)
    assert "Copom of 2026-12-09: change priced +15.0 bp, cumulative +40.0 bp" in text
    assert check_narrative(text, sheet).ok
    assert check_narrative(text, sheet).numbers == 11  # 3 × 3 + Focus and its gap
    swapped = text.replace("priced +15.0 bp, cumulative +40.0 bp",
                           "priced +40.0 bp, cumulative +15.0 bp")  # fmt: skip
    assert swapped != text
    assert not check_narrative(swapped, sheet).ok
    # the Focus level and the implied rate of the same meeting trade places
    swapped = text.replace(
        "implied rate 14.65 %, Focus 14.25 %", "implied rate 14.25 %, Focus 14.65 %"
    )
    assert swapped != text and not check_narrative(swapped, sheet).ok
    # a number of another meeting: the Copom of 2026-11-04 did not price +15.0 bp
    moved = text.replace(
        "Copom of 2026-11-04: change priced +25.0 bp", "Copom of 2026-11-04: change priced +15.0 bp"
    )
    assert moved != text and not check_narrative(moved, sheet).ok


def test_portuguese_sentences_pass_too(sheet: FactSheet) -> None:
    pt = sheet.with_locale("pt-BR")
    text = section_text(pt)
    assert "Copom de 09/12/2026: variação precificada +15,0 pb" in text
    assert check_narrative(text, pt).ok


def test_the_section_shows_chart_table_and_text(tmp_path: Path) -> None:
    run = _run(tmp_path)
    sheet = FactSheet("2026-10-30", tuple(curve_facts(run, "2026-10-30")))
    html = curves_html(sheet, read_curves(run))
    assert "<svg" in html and html.count("<polyline") == 2  # today and 1 week ago
    assert "<script" not in html and "+40.0 bp" in html and "14.25 %" in html
    assert "1 week ago (2026-10-23)" in html
    empty = RunFolder(tmp_path / "none")
    assert curve_facts(empty, "2026-10-30") == [] and read_curves(empty) is None
    assert "not in this run" in curves_html(sheet, None)
