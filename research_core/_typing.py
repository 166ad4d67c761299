"""Shared type aliases, and the one way a keyword overrides an options object."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from typing import Any, Literal, TypeAlias, TypeVar

import pandas as pd

AsOf: TypeAlias = str | dt.date | dt.datetime | pd.Timestamp
SeriesId: TypeAlias = str
SeriesIds: TypeAlias = SeriesId | Iterable[SeriesId]
Frequency: TypeAlias = Literal["D", "W", "M", "Q", "A"]
Country: TypeAlias = Literal["BR", "US", "GLOBAL"]
_O = TypeVar("_O")


def with_overrides(options: _O, overrides: Mapping[str, object], error: type[Exception]) -> _O:
    """``options`` (a frozen dataclass) with the fields a caller gave by keyword, so a long
    parameter list can live in one options object while callers keep their keywords; an
    unknown keyword raises ``error`` naming it and the known ones."""
    known = [f.name for f in fields(options)]  # type: ignore[arg-type]
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise error(f"unknown option {unknown[0]!r}; options: {', '.join(known)}")
    return replace(options, **overrides)  # type: ignore[type-var]


def shared_fields(source: object, target: type) -> dict[str, Any]:
    """The fields of the dataclass ``source`` that the dataclass ``target`` also declares,
    by name: one options object handed on to the part that takes a subset of it."""
    names = {f.name for f in fields(target)}
    return {f.name: getattr(source, f.name) for f in fields(source) if f.name in names}  # type: ignore[arg-type]
