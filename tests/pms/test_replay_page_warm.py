"""Where the PM waits for a replay (issue 29: one stored decision replayed ≤ 1 s): the
Decision Journal's kernel runs its pool cell before anyone asks for the page, so the
Replay button's first click must find every module it uses already imported, the
exchange calendars built and the report store's code digest taken. On the old code the
first click imported scipy's optimizers (ERC) and exchange_calendars and built the
calendars (about 1 s CPU of the 1.2 s it took)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from research_core.pms import PMS
from tests.pms.test_replay_reads_kept import _kept_hand_signal

REPO = Path(__file__).resolve().parents[2]

# The page's pool cell, read from the dashboard as the server runs it; then a replay.
_PROBE = """
import json, sys
from research_core.agents.runner import LOADED
nb = json.load(open(sys.argv[1], encoding="utf-8"))
exec("".join(next(c["source"] for c in nb["cells"] if c["cell_type"] == "code")))
from research_core.agents.store import code_digest
from research_core.calendars import business_days
from research_core.lake import Lake
from research_core.pms.db import open_engine
from research_core.pms.journal import replay
engine, lake = open_engine(sys.argv[2], create=False), Lake.open(sys.argv[3])
before, builds = set(sys.modules), (business_days.cache_info(), code_digest.cache_info())
result = replay(engine, lake, int(sys.argv[4]))
after = (business_days.cache_info(), code_digest.cache_info())
print(json.dumps({
    "identical": result.identical,
    "imported": sorted(set(sys.modules) - before),
    "built": [a.misses - b.misses for a, b in zip(after, builds)],
    "agents": sorted(LOADED),
}))
"""


def test_the_journal_pages_pool_cell_leaves_the_first_replay_nothing_to_import(
    sample_lake_path: Path, tmp_path: Path
) -> None:
    lake, *_ = _kept_hand_signal(sample_lake_path, tmp_path)  # kept: no agent runs
    url = f"sqlite:///{tmp_path / 'pms.db'}"
    pms = PMS.open(url, lake=lake, actor="system")
    proposed = pms.propose("2026-10-01", min_trade=0.01, n_sims=200)
    assert list(proposed["instrument"]) == ["DI1.1Y"]  # the book of the one hand signal
    decision = int(pms.journal(action="propose").index[0])
    pms.engine.dispose()
    notebook = REPO / "dashboards" / "decision_journal.ipynb"
    args = [str(notebook), url, str(lake.root), str(decision)]
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, cwd=REPO
    )
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.splitlines()[-1])
    assert got["identical"]
    assert got["imported"] == []  # scipy.optimize, exchange_calendars: imported in the pool
    assert got["built"] == [0, 0]  # no calendar built, no code digest taken on the click
    # and the agents, for a snapshot whose reports the store does not hold
    expected = ["cross_asset", "fiscal", "fx_equilibrium", "inflation", "monetary_policy"]
    assert got["agents"] == expected
