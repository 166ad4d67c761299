"""The series a researcher registers in one lake: an append-only JSON-lines log.

Each line of ``_series.jsonl`` is one event, ``{"register": {spec}}`` or
``{"unregister": "ID"}``, appended under the writer lock and fsynced. The log is read
incrementally (only the bytes added since the last read), so registering n series costs
O(n) in total, not O(n^2) as rewriting a manifest listing them all did. Series registered
in the manifest by older lakes (``"series"``) are still honoured.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from research_core._files import append_lines
from research_core.catalog import SeriesSpec
from research_core.errors import CatalogError, LakeError

REGISTRY = "_series.jsonl"
_KINDS = ("observation", "expectation")


class SeriesRegistry:
    """Registered series specs (raw dicts) of the lake at ``root``."""

    def __init__(self, root: Path) -> None:
        self._path = root / REGISTRY
        self._inode = -1
        self._offset = 0
        self._raw: dict[str, dict[str, Any]] = {}
        self._removed: set[str] = set()

    def raw(self, legacy: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Every registered spec: the manifest's older ``legacy`` ones, then the log's."""
        self._refresh()
        out = {k: v for k, v in legacy.items() if k not in self._removed}
        out.update(self._raw)
        return out

    @property
    def size(self) -> int:
        """Bytes of the log read so far (changes with every event)."""
        self._refresh()
        return self._offset

    def _refresh(self) -> None:
        try:
            fh = self._path.open("rb")
        except FileNotFoundError:
            return
        with fh:
            st = os.fstat(fh.fileno())
            if st.st_ino != self._inode or st.st_size < self._offset:
                self._inode, self._offset, self._raw, self._removed = st.st_ino, 0, {}, set()
            fh.seek(self._offset)
            data = fh.read()
        done = data[: data.rfind(b"\n") + 1]  # a torn last line of a killed writer: unread
        for n, line in enumerate(done.splitlines()):
            try:
                event = json.loads(line)
                if "unregister" in event:
                    sid = str(event["unregister"])
                    self._raw.pop(sid, None)
                    self._removed.add(sid)
                else:
                    spec = dict(event["register"])
                    self._raw[str(spec["id"])] = spec
                    self._removed.discard(str(spec["id"]))
            except (ValueError, KeyError, TypeError) as err:
                raise LakeError(
                    f"series registry {self._path} is corrupt near event {n + 1} after byte "
                    f"{self._offset}: {err}"
                ) from err
        self._offset += len(done)

    def append(self, event: dict[str, Any]) -> None:
        """Add one event (call under the writer lock); a torn line left by a killed
        writer, never acknowledged, is cut off first."""
        line = (json.dumps(event, sort_keys=True, separators=(",", ":")) + "\n").encode()
        append_lines(self._path, line)


def validate_spec(raw: dict[str, Any], *, where: str) -> SeriesSpec:
    """A series spec checked like the catalog's, plus its kind and a working release rule."""
    spec = SeriesSpec.from_dict(raw, where=where)
    if spec.kind not in _KINDS:
        raise CatalogError(f"{where}: series {spec.id!r} kind {spec.kind!r} not in {_KINDS}")
    if not isinstance(spec.release, dict) or not spec.release:
        raise CatalogError(
            f"{where}: series {spec.id!r} release must be a rule mapping such as "
            "{'rule': 'close', 'time': '18:00', 'tz': 'America/Sao_Paulo'}, "
            f"got {spec.release!r}"
        )
    try:
        spec.release_times(pd.DatetimeIndex(["2024-01-01"]))
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise CatalogError(f"{where}: series {spec.id!r} release rule is invalid: {err}") from err
    return spec
