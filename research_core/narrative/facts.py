"""The Morning Pack's fact sheet: every number the pack may state, with where it came from.

A :class:`Fact` carries its value, unit, the decimals it is displayed with, the series (or
artifact) and the as-of date it came from. Text never formats numbers itself: it holds
placeholders (``{{di_1y.last}}``, ``{{dir:usdbrl.chg}}``) that :func:`render` fills from the
sheet, in English or Brazilian Portuguese number formats.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from research_core.errors import WorkbenchError

UNITS = ("", "%", "bp", "pp", "BRL mn", "date", "count")
LOCALES = ("en", "pt-BR")
PLACEHOLDER = re.compile(r"\{\{\s*(?:(dir|abs):)?([A-Za-z0-9_.]+)\s*\}\}")
MINUS = "−"  # typographic minus, also accepted as "-" by the checker

DIRECTION_WORDS = {
    "en": {1: "rose", -1: "fell", 0: "was unchanged"},
    "pt-BR": {1: "subiu", -1: "caiu", 0: "ficou estável"},
}
UNIT_TEXT = {
    "en": {"%": " %", "bp": " bp", "pp": " pp", "BRL mn": " BRL mn", "": "", "count": ""},
    "pt-BR": {"%": " %", "bp": " pb", "pp": " p.p.", "BRL mn": " R$ mi", "": "", "count": ""},
}

# the words (en, pt-BR) that say which of an entity's facts a number states
CUES: dict[str, tuple[str, ...]] = {
    "positions": ("positions", "position", "posições", "posição"),
    "gross": ("gross", "bruto", "bruta"),
    "net": ("net", "líquido", "líquida"),
    "vol": ("vol", "volatility", "volatilidade"),
    "breach": ("in breach", "breach", "breaches", "breached", "estourados", "estourado",
               "estouro", "estouros"),
    "warn": ("near", "warning", "warnings", "warn", "perto", "alerta", "alertas"),
    "day": ("yesterday", "daily", "on the day", "ontem", "no dia"),
    "mtd": ("MTD", "month-to-date", "this month", "no mês"),
    "ytd": ("YTD", "year-to-date", "this year", "no ano"),
    "stale": ("stale", "late", "atrasadas", "atrasada", "atrasados", "atrasado"),
    "findings": ("findings", "finding", "achados", "achado"),
    "shift": ("previous", "anterior", "shift", "change", "variação"),
}  # fmt: skip


class FactError(WorkbenchError, KeyError):
    """A placeholder names no fact, or a fact is malformed."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Fact:
    """One number of the pack. ``kind`` is "level" or "change" (changes show their sign);
    ``entity`` is how the text names the thing (its aliases help the checker find it);
    ``cues`` are the words that say which of the entity's facts a number is (``gross``,
    ``net``, ``MTD``...), so the checker binds a number to its fact, not just its entity."""

    id: str
    entity: str
    value: float
    unit: str
    decimals: int
    series: str
    as_of: str
    kind: str = "level"
    label: str = ""
    aliases: tuple[str, ...] = field(default=())
    cues: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise FactError(f"fact {self.id}: unit {self.unit!r} not in {UNITS}")
        if not math.isfinite(self.value):
            raise FactError(f"fact {self.id}: value {self.value} is not finite")

    @property
    def direction(self) -> int:
        shown = round(self.value, self.decimals)
        return 0 if shown == 0 else (1 if shown > 0 else -1)

    def display(self, locale: str = "en", *, absolute: bool = False) -> str:
        """The value as the pack shows it (sign for changes, unit, locale separators)."""
        if self.unit == "date":
            return format_date(self.value, locale)
        value = abs(self.value) if absolute else self.value
        text = format_number(
            value, self.decimals, locale, signed=self.kind == "change" and not absolute
        )
        return text + UNIT_TEXT[locale][self.unit]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["aliases"] = list(self.aliases)
        d["cues"] = list(self.cues)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fact:
        tuples = {k: tuple(data.get(k, ())) for k in ("aliases", "cues")}
        return cls(**{**data, **tuples})


