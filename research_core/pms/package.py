"""The proposals of one decision priced and approved as one package.

* **Base.** Every book here is a set of weights (signed notional / NAV, the risk engine's
  weights). The base is the book held plus every approved proposal not yet executed: a
  package, and a single proposal, is priced against it, never against an empty book.
* **ΔVaR, ΔES.** Historical 1-day VaR and ES at 95 % and 99 % (``risk.measures.historical``,
  the risk report's historical method and quantile convention) of the base and of base +
  package, both on the same scenarios: the last ``lookback`` days of common unit returns of
  every instrument in either book (``risk.report.book_returns``). ΔVaR = VaR(after) −
  VaR(before), in fraction of NAV (the pages show % of NAV) and BRL.
* **Marginal contribution: leave-one-out.** A proposal's contribution is VaR(after) −
  VaR(after without that proposal) (same for ES), on the same scenarios. Leave-one-out
  contributions do not add up to ΔVaR in general: ΔVaR = Σ contributions + interaction,
  and the interaction (diversification between the trades) is shown as its own number.
* **Limits after the package.** Every limit the risk report checks
  (``risk.limits.limit_table``: VaR/ES 99 %, leverage, concentration, asset class, DV01
  buckets, FX delta, drawdown from the PMS NAV path, days to exit), with utilization and
  status, before and after. Approval is gated on the limits the package breaches or
  deepens (``gate.breaches``): a hard one needs an override, a written reason signed by
  two different approvers, as for a single proposal.
* **Basis trades.** Opposite trades in one underlying (:func:`underlying`: the USD/BRL
  DOL future and the offshore NDF) are not netted away — held → target stays exact — but
  shown as an explicit basis trade with its own line: the matched notional (the smaller
  leg, BRL mn), the net outright, and the pair's leave-one-out contribution.
* **Minimum ticket.** Trades below the limits file's ``min_ticket`` (BRL mn of notional,
  instruments traded in notional) or ``min_contracts`` (listed futures) are not proposed;
  the package's journal entry lists them (:func:`ticket_floor`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from research_core.catalog import instrument
from research_core.config import get_settings
from research_core.errors import RiskError, TransitionError
from research_core.lake.pit import PITView
from research_core.pms import db
from research_core.pms.controls import approved_limits
from research_core.pms.gate import Gate, breaches, override_reason, with_override
from research_core.pms.journal import Entry, record_audited
from research_core.pms.journal import record as journal_record
from research_core.pms.models import Decision, Proposal
from research_core.pms.positions import usdbrl
from research_core.pms.proposals import ProposalSpec
from research_core.pms.workflow import check_decider, transition
from research_core.risk import measures
from research_core.risk.breakers import DrawdownLadder
from research_core.risk.limits import RiskLimits, limit_table
from research_core.risk.report import book_returns

if TYPE_CHECKING:
    from research_core.pms.system import PMS

ALPHAS = (0.95, 0.99)
METHOD = "historical"
LIVE = ("PROPOSED", "APPROVED", "MODIFIED")  # a package's proposals not yet executed/closed
APPROVED = ("APPROVED", "MODIFIED")


def underlying(instrument_id: str) -> str:
    """What an instrument is a claim on: the root of its catalog id (before the first dot)
    and its tenor. USDBRL.FUT (B3 DOL) and USDBRL.NDF are one underlying, one-month
    USD/BRL; DI1.1Y and DI1.2Y are two points of a curve, not one."""
    inst = instrument(instrument_id)
    return f"{instrument_id.split('.', 1)[0]} {inst.tenor_years:g}y"


# ---- the minimum ticket ------------------------------------------------------------------
def ticket_floor(
    specs: Sequence[ProposalSpec], limits: RiskLimits, *, nav: float, fx: float
) -> tuple[list[ProposalSpec], list[dict[str, Any]]]:
    """The trades at or above the minimum ticket, and the ones dropped (instrument, side,
    size, contracts, BRL mn, why): listed futures below ``min_contracts`` contracts,
    others below ``min_ticket`` BRL mn of notional."""
    kept, dropped = [], []
    for spec in specs:
        brl_mn = abs(spec.delta_weight) * nav / 1e6
        if spec.contracts is not None:
            small = spec.contracts < limits.min_contracts
            why = f"{spec.contracts} contracts < min_contracts {limits.min_contracts:g}"
        else:
            small = brl_mn < limits.min_ticket
            why = f"{brl_mn:,.2f} BRL mn < min_ticket {limits.min_ticket:g} BRL mn"
        if not small:
            kept.append(spec)
            continue
        dropped.append(
            {
                "instrument": spec.instrument_id,
                "side": "buy" if spec.side > 0 else "sell",
                "size": spec.size,
                "currency": instrument(spec.instrument_id).currency,
                "contracts": spec.contracts,
                "notional_brl_mn": round(brl_mn, 6),
                "why": why,
            }
        )
    return kept, dropped


# ---- pricing -----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Package:
    """One package priced: its trades with their leave-one-out contributions, ΔVaR/ΔES by
    confidence, the limits before and after, the basis trades and the dropped tickets."""

    package_id: int | None
    as_of: pd.Timestamp
    nav: float
    base: pd.Series  # held + approved not executed, fraction of NAV
    trades: pd.DataFrame  # one row per proposal: instrument, delta_weight, loo_var_95, ...
    risk: pd.DataFrame  # index alpha: var/es before, after, delta, loo_sum, interaction
    limits: pd.DataFrame  # after: value, max, utilization, status, kind, key; + before
    basis: pd.DataFrame  # underlying, legs, matched_brl_mn, net_brl_mn, loo_var_99
    limits_before: pd.DataFrame | None  # the base's limit table (None: nothing held)
    dropped: tuple[dict[str, Any], ...] = ()

    @property
    def after(self) -> pd.Series:
        delta = self.trades.groupby("instrument")["delta_weight"].sum()
        return self.base.add(delta, fill_value=0.0)

    def gate(self, version: int) -> Gate:
        """The limits the package breaches or deepens (``gate.breaches``), hard and soft."""
        found = breaches(self.limits_before, self.limits)
        return Gate(
            tuple(b for b in found if b.kind == "hard"),
            tuple(b for b in found if b.kind == "soft"),
            version,
        )

    def to_frame(self) -> pd.DataFrame:
        """ΔVaR/ΔES by confidence, in % of NAV and BRL (what the package card shows)."""
        out = self.risk[["var_before", "var_after", "delta_var", "es_before", "es_after"]]
        out = (out.assign(delta_es=self.risk["delta_es"]) * 100).add_suffix("_pct_nav")
        out["delta_var_brl"] = self.risk["delta_var"] * self.nav
        out["delta_es_brl"] = self.risk["delta_es"] * self.nav
        return out

    def summary(self) -> str:
        head = f"package {self.package_id}" if self.package_id is not None else "package"
        day = self.as_of.tz_convert(get_settings().timezone)
        lines = [
            f"{head} as of {day:%Y-%m-%d}: {len(self.trades)} proposals on held + "
            f"approved ({len(self.base)} positions), NAV {self.nav / 1e6:,.1f} BRL mn"
        ]
        for alpha, r in self.risk.iterrows():
            lines.append(
                f"  {METHOD} {float(str(alpha)):.0%} 1-day VaR {r['var_before']:.2%} → "
                f"{r['var_after']:.2%} of NAV (Δ {r['delta_var']:+.2%}, "
                f"{r['delta_var'] * self.nav / 1e6:+,.2f} BRL mn); ES {r['es_before']:.2%} → "
                f"{r['es_after']:.2%} of NAV (Δ {r['delta_es']:+.2%}); interaction "
                f"{r['interaction_var']:+.2%} of NAV"
            )
        for pid, t in self.trades.iterrows():
            lines.append(
                f"  #{pid} {t['instrument']:<12} {t['delta_weight'] * 100:+.2f} % of NAV, "
                f"leave-one-out ΔVaR 99% {t['loo_var_99'] * 100:+.2f} % of NAV"
            )
        for _, b in self.basis.iterrows():
            lines.append(
                f"  basis {b['underlying']}: {b['legs']}; matched {b['matched_brl_mn']:,.1f} "
                f"BRL mn, net {b['net_brl_mn']:+,.1f} BRL mn"
            )
        bad = self.limits[self.limits["status"].isin(["breach", "warn"])]
        for name, row in bad.iterrows():
            lines.append(f"  limit {name}: {row['utilization']:.0%} of cap, {row['status']}")
        for d in self.dropped:
            lines.append(f"  dropped {d['instrument']} {d['side']}: {d['why']}")
        return "\n".join(lines)


def _measure(w: pd.Series, rets: pd.DataFrame, alphas: Sequence[float]) -> dict[float, Any]:
    """{alpha: (VaR, ES)} of weights ``w`` on the scenarios ``rets`` (0, 0 for no book)."""
    x = w.reindex(rets.columns, fill_value=0.0)
    if not np.any(x.to_numpy() != 0.0):
        return {a: (0.0, 0.0) for a in alphas}
    return {r.alpha: (r.var, r.es) for r in measures.historical(x, rets, alphas)}


def _limits(
    view: PITView,
    w: pd.Series,
    risk: dict[float, Any],
    *,
    nav: float,
    equity: pd.Series | None,
    limits: RiskLimits,
) -> pd.DataFrame:
    drawdown = None
    if equity is not None and len(equity):
        drawdown = float(DrawdownLadder(flatten=limits.drawdown).status(equity)[0])
    var99, es99 = risk[0.99]
    return limit_table(
        view, w[w != 0.0], var_99=var99, es_99=es99, drawdown=drawdown, nav=nav, limits=limits
    )


@dataclass(frozen=True)
class Pricing:
    """What a package's pricing carries besides its book: the returns' length (sessions),
    its id once recorded, and the trades dropped below the minimum ticket."""

    lookback: int = 750
    package_id: int | None = None
    dropped: tuple[dict[str, Any], ...] = ()


def price_package(
    view: PITView,
    base: pd.Series,
    trades: pd.DataFrame,
    *,
    nav: float,
    limits: RiskLimits,
    equity: pd.Series | None = None,
    pricing: Pricing = Pricing(),
) -> Package:
    """Price ``trades`` (index: proposal id; columns instrument, delta_weight: signed
    fraction of NAV) as one package on ``base`` (fractions of NAV): see the module doc."""
    lookback, package_id, dropped = pricing.lookback, pricing.package_id, pricing.dropped
    if trades.empty:
        raise RiskError("an empty package: no trades to price")
    dw = trades["delta_weight"].astype(float)
    if not np.isfinite(dw).all() or (dw == 0.0).any():
        raise RiskError("every trade of a package needs a finite, non-zero weight")
    base = base.astype(float)[base != 0.0]
    alphas = sorted({*ALPHAS, 0.99})
    delta = dw.groupby(trades["instrument"]).sum()
    after = base.add(delta, fill_value=0.0)
    rets = book_returns(view, sorted(set(base.index) | set(delta.index)), lookback)
    before_risk, after_risk = _measure(base, rets, alphas), _measure(after, rets, alphas)
    out = trades[["instrument", "delta_weight"]].copy()
    for a in alphas:
        out[f"loo_var_{a * 100:.0f}"] = np.nan
        out[f"loo_es_{a * 100:.0f}"] = np.nan
    for pid, row in trades.iterrows():
        without = after.sub(
            pd.Series({row["instrument"]: float(row["delta_weight"])}), fill_value=0
        )
        risk = _measure(without, rets, alphas)
        for a in alphas:
            out.loc[pid, f"loo_var_{a * 100:.0f}"] = after_risk[a][0] - risk[a][0]
            out.loc[pid, f"loo_es_{a * 100:.0f}"] = after_risk[a][1] - risk[a][1]
    rows = []
    for a in alphas:
        (v0, e0), (v1, e1) = before_risk[a], after_risk[a]
        tag = f"{a * 100:.0f}"
        rows.append(
            {
                "alpha": a,
                "var_before": v0,
                "var_after": v1,
                "delta_var": v1 - v0,
                "es_before": e0,
                "es_after": e1,
                "delta_es": e1 - e0,
                "loo_var_sum": float(out[f"loo_var_{tag}"].sum()),
                "interaction_var": v1 - v0 - float(out[f"loo_var_{tag}"].sum()),
                "loo_es_sum": float(out[f"loo_es_{tag}"].sum()),
                "interaction_es": e1 - e0 - float(out[f"loo_es_{tag}"].sum()),
            }
        )
    table = _limits(view, after, after_risk, nav=nav, equity=equity, limits=limits)
    old = None
    if len(base):
        old = _limits(view, base, before_risk, nav=nav, equity=equity, limits=limits)
    table.insert(0, "before", np.nan if old is None else old["value"].reindex(table.index))
    return Package(
        package_id,
        view.as_of,
        nav,
        base,
        out,
        pd.DataFrame(rows).set_index("alpha"),
        table,
        _basis(out, after, rets, after_risk, nav),
        old,
        tuple(dropped),
    )


def _basis(
    trades: pd.DataFrame, after: pd.Series, rets: pd.DataFrame, after_risk: Any, nav: float
) -> pd.DataFrame:
    """A line per underlying with trades of both signs: its legs, the matched notional
    (the smaller side, BRL mn), the net (BRL mn) and the pair's leave-one-out ΔVaR 99 %."""
    cols = ["underlying", "legs", "proposals", "matched_brl_mn", "net_brl_mn", "loo_var_99"]
    groups = trades.groupby(trades["instrument"].map(underlying))
    rows = []
    for name, legs in groups:
        dw = legs["delta_weight"]
        if not ((dw > 0).any() and (dw < 0).any()):
            continue
        matched = min(dw[dw > 0].sum(), -dw[dw < 0].sum()) * nav / 1e6
        moved = legs.groupby("instrument")["delta_weight"].sum()
        without = after.sub(moved, fill_value=0.0)
        loo = after_risk[0.99][0] - _measure(without, rets, [0.99])[0.99][0]
        text = " vs ".join(
            f"{'buy' if w > 0 else 'sell'} {i} {abs(w) * nav / 1e6:,.1f} BRL mn"
            for i, w in moved.items()
        )
        rows.append(
            (str(name), text, [int(p) for p in legs.index], matched, dw.sum() * nav / 1e6, loo)
        )
    return pd.DataFrame(rows, columns=cols)


