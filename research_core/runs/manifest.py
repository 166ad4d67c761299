"""The run's manifest as a typed, frozen record (``manifest.json`` as the runner writes it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from research_core.errors import WorkbenchError

STATUSES = ("running", "succeeded", "failed")


class ManifestError(WorkbenchError, ValueError):
    """A manifest file that cannot be read as a run's manifest; says which and why."""


def _frozen(value: Any) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class Manifest:
    """What one run did: its date, status and version, each step's record (name, status,
    times, attempts, artifacts with their SHA-256, error), the failure, the freshness
    gate's verdict, the parameters, the lake and code fingerprints."""

    as_of: str
    status: str
    version: int = 1
    steps: tuple[Mapping[str, Any], ...] = ()
    error: Mapping[str, Any] | None = None
    revision: Mapping[str, Any] | None = None
    stale: bool = False
    parameters: Mapping[str, Any] = field(default_factory=lambda: _frozen({}))
    lake: Mapping[str, Any] | None = None
    code: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] = field(default_factory=lambda: _frozen({}), repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """The manifest of a decoded ``manifest.json``; ManifestError if it is not one."""
        try:
            status = str(data["status"])
            steps = tuple(_frozen(s) for s in data.get("steps") or ())
            return cls(
                as_of=str(data["as_of"]),
                status=status,
                version=int(data.get("version", 1)),
                steps=steps,
                error=_frozen(data["error"]) if data.get("error") else None,
                revision=_frozen(data["revision"]) if data.get("revision") else None,
                stale=bool(data.get("stale", False)),
                parameters=_frozen(data.get("parameters")),
                lake=_frozen(data["lake"]) if data.get("lake") else None,
                code=_frozen(data["code"]) if isinstance(data.get("code"), Mapping) else None,
                raw=_frozen(data),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ManifestError(f"not a run manifest ({type(err).__name__}: {err})") from err

    @classmethod
    def read(cls, path: str | Path) -> Manifest:
        """Read ``manifest.json`` at ``path``."""
        try:
            data = json.loads(Path(path).read_text("utf-8"))
        except (OSError, ValueError) as err:
            raise ManifestError(f"cannot read the manifest {path} ({type(err).__name__})") from err
        if not isinstance(data, Mapping):
            raise ManifestError(f"the manifest {path} is not a JSON object")
        try:
            return cls.from_dict(data)
        except ManifestError as err:
            raise ManifestError(f"{path}: {err}") from err

    def step(self, name: str) -> Mapping[str, Any] | None:
        """One step's record, or None when the run has no such step."""
        return next((s for s in self.steps if s.get("name") == name), None)
