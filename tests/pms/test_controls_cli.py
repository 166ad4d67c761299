"""The controls through the ``workbench`` command (issue 30 items 3, 4, 8; issue 23 item 5):
each bad case is one line ``workbench: error: ...``, exit 2, and the database file and the
folder beside it (where ``limits.yaml`` lives) hash the same before and after."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from research_core.cli import main
from research_core.lake.store import Lake
from research_core.pms import PMS

D = "2026-10-01"


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory, sample_lake_path: Path) -> tuple[str, Path]:
    """A PMS with: proposal 1 executed with key k1; proposal 2 (USD 1.2 × NAV, over the
    FX delta hard cap) with bob's override signature; proposal 3 approved; proposal 4
    pending; control change (four-eyes off) requested by alice, pending."""
    folder = tmp_path_factory.mktemp("controls-cli")
    url = f"sqlite:///{folder / 'pms.db'}"
    pms = PMS.open(url, lake=sample_lake_path, actor="alice")
    spot = float(Lake.open(sample_lake_path).at(D).series("BRL.USD.SPOT").dropna().iloc[-1])
    ids = [
        pms.submit(iid, "buy", size, as_of=D)
        for iid, size in (("DI1.2Y", 1e8), ("USDBRL.NDF", 1.2e9 / spot), ("DI1.5Y", 1e8))
    ]
    pms.approve(ids[0], actor="bob")
    pms.execute(ids[0], idempotency_key="k1", actor="bob")
    assert pms.approve(ids[1], actor="bob", override="hedge") == "PROPOSED"
    pms.approve(ids[2], actor="bob")
    pms.submit("DI1.10Y", "buy", 1e8, as_of=D)
    pms.request_control("four_eyes", False, reason="one-person desk")
    pms.engine.dispose()
    return url, folder


def _as(user: str) -> list[str]:
    return ["--user", user]


CASES = {  # id: (argv, text the one line must contain)
    "trade-book": (
        ["pms", "trade", "DI1.3Y", "buy", "1e8", "--as-of", D, "--book", "--key", "t9"],
        "books nothing directly",
    ),
    "trade-1e300": (["pms", "trade", "DI1.3Y", "buy", "1e300", "--as-of", D], "ticket cap"),
    "trade-1e15": (["pms", "trade", "DI1.3Y", "buy", "1e15", "--as-of", D], "ticket cap"),
    "trade-1e-300": (["pms", "trade", "DI1.3Y", "buy", "1e-300", "--as-of", D], "below one"),
    "modify-1e308": (["pms", "modify", "4", "--size", "1e308", *_as("bob")], "ticket cap"),
    "modify-1e-300": (["pms", "modify", "4", "--size", "1e-300", *_as("bob")], "below one"),
    "init-four-eyes-off-alone": (
        ["pms", "init", "--four-eyes", "off"],
        "a control change needs a written reason",
    ),
    "approve-control-by-requester": (
        ["pms", "approve-control", "{control}", *_as(" ALICE")],
        "alice requested control change",
    ),
    "approve-own-proposal-upper-case": (["pms", "approve", "4", *_as("ALICE")], "four-eyes"),
    "approve-hard-breach-without-override": (
        ["pms", "approve", "2", *_as("carol")],
        "FX delta USD/BRL 1.20 × NAV over its hard cap 1.00 × NAV",
    ),
    "override-without-reason": (
        ["pms", "approve", "2", "--override", " ", *_as("carol")],
        "an override needs a written reason",
    ),
    "override-signed-twice": (
        ["pms", "approve", "2", "--override", "again", *_as("Bob")],
        "bob already signed the override of proposal 2",
    ),
    "execute-key-trailing-space": (
        ["pms", "execute", "3", "--key", "k1 ", *_as("bob")],
        "idempotency key 'k1' was already used by trade 1",
    ),
    "limits-unknown": (["limits", "set", "nosuch=1", "--reason", "x"], "unknown limit 'nosuch'"),
    "limits-negative-cap": (
        ["limits", "set", "fx_delta=-1", "--reason", "x"],
        "fx_delta: must be greater than 0",
    ),
    "limits-no-reason": (["limits", "set", "fx_delta=1.5"], "needs a written reason"),
    "limits-not-name-value": (["limits", "set", "fx_delta", "--reason", "x"], "NAME=VALUE"),
    "mark-sunday": (["pms", "mark", "--as-of", "2026-10-04"], "a weekend, not a B3 session"),
    "mark-b3-holiday": (["pms", "mark", "--as-of", "2026-10-12"], "a B3 holiday"),
    "mark-stale": (
        ["pms", "mark", "--as-of", "2026-12-04"],
        "no new market data for BRL.USD.SPOT (last quote 2026-10-30)",
    ),
    "reject-unknown-control": (["pms", "reject-control", "999"], "no control change 999"),
}


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_control_input_is_one_line_and_changes_nothing(
    case: str, book: tuple[str, Path], sample_lake_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, folder = book
    pms = PMS.open(url, create=False)
    (control,) = [r.id for r in pms.control_requests(state="pending")]
    pms.engine.dispose()
    argv, expected = CASES[case]
    args = [a.replace("{control}", str(control)) for a in argv]
    if "--user" not in args:
        args += ["--user", "alice"]
    args += ["--db", url, "--path", str(sample_lake_path)]
    before = _digest(folder)
    capsys.readouterr()

    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("workbench: error: ") and expected in lines[0], lines[0]
    assert _digest(folder) == before
    assert "limits.yaml" not in before


def test_limits_set_show_and_approve_through_the_cli(
    tmp_path: Path, sample_lake_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'pms.db'}"
    common = ["--db", url, "--path", str(sample_lake_path)]
    assert main(["pms", "init", *common]) == 0
    assert main(["limits", "show", *common]) == 0
    out = capsys.readouterr().out
    assert "limits version 0" in out and "fx_delta" in out and "1.00 × NAV  hard" in out
    set_ = ["limits", "set", "fx_delta=1.5", "var_99=2.5%", "--soft", "es_99"]
    assert main([*set_, "--reason", "the hedge program", *common, "--user", "bob"]) == 0
    out = capsys.readouterr().out
    assert "fx_delta 1.00 × NAV → 1.50 × NAV" in out and "var_99 2.00 % of NAV → 2.50 %" in out
    rid = out.split("workbench pms approve-control ")[1].split()[0]
    assert not (tmp_path / "limits.yaml").exists()  # requested, not applied
    assert main(["pms", "approve-control", rid, *common, "--user", "Carol"]) == 0
    assert main(["limits", "show", *common]) == 0
    out = capsys.readouterr().out
    assert "limits version 1" in out and "approved by carol" in out and "the hedge program" in out
    assert "1.50 × NAV  hard" in out and "2.50 % of NAV  hard" in out
    assert main(["pms", "journal", "--action", "control_approve", *common]) == 0
    assert "carol" in capsys.readouterr().out
    assert main(["audit", "verify", *common]) == 0