# ---- the PMS side: which proposals, the base, records ------------------------------------
def _weights(rows: Sequence[Proposal], view: PITView, nav: float) -> pd.DataFrame:
    """Proposals as trades (index id; instrument, delta_weight) at the view's USD/BRL."""
    fx = usdbrl(view) if any(instrument(p.instrument_id).currency == "USD" for p in rows) else 1.0
    data = [
        (
            p.id,
            p.instrument_id,
            p.side
            * (p.approved_quantity or p.quantity)
            * (fx if instrument(p.instrument_id).currency == "USD" else 1.0)
            / nav,
        )
        for p in rows
    ]
    frame = pd.DataFrame(data, columns=["id", "instrument", "delta_weight"]).set_index("id")
    return frame


def approved_weights(
    pms: PMS, day: dt.date, *, exclude: Sequence[int] = (), view: PITView | None = None
) -> pd.Series:
    """The approved proposals not yet executed (but ``exclude``), summed per instrument,
    as fractions of the NAV at ``day``: what the base adds to the book held."""
    with db.read_session(pms.engine) as s:
        rows = [
            p
            for p in s.scalars(select(Proposal).where(Proposal.state.in_(APPROVED))).all()
            if p.id not in set(exclude)
        ]
    if not rows:
        return pd.Series(dtype="float64")
    frame = _weights(rows, view or pms.view(day), pms.nav(day))
    return frame.groupby("instrument")["delta_weight"].sum()


