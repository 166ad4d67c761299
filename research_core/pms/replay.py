"""Replay of a decision from its lake snapshot, without the PMS's ORM.

Replay reopens the snapshot a proposal recorded (``lake.at_snapshot``), rebuilds the
proposal and its pre-trade risk with the inputs the proposal stored (positions, NAV, NAV
history) and compares them field by field. It reads its two rows with SQLAlchemy Core
(:data:`DECISIONS`, :data:`PROPOSALS`: the columns it reads of the journal's and the
proposals' tables, typed as the models' columns), so ``workbench pms replay`` loads neither the
ORM nor the models (issue 29; a test holds these columns to ``pms.models``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Float, Integer, Row, String, column, select, table

from research_core._typing import with_overrides
from research_core.errors import PMSError, PortfolioError, TransitionError
from research_core.formats import pct_nav, size
from research_core.lake.pit import PITView
from research_core.lake.store import Lake
from research_core.pms import proposals
from research_core.pms.canonical_json import canonical
from research_core.pms.impact import book_risk
from research_core.pms.quotes import catalog_instrument, usdbrl

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from research_core.agents.store import AgentReportStore
    from research_core.portfolio.book import Decision as BookDecision

DECISIONS = table(
    "decision_journal",
    column("id", Integer),
    column("action", String),
    column("proposal_id", Integer),
)
PROPOSALS = table(
    "trade_proposals",
    column("id", Integer),
    column("instrument_id", String),
    column("side", Integer),
    column("quantity", Float),
    column("strategy", String),
    column("agents", String),
    column("rationale", String),
    column("impact", String),
    column("snapshot", String),
)


@dataclass(frozen=True)
class Replay:
    """A decision rebuilt from its recorded lake snapshot: identical or which parts differ."""

    decision_id: int
    proposal_id: int
    snapshot_id: str
    identical: bool
    differences: tuple[str, ...]
    stored: dict[str, Any]
    rebuilt: dict[str, Any]

    def summary(self) -> str:
        """One line with units: the trade's size in its currency, ΔVaR/ΔES in % of NAV."""
        verdict = "IDENTICAL" if self.identical else f"DIFFERS in {list(self.differences)}"
        imp, inst = self.stored.get("impact", {}), str(self.stored.get("instrument"))
        side = "buy" if int(self.stored.get("side", 0)) > 0 else "sell"
        amount = size(float(self.stored.get("size", "nan")), catalog_instrument(inst).currency)
        return (
            f"decision {self.decision_id} (proposal {self.proposal_id}) replayed from lake "
            f"snapshot {self.snapshot_id}: {verdict}; {inst} {side} {amount}, "
            f"ΔVaR {pct_nav(imp.get('delta_var'), signed=True)}, "
            f"ΔES {pct_nav(imp.get('delta_es'), signed=True)}"
        )


REPLAY_STEPS = ("reading the decision", "rebuilding the proposal", "pricing its risk")


def _rows(engine: Engine, decision_id: int) -> Row[Any]:
    """The proposal a journal decision recorded (one read transaction), or the one-line
    error that there is no such decision or it has no proposal."""
    with engine.connect() as conn:
        decision = conn.execute(select(DECISIONS).where(DECISIONS.c.id == decision_id)).first()
        if decision is None:
            raise TransitionError(f"no decision {decision_id} in the journal")
        prop = None
        if decision.proposal_id:
            where = PROPOSALS.c.id == decision.proposal_id
            prop = conn.execute(select(PROPOSALS).where(where)).first()
    if prop is None:
        raise TransitionError(
            f"decision {decision_id} ({decision.action}) has no proposal to replay"
        )
    return prop


def _recorded(prop: Row[Any]) -> tuple[dict[str, Any], Any, Any]:
    """The proposal's recorded snapshot, agents and impact, or one line naming the field
    that does not hold what a proposal records (a row edited or damaged by hand)."""
    found = {}
    for name in ("snapshot", "agents", "impact"):
        try:
            found[name] = json.loads(getattr(prop, name))
        except (TypeError, ValueError) as err:
            msg = f"proposal {prop.id} has a malformed {name} ({err}); cannot replay"
            raise PMSError(msg) from None
    snap = found["snapshot"]
    inputs = snap.get("inputs") if isinstance(snap, dict) else None
    shapes = {  # what the replay reads, each of the type a proposal records
        "snapshot inputs": isinstance(inputs, dict),
        "snapshot method": isinstance(snap, dict) and isinstance(snap.get("method"), str),
        "inputs weights": isinstance(inputs, dict) and isinstance(inputs.get("weights"), dict),
        "inputs NAV": isinstance(inputs, dict) and _number(inputs.get("nav")),
        "minimum trade": isinstance(snap, dict)
        and (snap.get("method") == "discretionary" or _number(snap.get("min_trade"))),
        "agents": isinstance(found["agents"], list),
        "impact": isinstance(found["impact"], dict),
    }
    bad = [name for name, ok in shapes.items() if not ok]
    if bad:
        raise PMSError(f"proposal {prop.id} has a malformed {', '.join(bad)}; cannot replay")
    if "snapshot_id" not in snap:
        raise PMSError(f"proposal {prop.id} recorded no lake snapshot id; cannot replay")
    return snap, found["agents"], found["impact"]


