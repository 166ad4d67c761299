"""The audit covers the book (issue 30 item 2), on SQLite and PostgreSQL, with a key set.

A small book (two trades, two marks) is written through the PMS, then copied once per attack;
each copy is tampered with by hand and ``workbench audit verify`` must exit 1 naming what
changed. Before this change every attack below passed verify: the chain covered only its own
rows, anchors were unsigned and written only by the daily job, and verify read no anchor by
default. Hashes and HMACs of forged rows are computed here with hashlib/hmac from the
documented record format, independently of ``pms.audit``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from research_core.cli import main
from research_core.config import get_settings
from research_core.pms import PMS, anchors, db
from tests.pms.conftest import four_eyes_off, fresh_postgres

KEY = "correct-horse-battery-staple-42"  # the fund's audit key (>= 16 characters)
D0, D1, D2 = "2026-10-01", "2026-10-02", "2026-10-05"


def _sql(url: str, *statements: str, **params: Any) -> list[Any]:
    """Run statements as someone with write access to the database (no PMS code); the
    last one's rows."""
    engine = create_engine(url, poolclass=NullPool)
    rows: list[Any] = []
    with engine.begin() as conn:
        for statement in statements:
            result = conn.execute(text(statement), params)
            rows = list(result) if result.returns_rows else []
    engine.dispose()
    return rows


def _exec_off(url: str) -> list[str]:
    """Statements that let UPDATE/DELETE through on audit_log (as an attacker would)."""
    if url.startswith("sqlite"):
        return ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"]
    return ["ALTER TABLE audit_log DISABLE TRIGGER USER"]


def _log(url: str) -> list[dict[str, Any]]:
    cols = "seq, at, actor, action, entity, entity_id, payload, prev_hash, hash"
    return [dict(r._mapping) for r in _sql(url, f"SELECT {cols} FROM audit_log ORDER BY seq")]


def _text(row: dict[str, Any], payload: dict[str, Any]) -> str:
    """Canonical JSON of a record (sorted keys, compact, numbers as strings)."""
    record = {k: row[k] for k in ("at", "actor", "action", "entity", "entity_id")}
    record |= {"seq": str(row["seq"]), "payload": payload}
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _row_hmac(key: str, prev: str, record_text: str) -> str:
    return hmac.new(key.encode(), b"row\0" + (prev + record_text).encode(), "sha256").hexdigest()


def _insert_row(url: str, row: dict[str, Any], payload: dict[str, Any]) -> None:
    """Append ``row`` with a correct sha256 chain hash (what verify checked before)."""
    canon = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256((row["prev_hash"] + _text(row, payload)).encode()).hexdigest()
    _sql(
        url,
        "INSERT INTO audit_log VALUES (:seq, :at, :actor, :action, :entity, :entity_id, "
        ":payload, :prev_hash, :hash)",
        **(row | {"payload": canon, "hash": digest}),
    )


def _forged(log: list[dict[str, Any]]) -> dict[str, Any]:
    last = log[-1]
    at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    return {
        "seq": last["seq"] + 1,
        "at": at,
        "actor": "mallory",
        "action": "trade",
        "entity": "trade",
        "entity_id": "1",
        "prev_hash": last["hash"],
    }


def _rewrite(url: str, edit: Callable[[dict[str, Any], dict[str, Any]], None]) -> str:
    """Apply ``edit(row, payload)`` to every row and recompute every link and hash
    consistently (the signatures cannot be recomputed without the key); the new head hash."""
    log = _log(url)
    statements = [*_exec_off(url), "DELETE FROM audit_log"]
    _sql(url, *statements)
    prev = "0" * 64
    for row in log:
        payload = json.loads(row["payload"])
        row = dict(row, prev_hash=prev)
        edit(row, payload)
        _insert_row(url, row, payload)
        prev = hashlib.sha256((prev + _text(row, payload)).encode()).hexdigest()
    return prev


@dataclass
class Book:
    url: str
    facts: dict[str, Any]