def base_weights(held: pd.Series, approved: pd.Series) -> pd.Series:
    """Held + approved-not-executed, per instrument (fractions of NAV)."""
    out = held.astype(float).add(approved.astype(float), fill_value=0.0)
    return out[out != 0.0]


def record(
    pms: PMS,
    day: dt.date,
    ids: Sequence[int],
    dropped: Sequence[dict[str, Any]],
    *,
    actor: str,
    view: PITView,
    priced: Package | None,
) -> int:
    """The journal entry (action ``package``) and audit record of a decision's proposals
    as one package: which proposals, which trades were dropped below the minimum ticket,
    and its ΔVaR/ΔES; returns its id (the package id)."""
    detail: dict[str, Any] = {"proposals": [int(i) for i in ids], "dropped": list(dropped)}
    if priced is not None:
        detail["risk"] = {
            f"{a:g}": {k: float(v) for k, v in r.items()} for a, r in priced.risk.iterrows()
        }
        detail["basis"] = priced.basis.drop(columns=["legs"]).to_dict("records")
    reason = f"{len(ids)} proposals as one package; {len(dropped)} below the minimum ticket"
    with db.unit_of_work(pms.engine) as s:
        entry = Entry(actor, "package", reason, day, detail=detail)
        return record_audited(s, entry, detail, entity=("package", None), view=view).id