def _number(value: object) -> bool:
    """Whether ``value`` is a recorded number (canonical JSON keeps numbers as text)."""
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def replay(
    engine: Engine, lake: Lake, decision_id: int, progress: Callable[[str], None] | None = None
) -> Replay:
    """Rebuild a decision's proposal and its pre-trade risk from the lake snapshot it
    recorded (``lake.at_snapshot``) and compare with what was stored. ``progress`` hears
    each of :data:`REPLAY_STEPS` as it starts (a page shows them: a book rebuild takes
    seconds)."""
    say = progress or (lambda step: None)
    say(REPLAY_STEPS[0])
    prop = _rows(engine, int(decision_id))
    snap, agents, impact = _recorded(prop)
    view = lake.at_snapshot(snap["snapshot_id"])
    inputs = snap["inputs"]
    current, equity = proposals.inputs_series(inputs)
    base = proposals.inputs_base(inputs)  # held + approved not executed: what it was priced against
    nav, limits = float(inputs["nav"]), proposals.inputs_limits(inputs)
    say(REPLAY_STEPS[1])
    stored = {
        "instrument": prop.instrument_id,
        "side": str(prop.side),
        "size": repr(prop.quantity),
        "strategy": prop.strategy,
        "agents": agents,
        "rationale": prop.rationale,
        "impact": impact,
    }
    if snap["method"] == "discretionary":
        fx = usdbrl(view) if catalog_instrument(prop.instrument_id).currency == "USD" else 1.0
        dw = prop.side * prop.quantity * fx / nav
        spec = proposals.ProposalSpec(
            prop.instrument_id,
            prop.side,
            prop.quantity,
            dw,
            prop.strategy,
            tuple(agents),
            prop.rationale,
        )
        before = None
        say(REPLAY_STEPS[2])
    else:
        found = _book_spec(lake, view, snap, prop, current, equity)
        if found is None:
            return Replay(
                int(decision_id),
                prop.id,
                snap["snapshot_id"],
                False,
                ("the rebuilt book no longer asks for this trade",),
                stored,
                {},
            )
        say(REPLAY_STEPS[2])
        spec, before = found, book_risk(base, view, nav=nav, equity=equity, limits=limits)
    impact = proposals.inputs_impact(view, inputs, (spec.instrument_id, spec.delta_weight), before)
    rebuilt = {
        "instrument": spec.instrument_id,
        "side": str(spec.side),
        "size": repr(spec.size),
        "strategy": spec.strategy,
        "agents": list(spec.agents),
        "rationale": spec.rationale,
        "impact": json.loads(canonical(impact)),
    }
    diffs = tuple(k for k in stored if canonical(stored[k]) != canonical(rebuilt[k]))
    return Replay(int(decision_id), prop.id, snap["snapshot_id"], not diffs, diffs, stored, rebuilt)


def decide_kept(lake: Lake, view: PITView, **kwargs: Any) -> BookDecision:
    """``portfolio.book.decide`` on ``view`` with the lake's store in use: agent reports, and
    what the decision gathers before it looks at the book held (every agent and strategy
    signal, aggregated, and the instruments' unit returns: ``portfolio.book.gather``), read
    where a run on the same snapshot and date kept them (keyed by the view's content and
    the settings, as agent reports are) and kept otherwise. A proposal decides through
    here, and its replay reads what it kept. Kept only for the shipped strategies gathered
    here (no ``strategies`` or ``gathered`` given)."""
    from research_core.agents.runner import store_for
    from research_core.agents.store import stored_reports
    from research_core.portfolio.book import DecideOptions, Gathered, decide, gather

    named = {f.name for f in fields(DecideOptions)}
    o = with_overrides(
        kwargs.get("options") or DecideOptions(),
        {k: v for k, v in kwargs.items() if k in named},
        PortfolioError,
    )
    with stored_reports(lake) as store:
        own = o.strategies is None and kwargs.get("gathered") is None
        # the agents' rule: only real-time views of this lake (another vintage sees other rows)
        if store is None or not own or store_for(view) is not store:
            return decide(view, **kwargs)
        lookback = o.lookback
        path = kept_gathered(store, view, lookback)
        kept = store.read(path)
        if not isinstance(kept, Gathered):
            kept = gather(view, lookback=lookback)
            store.write(path, kept)
    return decide(view, **{**kwargs, "gathered": kept})


def kept_gathered(store: AgentReportStore, view: PITView, lookback: int) -> Path:
    """The store's entry for what a decision on ``view`` gathers (with the agents' settings
    and the covariance look-back in its name)."""
    from research_core.agents.runner import AGENTS, variant

    settings = [f"lookback={lookback}", *filter(None, map(variant, AGENTS))]
    return store.entry(view, ",".join(["gathered", *settings]))


def _book_spec(
    lake: Lake,
    view: PITView,
    snap: dict[str, Any],
    prop: Row[Any],
    current: pd.Series,
    equity: pd.Series | None,
) -> proposals.ProposalSpec | None:
    """The trade of ``prop`` as the decision rebuilt at the recorded snapshot asks for it
    (None if it no longer does): the path the proposal took (:func:`decide_kept`, then
    the position's size), without the risk report of the whole target book, which a
    trade does not read; what the proposal collected on that snapshot is read, not
    recomputed. Only the traded instrument is sized: a size depends on its own weight,
    quote and USD/BRL alone, and the book's other quotes cost a lake read."""
    from research_core.portfolio.book import position_sizes  # the optimizers: on use
    from research_core.portfolio.constraints import Constraints

    inputs = snap["inputs"]
    nav = float(inputs["nav"])
    decision = decide_kept(
        lake,
        view,
        method=snap["method"],
        current=current,
        equity=equity,
        constraints=Constraints(limits=proposals.inputs_limits(inputs)),
    )
    weights = decision.portfolio.weights
    sizes = position_sizes(weights[weights.index == prop.instrument_id], view, nav)
    specs = proposals.proposal_specs(
        decision,
        current,
        nav=nav,
        usdbrl=usdbrl(view),
        min_trade=float(snap["min_trade"]),
        sizes=sizes,
        only=prop.instrument_id,
    )
    found = [p for p in specs if (p.instrument_id, p.side) == (prop.instrument_id, prop.side)]
    return found[0] if found else None
