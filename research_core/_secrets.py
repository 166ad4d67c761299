"""Secrets never reach a log line or an error message.

A log-record factory (installed by the entry points and by :func:`register_secret`,
never on import; idempotent) masks, in every record any logger
creates at any level — httpx logs request URLs at INFO, httpcore response headers at
DEBUG — and in its exception text: every registered secret, raw or URL-encoded, and any
secret-named query parameter (``api_key=...``). :func:`redact` does the same for error
messages, :func:`public_url` and :func:`safe_url` for a URL shown in one (the one home of
URL redaction). Connectors register their API keys; the CLI registers the config's secrets.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

from pydantic import SecretStr

# A query parameter named like a secret, in any text (``api_key=...`` up to the next & or
# space or quote), and every registered secret value in each spelling a URL or a log may
# give it: raw, percent-encoded (either hex case), form-encoded (+ for space), twice encoded.
_SECRET_QUERY = re.compile(
    r"(?i)(?<![\w.-])((?:api_?key|apikey|token|key|access_token|registrationkey)=)"
    r"(?!\*\*\*)[^&\s\"'<>]+"
)
_secrets: dict[str, re.Pattern[str]] = {}
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Mask ``value`` (raw or URL-encoded) in every later log record and error message.

    Connectors register their API keys; :func:`register_settings_secrets` the config's.
    Values shorter than 4 characters are ignored (masking them would garble text). Installs
    the log redaction too (every connector calls this, with or without a key).
    """
    install_log_redaction()
    if not value or len(value) < 4 or value in _secrets:
        return
    forms = {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        quote(quote(value, safe=""), safe=""),
    }  # quote_plus is also how httpx encodes query parameters
    alternatives = sorted(forms, key=len, reverse=True)
    body = "|".join(re.sub(r"%[0-9A-Fa-f]{2}", _any_case, re.escape(f)) for f in alternatives)
    with _secrets_lock:
        _secrets[value] = re.compile(body)


def register_settings_secrets(settings: Any) -> None:
    """Register every ``SecretStr`` field of ``settings`` (and a URL's password alone)."""
    for _, field in settings:
        if isinstance(field, SecretStr):
            secret = field.get_secret_value()
            register_secret(secret)
            register_secret(urlsplit(secret).password if "://" in secret else None)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret (registered, or given) and every secret-named query
    parameter replaced by ``***``, whatever its URL encoding."""
    for secret in secrets:
        register_secret(secret)
    for pattern in list(_secrets.values()):
        text = pattern.sub("***", text)
    return _SECRET_QUERY.sub(r"\1***", text)


def public_url(url: object) -> str:
    """``url`` (a string or an httpx URL) with every secret-named query parameter
    (``api_key=...``) masked, safe to show and log."""
    return _SECRET_QUERY.sub(r"\1***", str(url))


def safe_url(url: object) -> str:
    """A database URL (a string or SQLAlchemy's) with its password masked, for messages;
    ``<unparseable URL>`` when it is not one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)  # type: ignore[arg-type]
    except ArgumentError:
        return "<unparseable URL>"


def _any_case(match: re.Match[str]) -> str:
    return "(?i:" + match.group(0) + ")"


def _redacting_factory(base: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):  # malformed: logging reports it as usual
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    make.redacts = True  # type: ignore[attr-defined]
    return make


def install_log_redaction() -> None:
    """Mask secrets in every log record this process creates, at any level and from any
    logger (httpx logs request URLs at INFO, httpcore headers at DEBUG). Idempotent."""
    base = logging.getLogRecordFactory()
    if not getattr(base, "redacts", False):
        logging.setLogRecordFactory(_redacting_factory(base))