def _entry(session: Session, package_id: object) -> tuple[Decision, dict[str, Any]]:
    try:
        key = int(str(package_id))
    except ValueError as err:
        raise TransitionError(f"package id must be a whole number, got {package_id!r}") from err
    row = session.get(Decision, key)
    if row is None or row.action != "package":
        raise TransitionError(f"no package {package_id}")
    return row, json.loads(row.detail)


def latest(pms: PMS) -> int:
    """The id of the newest package."""
    with db.read_session(pms.engine) as s:
        found = s.scalars(
            select(Decision.id).where(Decision.action == "package").order_by(Decision.id.desc())
        ).first()
    if found is None:
        raise TransitionError("no package yet: `workbench pms propose` makes one")
    return int(found)


def show(pms: PMS, package_id: object) -> Package:
    """The package priced now: its live proposals (proposed, approved not executed) on
    held + the approved proposals outside it."""
    with db.read_session(pms.engine) as s:
        entry, detail = _entry(s, package_id)
        ids = [int(i) for i in detail["proposals"]]
        rows = s.scalars(select(Proposal).where(Proposal.id.in_(ids))).all()
        limits = approved_limits(s, pms.limits_path).limits
    live = [p for p in rows if p.state in LIVE]
    if not live:
        raise TransitionError(f"package {entry.id} has no live proposal (all decided/executed)")
    return _priced(pms, entry, live, exclude=ids, limits=limits, dropped=detail["dropped"])


