"""A replay of a decision whose proposal row was damaged by hand says which recorded field
is malformed in one line (a PMSError), instead of a KeyError or JSONDecodeError traceback."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from research_core.errors import PMSError
from research_core.lake import Lake
from research_core.pms import PMS
from research_core.pms.replay import replay


def test_a_damaged_proposal_row_is_named_in_one_line(tmp_path: Path, lake: Lake) -> None:
    url = f"sqlite:///{tmp_path / 'pms.db'}"
    pms = PMS.open(url, lake=lake, actor="alice", limits_file=tmp_path / "limits.yaml")
    pms.submit("IBOV.FUT", "buy", 1e8, as_of="2026-10-01", actor="alice")
    decision = int(pms.journal().index[0])
    assert replay(pms.engine, lake, decision).identical  # sound before the damage
    pms.engine.dispose()
    con = sqlite3.connect(tmp_path / "pms.db")
    (kept,) = con.execute("select snapshot from trade_proposals").fetchone()
    snap = json.loads(kept)
    no_inputs = json.dumps({k: v for k, v in snap.items() if k != "inputs"})
    no_weights = json.dumps({**snap, "inputs": {**snap["inputs"], "weights": None}})
    text_nav = json.dumps({**snap, "inputs": {**snap["inputs"], "nav": "abc"}})
    cases = [
        ("snapshot", "{not json", "malformed snapshot"),
        ("snapshot", no_inputs, "malformed snapshot inputs"),
        ("snapshot", no_weights, "malformed inputs weights"),
        ("snapshot", text_nav, "malformed inputs NAV"),
        ("agents", "oops", "malformed agents"),
        ("agents", "5", "malformed agents"),
        ("impact", "[]", "malformed impact"),
    ]
    for column, value, message in cases:
        before = con.execute(f"select {column} from trade_proposals").fetchone()[0]
        con.execute(f"update trade_proposals set {column} = ?", (value,))
        con.commit()
        with pytest.raises(PMSError, match=message) as err:
            replay(PMS.open(url, lake=lake, actor="alice").engine, lake, decision)
        assert "\n" not in str(err.value)
        con.execute(f"update trade_proposals set {column} = ?", (before,))
        con.commit()
