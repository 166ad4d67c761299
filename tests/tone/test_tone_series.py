"""``BR.COPOM.TONE`` in the lake: one value per real communiqué (every other meeting 200-230 of
../shared/data/real/bcb_copom_selic), released at the decision's announcement (Copom 21:00
Brasília, policy_meetings.yaml), so ``lake.at`` never sees a tone before its communiqué.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from research_core.connectors.cbtext import CopomText
from research_core.errors import ToneError
from research_core.lake import Lake
from research_core.tone import tone
from research_core.tone.series import TONE_SERIES, write_tone

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real" / "bcb_copom_selic"


@pytest.fixture(scope="module")
def texts():
    parser = CopomText()
    files = [DATA / "comunicados" / f"com_{n}.json" for n in range(200, 231, 2)]
    if not all(f.exists() for f in files):
        pytest.fail(f"shared data {DATA} is missing (../shared must sit beside the repo)")
    return [parser.parse(json.loads(f.read_text("utf-8"))) for f in files]


def test_tone_is_never_seen_before_its_communique(tmp_path, texts):
    lake = Lake.open(tmp_path / "lake", create=True)
    write_tone(lake, texts)
    sid = TONE_SERIES["copom"]
    assert lake.spec(sid).release["meetings"] == "copom"
    for t in texts:
        local = t.release_time.tz_convert("America/Sao_Paulo")
        assert (local.hour, local.date()) == (21, t.date.date())  # by hand: 21:00 that day
        before = lake.at(t.release_time - pd.Timedelta(seconds=1)).series(sid)
        after = lake.at(t.release_time).series(sid)
        assert t.date not in before.index
        assert after.loc[t.date] == pytest.approx(tone(t.text, "pt").score)
        # a bare date is the end of that day in the fund's zone: after 21:00, so it is seen
        assert t.date in lake.at(t.date.strftime("%Y-%m-%d")).series(sid).index
    # writing again is idempotent (append-only history, same key and value)
    write_tone(lake, texts)
    assert len(lake.at("2030-01-01").series(sid)) == len(texts)


def test_nothing_to_score_is_a_clear_error(tmp_path):
    with pytest.raises(ToneError, match="no communiqué"):
        write_tone(Lake.open(tmp_path / "lake", create=True), [])
