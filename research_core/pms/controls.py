"""The controls that bind: who acts, and how the fund's control settings change.

* Identities are compared and stored normalized (NFKC, stripped, casefolded): ``ALICE``,
  `` alice`` and ``ａｌｉｃｅ`` are one user. Idempotency keys are NFKC and stripped, so a
  trailing space does not make a second trade.
* A control setting (four-eyes, the limits) changes only through a request one user
  records (``control_request``) and a second, different user approves
  (``control_approve``) or anyone rejects (``control_reject``); each is a journal entry and
  an audit record. Four-eyes is on until such a change turns it off.
* The limits file (``limits.yaml`` beside the database, ``risk.limits.limits_path``) is
  written only when a limits change is approved; the approved text, its version and
  SHA-256 are kept in the ``limits`` setting and the audit chain, and the PMS refuses to
  approve anything while the file differs from them (edited by hand).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from research_core._files import sha256_file, write_atomic
from research_core.config import DEFAULT_CAPITAL
from research_core.errors import ControlError, IdentityError, LimitsError, PMSError
from research_core.pms import audit, db, integrity
from research_core.pms.journal import Entry, record, record_audited
from research_core.pms.models import Decision, Setting
from research_core.pms.positions import check_size, last_mark_date
from research_core.risk.limits import (
    CAPS,
    UNITS,
    LimitsFile,
    RiskLimits,
    format_limit,
    limits_yaml,
    parse_limits,
    read_limits,
)

if TYPE_CHECKING:
    from research_core.pms.system import PMS

CONTROLS = ("four_eyes", "limits")
"""The settings that change only by a request and a second person's approval."""
NAME_MAX, KEY_MAX = 64, 128  # the widths of the actor and idempotency key columns


def _clean(value: object, what: str, width: int) -> str:
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()
    if not text:
        raise IdentityError(f"{what} is empty")
    if len(text) > width:
        raise IdentityError(f"{what} {text[:20]!r}… is longer than {width} characters")
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise IdentityError(f"{what} {text!r} holds control characters")
    return text


def normalize_user(name: object) -> str:
    """The user name as stored and compared: NFKC, stripped, casefolded."""
    return _clean(name, "user name", NAME_MAX).casefold()


def normalize_key(key: object) -> str:
    """An idempotency key as stored and compared: NFKC and stripped (case is kept)."""
    return _clean(key, "idempotency key", KEY_MAX)


def require_reason(reason: object, what: str) -> str:
    """A written reason (stripped), or a one-line error saying what needs one."""
    text = str(reason or "").strip()
    if not text:
        raise ControlError(f"{what} needs a written reason")
    return text


# ---- the limits the PMS enforces ---------------------------------------------------------
def approved_record(session: Session) -> dict[str, Any]:
    """The approved limits: version, SHA-256 and text of the file (version 0: defaults)."""
    row = session.get(Setting, "limits")
    return json.loads(row.value) if row is not None else {"version": 0, "sha256": None}


def approved_limits(session: Session, path: Path) -> LimitsFile:
    """The limits file at ``path`` if it is exactly the approved version; otherwise a
    one-line LimitsError (missing, edited by hand, or not written by an approval)."""
    record = approved_record(session)
    file = read_limits(path)
    if file.sha256 == record["sha256"]:
        return file
    version = int(record["version"])
    if file.sha256 is None:
        raise LimitsError(
            f"{path} is missing but limits version {version} was approved; restore it "
            "(`workbench limits restore`)"
        )
    if version == 0:
        raise LimitsError(
            f"{path} was not written by an approved limits change (the approved limits are "
            "the defaults); move it away, then request the change with `workbench limits set`"
        )
    raise LimitsError(
        f"{path} differs from the approved limits version {version} (edited outside "
        "`workbench limits set`); restore it with `workbench limits restore`"
    )


