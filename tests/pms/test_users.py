"""Users of the served pages (``workbench users``): a token printed once, only its salted
hash stored, checked in constant time, names normalized, adding and removing audited.

The stored hash is recomputed here with ``hashlib.scrypt`` itself (RFC 7914, N=16384, r=8,
p=1, 32 bytes) from the salt in the row, not through the module under test.
"""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, text

from research_core.cli import main
from research_core.pms import PMS
from research_core.pms.models import AuditRow, UserRow
from research_core.pms.users import (
    UserError,
    add_user,
    check_token,
    list_users,
    remove_user,
    session_key,
)


def _rows(pms: PMS) -> dict[str, UserRow]:
    with pms.engine.connect() as conn:
        return {r.name: r for r in conn.execute(select(UserRow))}  # type: ignore[misc]


def test_token_shown_once_stored_as_a_salted_hash(pms: PMS) -> None:
    bob = add_user(pms.engine, "bob", actor="root")
    carol = add_user(pms.engine, "  CAROL ", actor="root")  # one person whatever the case
    assert bob.startswith("bob.") and carol.startswith("carol.")
    rows = _rows(pms)
    assert sorted(rows) == ["bob", "carol"]
    for token, row in ((bob, rows["bob"]), (carol, rows["carol"])):
        salt = bytes.fromhex(row.salt)
        assert len(salt) == 16
        expected = hashlib.scrypt(token.encode(), salt=salt, n=16384, r=8, p=1, dklen=32)
        assert row.token_hash == expected.hex()
        secret = token.split(".", 1)[1]
        with pms.engine.connect() as conn:  # the token is nowhere in the database
            dump = " ".join(str(v) for r in conn.execute(text("SELECT * FROM users")) for v in r)
            audit = " ".join(r.payload for r in conn.execute(select(AuditRow)))
        assert secret not in dump and secret not in audit
    assert rows["bob"].salt != rows["carol"].salt

    assert check_token(pms.engine, bob) == "bob"
    assert check_token(pms.engine, f" {carol} ") == "carol"
    assert check_token(pms.engine, bob[:-1] + ("A" if bob[-1] != "A" else "B")) is None
    assert check_token(pms.engine, "carol." + bob.split(".", 1)[1]) is None  # bob's secret
    assert check_token(pms.engine, "mallory.x") is None
    assert check_token(pms.engine, "") is None
    assert list(list_users(pms.engine)["name"]) == ["bob", "carol"]
    assert list(list_users(pms.engine).columns) == ["name", "created_at", "created_by"]

    key = session_key(pms.engine, "bob")
    remove_user(pms.engine, "BOB", actor="root")
    assert check_token(pms.engine, bob) is None and session_key(pms.engine, "bob") is None
    again = add_user(pms.engine, "bob", actor="root")  # a new token: old sessions end
    assert session_key(pms.engine, "bob") not in (None, key)
    assert check_token(pms.engine, bob) is None and check_token(pms.engine, again) == "bob"
    with pms.engine.connect() as conn:
        rows = conn.execute(select(AuditRow).order_by(AuditRow.seq)).all()
    actions = [(r.action, r.entity_id, r.actor) for r in rows]
    assert actions[-4:] == [
        ("user_add", "bob", "root"),
        ("user_add", "carol", "root"),
        ("user_remove", "bob", "root"),
        ("user_add", "bob", "root"),
    ]
    assert pms.audit_verify().ok


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("a b", "user name 'a b' must be a letter"),
        ("", "user name '' must be a letter"),
        ("9lives", "must be a letter"),
        ("bob.smith", "must be a letter"),
        ("x" * 33, "must be a letter"),
    ],
)
def test_bad_names_refused_and_nothing_written(pms: PMS, name: str, words: str) -> None:
    head = pms.audit_head()
    with pytest.raises(UserError, match=words):
        add_user(pms.engine, name, actor="root")
    assert pms.audit_head() == head and list_users(pms.engine).empty


def test_duplicate_and_unknown_refused(pms: PMS) -> None:
    add_user(pms.engine, "bob", actor="root")
    head = pms.audit_head()
    with pytest.raises(UserError, match="user bob exists"):
        add_user(pms.engine, "Bob", actor="root")
    with pytest.raises(UserError, match="no user dave"):
        remove_user(pms.engine, "dave", actor="root")
    assert pms.audit_head() == head and list(list_users(pms.engine)["name"]) == ["bob"]


def test_users_commands(pms: PMS, capsys: pytest.CaptureFixture[str]) -> None:
    url = pms.engine.url.render_as_string(hide_password=False)
    assert main(["users", "add", "Erin", "--db", url]) == 0
    out = capsys.readouterr().out
    token = next(line for line in out.splitlines() if line.startswith("erin."))
    assert "shown once" in out and check_token(pms.engine, token) == "erin"
    assert main(["users", "list", "--db", url]) == 0
    listed = capsys.readouterr().out
    assert "erin" in listed and token.split(".", 1)[1] not in listed
    assert _rows(pms)["erin"].token_hash not in listed
    assert main(["users", "add", "erin", "--db", url]) == 2
    assert "workbench: error: user erin exists" in capsys.readouterr().err
    assert main(["users", "remove", "erin", "--db", url]) == 0
    assert check_token(pms.engine, token) is None
