"""The proposal workflow on both engines: the transition table, four-eyes, idempotent
execution, one pending proposal per instrument and side, concurrent approvals, and the
pre-trade risk a hand-entered trade gets."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

import pytest

from research_core.errors import (
    ConcurrentDecisionError,
    DuplicateSubmissionError,
    FourEyesError,
    PMSError,
    TradeInputError,
    TransitionError,
)
from research_core.pms import PMS, audit, db
from research_core.pms.models import Proposal
from research_core.pms.workflow import EVENTS, STATES, TERMINAL, TRANSITIONS, transition

D = "2026-10-01"


def _bare_proposal(pms: PMS, state: str) -> int:
    """A proposal row in ``state`` written directly (the table test needs no risk)."""
    with db.unit_of_work(pms.engine) as s:
        from research_core.catalog import instrument
        from research_core.pms.positions import ensure_instrument

        ensure_instrument(s, instrument("DI1.2Y"))
        row = Proposal(
            as_of=dt.date(2026, 10, 1),
            instrument_id="DI1.2Y",
            side=1,
            quantity=1e6,
            state=state,
            version=1,
            created_by="alice",
            created_at=dt.datetime.now(dt.UTC),
            strategy="s",
            agents="[]",
            rationale="",
            impact="{}",
            snapshot="{}",
        )
        s.add(row)
        s.flush()
        # audited like every PMS write: verify replays the book from the audit records
        audit.append(
            s, actor="alice", action="propose", entity="proposal", entity_id=row.id, payload={}
        )
        return row.id


def test_every_state_event_pair_follows_the_table(pms: PMS):
    # Hand-checked facts the table must keep (issue 15): no way from PROPOSED straight to
    # EXECUTED, terminal states have no exits, every pending state can expire.
    assert ("PROPOSED", "execute") not in TRANSITIONS
    assert {"REJECTED", "EXECUTED", "EXPIRED"} == TERMINAL
    assert all((s, "expire") in TRANSITIONS for s in ("PROPOSED", "APPROVED", "MODIFIED"))
    for state in STATES:
        for event in sorted(EVENTS):
            pid = _bare_proposal(pms, state)
            with db.unit_of_work(pms.engine) as s:
                if (state, event) in TRANSITIONS:
                    row = transition(s, pid, event, actor="bob", reason="t")
                    assert row.state == TRANSITIONS[(state, event)]
                    assert row.version == 2
                else:
                    with pytest.raises(TransitionError, match=f"cannot {event}"):
                        transition(s, pid, event, actor="bob", reason="t")


def test_a_hand_entered_trade_flows_through_the_workflow(pms: PMS, lake):
    pms.init(four_eyes=True)
    pid = pms.submit("DI1.5Y", "sell", 2e8, as_of=D, actor="alice", reason="receive 5y")
    prop = pms.proposal(pid)
    imp = prop["impact"]
    # the impact's parts are consistent: Δ = after - before, a one-line book's component
    # VaR is the book's VaR, headroom = limit - value for every line.
    assert float(imp["delta_var"]) == pytest.approx(
        float(imp["var_after"]) - float(imp["var_before"])
    )
    assert float(imp["var_before"]) == 0.0 and float(imp["var_after"]) > 0
    assert float(imp["component_var_after"]) == pytest.approx(float(imp["var_after"]))
    for line in imp["limits"].values():
        if line["after"] is not None:
            assert float(line["headroom"]) == pytest.approx(
                float(line["max"]) - float(line["after"])
            )
    assert "VaR 99% 1d" in imp["limits"]

    head = pms.audit_head()
    with pytest.raises(FourEyesError, match="four-eyes"):
        pms.approve(pid, actor="alice")
    with pytest.raises(DuplicateSubmissionError, match="still pending"):
        pms.submit("DI1.5Y", "sell", 1e8, as_of=D, actor="carol")
    with pytest.raises(TransitionError, match="cannot execute"):
        pms.execute(pid, idempotency_key="k1", actor="bob")
    assert pms.audit_head() == head  # refusals write nothing

    assert pms.modify(pid, 1.5e8, actor="bob", reason="smaller") == "MODIFIED"
    with pytest.raises(TradeInputError, match="idempotency key"):
        pms.execute(pid, idempotency_key="", actor="bob")
    fill = pms.execute(pid, idempotency_key="k1", actor="bob")
    with pytest.raises(DuplicateSubmissionError, match="already used"):
        pms.execute(pid, idempotency_key="k1", actor="bob")
    with pytest.raises(TransitionError, match="is EXECUTED"):
        pms.execute(pid, idempotency_key="k2", actor="bob")
    lots = pms.positions()
    assert lots.loc[fill.opened[0], "quantity"] == pytest.approx(-1.5e8)
    assert lots.loc[fill.opened[0], "strategy"] == "discretionary"
    events = [(e["event"], e["actor"]) for e in pms.proposal(pid)["events"]]
    assert events == [("propose", "alice"), ("modify", "bob"), ("execute", "bob")]
    assert pms.audit_verify().ok


def test_two_people_approving_at_once_exactly_one_wins(pms: PMS):
    pid = _bare_proposal(pms, "PROPOSED")
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def approve(who: str) -> None:
        barrier.wait()
        try:
            outcomes[who] = pms.approve(pid, actor=who)
        except PMSError as err:
            outcomes[who] = err

    threads = [threading.Thread(target=approve, args=(w,)) for w in ("bob", "carol")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [w for w, o in outcomes.items() if o == "APPROVED"]
    lost = [o for o in outcomes.values() if isinstance(o, ConcurrentDecisionError)]
    assert len(won) == 1 and len(lost) == 1
    assert f"approve by {won[0]}" in str(lost[0])
    events = pms.proposal(pid)["events"]
    assert [e["event"] for e in events] == ["approve"]  # one transition, one event
    assert pms.audit_verify().ok


def test_briefings_are_stored_once_with_a_fingerprint(pms: PMS):
    inputs = {"as_of": "2026-10-30", "n": 3}
    # canonical JSON by hand: sorted keys, no spaces, numbers as strings
    expected = hashlib.sha256(b'{"as_of":"2026-10-30","n":"3"}').hexdigest()
    assert pms.store_briefing("2026-10-30", "<html>pack</html>", inputs) == expected
    head = pms.audit_head()
    assert pms.store_briefing("2026-10-30", "<html>pack</html>", inputs) == expected  # no-op
    with pytest.raises(DuplicateSubmissionError, match="already stored"):
        pms.store_briefing("2026-10-30", "<html>other</html>", {"n": 4})
    assert pms.audit_head() == head
    stored = pms.briefing("2026-10-30")
    assert stored is not None and stored["content"] == "<html>pack</html>"
    assert stored["fingerprint"] == expected and pms.briefing("2026-10-29") is None
