"""Where alerts go and when: ``alerts.yaml`` beside the PMS database (like ``limits.yaml``),
or the file ``WORKBENCH_ALERTS_PATH`` names. No file: alerts are stored and shown, not sent.

```yaml
escalate_after_minutes: 60        # not acknowledged by then: re-sent to the escalation targets
email:                            # SMTP (stdlib smtplib)
  host: smtp.fund.example
  port: 587
  starttls: true
  username: workbench
  password_env: WORKBENCH_ALERTS_SMTP_PASSWORD   # the password itself only in the environment
  sender: workbench@fund.example
  to: [pm@fund.example]
  escalate_to: [cio@fund.example]
webhook:                          # JSON POST (httpx)
  url_env: WORKBENCH_ALERTS_WEBHOOK_URL          # or url: ... (a URL with a token: use url_env)
  escalate_url_env: WORKBENCH_ALERTS_ESCALATION_URL
  timeout_s: 5
thresholds:
  late_fraction: 0.8              # a step that used this share of its deadline is late
  quality: {jump: 5, gap: 10, crosscheck: 1, duplicate: 1}   # findings of a check above N
```

Secrets (the SMTP password, webhook URLs) are read from the environment, registered with
``research_core._secrets`` so no log line or error shows them, and never printed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from research_core._secrets import register_secret
from research_core.errors import PMSError

ALERTS_FILE = "alerts.yaml"
ENV_PATH = "WORKBENCH_ALERTS_PATH"


class AlertsError(PMSError):
    """An alerts file, an alert id or an acknowledgement is not as expected."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EmailChannel(_Strict):
    host: str
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None
    sender: str
    to: tuple[str, ...] = Field(min_length=1)
    escalate_to: tuple[str, ...] = ()
    timeout_s: float = Field(default=10.0, gt=0)

    def password(self) -> str | None:
        value = os.environ.get(self.password_env) if self.password_env else None
        register_secret(value)
        return value


class WebhookChannel(_Strict):
    url: str | None = None
    url_env: str | None = None
    escalate_url: str | None = None
    escalate_url_env: str | None = None
    timeout_s: float = Field(default=5.0, gt=0)

    def target(self, purpose: str) -> str | None:
        """The URL for ``purpose`` ("alert" or "escalation"), from the file or the env."""
        plain, env = (
            (self.url, self.url_env)
            if purpose == "alert"
            else (self.escalate_url, self.escalate_url_env)
        )
        value = os.environ.get(env) if env else plain
        register_secret(value)
        return value or None


class Thresholds(_Strict):
    late_fraction: float = Field(default=0.8, gt=0, le=1)
    quality: dict[str, int] = Field(
        default_factory=lambda: {"jump": 5, "gap": 10, "crosscheck": 1, "duplicate": 1}
    )


class AlertsConfig(_Strict):
    escalate_after_minutes: float = Field(default=60.0, gt=0)
    email: EmailChannel | None = None
    webhook: WebhookChannel | None = None
    thresholds: Thresholds = Field(default_factory=Thresholds)

    def channels(self) -> tuple[str, ...]:
        """The configured channels, by name."""
        return tuple(n for n in ("email", "webhook") if getattr(self, n) is not None)


def alerts_path(db_url: str | None = None) -> Path:
    """``WORKBENCH_ALERTS_PATH``, else ``alerts.yaml`` beside the limits file (which sits
    beside a SQLite database; ``WORKBENCH_LIMITS_PATH``'s folder with PostgreSQL)."""
    from research_core.risk.limits import limits_path

    env = os.environ.get(ENV_PATH, "").strip()
    return Path(env) if env else limits_path(db_url).parent / ALERTS_FILE


def load_config(path: str | Path | None = None, *, db_url: str | None = None) -> AlertsConfig:
    """The alerts configuration (defaults, no channel, when the file does not exist)."""
    file = Path(path) if path is not None else alerts_path(db_url)
    if not file.exists():
        return AlertsConfig()
    try:
        raw: Any = yaml.safe_load(file.read_text("utf-8")) or {}
        return AlertsConfig.model_validate(raw)
    except (yaml.YAMLError, ValidationError, OSError) as err:
        first = str(err).strip().splitlines()
        detail = "; ".join(first[:3]) if first else type(err).__name__
        raise AlertsError(f"alerts file {file}: {detail}") from err
