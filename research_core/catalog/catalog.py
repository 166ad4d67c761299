"""Load and validate ``series.yaml`` and ``instruments.yaml`` into frozen specs."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from research_core.calendars import COUNTRY_TZ, decision_release_times, release_ns, release_times
from research_core.errors import CatalogError

FREQUENCIES = ("D", "W", "M", "Q", "A")
COUNTRIES = ("BR", "US", "GLOBAL")
_SERIES_FIELDS = ("id", "name", "source", "code", "frequency", "units", "country", "category")


@dataclass(frozen=True)
class SeriesSpec:
    """One catalog series: where it comes from and when its values become public."""

    id: str
    name: str
    source: str
    code: str
    frequency: str
    units: str
    country: str
    category: str
    release: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    revisable: bool = False
    kind: Literal["observation", "expectation"] = "observation"
    fallback: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def tz(self) -> str:
        """Local time zone of the series' country (where its periods start)."""
        return COUNTRY_TZ[self.country]

    def release_times(self, obs_dates: Any) -> pd.DatetimeIndex:
        """UTC release times of ``obs_dates`` under this series' release rule."""
        if not self.release:
            raise CatalogError(f"series {self.id!r} has no release rule")
        if self.release.get("rule") == "decision":
            rule = self.release
            changes = policy_announcements(rule["meetings"])
            return decision_release_times(obs_dates, changes, rule["tz"])
        return release_times(obs_dates, self.frequency, self.release)

    def release_time(self, obs_date: pd.Timestamp) -> pd.Timestamp:
        """``release_times([obs_date])[0]`` for a naive date, without building an index
        (a staleness check asks for one period's release per series and date)."""
        if not self.release or self.release.get("rule") == "decision" or obs_date.tz:
            return self.release_times(pd.DatetimeIndex([obs_date]))[0]
        day = np.array([obs_date.asm8.astype("datetime64[D]").astype(np.int64)])
        return pd.Timestamp(int(release_ns(day, self.frequency, self.release)[0]), tz="UTC")

    def pending_periods(self, instants: Any) -> pd.DatetimeIndex:
        """The period (obs_date) each UTC instant waits for: the first not yet released.

        Monthly and quarterly series only (the periods macro releases are about); a
        consensus or a model forecast made at an instant is about this period.
        """
        if self.frequency not in ("M", "Q"):
            raise CatalogError(f"series {self.id!r}: pending periods need M or Q, not D/W/A")
        when = pd.DatetimeIndex(pd.to_datetime(instants, utc=True))
        step = 1 if self.frequency == "M" else 3
        base = when.tz_convert(self.tz).tz_localize(None).to_period("M").to_timestamp()
        base = base - pd.DateOffset(months=4 * step)
        if self.frequency == "Q":
            base = base.to_period("Q").to_timestamp()
        out = pd.Series(pd.NaT, index=range(len(when)), dtype="datetime64[ns]")
        for k in range(8):  # releases lag their period by less than 4 periods
            cand = pd.DatetimeIndex(base + pd.DateOffset(months=k * step))
            released = self.release_times(cand)
            hit = out.isna().to_numpy() & (released > when)
            out[hit] = cand[hit]
        return pd.DatetimeIndex(out)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], *, where: str = "catalog") -> SeriesSpec:
        """Validate one raw entry; errors name the entry and the field."""
        sid = raw.get("id", "<missing id>")
        missing = [f for f in _SERIES_FIELDS if not raw.get(f)]
        if missing:
            raise CatalogError(f"{where}: series {sid!r} lacks {', '.join(missing)}")
        if raw["frequency"] not in FREQUENCIES:
            raise CatalogError(
                f"{where}: series {sid!r} frequency {raw['frequency']!r} not in {FREQUENCIES}"
            )
        if raw["country"] not in COUNTRIES:
            raise CatalogError(
                f"{where}: series {sid!r} country {raw['country']!r} not in {COUNTRIES}"
            )
        known = {f.name for f in cls.__dataclass_fields__.values()}
        unknown = set(raw) - known
        if unknown:
            raise CatalogError(f"{where}: series {sid!r} has unknown fields {sorted(unknown)}")
        fallback = raw.get("fallback") or {}
        if fallback and (set(fallback) != {"source", "code"} or not all(fallback.values())):
            raise CatalogError(
                f"{where}: series {sid!r} fallback must be {{source, code}}, got {fallback}"
            )
        fields: dict[str, Any] = {k: (str(v) if k == "code" else v) for k, v in raw.items()}
        fields["fallback"] = {k: str(v) for k, v in fallback.items()}
        return cls(**fields)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for the lake's registry of researcher series)."""
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


@dataclass(frozen=True)
class Instrument:
    """A tradable instrument and the specs P&L needs."""

    id: str
    name: str
    asset_class: str
    currency: str
    price_series: str
    quote: str
    multiplier: float
    tenor_years: float
    dv01_convention: str
    tick: float
    cost_bps: float
    adv_contracts: float
    calendar: str
    # listed futures: the exchange's contract spec the multiplier comes from (sizes are
    # rounded to whole contracts of it); "" for instruments traded in notional (OTC, bonds)
    contract: str = ""


@lru_cache(maxsize=4)
def policy_decisions(meetings: str) -> pd.DatetimeIndex:
    """Announcement instants (UTC) of a central bank's rate decisions ("copom", "fomc"),
    from ``policy_meetings.yaml``: decision day at the list's ``time``, or the time given
    with the date."""
    return _meeting_stamps(meetings, "decisions")