def changed_limits(
    current: RiskLimits,
    values: Mapping[str, object],
    *,
    soft: Sequence[str] = (),
    hard: Sequence[str] = (),
) -> RiskLimits:
    """``current`` with caps changed (``var_99=0.025``, or ``2.5%`` for a limit read in
    %) and caps made soft or hard; a one-line LimitsError names an unknown limit or a
    value that is not a positive finite number."""
    doc: dict[str, object] = current.model_dump()
    kinds = set(current.soft)
    del doc["soft"]
    for name, raw in values.items():
        doc[name] = _limit_number(name, raw)
    for name in [*soft, *hard]:
        if name not in CAPS:
            raise LimitsError(f"limits change: unknown limit {name!r}; caps: {', '.join(CAPS)}")
    both = sorted(set(soft) & set(hard))
    if both:
        raise LimitsError(f"limits change: {both[0]} cannot be both soft and hard")
    return parse_limits(doc, sorted((kinds | set(soft)) - set(hard)), "limits change")


def _limit_number(name: str, raw: object) -> object:
    if name not in UNITS:
        raise LimitsError(f"limits change: unknown limit {name!r}; limits: {', '.join(UNITS)}")
    if not isinstance(raw, str):
        return raw
    text, scale = raw.strip(), 1.0
    if text.endswith("%"):
        if not UNITS[name][0].startswith("%"):
            raise LimitsError(f"limits change: {name} is in {UNITS[name][0]}, not %: {raw!r}")
        text, scale = text[:-1].strip(), 100.0
    try:
        return float(text) / scale
    except ValueError as err:
        raise LimitsError(f"limits change: {name} must be a number, got {raw!r}") from err