def _clone(base: str, name: str) -> str:
    """A copy of the database at ``base`` (and of its anchors folder)."""
    if base.startswith("sqlite"):
        src = Path(make_url(base).database or "")
        dst = src.with_name(f"{name}.db")
        shutil.copy(src, dst)
        url = f"sqlite:///{dst}"
    else:
        url = base.rsplit("/", 1)[0] + f"/{name}"
        server = create_engine(base.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(base).database}"')
        server.dispose()
    source, target = anchors.folder(make_url(base)), anchors.folder(make_url(url))
    assert source is not None and target is not None
    shutil.copytree(source, target)
    return url


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def book(request: pytest.FixtureRequest, tmp_path_factory, lake) -> Iterator[Book]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("book")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WORKBENCH_AUDIT_KEY", KEY)
        env.setenv("WORKBENCH_AUDIT_ANCHORS_PATH", str(root / "anchors"))
        env.delenv("WORKBENCH_AUDIT_KEY_FILE", raising=False)
        get_settings.cache_clear()
        if request.param == "sqlite":
            url = f"sqlite:///{root / 'base.db'}"
        else:
            url = fresh_postgres(request.getfixturevalue("postgres_url"))
        pms = four_eyes_off(PMS.open(url, lake=lake, actor="alice"))
        pms.enter_trade("DI1.1Y", "buy", 1e8, trade_date=D0, idempotency_key="t1")
        pms.mark(D0)
        pms.enter_trade("DI1.1Y", "sell", 4e7, trade_date=D1, idempotency_key="t2")  # reduces lot 1
        pms.mark(D1)
        assert pms.audit_verify().ok
        pms.engine.dispose()
        facts = {
            "price": _sql(url, "SELECT price FROM trades WHERE id = 1")[0][0],
            "quantity": _sql(url, "SELECT quantity FROM positions WHERE id = 1")[0][0],
            "nav": _sql(url, f"SELECT nav_brl FROM nav_history WHERE as_of = '{D1}'")[0][0],
            "pnl": _sql(url, "SELECT MAX(id) FROM pnl_history")[0][0],
            "mark": _sql(url, f"SELECT seq FROM audit_log WHERE entity_id = '{D1}'")[0][0],
            "head": _sql(url, "SELECT MAX(seq) FROM audit_log")[0][0],
            "kid": json.loads(_log(url)[0]["payload"])["mac"]["key_id"],
        }
        yield Book(url, facts)
    get_settings.cache_clear()


def _verify(url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["audit", "verify", "--db", url])
    return code, capsys.readouterr().out


def test_the_untouched_book_verifies_signed(book: Book, capsys):
    code, out = _verify(_clone(book.url, "untouched"), capsys)
    assert code == 0, out
    assert (
        f"anchor: seq {book.facts['head']}" in out and f"signed, key id {book.facts['kid']}" in out
    )
    assert "not signed" not in out


STATE = {  # attack → (SQL on the book tables, the message verify must print)
    "trade price": (
        "UPDATE trades SET price = {price} + 0.25 WHERE id = 1",
        "book BROKEN: differs from the audited events: trades id 1, column price: "
        "stored '{price_plus}', expected '{price!r}'",
    ),
    "lot quantity": (
        "UPDATE positions SET quantity = 0 WHERE id = 1",
        "positions id 1, column quantity: stored '0.0', expected '{quantity!r}'",
    ),
    "decision reason": (
        "UPDATE decision_journal SET reason = 'approved by the CIO' WHERE id = 1",
        "decision_journal id 1, column reason: stored 'approved by the CIO', "
        "expected 'a one-person test book'",
    ),
    "nav": (
        "UPDATE nav_history SET nav_brl = 1000000.5 WHERE as_of = '" + D1 + "'",
        f"nav_history id {D1}, column nav_brl: stored '1000000.5', expected '{{nav!r}}'",
    ),
    "trade inserted": (
        "INSERT INTO trades (id, instrument_id, quantity, price, trade_date, executed_at, "
        "actor, idempotency_key, strategy, agents, reason) VALUES (99, 'DI1.1Y', 5e8, 12.0, "
        f"'{D1}', '{D1} 20:00:00', 'mallory', 'x', 'discretionary', '[]', '')",
        "trades id 99: in the table, but no audited event wrote it",
    ),
    "pnl row deleted": (
        "DELETE FROM pnl_history WHERE id = {pnl}",
        "pnl_history id {pnl}: missing from the table (as written by seq {mark})",
    ),
}


