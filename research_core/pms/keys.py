"""The audit key: HMAC-SHA256 over audit rows and anchors, with keys kept outside the database.

Keys come from ``WORKBENCH_AUDIT_KEY`` (one key) and the key file ``WORKBENCH_AUDIT_KEY_FILE``
(JSON ``{"current": ID, "keys": {ID: KEY}}``, mode 0600) that ``workbench audit rotate-key``
creates and rotates. A key's id is a fingerprint of it, so what a key signed names it without
revealing it; rotation keeps the old keys in the file, so what they signed stays verifiable.
With both set, the key file's current key signs and every key verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from research_core._files import artifact_lock, write_atomic
from research_core.config import Settings, get_settings
from research_core.errors import AuditError

MIN_LENGTH = 16
"""The shortest key accepted (characters): a short key is a guessable key."""


def key_id(key: bytes) -> str:
    """The key's fingerprint (16 hex digits): names the key in what it signed."""
    return hashlib.sha256(b"workbench audit key id\0" + key).hexdigest()[:16]


def _mac(key: bytes, label: str, message: str) -> str:
    return hmac.new(key, f"{label}\0{message}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Keyring:
    """The audit keys this process knows (id → key) and the one that signs (``current``)."""

    keys: Mapping[str, bytes] = field(default_factory=dict)
    current: str | None = None

    @property
    def configured(self) -> bool:
        return self.current is not None

    def sign(self, label: str, message: str) -> dict[str, str] | None:
        """``{"key_id", "hmac"}`` of ``message`` under the current key (None without one)."""
        if self.current is None:
            return None
        return {"key_id": self.current, "hmac": _mac(self.keys[self.current], label, message)}

    def check(self, label: str, message: str, mac: Mapping[str, object]) -> str:
        """'' if ``mac`` signs ``message`` under a known key, else what is wrong."""
        kid = str(mac.get("key_id", ""))
        key = self.keys.get(kid)
        if key is None:
            return f"signed with key id {kid!r}, which is not configured here"
        if not hmac.compare_digest(_mac(key, label, message), str(mac.get("hmac", ""))):
            return f"its HMAC (key id {kid}) does not match: forged or altered"
        return ""


def _checked(value: str, where: str) -> bytes:
    if len(value.strip()) < MIN_LENGTH:
        raise AuditError(f"{where} is shorter than {MIN_LENGTH} characters; use a long random key")
    return value.strip().encode()


def read_file(path: Path) -> tuple[dict[str, bytes], str]:
    """The keys and current id of a key file; a malformed file raises AuditError."""
    try:
        raw = json.loads(path.read_text("utf-8"))
        stored = {str(k): _checked(str(v), f"key file {path}") for k, v in raw["keys"].items()}
        current = str(raw["current"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise AuditError(f"cannot read the audit key file {path}: {err}") from err
    for kid, key in stored.items():
        if key_id(key) != kid:
            raise AuditError(f"audit key file {path}: key {kid} does not match its id")
    if current not in stored:
        raise AuditError(f"audit key file {path}: current key {current} is not in the file")
    return stored, current


def load(settings: Settings | None = None, *, missing_file_ok: bool = False) -> Keyring:
    """The keyring from the settings (env key, then key file); bad settings raise AuditError."""
    s = settings or get_settings()
    keys: dict[str, bytes] = {}
    current = None
    if s.audit_key is not None:
        key = _checked(s.audit_key.get_secret_value(), "WORKBENCH_AUDIT_KEY")
        current = key_id(key)
        keys[current] = key
    if s.audit_key_file is not None:
        path = Path(s.audit_key_file).expanduser()
        if path.exists():
            stored, current = read_file(path)
            keys.update(stored)
        elif not missing_file_ok:
            raise AuditError(
                f"WORKBENCH_AUDIT_KEY_FILE {path} does not exist: create it with "
                "`workbench audit rotate-key`"
            )
    return Keyring(keys, current)


def rotate(path: Path, ring: Keyring) -> str:
    """Add a new random key to the key file at ``path`` (created 0600 if missing) and make it
    current; every key of ``ring`` (e.g. the env key) is kept so what it signed verifies."""
    path = Path(path).expanduser()
    with artifact_lock(path):
        stored = dict(read_file(path)[0]) if path.exists() else {}
        stored.update(ring.keys)
        key = secrets.token_hex(32).encode()
        new = key_id(key)
        stored[new] = key
        text = json.dumps({"current": new, "keys": {k: v.decode() for k, v in stored.items()}})
        write_atomic(path, lambda tmp: tmp.write_text(text + "\n"), mode=0o600)  # owner only
    return new
