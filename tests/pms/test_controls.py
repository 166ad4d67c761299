"""The controls that bind (issue 30 items 3, 4 and 8; issue 23 item 5), on both engines:
four-eyes on by default and changed only by a second person; names and idempotency keys
normalized; a hard limit passed only with an override signed by two different approvers;
limits from an audited file; sizes no one can mean and marks on impossible dates refused.
Every refusal is one error and leaves every table as it was."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from research_core.config import get_settings
from research_core.errors import (
    ControlError,
    DuplicateSubmissionError,
    FourEyesError,
    LimitBreachError,
    LimitsError,
    LimitWarning,
    StaleQuoteError,
    StaleQuoteWarning,
    TradeInputError,
)
from research_core.pms import PMS
from research_core.pms.models import AuditRow, Base
from research_core.risk.limits import read_limits
from tests.pms.conftest import four_eyes_off

D = "2026-10-01"
NAV = 1e9  # the default capital


def dump(pms: PMS) -> dict[str, list[tuple]]:
    """Every PMS table, row by row (what "nothing changed" compares)."""
    with pms.engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in Base.metadata.sorted_tables
        }


def quote(lake, series: str, day: str = D) -> float:
    return float(lake.at(day).series(series).dropna().iloc[-1])


def audit_actions(pms: PMS) -> list[tuple[str, str]]:
    with pms.engine.connect() as conn:
        rows = conn.execute(select(AuditRow.actor, AuditRow.action).order_by(AuditRow.seq))
        return [(r.actor, r.action) for r in rows]


# ---- four-eyes and who acts -------------------------------------------------------------
def test_four_eyes_is_on_by_default_and_only_a_second_user_turns_it_off(pms: PMS):
    assert pms.settings()["four_eyes"] is True  # a new database
    pid = pms.submit("DI1.2Y", "buy", 1e8, as_of=D, actor="alice")
    state = dump(pms)
    with pytest.raises(ControlError, match="needs a written reason"):
        pms.init(four_eyes=False)  # the old walk-around: init --four-eyes off
    assert dump(pms) == state

    rid = pms.request_control("four_eyes", False, actor="alice", reason="one-person desk")
    assert pms.settings()["four_eyes"] is True  # requested, not applied
    with pytest.raises(FourEyesError, match="four-eyes"):
        pms.approve(pid, actor="alice")
    state = dump(pms)
    for me in ("alice", " ALICE ", "Alice"):
        with pytest.raises(ControlError, match="cannot also approve it"):
            pms.approve_control(rid, actor=me)
    with pytest.raises(ControlError, match="pending"):
        pms.request_control("four_eyes", False, actor="carol", reason="again")
    assert dump(pms) == state

    done = pms.approve_control(rid, actor="Bob", reason="agreed with the COO")
    assert (done.state, done.decided_by, done.requested_by) == ("approved", "bob", "alice")
    assert pms.settings()["four_eyes"] is False
    with pytest.raises(ControlError, match="already approved by bob"):
        pms.approve_control(rid, actor="carol")
    journal = pms.journal()
    assert journal[["actor", "action"]].values.tolist()[-2:] == [
        ["alice", "control_request"],
        ["bob", "control_approve"],
    ]
    assert audit_actions(pms)[-2:] == [("alice", "control_request"), ("bob", "control_approve")]
    assert pms.approve(pid, actor="alice") == "APPROVED"  # now one person may
    assert pms.audit_verify().ok


def test_a_case_variant_of_the_proposer_is_the_proposer(pms: PMS):
    pid = pms.submit("DI1.2Y", "buy", 1e8, as_of=D, actor="alice")
    state = dump(pms)
    for variant in ("ALICE", " alice ", "Alice\t", "ａｌｉｃｅ"):  # the last: full-width
        with pytest.raises(FourEyesError, match="cannot also approve"):
            pms.approve(pid, actor=variant)
    assert dump(pms) == state
    assert pms.approve(pid, actor="  Bob ") == "APPROVED"
    assert [e["actor"] for e in pms.proposal(pid)["events"]] == ["alice", "bob"]


def test_a_discretionary_trade_is_a_proposal_while_four_eyes_is_on(pms: PMS):
    state = dump(pms)
    with pytest.raises(FourEyesError, match="is a proposal"):
        pms.enter_trade("DI1.2Y", "buy", 1e8, trade_date=D, idempotency_key="k1")
    assert dump(pms) == state


# ---- hard limits: an override signed by two --------------------------------------------
def test_a_hard_breach_needs_an_override_by_two_different_approvers(pms: PMS, lake):
    # 1.2 × NAV of USD bought against BRL: FX delta = size × USD/BRL / NAV = 1.2 by hand,
    # over the hard cap of 1.0 × NAV (the shipped limits); VaR stays under its 2 %.
    size = 1.2 * NAV / quote(lake, "BRL.USD.SPOT")
    pid = pms.submit("USDBRL.NDF", "buy", size, as_of=D, actor="alice", reason="hedge")
    state = dump(pms)
    with pytest.raises(
        LimitBreachError, match=r"FX delta USD/BRL 1\.20 × NAV over its hard cap 1\.00"
    ):
        pms.approve(pid, actor="bob")
    with pytest.raises(ControlError, match="needs a written reason"):
        pms.approve(pid, actor="bob", override="  ")
    with pytest.raises(FourEyesError, match="four-eyes"):
        pms.approve(pid, actor="alice", override="my own hedge")
    assert dump(pms) == state

    assert pms.approve(pid, actor="bob", override="hedges the NTN-B carry") == "PROPOSED"
    state = dump(pms)
    for again in ("bob", "BOB", " Bob"):
        with pytest.raises(FourEyesError, match="already signed the override"):
            pms.approve(pid, actor=again, override="still agree")
    assert dump(pms) == state

    assert pms.approve(pid, actor="carol", override="agree, for one week") == "APPROVED"
    journal = pms.journal(instrument="USDBRL.NDF")
    assert journal[["actor", "action"]].values.tolist() == [
        ["alice", "propose"],
        ["bob", "override"],
        ["carol", "approve"],
    ]
    with pms.engine.connect() as conn:
        payload = json.loads(
            conn.execute(select(AuditRow.payload).where(AuditRow.action == "approve")).scalar_one()
        )
    assert payload["override"] == {
        "approvers": ["bob", "carol"],
        "reasons": ["hedges the NTN-B carry", "agree, for one week"],
    }
    assert payload["hard_breaches"] == ["FX delta USD/BRL 1.20 × NAV over its hard cap 1.00 × NAV"]
    assert ("bob", "override") in audit_actions(pms)
    assert pms.audit_verify().ok


def test_an_override_where_no_hard_limit_breaks_is_refused(pms: PMS):
    pid = pms.submit("DI1.2Y", "buy", 1e8, as_of=D, actor="alice")
    state = dump(pms)
    with pytest.raises(LimitBreachError, match="breaches no hard limit"):
        pms.approve(pid, actor="bob", override="just in case")
    assert dump(pms) == state


# ---- the limits file ---------------------------------------------------------------------
def test_limits_change_only_by_an_approved_audited_request(pms: PMS, lake, monkeypatch):
    path = pms.limits_path
    assert pms.limits_file().version == 0 and not path.exists()  # the shipped defaults
    state = dump(pms)
    bad = [
        ({"fx_delta": "1.5"}, {}, "", ControlError, "needs a written reason"),
        ({"nosuch": "1"}, {}, "why", LimitsError, "unknown limit 'nosuch'"),
        ({"fx_delta": "-1"}, {}, "why", LimitsError, "fx_delta: must be greater than 0"),
        ({"var_99": "nan"}, {}, "why", LimitsError, "var_99: must be a finite number"),
        ({"fx_delta": "abc"}, {}, "why", LimitsError, "fx_delta must be a number"),
        ({"gross_leverage": "50%"}, {}, "why", LimitsError, "not %"),
        ({}, {"soft": ["fx_delta"], "hard": ["fx_delta"]}, "why", LimitsError, "both soft"),
        ({}, {"soft": ["nosuch"]}, "why", LimitsError, "unknown limit 'nosuch'"),
        ({"fx_delta": "1.0"}, {}, "why", ControlError, "equal the approved ones"),
    ]
    for values, kinds, why, error, match in bad:
        with pytest.raises(error, match=match):
            pms.request_limits(values, actor="bob", reason=why, **kinds)
    assert dump(pms) == state and not path.exists()

    # FX delta soft, VaR cap 2.5 %: requested by bob, applied only when carol approves
    rid = pms.request_limits(
        {"var_99": "2.5%"}, soft=["fx_delta"], actor="bob", reason="the hedge program"
    )
    assert not path.exists() and pms.limits().var_99 == 0.02
    with pytest.raises(ControlError, match="cannot also approve"):
        pms.approve_control(rid, actor="BOB")
    pms.approve_control(rid, actor="carol")
    text = path.read_bytes()
    written = read_limits(path)
    assert written.version == 1 and written.limits.var_99 == 0.025
    assert written.limits.kind("fx_delta") == "soft" and written.limits.kind("var_99") == "hard"
    assert written.meta["requested_by"] == "bob" and written.meta["approved_by"] == "carol"
    assert written.meta["reason"] == "the hedge program"
    with pms.engine.connect() as conn:
        payload = json.loads(
            conn.execute(
                select(AuditRow.payload).where(AuditRow.action == "control_approve")
            ).scalar_one()
        )
    assert payload["sha256"] == hashlib.sha256(text).hexdigest()
    assert payload["requested_by"] == "bob" and payload["version"] == "1"

    # everyone reads the same file: construction, the risk report's limit table
    monkeypatch.setenv("WORKBENCH_LIMITS_PATH", str(path))
    get_settings.cache_clear()
    try:
        import pandas as pd

        from research_core.portfolio.constraints import Constraints
        from research_core.risk.report import limit_check

        assert Constraints().limits.var_99 == 0.025
        table = limit_check(pd.Series({"DI1.2Y": 0.1}), lake.at(D), nav=NAV).limits
        assert table.at["VaR 99% 1d", "max"] == 0.025
        assert table.at["FX delta USD/BRL", "kind"] == "soft"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

    # a soft breach now warns and needs no override: FX delta 1.2 × NAV by hand
    size = 1.2 * NAV / quote(lake, "BRL.USD.SPOT")
    pid = pms.submit("USDBRL.NDF", "buy", size, as_of=D, actor="alice")
    with pytest.warns(LimitWarning, match=r"FX delta USD/BRL 1\.20 × NAV over its soft cap"):
        assert pms.approve(pid, actor="dave") == "APPROVED"


def test_a_limits_file_edited_by_hand_stops_approvals_until_restored(pms: PMS):
    rid = pms.request_limits({"fx_delta": "1.5"}, actor="bob", reason="wider hedge")
    pms.approve_control(rid, actor="carol")
    path = pms.limits_path
    approved = path.read_bytes()
    pid = pms.submit("DI1.2Y", "buy", 1e8, as_of=D, actor="alice")
    path.write_bytes(approved.replace(b"fx_delta: 1.5", b"fx_delta: 9.0"))
    state = dump(pms)
    with pytest.raises(LimitsError, match="differs from the approved limits version 1"):
        pms.approve(pid, actor="bob")
    with pytest.raises(ControlError, match="needs a written reason"):
        pms.restore_limits(actor="bob")
    assert dump(pms) == state
    pms.restore_limits(actor="bob", reason="undo a hand edit")
    assert path.read_bytes() == approved
    edited = hashlib.sha256(approved.replace(b"fx_delta: 1.5", b"fx_delta: 9.0")).hexdigest()
    assert path.with_name(f"limits.yaml.replaced-{edited[:8]}").exists()  # kept, not lost
    assert pms.approve(pid, actor="bob") == "APPROVED"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("version: 1\nlimits: {nosuch: 1.0}\n", "unknown limit 'nosuch'"),
        ("version: 1\nlimits: {var_99: -0.01}\n", "var_99: must be greater than 0"),
        ("version: 1\nlimits: {var_99: .inf}\n", "var_99: must be a finite number"),
        ("version: 1\nlimits: {var_99: true}\n", "var_99 must be a number"),
        ("version: 1\nsoft: [nosuch]\n", "unknown limit 'nosuch'"),
        ("version: 0\n", "version must be a whole number from 1"),
        ("limits: [\n", "not valid YAML"),
        ("version: 1\nextra: 1\n", "unknown key 'extra'"),
    ],
)
def test_a_malformed_limits_file_is_one_line(tmp_path: Path, text: str, match: str):
    path = tmp_path / "limits.yaml"
    path.write_text(text)
    with pytest.raises(LimitsError, match=match) as err:
        read_limits(path)
    assert "\n" not in str(err.value)


# ---- sizes, marks, idempotency keys -------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "match"),
    [
        (1e300, "over the ticket cap of 10 × NAV"),
        (1e15, "over the ticket cap of 10 × NAV"),
        (1e308, "over the ticket cap of 10 × NAV"),
        (1e-300, "below one contract"),
    ],
)
def test_sizes_no_one_can_mean_are_refused(pms: PMS, size: float, match: str):
    pid = pms.submit("DI1.2Y", "buy", 1e8, as_of=D, actor="alice")
    state = dump(pms)
    with pytest.raises(TradeInputError, match=match):
        pms.submit("DI1.5Y", "sell", size, as_of=D, actor="alice")
    with pytest.raises(TradeInputError, match=match):
        pms.modify(pid, size, actor="bob")
    with pytest.raises(TradeInputError, match=match):
        pms.impact("DI1.5Y", "sell", size, as_of=D)
    assert dump(pms) == state


def test_the_ticket_bounds_by_hand(pms: PMS, lake):
    # one DI1 contract is its PU: 100,000 / (1 + y)^2 for the 2-year (B3 contract spec);
    # 10 × NAV = 1e10 BRL.
    pu = 100_000 / (1 + quote(lake, "BR.DI.2Y") / 100) ** 2
    with pytest.raises(TradeInputError, match="below one contract"):
        pms.impact("DI1.2Y", "buy", pu * 0.999, as_of=D)
    assert pms.impact("DI1.2Y", "buy", pu * 1.001, as_of=D)["delta_var"] > 0
    with pytest.raises(TradeInputError, match="over the ticket cap"):
        pms.impact("DI1.2Y", "buy", 1e10 * 1.001, as_of=D)
    # a USD notional counts at USD/BRL: 1e10 BRL is 1e10 / S dollars
    s = quote(lake, "BRL.USD.SPOT")
    with pytest.raises(TradeInputError, match="over the ticket cap"):
        pms.impact("UST.10Y.FUT", "buy", 1e10 / s * 1.001, as_of=D)


def test_marks_on_non_sessions_and_stale_quotes(pms: PMS):
    four_eyes_off(pms)
    pms.enter_trade("DI1.2Y", "buy", 1e8, trade_date=D, idempotency_key="k1")
    state = dump(pms)
    with pytest.raises(TradeInputError, match=r"2026-10-04 \(Sunday\): a weekend"):
        pms.mark("2026-10-04")
    with pytest.raises(TradeInputError, match=r"2026-10-12 \(Monday\): a B3 holiday"):
        pms.mark("2026-10-12")  # Nossa Senhora Aparecida: B3 closed
    # the sample lake ends on 2026-10-30; 2026-12-04 is 25 B3 sessions later
    with pytest.raises(StaleQuoteError, match=r"BR\.DI\.2Y \(last quote 2026-10-30\)"):
        pms.mark("2026-12-04")
    assert dump(pms) == state
    with pytest.warns(StaleQuoteWarning, match="stale quotes"):
        result = pms.mark("2026-12-04", stale_ok=True)
    assert result.as_of == dt.date(2026, 12, 4)
    with pms.engine.connect() as conn:
        payload = json.loads(
            conn.execute(select(AuditRow.payload).where(AuditRow.action == "mark")).scalar_one()
        )
    assert payload["stale_quotes"]["BR.DI.2Y"] == "2026-10-30"


def test_idempotency_keys_are_normalized(pms: PMS):
    four_eyes_off(pms)
    pms.enter_trade("DI1.2Y", "buy", 1e8, trade_date=D, idempotency_key="k1")
    state = dump(pms)
    for key in ("k1 ", " k1", "k1\t", "ｋ1"):  # the last: a full-width k
        with pytest.raises(DuplicateSubmissionError, match="'k1' was already used"):
            pms.enter_trade("DI1.2Y", "buy", 1e8, trade_date=D, idempotency_key=key)
    pid = pms.submit("DI1.5Y", "buy", 1e8, as_of=D, actor="alice")
    pms.approve(pid, actor="alice")
    with pytest.raises(DuplicateSubmissionError, match="'k1' was already used"):
        pms.execute(pid, idempotency_key=" k1 ", actor="alice")
    assert dump(pms)["trades"] == state["trades"]  # still the one trade
    assert len(pms.positions()) == 1


def test_the_limits_file_lives_beside_the_sqlite_database(tmp_path: Path, monkeypatch):
    from research_core.risk.limits import limits_path

    assert limits_path(f"sqlite:///{tmp_path / 'a' / 'pms.db'}") == tmp_path / "a" / "limits.yaml"
    monkeypatch.setenv("WORKBENCH_LIMITS_PATH", str(tmp_path / "fund-limits.yaml"))
    get_settings.cache_clear()
    try:
        assert limits_path("sqlite:///elsewhere.db") == tmp_path / "fund-limits.yaml"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
