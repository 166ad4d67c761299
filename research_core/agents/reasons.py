"""One-line reasons for agent signals, generated from the model outputs, and their check.

A reason reads ``<model>: <view> <target> (z <z>) — <because>; evidence: ...; not
significant: ...``. The view word comes from the signal's own z-score, so it cannot
contradict the sign; a statistic that does not support the call (a p-value above
:data:`P_MAX`) is never listed as evidence, only as a caveat. :func:`reason_problems`
re-reads a reason against its signal, so a hand-written or edited one is caught.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from research_core.records import Signal

P_MAX = 0.10  # the largest p-value cited as evidence
VIEW = {1: "long", -1: "short", 0: "no view"}
THRESHOLD = 0.5  # |z| below which an agent takes no view (agents.base.direction_of)
_HEAD = re.compile(
    r"^(?P<model>[^:]+): (?P<view>long|short|no view) (?P<target>\S+) "
    r"\(z (?P<z>[+\-−]?\d+\.\d+)\) — (?P<rest>.*)$"
)
# a p-value of a named test: "cointegration p-value 0.96", "ADF p = 0.30", "Kupiec p=0.5"
_P = re.compile(r"\bp(?:-value)?\s*=?\s*(?P<p>\d*\.\d+)")
CAVEAT = "; not significant: "


@dataclass(frozen=True)
class Stat:
    """A statistic behind a call: its text and whether it supports the call."""

    text: str
    supports: bool


def p_value(test: str, p: float) -> Stat:
    """A test's p-value: evidence at or below :data:`P_MAX`, a caveat above it."""
    return Stat(f"{test} p-value {p:.2f}", p <= P_MAX)


def _direction(z: float) -> int:
    return 0 if not math.isfinite(z) or abs(z) < THRESHOLD else (1 if z > 0 else -1)


def reason(model: str, target: str, z: float, because: str, stats: Sequence[Stat] = ()) -> str:
    """The one-line reason of a signal with z-score ``z`` on ``target`` from ``model``."""
    z_text = f"{z:+.2f}".replace("-", "−")
    line = f"{model}: {VIEW[_direction(z)]} {target} (z {z_text}) — {because}"
    evidence = [s.text for s in stats if s.supports]
    weak = [s.text for s in stats if not s.supports]
    if evidence:
        line += "; evidence: " + ", ".join(evidence)
    if weak:
        line += CAVEAT + ", ".join(weak)
    return line


def reason_problems(signal: Signal) -> list[str]:
    """What is wrong with ``signal.rationale`` as a reason: not in the reason form, a view
    or z that contradicts the signal, another model's name, or a p-value above
    :data:`P_MAX` cited before the "not significant" caveat."""
    m = _HEAD.match(signal.rationale)
    if m is None:
        return [f"not a one-line reason: {signal.rationale[:80]!r}"]
    out = []
    if m["view"] != VIEW[signal.direction]:
        out.append(f"says {m['view']!r} but the signal is {VIEW[signal.direction]!r}")
    if abs(float(m["z"].replace("−", "-")) - signal.strength) > 0.005 + 1e-9:
        out.append(f"cites z {m['z']} but the signal's z is {signal.strength:+.2f}")
    if m["target"] != signal.instrument:
        out.append(f"names {m['target']} but the signal is on {signal.instrument}")
    if signal.model and m["model"] != signal.model:
        out.append(f"names model {m['model']!r} but the signal came from {signal.model!r}")
    cited = m["rest"].split(CAVEAT)[0]
    for p in _P.finditer(cited):
        if float(p["p"]) > P_MAX:
            out.append(f"cites p = {p['p']} (> {P_MAX}) as evidence")
    return out
