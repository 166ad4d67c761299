"""The people who may use the served pages beyond loopback, and their tokens.

``workbench users add NAME`` makes a token ``NAME.SECRET`` (32 random bytes), prints it
once and stores only a salted hash of it: scrypt (RFC 7914, ``hashlib.scrypt``) with a
per-user 16-byte salt. A presented token is checked by recomputing that hash and comparing
in constant time (``hmac.compare_digest``). Adding and removing a user are audited.
Names are normalized (trimmed, lower case) so ``ALICE`` and ``alice`` are one person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

import pandas as pd
from sqlalchemy import Engine, select

from research_core.errors import PMSError
from research_core.pms import audit, db
from research_core.pms.models import UserRow

NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # RFC 7914's interactive-login parameters
KDF = "scrypt:n=16384,r=8,p=1"
_DUMMY_SALT = bytes(16)  # hashed against for unknown names, so they cost the same time


class UserError(PMSError):
    """A user cannot be added or removed as asked (bad name, exists, unknown)."""


def normalize(name: str) -> str:
    """The stored form of a user name: trimmed, lower case, ``[a-z][a-z0-9_-]{0,31}``."""
    clean = str(name).strip().lower()
    if not NAME.fullmatch(clean):
        raise UserError(
            f"user name {name!r} must be a letter then up to 31 letters, digits, '_' or '-'"
        )
    return clean


def token_hash(token: str, salt: bytes) -> str:
    """Hex scrypt hash of ``token`` with ``salt`` (the stored form)."""
    return hashlib.scrypt(token.encode("utf-8"), salt=salt, dklen=32, **SCRYPT).hex()


def add_user(engine: Engine, name: str, *, actor: str) -> str:
    """Store a new user and return their token (shown once; only its hash is kept)."""
    user = normalize(name)
    token = f"{user}.{secrets.token_urlsafe(32)}"
    salt = secrets.token_bytes(16)
    with db.unit_of_work(engine) as s:
        if s.get(UserRow, user) is not None:
            raise UserError(f"user {user} exists; `workbench users remove {user}` first")
        s.add(
            UserRow(
                name=user,
                salt=salt.hex(),
                token_hash=token_hash(token, salt),
                kdf=KDF,
                created_at=dt.datetime.now(dt.UTC),
                created_by=actor,
            )
        )
        audit.append(s, actor=actor, action="user_add", entity="users", entity_id=user, payload={})
    return token


def remove_user(engine: Engine, name: str, *, actor: str) -> None:
    """Remove a user: their token and signed-in sessions stop working at once."""
    user = normalize(name)
    with db.unit_of_work(engine) as s:
        row = s.get(UserRow, user)
        if row is None:
            raise UserError(f"no user {user} (see `workbench users list`)")
        s.delete(row)
        audit.append(
            s, actor=actor, action="user_remove", entity="users", entity_id=user, payload={}
        )


def list_users(engine: Engine) -> pd.DataFrame:
    """Name, when and by whom each user was added (never a hash)."""
    with db.read_session(engine) as s:
        rows = s.scalars(select(UserRow).order_by(UserRow.name)).all()
    return pd.DataFrame(
        [(r.name, r.created_at, r.created_by) for r in rows],
        columns=["name", "created_at", "created_by"],
    )


def check_token(engine: Engine, token: str) -> str | None:
    """The user whose token this is, or None (unknown name, wrong secret, malformed)."""
    name, _, secret = str(token).strip().partition(".")
    row = None
    if NAME.fullmatch(name) and secret:
        with db.read_session(engine) as s:
            row = s.get(UserRow, name)
    salt = bytes.fromhex(row.salt) if row is not None else _DUMMY_SALT
    given = token_hash(str(token).strip(), salt)
    if row is None or row.kdf != KDF:
        return None
    return name if hmac.compare_digest(given, row.token_hash) else None


def session_key(engine: Engine, name: str) -> str | None:
    """A short digest of the user's stored hash, kept in their sign-in cookie: a removed
    user, or one added again with a new token, no longer matches (None: no such user)."""
    with db.read_session(engine) as s:
        row = s.get(UserRow, name)
    return None if row is None else hashlib.sha256(row.token_hash.encode()).hexdigest()[:16]
