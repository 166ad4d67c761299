"""Aggregate agent and strategy signals into one view per instrument, with provenance.

For each instrument the score is the weighted mean of the contributors' signed strengths
(``direction × min(|strength|, cap)``), where a contributor's weight is

    confidence × freshness × source weight

``freshness`` in (0, 1] discounts signals built on old data (``freshness_from_report``).
The *consensus* is the weight share on the side of the score; contributors with material
weight on both sides make the instrument a *conflict*, listed with who is on each side.
When more than ``crowding`` of contributors (by weight, at least three) agree, the score
is cut by up to ``crowding_penalty`` — a unanimous trade is the one everybody already has.
The *regime overlay* scales down signals that add risk against the cross-asset agent's
risk regime (GLOBAL.RISK): long equities, short USD/BRL or selling CDS protection in a
risk-off regime, and the reverse hedges in a risk-on regime are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from research_core.catalog import instruments
from research_core.config import get_settings
from research_core.errors import SignalError
from research_core.records import Signal

REGIME_INSTRUMENT = "GLOBAL.RISK"
# Sign of a +1 (long-quote) position in risk appetite: long equities and commodities add
# risk; long USD/BRL (short BRL) and bought CDS protection reduce it; rates are neutral.
RISK_ON_SIGN = {"equity": 1, "commodity": 1, "fx": -1, "credit": -1}
PROVENANCE = ("instrument", "source", "direction", "strength", "confidence", "freshness", "weight")
GROUPED = ("instrument", "source", "direction", "confidence", "freshness", "weight", "signed")


@dataclass(frozen=True)
class Conflict:
    """An instrument whose contributors disagree materially."""

    instrument: str
    long: tuple[str, ...]
    short: tuple[str, ...]
    long_weight: float
    short_weight: float

    def __str__(self) -> str:
        return (
            f"{self.instrument}: long {', '.join(self.long)} ({self.long_weight:.0%}) vs "
            f"short {', '.join(self.short)} ({self.short_weight:.0%})"
        )


@dataclass(frozen=True, eq=False)
class AggregatedSignals:
    """One row per instrument, the contributions behind each, conflicts and the regime."""

    as_of: pd.Timestamp
    table: pd.DataFrame  # instrument -> score, direction, confidence, consensus, n, multipliers
    provenance: pd.DataFrame  # one row per (instrument, source): inputs, weight, contribution
    conflicts: tuple[Conflict, ...]
    regime: float  # GLOBAL.RISK strength (+ risk-on), 0 when absent
    params: Mapping[str, float] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def attribution(self, instrument: str) -> pd.DataFrame:
        """Which sources made the instrument's score, and how much each contributed."""
        rows = self.provenance[self.provenance["instrument"] == instrument]
        if rows.empty:
            raise SignalError(f"no aggregated signal for {instrument!r}")
        return rows.set_index("source")[
            ["direction", "strength", "confidence", "freshness", "weight", "contribution"]
        ]

    def summary(self) -> str:
        tz = get_settings().timezone
        regime = "risk-on" if self.regime > 0 else "risk-off" if self.regime < 0 else "no regime"
        lines = [
            f"aggregated signals as of {self.as_of.tz_convert(tz):%Y-%m-%d}: "
            f"{len(self.table)} instruments, {len(self.provenance)} contributions, {regime} "
            f"({self.regime:+.2f})"
        ]
        for iid, r in self.table.sort_values("score", key=np.abs, ascending=False).iterrows():
            lines.append(
                f"  {iid}: score {r.score:+.2f}, conf {r.confidence:.2f}, consensus "
                f"{r.consensus:.0%} of {int(r.n)}"
                + (" [crowded]" if r.crowding < 1 else "")
                + (" [regime cut]" if r.regime_multiplier < 1 else "")
            )
        lines += [f"  conflict: {c}" for c in self.conflicts]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>"


@dataclass(frozen=True)
class AggregationOptions:
    """How contributions combine: the cap on |strength|, the crowding threshold and cut,
    the weight share that makes a conflict, and the largest regime cut."""

    strength_cap: float = 3.0
    crowding: float = 0.8
    crowding_penalty: float = 0.25
    conflict_share: float = 0.25
    regime_cut: float = 0.5


def _regime(sigs: list[Signal]) -> float:
    """GLOBAL.RISK's mean signed strength (+ risk-on), 0 when no signal gives it."""
    on = [s.direction * abs(s.strength) for s in sigs if s.instrument == REGIME_INSTRUMENT]
    return float(np.mean(on)) if on else 0.0


def _provenance(
    sigs: list[Signal],
    tradable: Mapping[str, object],
    freshness: Mapping[str, float],
    source_weights: Mapping[str, float],
    conviction: Mapping[tuple[str, str], float],
    strength_cap: float,
) -> dict[str, list[object]]:
    """One row per contribution on a tradable instrument, with its weight, as columns
    (the frame is built once, at the end: a column read back from it cost more than the
    arithmetic)."""
    rows = []
    for s in sigs:
        if s.instrument not in tradable:
            continue
        fresh = float(freshness.get(s.source, 1.0))
        if not 0.0 < fresh <= 1.0:
            raise SignalError(f"freshness of {s.source} must be in (0, 1], got {fresh}")
        kind = s.source.split(":", 1)[0]
        src_w = float(source_weights.get(s.source, source_weights.get(kind, 1.0)))
        conv = float(conviction.get((s.source, s.instrument), 1.0))
        if not 0.0 <= conv < float("inf"):
            raise SignalError(f"conviction of {s.source} on {s.instrument} is {conv}; need >= 0")
        strength = min(abs(float(s.strength)), strength_cap)  # NaN stays NaN, as np.clip
        weight = s.confidence * fresh * src_w * conv
        rows.append((s.instrument, s.source, s.direction, strength, s.confidence, fresh, weight))
    if not rows:
        raise SignalError("none of the signals is on a tradable instrument")
    cols = dict(zip(PROVENANCE, map(list, zip(*rows, strict=True)), strict=True))
    strengths, weights = (np.asarray(cols[c], dtype=float) for c in ("strength", "weight"))
    if not (np.isfinite(strengths).all() and np.isfinite(weights).all()):
        bad = [src for src, x in zip(cols["source"], strengths, strict=True) if not np.isfinite(x)]
        raise SignalError(f"non-finite signal strength from {bad}")
    return cols