def _priced(
    pms: PMS,
    entry: Decision,
    rows: Sequence[Proposal],
    *,
    exclude: Sequence[int],
    limits: RiskLimits,
    dropped: Sequence[dict[str, Any]] = (),
) -> Package:
    day = entry.as_of
    view = pms.view(day)
    held, nav = pms.exposures(day), pms.nav(day)
    base = base_weights(held, approved_weights(pms, day, exclude=exclude, view=view))
    equity = pms.nav_path(day)
    return price_package(
        view,
        base,
        _weights(rows, view, nav),
        nav=nav,
        limits=limits,
        equity=equity if len(equity) else None,
        pricing=Pricing(package_id=entry.id, dropped=tuple(dropped)),
    )


# ---- approving a package -----------------------------------------------------------------
def _signatures(session: Session, package_id: int, ids: Sequence[int]) -> list[Decision]:
    """The override signatures of this package over exactly these pending proposals."""
    rows = session.scalars(
        select(Decision).where(Decision.action == "override").order_by(Decision.id)
    ).all()
    want = sorted(int(i) for i in ids)
    out = []
    for r in rows:
        d = json.loads(r.detail)
        # canonical JSON keeps numbers as strings
        same = d.get("event") == "approve_package" and str(d.get("package")) == str(package_id)
        if same and sorted(int(i) for i in d.get("proposals", [])) == want:
            out.append(r)
    return out