@lru_cache(maxsize=4)
def policy_announcements(meetings: str) -> pd.DatetimeIndex:
    """Every instant (UTC) the target became public: the decisions, plus the changes made
    between meetings (``between_meetings``, e.g. the Copom's 1999-2000 "viés"), sorted.
    The release rule of a policy-rate target; one per local day."""
    decided, between = (_meeting_stamps(meetings, k) for k in ("decisions", "between_meetings"))
    out = pd.DatetimeIndex(decided.append(between)).sort_values()
    if out.tz_convert(_meeting_calendar(meetings)["tz"]).normalize().has_duplicates:
        raise CatalogError(f"policy_meetings.yaml: {meetings} lists two changes on one day")
    return out


def _meeting_calendar(meetings: str) -> dict[str, Any]:
    data = _load_yaml("policy_meetings.yaml")
    if meetings not in data:
        raise CatalogError(f"unknown meeting calendar {meetings!r}; valid: {sorted(data)}")
    return dict(data[meetings])


def _meeting_stamps(meetings: str, key: str) -> pd.DatetimeIndex:
    """The instants of one list of a meeting calendar (lists grouped by year)."""
    cal = _meeting_calendar(meetings)
    default = str(cal["time"])
    stamps = []
    for year in cal.get(key, []):
        for entry in year:
            text = str(entry)
            stamps.append(pd.Timestamp(text if " " in text else f"{text} {default}"))
    local = pd.DatetimeIndex(stamps).sort_values()
    if local.has_duplicates:
        raise CatalogError(f"policy_meetings.yaml: {meetings} lists a date twice in {key}")
    return local.tz_localize(cal["tz"]).tz_convert("UTC")


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=4)
def _load_yaml(name: str) -> dict[str, Any]:
    """A shipped catalog file, parsed once per process (shared: read, never changed)."""
    text = resources.files("research_core.catalog").joinpath(name).read_text("utf-8")
    data = yaml.load(text, Loader=_YAML_LOADER)  # libyaml: 10x faster than pure Python
    if not isinstance(data, dict):
        raise CatalogError(f"{name} must be a mapping")
    return data


@lru_cache(maxsize=1)
def series_catalog() -> dict[str, SeriesSpec]:
    """The shipped series catalog, keyed by id (read once)."""
    out: dict[str, SeriesSpec] = {}
    for raw in _load_yaml("series.yaml")["series"]:
        spec = SeriesSpec.from_dict(raw, where="series.yaml")
        if spec.id in out:
            raise CatalogError(f"series.yaml: duplicate series id {spec.id!r}")
        out[spec.id] = spec
    return out


@lru_cache(maxsize=1)
def _publishers() -> tuple[tuple[dict[str, Any], str], ...]:
    data = _load_yaml("series.yaml")
    names = data.get("publishers", {})
    return tuple((rule, str(names[name])) for name, rule in data["rules"].items() if name in names)


def release_publisher(spec: SeriesSpec) -> str:
    """Who publishes ``spec``'s releases (``publishers`` in series.yaml, matched by its
    release rule); the source name when the rule has none."""
    for rule, name in _publishers():
        if rule == spec.release:
            return name
    return spec.source


@dataclass(frozen=True)
class CrossCheck:
    """Two series that carry the same thing; deviations beyond ``tolerance`` are reported.

    Both are compared on common periods of ``frequency`` (period means), in ``units``.
    """

    a: str
    b: str
    tolerance: float
    frequency: str = "D"
    units: str = ""


@lru_cache(maxsize=1)
def crosschecks() -> tuple[CrossCheck, ...]:
    """The shipped cross-source checks; both sides must be catalog series."""
    cat = series_catalog()
    out = []
    for raw in _load_yaml("series.yaml").get("crosschecks", []):
        try:
            check = CrossCheck(**raw)
        except TypeError as err:
            raise CatalogError(f"series.yaml: bad crosscheck {raw}: {err}") from err
        missing = [s for s in (check.a, check.b) if s not in cat]
        if missing or check.frequency not in FREQUENCIES:
            raise CatalogError(f"series.yaml: crosscheck {raw} names unknown series {missing}")
        out.append(check)
    return tuple(out)


def series(series_id: str) -> SeriesSpec:
    """One shipped series spec; an unknown id lists close matches."""
    cat = series_catalog()
    try:
        return cat[series_id]
    except KeyError:
        prefix = series_id.split(".")[0]
        near = [s for s in cat if s.startswith(prefix)][:8]
        raise CatalogError(f"unknown series {series_id!r}; similar ids: {near}") from None


@lru_cache(maxsize=1)
def instruments() -> dict[str, Instrument]:
    """The shipped instruments, keyed by id; each ``price_series`` must be in the catalog."""
    cat = series_catalog()
    out: dict[str, Instrument] = {}
    for raw in _load_yaml("instruments.yaml")["instruments"]:
        try:
            inst = Instrument(**raw)
        except TypeError as err:
            raise CatalogError(f"instruments.yaml: bad entry {raw.get('id')!r}: {err}") from err
        if inst.price_series not in cat:
            raise CatalogError(
                f"instruments.yaml: {inst.id!r} price_series {inst.price_series!r} not in catalog"
            )
        out[inst.id] = inst
    return out


def instrument(instrument_id: str) -> Instrument:
    """One instrument; an unknown id lists the valid ones."""
    inst = instruments()
    if instrument_id not in inst:
        raise CatalogError(f"unknown instrument {instrument_id!r}; valid: {sorted(inst)}")
    return inst[instrument_id]
