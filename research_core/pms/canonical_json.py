"""Canonical JSON of the PMS's records (audit log, proposals' impact, replays): one
module without the ORM, so a replay compares what it rebuilt without loading the
database's models."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pandas as pd

from research_core.errors import AuditError


def _plain(value: Any) -> Any:
    """JSON-ready value with numbers as strings and dates in ISO-8601."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AuditError(f"audit records cannot hold a non-finite number ({value!r})")
        return repr(value)
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    raise AuditError(f"audit records cannot hold {type(value).__name__} values")


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, compact separators, numbers as strings, UTF-8 text."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