def _pending(pms: PMS, package_id: object) -> tuple[Decision, list[Proposal], RiskLimits, int]:
    with db.read_session(pms.engine) as s:
        entry, detail = _entry(s, package_id)
        ids = [int(i) for i in detail["proposals"]]
        rows = s.scalars(select(Proposal).where(Proposal.id.in_(ids))).all()
        file = approved_limits(s, pms.limits_path)
    pending = sorted((p for p in rows if p.state == "PROPOSED"), key=lambda p: p.id)
    if not pending:
        raise TransitionError(f"package {entry.id} has no pending proposal to approve")
    return entry, pending, file.limits, file.version


def approve(
    pms: PMS, package_id: object, *, actor: str, reason: str, override: str | None
) -> tuple[str, Gate]:
    """Approve every pending proposal of a package in one transaction, gated on the book
    it would leave (held + every approved proposal + the package): a hard limit breached
    or deepened needs ``override`` signed by two different approvers (the first signature
    is recorded and the package waits). Returns the proposals' state and the gate."""
    entry, pending, limits, version = _pending(pms, package_id)
    four_eyes = bool(pms.settings()["four_eyes"])
    checked = _priced(pms, entry, pending, exclude=(), limits=limits).gate(version)
    ids = [p.id for p in pending]
    with db.unit_of_work(pms.engine) as s:
        rows = [s.get(Proposal, i, populate_existing=True) for i in ids]
        for row in rows:  # who may decide comes first, for every proposal
            assert row is not None
            check_decider(s, row, "approve", actor, four_eyes)
        detail = _override(s, entry, ids, actor=actor, text=override, gate=checked)
        if detail is None:
            return "PROPOSED", checked
        why = reason or str(override or "")
        for pid in ids:
            row = transition(s, pid, "approve", actor=actor, reason=reason, four_eyes=four_eyes)
            row.approved_quantity = row.quantity
            done = {"state": row.state, "size": row.quantity, "package": entry.id}
            step = Entry.on_proposal(
                row, actor=actor, action="approve", reason=why, detail=done, snapshot=row.snapshot
            )
            journal_record(s, step)
        payload = {"package": entry.id, "proposals": ids, "reason": reason} | detail
        whole = Entry(actor, "approve_package", why, entry.as_of, detail=payload)
        record_audited(s, whole, payload, entity=("package", entry.id))
    return "APPROVED", checked


def _override(
    session: Session,
    entry: Decision,
    ids: list[int],
    *,
    actor: str,
    text: str | None,
    gate: Gate,
) -> dict[str, Any] | None:
    """What the approval records about limits, or None when this call signed the first of
    the two signatures an override needs (``gate.override`` for one proposal)."""
    prior = _signatures(session, entry.id, ids) if gate.hard else []
    why = override_reason(f"package {entry.id}", gate, text, actor, prior)
    if why is None:
        return gate.detail()
    if prior:
        return with_override(gate, prior[0], actor, why)
    detail = {"event": "approve_package", "package": entry.id, "proposals": ids} | gate.detail()
    signed = Entry(actor, "override", why, entry.as_of, detail=detail)
    record_audited(session, signed, detail | {"reason": why}, entity=("package", entry.id))
    return None