def write_limits(path: Path, text: str) -> None:
    """Write the limits file's text atomically (a reader sees the old file or the new)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: tmp.write_bytes(text.encode("utf-8")))


# ---- control change requests ------------------------------------------------------------
@dataclass(frozen=True)
class ControlRequest:
    """A requested change of a control setting and what became of it."""

    id: int
    setting: str
    value: Any
    base: Any  # the setting (limits: the version) the change was requested against
    requested_by: str
    reason: str
    at: str
    state: str  # pending, approved, rejected
    changes: tuple[str, ...]  # what it changes, as a person reads it
    decided_by: str | None = None

    def summary(self) -> str:
        who = f" by {self.decided_by}" if self.decided_by else ""
        return (
            f"control change {self.id} ({'; '.join(self.changes)}) requested by "
            f"{self.requested_by} at {self.at} UTC: {self.reason!r}; {self.state}{who}"
        )


def describe_change(setting: str, old: Any, new: Any) -> list[str]:
    """What a change does, one item per setting or limit (``fx_delta 1.00 × NAV → 1.50 ×
    NAV``, ``es_99 soft → hard``)."""
    if setting == "four_eyes":
        return [f"four-eyes {'on' if old else 'off'} → {'on' if new else 'off'}"]
    out = []
    for name in UNITS:
        if old.get(name) != new.get(name):
            out.append(f"{name} {format_limit(name, old[name])} → {format_limit(name, new[name])}")
    for name in CAPS:
        was, now = name in old["soft"], name in new["soft"]
        if was != now:
            out.append(f"{name} {'soft' if was else 'hard'} → {'soft' if now else 'hard'}")
    return out


_STATES = {"control_approve": "approved", "control_reject": "rejected"}


def control_requests(session: Session) -> list[ControlRequest]:
    """Every control change request, oldest first, with its state."""
    rows = session.scalars(
        select(Decision)
        .where(Decision.action.in_(("control_request", "control_approve", "control_reject")))
        .order_by(Decision.id)
    ).all()
    decided = {
        int(json.loads(r.detail)["request"]): r for r in rows if r.action != "control_request"
    }
    out = []
    for r in rows:
        if r.action != "control_request":
            continue
        detail = json.loads(r.detail)
        verdict = decided.get(r.id)
        state = "pending" if verdict is None else _STATES[verdict.action]
        out.append(
            ControlRequest(
                r.id,
                detail["setting"],
                json.loads(detail["value"]),
                json.loads(detail["base"]),
                r.actor,
                r.reason,
                f"{r.at:%Y-%m-%d %H:%M:%S}",
                state,
                tuple(detail.get("changes", ())),
                None if verdict is None else verdict.actor,
            )
        )
    return out


def _current(session: Session, setting: str) -> Any:
    """What a request of ``setting`` is made against: four-eyes on/off, limits version."""
    if setting == "four_eyes":
        row = session.get(Setting, "four_eyes")
        return True if row is None else bool(json.loads(row.value))
    return int(approved_record(session)["version"])


def _checked_value(pms: PMS, session: Session, setting: str, value: Any) -> Any:
    """The requested value, validated (JSON-ready), or a one-line error."""
    if setting == "four_eyes":
        if not isinstance(value, bool):
            raise ControlError(f"four_eyes must be on or off, got {value!r}")
        if value == _current(session, setting):
            raise ControlError(f"four-eyes is already {'on' if value else 'off'}; no change")
        return value
    if not isinstance(value, RiskLimits):
        raise ControlError(f"a limits change needs RiskLimits, got {type(value).__name__}")
    if value == approved_limits(session, pms.limits_path).limits:
        raise ControlError("the requested limits equal the approved ones; no change")
    return json.loads(value.model_dump_json())


def _approved_plain(pms: PMS, session: Session) -> dict[str, Any]:
    plain: dict[str, Any] = json.loads(
        approved_limits(session, pms.limits_path).limits.model_dump_json()
    )
    return plain


def request_control(pms: PMS, setting: str, value: Any, *, actor: str, reason: str) -> int:
    """Record a request to change a control setting; returns its id (a journal id). A
    second, different user applies it with :func:`decide_control`."""
    who, why = normalize_user(actor), require_reason(reason, "a control change")
    if setting not in CONTROLS:
        raise ControlError(f"unknown control {setting!r}; controls: {', '.join(CONTROLS)}")
    with db.unit_of_work(pms.engine) as s:
        clash = [r for r in control_requests(s) if r.setting == setting and r.state == "pending"]
        if clash:
            raise ControlError(
                f"control change {clash[0].id} of {setting} is pending; approve or reject it first"
            )
        plain = _checked_value(pms, s, setting, value)
        base = _current(s, setting)
        old = base if setting == "four_eyes" else _approved_plain(pms, s)
        changes = describe_change(setting, old, plain)
        detail = {
            "setting": setting,
            "value": json.dumps(plain),
            "base": json.dumps(base),
            "changes": changes,
        }
        entry = Entry(who, "control_request", why, pms._today(), detail=detail)
        payload = {"setting": setting, "value": plain, "base": base, "changes": changes}
        row = record_audited(s, entry, payload | {"reason": why}, entity=("control", None))
        return row.id


def decide_control(
    pms: PMS, request_id: int, *, approve: bool, actor: str, reason: str = ""
) -> ControlRequest:
    """Approve (a user other than the requester; the setting must not have changed since
    the request) or reject a pending control change; returns it as decided."""
    who = normalize_user(actor)
    event = "control_approve" if approve else "control_reject"
    with db.unit_of_work(pms.engine) as s:
        found = [r for r in control_requests(s) if r.id == int(request_id)]
        if not found:
            raise ControlError(f"no control change {request_id}")
        req = found[0]
        if req.state != "pending":
            raise ControlError(
                f"control change {req.id} is already {req.state} by {req.decided_by}"
            )
        if approve and who == req.requested_by:
            raise ControlError(
                f"{who} requested control change {req.id} and cannot also approve it; "
                "a second, different user must"
            )
        if approve and _current(s, req.setting) != req.base:
            raise ControlError(
                f"{req.setting} changed since control change {req.id} was requested; "
                "reject it and request again"
            )
        payload: dict[str, Any] = {
            "request": req.id,
            "setting": req.setting,
            "value": req.value,
            "requested_by": req.requested_by,
            "request_reason": req.reason,
            "reason": reason,
        }
        detail = {"request": req.id, "setting": req.setting}
        row = record(s, Entry(who, event, reason or req.reason, pms._today(), detail=detail))
        payload["decision"] = row.id
        if approve:
            payload |= _apply(pms, s, req, who)
        audit.append(
            s, actor=who, action=event, entity="control", entity_id=req.id, payload=payload
        )
        state = "approved" if approve else "rejected"
        return ControlRequest(**{**req.__dict__, "state": state, "decided_by": who})


def _apply(pms: PMS, session: Session, req: ControlRequest, approver: str) -> dict[str, Any]:
    """Apply an approved change (inside the approval's transaction); returns what the
    audit record adds. The limits file is written last: if the write fails, nothing
    commits; if the commit fails, :meth:`PMS.restore_limits` rewrites the approved file."""
    if req.setting == "four_eyes":
        session.merge(Setting(key="four_eyes", value=json.dumps(bool(req.value))))
        return {"four_eyes": bool(req.value)}
    approved_limits(session, pms.limits_path)  # never replace a file edited by hand
    limits = RiskLimits(**req.value)
    version = int(req.base) + 1
    meta = {
        "changed_at": f"{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}",
        "requested_by": req.requested_by,
        "approved_by": approver,
        "reason": req.reason,
        "request": req.id,
    }
    text = limits_yaml(limits, version, meta)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    record = {"version": version, "sha256": sha, "text": text}
    session.merge(Setting(key="limits", value=json.dumps(record)))
    session.flush()
    write_limits(pms.limits_path, text)
    return {"version": version, "sha256": sha}


def restore_limits(pms: PMS, *, actor: str, reason: str) -> Path | None:
    """Rewrite the approved limits file (missing or edited by hand); the file found is
    kept beside it as ``limits.yaml.replaced-<sha8>``. None when it is already right."""
    who, why = normalize_user(actor), require_reason(reason, "restoring the limits file")
    path = pms.limits_path
    with db.unit_of_work(pms.engine) as s:
        record = approved_record(s)
        found = sha256_file(path) if path.exists() else None
        if found == record["sha256"]:
            return None
        kept = None
        if found is not None:
            kept = path.with_name(f"{path.name}.replaced-{found[:8]}")
            path.replace(kept)
        if record["version"]:
            write_limits(path, str(record["text"]))
        audit.append(
            s,
            actor=who,
            action="limits_restore",
            entity="control",
            entity_id="limits",
            payload={
                "version": record["version"],
                "reason": why,
                "kept": kept.name if kept else "",
            },
        )
    return path


# ---- the fund's settings -----------------------------------------------------------------
def fund_settings(engine: Engine) -> dict[str, Any]:
    """Fund settings (capital, four_eyes: on unless an approved change turned it off)."""
    with db.read_session(engine) as s:
        out = {row.key: json.loads(row.value) for row in s.scalars(select(Setting))}
    out.setdefault("capital", DEFAULT_CAPITAL)
    out.setdefault("four_eyes", True)
    out.pop("limits", None)  # the approved limits file: see PMS.limits()
    return out


def init_fund(
    pms: PMS, *, capital: float | None, four_eyes: bool | None, reason: str
) -> str | None:
    """Create or upgrade the schema and store the capital: see :meth:`PMS.init`."""
    before = db.current_revision(pms.engine)
    revision = db.upgrade(pms.engine)
    if four_eyes is not None and bool(four_eyes) != pms.settings()["four_eyes"]:
        require_reason(reason, "a control change")  # refuse before any write
    else:
        four_eyes = None
    restored = integrity.restore_triggers(pms.engine)  # dropped by hand: put back
    changes: dict[str, Any] = {}
    if capital is not None:
        changes["capital"] = check_size(capital, "capital")
    with db.unit_of_work(pms.engine) as s:
        stored = {row.key: row.value for row in s.scalars(select(Setting))}
        if "capital" not in stored and "capital" not in changes:
            changes["capital"] = DEFAULT_CAPITAL
        if "capital" in changes and "capital" in stored and last_mark_date(s) is not None:
            raise PMSError("capital cannot change after the first mark")
        changes = {k: v for k, v in changes.items() if stored.get(k) != json.dumps(v)}
        for key, value in changes.items():
            s.merge(Setting(key=key, value=json.dumps(value)))
        if changes or before != revision or restored:
            payload = {"schema": revision, "from_schema": before, "settings": changes}
            audit.append(
                s,
                actor=pms.actor,
                action="init",
                entity="settings",
                entity_id="fund",
                payload=payload | ({"triggers_restored": restored} if restored else {}),
            )
    if four_eyes is not None:
        pms.request_control("four_eyes", bool(four_eyes), reason=reason)
    return revision