@pytest.mark.parametrize("attack", list(STATE))
def test_editing_the_book_tables_is_caught(book: Book, attack: str, capsys):
    statement, message = STATE[attack]
    facts = book.facts | {"price_plus": repr(book.facts["price"] + 0.25)}
    url = _clone(book.url, attack.replace(" ", "_"))
    _sql(url, statement.format(**facts))
    code, out = _verify(url, capsys)
    assert code == 1 and message.format(**facts) in out, out


def test_a_row_changed_before_a_later_write_touched_it_is_caught(book: Book, lake, capsys):
    """The next mark rewrites the tampered lot (its image then agrees with the table); the
    digest of what that mark found tells verify the lot had been changed before it."""
    url = _clone(book.url, "laundered")
    _sql(url, "UPDATE positions SET quantity = 9e7 WHERE id = 1")
    pms = PMS.open(url, lake=lake, create=False)
    pms.mark(D2)
    pms.engine.dispose()
    code, out = _verify(url, capsys)
    mark, later = book.facts["mark"], book.facts["head"] + 1
    assert code == 1
    assert (
        f"positions id 1 was changed outside the audited events between seq {mark} (which "
        f"wrote it) and seq {later} (which found it changed)"
    ) in out, out


def test_an_appended_row_with_a_valid_hash_is_caught(book: Book, capsys):
    url = _clone(book.url, "appended")
    _insert_row(url, _forged(_log(url)), {"rows": {}, "was": {}})
    code, out = _verify(url, capsys)
    seq = book.facts["head"] + 1
    assert code == 1
    assert (
        f"audit chain BROKEN at seq {seq}: not signed, although the log is signed from seq 1" in out
    )


def test_an_appended_row_with_a_made_up_signature_is_caught(book: Book, capsys):
    url = _clone(book.url, "appended_mac")
    kid = book.facts["kid"]
    _insert_row(
        url, _forged(_log(url)), {"rows": {}, "was": {}, "mac": {"key_id": kid, "hmac": "0" * 64}}
    )
    code, out = _verify(url, capsys)
    seq = book.facts["head"] + 1
    assert code == 1
    assert f"BROKEN at seq {seq}: its HMAC (key id {kid}) does not match: forged or altered" in out


def test_the_chain_rewritten_consistently_is_caught(book: Book, capsys):
    url = _clone(book.url, "rewritten")

    def edit(row: dict[str, Any], _payload: dict[str, Any]) -> None:
        if row["seq"] == 2:
            row["actor"] = "mallory"

    _rewrite(url, edit)
    code, out = _verify(url, capsys)
    assert (
        code == 1
        and f"BROKEN at seq 2: its HMAC (key id {book.facts['kid']}) does not match" in out
    )


def test_the_chain_rewritten_unsigned_with_new_anchors_is_caught(book: Book, capsys):
    """Strip every signature, rechain, and replace the anchors: the forged anchor cannot
    be signed, and without any anchor the tail cannot be trusted."""
    url = _clone(book.url, "unsigned")
    head = _rewrite(url, lambda _row, payload: payload.pop("mac"))
    place = anchors.folder(make_url(url))
    assert place is not None
    shutil.rmtree(place)
    code, out = _verify(url, capsys)
    assert code == 1 and f"no anchor in {place} for a log of {book.facts['head']} rows" in out
    place.mkdir()
    seq = book.facts["head"]
    forged = place / f"{seq:012d}.json"
    forged.write_text(json.dumps({"seq": seq, "hash": head, "at": ""}))
    code, out = _verify(url, capsys)
    assert (
        code == 1 and f"BROKEN at seq {seq}: anchor file {forged}: the anchor is not signed" in out
    )


def test_a_truncated_tail_is_caught_by_the_newest_anchor(book: Book, capsys):
    url = _clone(book.url, "truncated")
    seq = book.facts["head"]
    _sql(url, *_exec_off(url), f"DELETE FROM audit_log WHERE seq = {seq}")
    code, out = _verify(url, capsys)
    assert code == 1
    assert f"BROKEN at seq {seq}: log ends at seq {seq - 1} but the anchor names seq {seq}" in out


