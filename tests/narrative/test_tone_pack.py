"""The Morning Pack's tone shift: facts from ``BR.COPOM.TONE`` known at the as-of, stated
by the template and passed by the number checker; a wrong number is caught.

The lake holds only the tone of real communiqués 228-230 (../shared/data/real/
bcb_copom_selic, test-only); expected values are recomputed with ``tone`` here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from research_core.connectors.cbtext import CopomText
from research_core.lake import Lake
from research_core.narrative.checker import check_narrative
from research_core.narrative.facts import render
from research_core.narrative.pack import MorningPack, render_html, write_narrative
from research_core.narrative.sheet import build_fact_sheet
from research_core.narrative.template import narrative_template
from research_core.narrative.tone_facts import tone_shift
from research_core.tone import tone
from research_core.tone.series import write_tone

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real" / "bcb_copom_selic"


@pytest.mark.parametrize("locale", ["en", "pt-BR"])
def test_tone_shift_is_stated_and_checked(tmp_path: Path, locale: str) -> None:
    files = [DATA / "comunicados" / f"com_{n}.json" for n in (228, 229, 230)]
    if not all(f.exists() for f in files):
        pytest.fail(f"shared data {DATA} is missing (../shared must sit beside the repo)")
    texts = [CopomText().parse(json.loads(f.read_text("utf-8"))) for f in files]
    lake = Lake.open(tmp_path / "lake", create=True)
    write_tone(lake, texts)
    s228, s229, s230 = (tone(t.text, "pt").score for t in texts)
    # before meeting 230's release the pack shows 229 against 228
    table = tone_shift(lake, "2020-05-05")
    assert table.loc[0, "communique"] == "2020-03-18"
    assert table.loc[0, "shift"] == pytest.approx(s229 - s228)
    sheet = build_fact_sheet("2020-05-07", lake=lake, locale=locale)
    assert sheet["copom_tone.last"].value == pytest.approx(s230)
    assert sheet["copom_tone.chg"].value == pytest.approx(s230 - s229)
    text, _ = render(narrative_template(sheet), sheet)
    assert "Copom" in text and sheet["copom_tone.last"].display(locale) in text
    assert check_narrative(text, sheet).ok
    wrong = text.replace(
        sheet["copom_tone.last"].display(locale), "0.99" if locale == "en" else "0,99"
    )
    assert not check_narrative(wrong, sheet).ok


def test_pack_page_shows_the_tone_shift(tmp_path: Path) -> None:
    files = [DATA / "comunicados" / f"com_{n}.json" for n in (229, 230)]
    texts = [CopomText().parse(json.loads(f.read_text("utf-8"))) for f in files]
    lake = Lake.open(tmp_path / "lake", create=True)
    write_tone(lake, texts)
    sheet = build_fact_sheet("2020-05-07", lake=lake)
    narrative = write_narrative(sheet, use_llm=False)
    pack = MorningPack("2020-05-07", sheet, narrative, {"tone": tone_shift(lake, "2020-05-07")})
    page = render_html(pack)
    shift = tone(texts[1].text, "pt").score - tone(texts[0].text, "pt").score
    assert "Central-bank tone" in page and f"{shift:+.2f}" in page and "2020-05-06" in page