def format_number(value: float, decimals: int, locale: str = "en", *, signed: bool = False) -> str:
    """``1234.5`` → ``1,234.50`` (en) or ``1.234,50`` (pt-BR); changes get ``+``/``−``."""
    rounded = round(value, decimals)
    if rounded == 0:
        rounded = 0.0  # no "−0.00"
    text = f"{abs(rounded):,.{decimals}f}"
    if locale == "pt-BR":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    sign = MINUS if rounded < 0 else ("+" if signed and rounded > 0 else "")
    return sign + text


def date_value(date: str) -> float:
    """A date fact's value: days since 1970-01-01 (so dates compare as numbers)."""
    import pandas as pd

    return float((pd.Timestamp(date) - pd.Timestamp("1970-01-01")).days)


def format_date(value: float, locale: str = "en") -> str:
    import pandas as pd

    day = pd.Timestamp("1970-01-01") + pd.Timedelta(days=int(value))
    return f"{day:%Y-%m-%d}" if locale == "en" else f"{day:%d/%m/%Y}"


@dataclass(frozen=True)
class FactSheet:
    """The facts of one pack, by id, in the order they were added."""

    as_of: str
    facts: tuple[Fact, ...]
    locale: str = "en"

    def __post_init__(self) -> None:
        ids = [f.id for f in self.facts]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise FactError(f"duplicate fact ids {dup}")
        if self.locale not in LOCALES:
            raise FactError(f"locale {self.locale!r} not in {LOCALES}")

    def __len__(self) -> int:
        return len(self.facts)

    @cached_property
    def _by_id(self) -> dict[str, Fact]:
        return {f.id: f for f in self.facts}  # ids are unique (checked above)

    def __getitem__(self, fact_id: str) -> Fact:
        if fact_id not in self:
            raise FactError(f"no fact {fact_id!r} in the sheet")
        return self._by_id[fact_id]

    def __contains__(self, fact_id: object) -> bool:
        return isinstance(fact_id, str) and fact_id in self._by_id

    def ids(self) -> list[str]:
        return [f.id for f in self.facts]

    def with_locale(self, locale: str) -> FactSheet:
        return FactSheet(self.as_of, self.facts, locale)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "locale": self.locale,
            "facts": [{**f.to_dict(), "display": f.display(self.locale)} for f in self.facts],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FactSheet:
        facts = tuple(
            Fact.from_dict({k: v for k, v in f.items() if k != "display"}) for f in data["facts"]
        )
        return cls(data["as_of"], facts, data.get("locale", "en"))


@dataclass(frozen=True)
class Span:
    """Where a placeholder's rendering sits in the text (for tests and mutations)."""

    fact_id: str
    start: int
    end: int
    what: str  # "value", "abs" or "dir"


def render(template: str, sheet: FactSheet) -> tuple[str, list[Span]]:
    """Fill ``{{id}}``, ``{{abs:id}}`` (no sign) and ``{{dir:id}}`` (direction word)."""
    out: list[str] = []
    spans: list[Span] = []
    pos = 0
    length = 0
    for m in PLACEHOLDER.finditer(template):
        chunk = template[pos : m.start()]
        out.append(chunk)
        length += len(chunk)
        what, fid = m.group(1) or "value", m.group(2)
        if fid not in sheet:
            raise FactError(f"placeholder {m.group(0)} names no fact in the sheet")
        fact = sheet[fid]
        if what == "dir":
            text = DIRECTION_WORDS[sheet.locale][fact.direction]
        else:
            text = fact.display(sheet.locale, absolute=what == "abs")
        spans.append(Span(fid, length, length + len(text), what))
        out.append(text)
        length += len(text)
        pos = m.end()
    out.append(template[pos:])
    return "".join(out), spans


def placeholders(template: str) -> list[str]:
    """Fact ids a template cites."""
    return [m.group(2) for m in PLACEHOLDER.finditer(template)]


def by_entity(facts: Iterable[Fact]) -> dict[str, list[Fact]]:
    out: dict[str, list[Fact]] = {}
    for f in facts:
        out.setdefault(f.entity, []).append(f)
    return out


def entity_names(facts: Sequence[Fact]) -> dict[str, str]:
    """Every name (entity and alias) → the entity it stands for."""
    names: dict[str, str] = {}
    for f in facts:
        names[f.entity] = f.entity
        for a in f.aliases:
            names[a] = f.entity
    return names
