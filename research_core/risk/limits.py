"""Risk limits: what the book uses of each, and whether it is within, near or over it.

Exposures are measured per unit of NAV from today's weights and quotes: DV01 in basis
points of NAV per basis point, per curve (DI1, NTN-B, UST) and tenor bucket; FX delta is
the net long-USD notional against BRL; days to exit is the largest position in contracts
over the share of average daily volume one may trade per day.

The numbers come from one place, the fund's limits file (``limits.yaml`` beside the PMS
database, :func:`limits_path`; the defaults below while there is none): the risk report,
construction, the book backtest, the pages and the PMS approval gate all read it through
:func:`current_limits` / :func:`read_limits`. The PMS changes it only through an approved
control change (``workbench limits set`` then ``workbench pms approve-control`` by another
user), audited with who and why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from research_core import ntnb
from research_core.catalog import instrument
from research_core.config import absolute_sqlite, get_settings
from research_core.errors import LimitsError
from research_core.lake.pit import PITView
from research_core.pnl import USDBRL, contract_notional, duration, last_quote
from research_core.risk.breakers import DrawdownLadder

CURVES = {"DI1": "BRL nominal (DI1)", "NTNB": "BRL real (NTN-B)", "UST": "USD (UST)"}
BUCKETS = ((2.0, "≤2y"), (5.0, "2–5y"), (np.inf, ">5y"))


CAPS = (
    "var_99",
    "es_99",
    "gross_leverage",
    "net_leverage",
    "position",
    "asset_class",
    "dv01_bucket",
    "fx_delta",
    "drawdown",
    "days_to_exit",
)
"""The limits on the book (rows of :func:`limit_table`); the other fields are parameters."""
SOFT_DEFAULT = ("days_to_exit", "es_99")
TICKETS = ("max_ticket", "min_ticket", "min_contracts")
"""The bounds on one trade (not on the book): a typo above, too small to propose below."""
# how a person reads each field: (unit, scale from the stored number)
UNITS: dict[str, tuple[str, float]] = {
    "var_99": ("% of NAV", 100.0),
    "es_99": ("% of NAV", 100.0),
    "drawdown": ("% of NAV", 100.0),
    "gross_leverage": ("× NAV", 1.0),
    "net_leverage": ("× NAV", 1.0),
    "position": ("× NAV", 1.0),
    "asset_class": ("× NAV", 1.0),
    "fx_delta": ("× NAV", 1.0),
    "max_ticket": ("× NAV", 1.0),
    "min_ticket": ("BRL mn", 1.0),
    "min_contracts": ("contracts", 1.0),
    "dv01_bucket": ("bp of NAV per bp", 1.0),
    "days_to_exit": ("days", 1.0),
    "participation": ("% of ADV", 100.0),
    "warn_at": ("% of the cap", 100.0),
}


class RiskLimits(BaseModel):
    """Limits as fractions of NAV unless named otherwise; ``warn_at`` is the utilization
    at which a limit turns amber. A cap in ``soft`` only warns when breached; every other
    cap is hard (approving past it needs an override). ``max_ticket`` bounds one trade:
    a notional above it is refused as a typo. ``min_ticket`` (BRL mn of notional, for
    instruments traded in notional: NDF, CDS, NTN-B) and ``min_contracts`` (listed
    futures) are the smallest trades the book proposes; smaller ones are dropped and the
    package says which (``pms.package.ticket_floor``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    var_99: float = Field(default=0.020, gt=0, description="1-day 99% historical VaR")
    es_99: float = Field(default=0.030, gt=0, description="1-day 99% historical ES")
    gross_leverage: float = Field(default=8.0, gt=0, description="Σ|notional| / NAV")
    net_leverage: float = Field(default=4.0, gt=0, description="|Σ notional| / NAV")
    position: float = Field(default=2.0, gt=0, description="|notional| of one instrument / NAV")
    asset_class: float = Field(
        default=4.0, gt=0, description="Σ|notional| in one asset class / NAV"
    )
    dv01_bucket: float = Field(default=5.0, gt=0, description="|DV01| per bucket, bp NAV/bp")
    fx_delta: float = Field(default=1.0, gt=0, description="|net long USD vs BRL| / NAV")
    drawdown: float = Field(default=0.15, gt=0, description="drawdown from the high-water mark")
    days_to_exit: float = Field(default=5.0, gt=0, description="days to exit the largest position")
    participation: float = Field(
        default=0.2, gt=0, le=1, description="share of ADV tradable per day"
    )
    warn_at: float = Field(default=0.8, gt=0, lt=1)
    max_ticket: float = Field(default=10.0, gt=0, description="largest trade notional / NAV")
    min_ticket: float = Field(
        default=0.5, ge=0, description="smallest trade proposed (OTC, bonds), BRL mn notional"
    )
    min_contracts: float = Field(
        default=1.0, ge=1, description="smallest listed-future trade proposed, contracts"
    )
    soft: tuple[str, ...] = Field(default=SOFT_DEFAULT, description="caps that only warn")

    @field_validator("soft")
    @classmethod
    def _known_caps(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(names) - set(CAPS))
        if unknown:
            raise ValueError(f"unknown limit {unknown[0]!r}; limits: {', '.join(CAPS)}")
        return tuple(sorted(set(names)))

    def kind(self, name: str) -> str:
        """ "soft" or "hard" for a cap in :data:`CAPS`."""
        return "soft" if name in self.soft else "hard"

    def ladder(self, given: DrawdownLadder | None = None) -> DrawdownLadder:
        """The drawdown ladder the book answers to: ``given``, else the default ladder
        flattening at this drawdown limit (the one home of that rule)."""
        return given or DrawdownLadder(flatten=self.drawdown)


def format_limit(name: str, value: float) -> str:
    """A limit's number as a person reads it, with its unit (``2.00 % of NAV``)."""
    unit, scale = UNITS[name]
    return f"{value * scale:,.2f} {unit}"


def dv01_buckets(view: PITView, weights: pd.Series) -> pd.Series:
    """DV01 (bp of NAV per bp of yield) per curve and tenor bucket, all buckets shown."""
    out = {f"{name} {b}": 0.0 for name in CURVES.values() for _, b in BUCKETS}
    for iid, w in weights.items():
        curve = next((c for c in CURVES if str(iid).startswith(c + ".")), None)
        if curve is None or w == 0:
            continue
        inst = instrument(str(iid))
        d = float(duration(inst, np.array(last_quote(view, inst.price_series))))
        bucket = next(b for cap, b in BUCKETS if inst.tenor_years <= cap)
        out[f"{CURVES[curve]} {bucket}"] += w * d  # 1e-4 NAV per bp × 1e4 bp per unit
    return pd.Series(out)


def contract_values(view: PITView, instrument_ids: list[str]) -> pd.Series:
    """BRL value of one contract of each instrument at the view's quotes (NTN-B: bonds at
    their price with the VNA known at the view), ``pnl.contract_notional``."""
    fx = last_quote(view, USDBRL)
    insts = [instrument(str(iid)) for iid in instrument_ids]
    vna = ntnb.vna_at(view) if any(i.dv01_convention == "real_yield" for i in insts) else None
    values = [
        contract_notional(inst, last_quote(view, inst.price_series), fx, vna) for inst in insts
    ]
    return pd.Series(values, index=list(instrument_ids), dtype="float64")


def days_to_exit(view: PITView, weights: pd.Series, nav: float, participation: float) -> pd.Series:
    """Days to trade each position out at ``participation`` × ADV: its contracts (NTN-B:
    bonds, at their price with the VNA known at the view) over the contracts tradable a day."""
    per_contract = contract_values(view, [str(i) for i in weights.index])
    adv = pd.Series([instrument(str(i)).adv_contracts for i in weights.index], dtype="float64")
    days = weights.abs().to_numpy() * nav / per_contract.to_numpy() / (participation * adv)
    return pd.Series(days.to_numpy(), index=weights.index, dtype="float64")


def limit_table(
    view: PITView,
    weights: pd.Series,
    *,
    var_99: float,
    es_99: float,
    drawdown: float | None,
    nav: float,
    limits: RiskLimits,
) -> pd.DataFrame:
    """One row per limit: its field (``key``), value, limit, utilization, status
    (ok/warn/breach), ``kind`` (hard/soft) and what it measures."""
    w = weights[weights != 0.0]
    classes = pd.Series({i: instrument(str(i)).asset_class for i in w.index}, dtype=object)
    by_class = w.abs().groupby(classes).sum() if len(w) else pd.Series(dtype=float)
    fx = float(w[[i for i in w.index if str(i).startswith("USDBRL")]].sum())
    exit_days = days_to_exit(view, w, nav, limits.participation)
    top = w.abs().idxmax() if len(w) else "-"
    top_class = by_class.idxmax() if len(by_class) else "-"
    worst = exit_days.idxmax() if len(exit_days) else "-"
    rows = [
        ("VaR 99% 1d", "var_99", var_99, "historical, NAV"),
        ("ES 99% 1d", "es_99", es_99, "historical, NAV"),
        ("gross leverage", "gross_leverage", float(w.abs().sum()), "Σ|notional|/NAV"),
        ("net leverage", "net_leverage", abs(float(w.sum())), "|Σ notional|/NAV"),
        (
            f"concentration: {top}",
            "position",
            float(w.abs().max() if len(w) else 0.0),
            "|notional|/NAV",
        ),
        (
            f"asset class: {top_class}",
            "asset_class",
            float(by_class.max() if len(by_class) else 0.0),
            "Σ|notional|/NAV",
        ),
    ]
    for bucket, dv01 in dv01_buckets(view, w).items():
        rows.append((f"DV01 {bucket}", "dv01_bucket", abs(dv01), "bp NAV/bp"))
    rows.append(
        ("FX delta USD/BRL", "fx_delta", abs(fx), f"net {'long' if fx >= 0 else 'short'} USD/NAV")
    )
    if drawdown is None:
        rows.append(("drawdown", "drawdown", np.nan, "no P&L history given"))
    else:
        rows.append(("drawdown", "drawdown", drawdown, "from high-water mark"))
    rows.append(
        (
            f"liquidity: {worst}",
            "days_to_exit",
            float(exit_days.max() if len(exit_days) else 0.0),
            f"days at {limits.participation:.0%} of ADV",
        )
    )
    frame = pd.DataFrame(rows, columns=["limit", "key", "value", "unit"]).set_index("limit")
    table = frame[["value"]].assign(
        max=[float(getattr(limits, k)) for k in frame["key"]], unit=frame["unit"]
    )
    table["utilization"] = table["value"] / table["max"]
    table["status"] = np.select(
        [
            table["utilization"].isna(),
            table["utilization"] > 1.0,
            table["utilization"] >= limits.warn_at,
        ],
        ["n/a", "breach", "warn"],
        "ok",
    )
    table["key"] = frame["key"]
    table["kind"] = [limits.kind(k) for k in frame["key"]]
    return table


# ---- the limits file: the one source of the fund's limits -------------------------------
LIMITS_FILE = "limits.yaml"
_META = ("changed_at", "requested_by", "approved_by", "reason", "request")


def limits_path(db_url: str | None = None) -> Path:
    """Where the fund's limits live: ``WORKBENCH_LIMITS_PATH``, else ``limits.yaml`` beside
    the SQLite database (``db_url``, default ``WORKBENCH_DB_URL``), else in the working
    directory (set ``WORKBENCH_LIMITS_PATH`` with PostgreSQL)."""
    settings = get_settings()
    if settings.limits_path is not None:
        return Path(settings.limits_path)
    url = absolute_sqlite(db_url or settings.db_url)
    file = url.removeprefix("sqlite:///").partition("?")[0] if url.startswith("sqlite:///") else ""
    if file and file != ":memory:":
        return Path(file).parent / LIMITS_FILE
    return Path(LIMITS_FILE).resolve()


@dataclass(frozen=True)
class LimitsFile:
    """The limits read from a file, its version and who changed it why (the shipped
    defaults, version 0, when there is no file)."""

    path: Path
    limits: RiskLimits
    version: int
    meta: dict[str, str]
    sha256: str | None  # of the file's bytes (None: no file)


def parse_limits(values: object, soft: object, where: str) -> RiskLimits:
    """``RiskLimits`` from a mapping of limit: number and the list of soft caps, or a
    one-line LimitsError naming ``where`` and the limit (unknown, not a positive number)."""
    if not isinstance(values, Mapping):
        raise LimitsError(f"{where}: 'limits' must be a mapping of limit name: number")
    known = [f for f in RiskLimits.model_fields if f != "soft"]
    for name, value in values.items():
        if name not in known:
            raise LimitsError(f"{where}: unknown limit {name!r}; limits: {', '.join(known)}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise LimitsError(f"{where}: {name} must be a number, got {value!r}")
    if not isinstance(soft, list | tuple) or not all(isinstance(s, str) for s in soft):
        raise LimitsError(f"{where}: 'soft' must be a list of limit names, got {soft!r}")
    try:
        return RiskLimits(**values, soft=tuple(soft))
    except ValidationError as err:
        first = err.errors()[0]
        name = ".".join(str(p) for p in first["loc"][:1])
        msg = first["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
        raise LimitsError(f"{where}: {name}: {msg} (got {first['input']!r})") from err


def read_limits(path: str | Path | None = None) -> LimitsFile:
    """The limits file at ``path`` (default :func:`limits_path`), checked; a malformed
    file is a one-line LimitsError naming it."""
    path = Path(path) if path is not None else limits_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return LimitsFile(path, RiskLimits(), 0, {}, None)
    try:
        doc = yaml.safe_load(raw)
    except yaml.YAMLError as err:
        raise LimitsError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from err
    if not isinstance(doc, dict):
        raise LimitsError(f"{path}: expected a mapping with version, limits and soft")
    extra = sorted(set(doc) - {"version", "limits", "soft", *_META})
    if extra:
        raise LimitsError(f"{path}: unknown key {extra[0]!r}")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise LimitsError(f"{path}: version must be a whole number from 1, got {version!r}")
    limits = parse_limits(doc.get("limits", {}), doc.get("soft", list(SOFT_DEFAULT)), str(path))
    meta = {k: str(doc[k]) for k in _META if k in doc}
    return LimitsFile(path, limits, version, meta, hashlib.sha256(raw).hexdigest())


def current_limits() -> RiskLimits:
    """The fund's limits now (:func:`read_limits` at :func:`limits_path`): what the risk
    report, construction, the book backtest and the pages use unless given others."""
    return read_limits().limits


def limits_yaml(limits: RiskLimits, version: int, meta: Mapping[str, object]) -> str:
    """The text of a limits file (what :func:`read_limits` reads back)."""
    doc: dict[str, object] = {"version": version}
    doc |= {k: str(meta[k]) for k in _META if k in meta}
    dumped = limits.model_dump()
    doc["limits"] = {k: float(v) for k, v in dumped.items() if k != "soft"}
    doc["soft"] = list(limits.soft)
    header = (
        "# The fund's risk limits. Written by `workbench pms approve-control` once a second\n"
        "# person approved the change (`workbench limits set`); the PMS refuses a file edited\n"
        "# any other way. Caps are fractions of NAV unless named (research_core/risk/limits.py);\n"
        "# a cap listed under soft only warns, every other cap is hard.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