def test_dropped_triggers_are_reported_and_init_restores_them(book: Book, capsys):
    url = _clone(book.url, "triggers")
    if url.startswith("sqlite"):
        _sql(url, "DROP TRIGGER audit_log_no_delete")
        missing = "audit_log_no_delete"
    else:
        _sql(
            url,
            "DROP TRIGGER audit_log_no_change ON audit_log",
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate",
        )
        missing = "audit_log_no_change, audit_log_no_truncate"
    code, out = _verify(url, capsys)
    assert code == 1 and f"audit triggers BROKEN: missing, disabled or altered: {missing}" in out
    assert main(["pms", "init", "--db", url]) == 0
    code, out = _verify(url, capsys)
    assert code == 0, out
    restored = json.loads(_log(url)[-1]["payload"])["triggers_restored"]
    assert ", ".join(restored) == missing
    with pytest.raises(DBAPIError, match="append-only"):
        _sql(url, "DELETE FROM audit_log")


# ---- without a book ----------------------------------------------------------------------
@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("WORKBENCH_AUDIT_ANCHORS_PATH", str(tmp_path / "anchors"))
    for name in ("WORKBENCH_AUDIT_KEY", "WORKBENCH_AUDIT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_without_a_key_every_verify_says_so(db_url: str, settings_env, capsys):
    PMS.open(db_url).engine.dispose()
    for _ in range(2):
        code, out = _verify(db_url, capsys)
        assert code == 0
        assert out.splitlines().count("anchors are not signed: set WORKBENCH_AUDIT_KEY") == 1


def _signed_init(db_url: str, settings_env: pytest.MonkeyPatch) -> Path:
    """The PMS initialised (capital 500 mn BRL) with the audit key set: the folder of its
    signed anchors."""
    settings_env.setenv("WORKBENCH_AUDIT_KEY", KEY)
    get_settings.cache_clear()
    pms = PMS.open(db_url)
    pms.init(capital=5e8)
    pms.engine.dispose()
    place = anchors.folder(make_url(db_url))
    assert place is not None
    return place


def test_rotating_the_key_keeps_old_anchors_verifiable_and_retires_the_old_key(
    db_url: str, settings_env: pytest.MonkeyPatch, tmp_path: Path, capsys
):
    place = _signed_init(db_url, settings_env)
    old_anchor = sorted(place.glob("*.json"))[-1]
    old_kid = json.loads(old_anchor.read_text())["key_id"]

    key_file = tmp_path / "keys" / "audit-keys.json"
    settings_env.setenv("WORKBENCH_AUDIT_KEY_FILE", str(key_file))
    get_settings.cache_clear()
    capsys.readouterr()
    assert main(["audit", "rotate-key", "--db", db_url]) == 0
    ring = json.loads(key_file.read_text())
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert ring["keys"][old_kid] == KEY and ring["current"] != old_kid and len(ring["keys"]) == 2
    log = _log(db_url)
    rotation = log[-1]
    assert rotation["action"] == "rotate-key"
    assert json.loads(rotation["payload"])["mac"]["key_id"] == ring["current"]

    assert main(["audit", "verify", "--db", db_url, "--anchor", str(old_anchor)]) == 0
    code, out = _verify(db_url, capsys)
    assert code == 0 and f"signed, key id {ring['current']}" in out, out

    # Someone who kept the old key signs a row correctly with it: the key is retired.
    row = _forged(log)
    payload: dict[str, Any] = {"rows": {}, "was": {}}
    payload["mac"] = {
        "key_id": old_kid,
        "hmac": _row_hmac(KEY, row["prev_hash"], _text(row, payload)),
    }
    _insert_row(db_url, row, payload)
    code, out = _verify(db_url, capsys)
    assert code == 1
    assert (
        f"BROKEN at seq {row['seq']}: signed with key {old_kid}, retired at seq {rotation['seq']}"
        in out
    )


def test_an_older_log_is_covered_from_its_baseline(db_url: str, settings_env, capsys):
    """A log written before row images: the next write records a baseline of the book,
    verify says from which seq the book is covered, and tampering after it is caught."""
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    engine.dispose()
    _sql(db_url, "INSERT INTO settings (key, value) VALUES ('capital', '5e8')")
    old = {
        "seq": 1,
        "at": "2026-09-30T20:00:00.000000+00:00",
        "actor": "cli",
        "action": "init",
        "entity": "settings",
        "entity_id": "fund",
        "prev_hash": "0" * 64,
    }
    _insert_row(db_url, old, {"schema": "0003", "settings": {"capital": "5e8"}})
    PMS.open(db_url).engine.dispose()  # init: the baseline is its first write
    code, out = _verify(db_url, capsys)
    assert code == 0 and "book not covered before seq 2 (older records)" in out, out
    _sql(db_url, "UPDATE settings SET value = '7e8' WHERE key = 'capital'")
    code, out = _verify(db_url, capsys)
    assert code == 1 and "settings id capital, column value: stored '7e8', expected '5e8'" in out


def test_a_write_whose_anchor_was_lost_is_noted_and_audit_anchor_catches_up(
    db_url: str, settings_env: pytest.MonkeyPatch, capsys
):
    """A crash between a commit and its anchor: the signed rows after the newest anchor
    are reported, not failed; ``workbench audit anchor`` anchors the verified head."""
    place = _signed_init(db_url, settings_env)
    newest = sorted(place.glob("*.json"))
    newest[-1].unlink()
    code, out = _verify(db_url, capsys)
    assert code == 0 and "; 1 rows after it are not anchored yet" in out, out
    capsys.readouterr()
    assert main(["audit", "anchor", "--db", db_url]) == 0
    assert f"anchor written to {newest[-1]}" in capsys.readouterr().out
    code, out = _verify(db_url, capsys)
    assert code == 0 and "not anchored" not in out


BAD_KEYS = {  # setting → (value, the one-line error)
    "short key": ("WORKBENCH_AUDIT_KEY", "sesame", "WORKBENCH_AUDIT_KEY is shorter than 16"),
    "missing key file": (
        "WORKBENCH_AUDIT_KEY_FILE",
        "{tmp}/none.json",
        "WORKBENCH_AUDIT_KEY_FILE {tmp}/none.json does not exist: create it with "
        "`workbench audit rotate-key`",
    ),
    "malformed key file": (
        "WORKBENCH_AUDIT_KEY_FILE",
        "{tmp}/notes.txt",
        "cannot read the audit key file {tmp}/notes.txt",
    ),
}


@pytest.mark.parametrize("case", list(BAD_KEYS))
def test_a_bad_key_setting_is_one_line_and_writes_nothing(
    case: str, settings_env: pytest.MonkeyPatch, tmp_path: Path, capsys
):
    url = f"sqlite:///{tmp_path / 'pms.db'}"
    PMS.open(url).engine.dispose()
    (tmp_path / "notes.txt").write_text("my notes\n")
    name, value, message = BAD_KEYS[case]
    settings_env.setenv(name, value.replace("{tmp}", str(tmp_path)))
    get_settings.cache_clear()
    before = _log(url)
    capsys.readouterr()
    assert main(["pms", "init", "--db", url, "--capital", "2e9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message.replace("{tmp}", str(tmp_path)) in err[0], err
    assert _log(url) == before


def test_a_signed_log_refuses_a_writer_without_the_key(db_url: str, settings_env, capsys):
    settings_env.setenv("WORKBENCH_AUDIT_KEY", KEY)
    get_settings.cache_clear()
    PMS.open(db_url).engine.dispose()
    settings_env.delenv("WORKBENCH_AUDIT_KEY")
    get_settings.cache_clear()
    before = _log(db_url)
    capsys.readouterr()
    assert main(["pms", "init", "--db", db_url, "--capital", "2e9"]) == 2
    assert "the audit log is signed (seq 1) but no audit key is configured here" in (
        capsys.readouterr().err
    )
    assert _log(db_url) == before


@pytest.mark.postgres
def test_a_book_copied_to_postgresql_in_another_time_zone_verifies(
    settings_env, tmp_path: Path, postgres_url: str
):
    """Timestamps SQLite stores without a zone (UTC) stay the same instants in PostgreSQL
    whatever its time zone, so the copied book matches its audit records."""
    source = PMS.open(f"sqlite:///{tmp_path / 'src.db'}")
    source.store_briefing("2026-10-30", "<html>pack</html>", {"n": 1})
    target_url = fresh_postgres(postgres_url)
    name = make_url(target_url).database
    _sql(target_url, f"ALTER DATABASE \"{name}\" SET timezone TO 'America/Sao_Paulo'")
    target = db.make_engine(target_url)
    db.copy_database(source.engine, target)
    copied = PMS(target)
    assert copied.anchor_head().name == f"{copied.anchor().seq:012d}.json"
    assert copied.audit_verify().ok
    source.engine.dispose()
    target.dispose()