def _combine(
    iid: str, g: Mapping[str, np.ndarray], risk_sign: int, regime: float, opt: AggregationOptions
) -> tuple[dict[str, object], Conflict | None, np.ndarray] | None:
    """One instrument's row, its conflict (or None) and its contributions to the score,
    from its provenance rows ``g`` (column -> array); None when it is flat or has no weight."""
    w, signed, direction = g["weight"], g["signed"], g["direction"]
    total = w.sum()
    longs, shorts = direction > 0, direction < 0
    n_active = int(longs.sum() + shorts.sum())
    if total <= 0 or n_active == 0:
        return None
    score = float((w * signed).sum() / total)
    side = int(np.sign(score))
    w_long, w_short = float(w[longs].sum()), float(w[shorts].sum())
    w_active = w_long + w_short
    consensus = (w_long if side > 0 else w_short) / w_active if side else 0.0
    conflict = None
    if min(w_long, w_short) / w_active >= opt.conflict_share:
        source = g["source"]
        conflict = Conflict(
            iid,
            tuple(source[longs]),
            tuple(source[shorts]),
            w_long / w_active,
            w_short / w_active,
        )
    crowd = 1.0
    if consensus > opt.crowding and n_active >= 3:
        crowd = 1.0 - opt.crowding_penalty * (consensus - opt.crowding) / (1.0 - opt.crowding)
    against = regime != 0 and side * risk_sign * np.sign(regime) < 0
    reg = 1.0 - opt.regime_cut * min(abs(regime) / 2.0, 1.0) if against else 1.0
    conf = float((w * g["confidence"]).sum() / total) * abs(w_long - w_short)
    row = {
        "instrument": iid,
        "score": score * crowd * reg,
        "raw_score": score,
        "direction": side,
        "confidence": conf / w_active,
        "consensus": consensus,
        "n": len(w),
        "crowding": crowd,
        "regime_multiplier": reg,
        "freshness": float((w * g["freshness"]).sum() / total),
    }
    return row, conflict, w * signed / total * crowd * reg


def _groups(
    prov: Mapping[str, list[object]],
) -> Iterator[tuple[str, dict[str, np.ndarray], np.ndarray]]:
    """Each instrument (sorted) with its provenance rows (column -> array, in row order)
    and their positions: a groupby in numpy (the aggregation runs at every backtest date)."""
    cols: dict[str, np.ndarray] = {
        c: np.array(prov[c], dtype=object if c == "source" else None)
        for c in GROUPED
        if c != "signed"
    }
    cols["direction"] = cols["direction"].astype(np.int64)  # as the frame's column
    for c in ("confidence", "freshness", "weight"):
        cols[c] = cols[c].astype(np.float64)
    cols["signed"] = cols["direction"] * np.asarray(prov["strength"], dtype=np.float64)
    keys, inverse = np.unique(cols["instrument"].astype(str), return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    ends = np.cumsum(np.bincount(inverse, minlength=len(keys)))
    for k, iid in enumerate(keys):
        rows = order[ends[k - 1] if k else 0 : ends[k]]
        yield str(iid), {c: a[rows] for c, a in cols.items()}, rows


def aggregate(
    signals: Iterable[Signal],
    *,
    freshness: Mapping[str, float] | None = None,
    source_weights: Mapping[str, float] | None = None,
    conviction: Mapping[tuple[str, str], float] | None = None,
    options: AggregationOptions | None = None,
) -> AggregatedSignals:
    """Combine signals per tradable instrument (themes such as BR.INFLATION are skipped,
    GLOBAL.RISK sets the regime). ``freshness`` maps a source to its discount, and
    ``source_weights`` maps "agent" / "strategy" or a full source name to a weight.
    ``conviction`` (off by default) maps (source, instrument) to a multiplier of that
    contributor's weight, e.g. the meta-model's ``2 p`` (``research_core.health.meta``).
    ``options``: the caps and thresholds (:class:`AggregationOptions`)."""
    sigs = list(signals)
    if not sigs:
        raise SignalError("no signals to aggregate")
    opt = options or AggregationOptions()
    tradable = instruments()
    regime = _regime(sigs)
    prov = _provenance(
        sigs, tradable, freshness or {}, source_weights or {}, conviction or {}, opt.strength_cap
    )
    table, conflicts = [], []
    contribution = np.zeros(
        len(prov["weight"])
    )  # 0 for an instrument that is flat or has no weight
    for iid, grp, rows in _groups(prov):
        risk_sign = RISK_ON_SIGN.get(tradable[iid].asset_class, 0)
        combined = _combine(iid, grp, risk_sign, regime, opt)
        if combined is None:
            continue
        row, conflict, part = combined
        contribution[rows] = part
        table.append(row)
        conflicts += [conflict] if conflict else []
    if not table:
        raise SignalError("every signal is flat (direction 0) or has zero weight")
    frame = pd.DataFrame(prov)
    frame["contribution"] = contribution
    return AggregatedSignals(
        max(s.as_of for s in sigs),
        pd.DataFrame(table).set_index("instrument"),
        frame,
        tuple(conflicts),
        regime,
        asdict(opt),
    )
