"""The ``workbench pms`` commands on a SQLite file: init, a trade proposed, approved by
another user and executed, mark, positions, journal, attribution; bad input exits 2 with
one line and writes nothing."""

from __future__ import annotations

from pathlib import Path

from research_core.cli import main
from research_core.pms import PMS


def test_pms_commands(tmp_path: Path, sample_lake_path: Path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    common = ["--db", url, "--path", str(sample_lake_path), "--user", "pm"]
    bob = [*common[:-1], "bob"]
    assert main(["pms", "positions", *common]) == 2  # no schema yet: told to run init
    assert "workbench pms init" in capsys.readouterr().err
    assert main(["pms", "init", "--capital", "5e8", "--four-eyes", "on", *common]) == 0
    trade = ["pms", "trade", "DI1.2Y", "buy", "1e8", "--as-of", "2026-10-01"]
    assert main([*trade, *common]) == 0  # proposal 1, priced
    assert main(["pms", "approve", "1", *bob]) == 0  # four-eyes: by someone else
    assert main(["pms", "execute", "1", "--key", "t1", *bob]) == 0
    head = PMS.open(url, create=False).audit_head()
    assert main([*trade[:4], "abc", *trade[5:], *common]) == 2
    assert main([*trade, "--book", "--key", "t2", *common]) == 2  # no direct booking
    err = capsys.readouterr().err
    assert "must be a number" in err and "books nothing directly" in err
    assert PMS.open(url, create=False).audit_head() == head
    for day in ("2026-10-01", "2026-10-02"):
        assert main(["pms", "mark", "--as-of", day, *common]) == 0
    assert main(["pms", "positions", *common]) == 0
    assert main(["pms", "journal", "--instrument", "DI1.2Y", *common]) == 0
    assert main(["pms", "attribution", "--by", "strategy", *common]) == 0
    out = capsys.readouterr().out
    assert "marked 2026-10-02: 1 lots" in out and "discretionary" in out
    assert main(["audit", "verify", *common]) == 0
