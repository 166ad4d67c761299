"""The proposals of one decision priced and approved as one package (``pms.package``).

Expected VaR/ES are computed here by hand: positions × each day's unit returns (the BRL a
unit of notional earned, ``pnl.unit_index``: the input data, not the risk module), the
loss sorted, VaR the k-th worst and ES the mean of the k worst with k = ⌈750 (1 − α)⌉ (the
risk report's quantile convention: 8 days at 99 %, 38 at 95 %, of 750).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from research_core.cli import main
from research_core.errors import (
    ControlError,
    FourEyesError,
    LimitBreachError,
    RiskError,
    TransitionError,
)
from research_core.lake.pit import PITView
from research_core.pms import PMS
from research_core.pms.impact import trade_impact
from research_core.pms.models import AuditRow
from research_core.pms.models import Decision as Entry
from research_core.pms.package import price_package, underlying
from research_core.pnl import unit_index
from research_core.portfolio.book import Decision
from research_core.portfolio.construct import PortfolioResult
from research_core.risk.limits import RiskLimits
from research_core.signals.aggregate import AggregatedSignals
from research_core.signals.sources import CollectedSignals
from research_core.viz.package_view import package_html
from tests.pms.conftest import four_eyes_off
from tests.pms.test_controls import dump

D = "2026-10-01"
NAV = 1e9  # the default capital
K = {0.95: 38, 0.99: 8}  # ⌈750 × 0.05⌉ = ⌈37.5⌉, ⌈750 × 0.01⌉ = ⌈7.5⌉


def unit_returns(view: PITView, ids: list[str]) -> pd.DataFrame:
    """The last 750 days of common daily unit returns (BRL per BRL of notional)."""
    start = view.as_of.tz_convert(None).normalize() - pd.Timedelta(days=int(750 * 1.5) + 30)
    level = unit_index(view, ids, start, trim=True)
    out = level.pct_change().iloc[1:].iloc[-750:]
    assert len(out) == 750
    return out


def var_es(weights: dict[str, float], rets: pd.DataFrame, alpha: float) -> tuple[float, float]:
    """VaR and ES by hand: the k-th worst loss and the mean of the k worst."""
    x = np.array([weights.get(c, 0.0) for c in rets.columns])
    loss = np.sort(-(rets.to_numpy() @ x))[::-1]  # worst first
    k = K[alpha]
    return float(loss[k - 1]), float(loss[:k].mean())


def decision(view: PITView, current: pd.Series, target: pd.Series) -> Decision:
    """A decision by hand: the target ``target`` decided against ``current`` at the view."""
    port = PortfolioResult(
        "erc", view.as_of, target, target, current, (), pd.Series(dtype=float),
        pd.Series(dtype=float), 0.1, 1.0,
    )  # fmt: skip
    prov = pd.DataFrame(columns=["instrument", "source", "contribution"])
    agg = AggregatedSignals(view.as_of, pd.DataFrame(), prov, (), 0.0)
    return Decision(CollectedSignals((), {}, {}), agg, port)


def propose(pms: PMS, target: dict[str, float]) -> pd.DataFrame:
    view = pms.view(D)
    return pms.propose(
        D, decision=decision(view, pms.exposures(D), pd.Series(target)), min_trade=1e-4
    )


def test_package_var_es_contributions_and_limits_by_hand(lake):
    view = lake.at(D)
    base = pd.Series({"DI1.2Y": 0.5, "USDBRL.FUT": 0.3})
    trades = pd.DataFrame(
        {"instrument": ["DI1.5Y", "USDBRL.FUT", "IBOV.FUT"], "delta_weight": [0.4, -0.1, 0.2]},
        index=pd.Index([11, 12, 13], name="id"),
    )
    pkg = price_package(view, base, trades, nav=NAV, limits=RiskLimits())
    rets = unit_returns(view, ["DI1.2Y", "DI1.5Y", "IBOV.FUT", "USDBRL.FUT"])
    before = {"DI1.2Y": 0.5, "USDBRL.FUT": 0.3}
    after = {"DI1.2Y": 0.5, "USDBRL.FUT": 0.2, "DI1.5Y": 0.4, "IBOV.FUT": 0.2}
    for alpha in (0.95, 0.99):
        row = pkg.risk.loc[alpha]
        (v0, e0), (v1, e1) = var_es(before, rets, alpha), var_es(after, rets, alpha)
        assert (row["var_before"], row["es_before"]) == pytest.approx((v0, e0), rel=1e-10)
        assert (row["var_after"], row["es_after"]) == pytest.approx((v1, e1), rel=1e-10)
        assert row["delta_var"] == pytest.approx(v1 - v0, rel=1e-10)
        assert row["delta_es"] == pytest.approx(e1 - e0, rel=1e-10)
        # leave-one-out: VaR(after) − VaR(after without the trade), each by hand
        tag = f"{alpha * 100:.0f}"
        loo = []
        for pid, t in trades.iterrows():
            without = dict(after)
            without[t["instrument"]] -= t["delta_weight"]
            v, e = var_es(without, rets, alpha)
            assert pkg.trades.loc[pid, f"loo_var_{tag}"] == pytest.approx(v1 - v, rel=1e-9)
            assert pkg.trades.loc[pid, f"loo_es_{tag}"] == pytest.approx(e1 - e, rel=1e-9)
            loo.append(v1 - v)
        # documented: ΔVaR = Σ leave-one-out + interaction
        assert row["interaction_var"] == pytest.approx(v1 - v0 - sum(loo), abs=1e-12)
    limits = pkg.limits
    assert limits.loc["FX delta USD/BRL", ["before", "value"]].tolist() == pytest.approx([0.3, 0.2])
    assert limits.loc["gross leverage", "value"] == pytest.approx(1.3)  # 0.5+0.2+0.4+0.2
    assert limits.loc["gross leverage", "before"] == pytest.approx(0.8)
    assert limits.loc["VaR 99% 1d", "value"] == pytest.approx(var_es(after, rets, 0.99)[0])
    assert set(limits["status"]) <= {"ok", "warn", "breach", "n/a"}
    assert pkg.basis["underlying"].tolist() == []  # USDBRL.FUT alone: no basis trade

    # the card the blotter shows: ΔVaR in % of NAV with 2 decimals, limits with units
    card = package_html(pkg)
    v0, _ = var_es(before, rets, 0.99)
    v1, _ = var_es(after, rets, 0.99)
    kpi = re.search(r'data-kpi="pkg-dvar">.*?wb-value">([^<]*)<', card)
    assert kpi is not None and kpi.group(1) == f"{(v1 - v0) * 100:+.2f} % of NAV"
    assert "0.20 × NAV" in card and "0.30 × NAV" in card  # FX delta before → after
    assert not re.search(r"\de-\d", card)  # no scientific notation


def test_bad_package_input_is_one_line_and_refused(lake):
    view = lake.at(D)
    base = pd.Series({"DI1.2Y": 0.5})
    empty = pd.DataFrame(columns=["instrument", "delta_weight"])
    with pytest.raises(RiskError, match="an empty package"):
        price_package(view, base, empty, nav=NAV, limits=RiskLimits())
    bad = pd.DataFrame({"instrument": ["DI1.5Y"], "delta_weight": [np.nan]}, index=[1])
    with pytest.raises(RiskError, match="finite, non-zero"):
        price_package(view, base, bad, nav=NAV, limits=RiskLimits())


def test_a_single_proposal_is_priced_on_held_plus_approved(pms: PMS, lake):
    four_eyes_off(pms)
    pms.enter_trade("DI1.2Y", "buy", 3e8, trade_date=D, idempotency_key="held-1")
    pid = pms.submit("USDBRL.FUT", "buy", 2e8, as_of=D, actor="alice")
    assert pms.approve(pid, actor="bob") == "APPROVED"  # approved, not executed
    impact = pms.impact("IBOV.FUT", "buy", 1e8, as_of=D)

    view = lake.at(D)
    held = pms.exposures(D).to_dict()
    rets = unit_returns(view, ["DI1.2Y", "IBOV.FUT", "USDBRL.FUT"])
    base = held | {"USDBRL.FUT": 2e8 / NAV}  # a BRL-quoted future: notional / NAV
    var0, es0 = var_es(base, rets, 0.99)
    var1, es1 = var_es(base | {"IBOV.FUT": 0.1}, rets, 0.99)
    assert impact["var_before"] == pytest.approx(var0, rel=1e-10)
    assert impact["var_after"] == pytest.approx(var1, rel=1e-10)
    assert impact["delta_es"] == pytest.approx(es1 - es0, rel=1e-10)
    # priced alone (the old behaviour: the trade against an empty book) it differs
    alone = trade_impact(view, pd.Series(dtype=float), "IBOV.FUT", 0.1, nav=NAV)
    assert alone["var_before"] == 0.0
    assert abs(alone["delta_var"] - impact["delta_var"]) > 1e-5
    # a proposal stores the same pricing, and replays identically from its snapshot
    second = pms.submit("IBOV.FUT", "buy", 1e8, as_of=D, actor="alice")
    stored = pms.proposal(second)["impact"]
    assert float(stored["var_before"]) == pytest.approx(var0, rel=1e-10)


def test_basis_trade_line_and_minimum_ticket(pms: PMS):
    rid = pms.request_limits({"min_contracts": 50}, actor="alice", reason="fewer small tickets")
    pms.approve_control(rid, actor="controller", reason="agreed")
    made = propose(
        pms,
        {
            "USDBRL.FUT": 0.3,
            "USDBRL.NDF": -0.2,
            "DI1.2Y": 0.5,
            "NTNB.5Y": 0.0003,  # 0.3 BRL mn < min_ticket 0.5 BRL mn
            "DI1.5Y": 0.002,  # 2 BRL mn ≈ 36 contracts at the 5y PU < 50
        },
    )
    assert sorted(made["instrument"]) == ["DI1.2Y", "USDBRL.FUT", "USDBRL.NDF"]
    dropped = {d["instrument"]: d["why"] for d in made.attrs["dropped"]}
    assert dropped["NTNB.5Y"] == "0.30 BRL mn < min_ticket 0.5 BRL mn"
    assert dropped["DI1.5Y"].endswith("contracts < min_contracts 50")
    assert pms.journal(action="package").index.tolist() == [made.attrs["package"]]
    with pms.engine.connect() as conn:
        text = conn.execute(
            select(Entry.detail).where(Entry.id == made.attrs["package"])
        ).scalar_one()
    detail = json.loads(text)
    assert sorted(d["instrument"] for d in detail["dropped"]) == ["DI1.5Y", "NTNB.5Y"]
    assert sorted(int(i) for i in detail["proposals"]) == sorted(int(i) for i in made.index)

    pkg = pms.package(made.attrs["package"])
    assert underlying("USDBRL.FUT") == underlying("USDBRL.NDF") != underlying("DI1.2Y")
    (line,) = pkg.basis.itertuples()
    by = made.set_index("instrument")["delta_weight"]
    assert line.underlying == underlying("USDBRL.NDF")
    assert sorted(line.proposals) == sorted(
        int(i) for i in made.index[made["instrument"] != "DI1.2Y"]
    )
    assert line.matched_brl_mn == pytest.approx(min(by["USDBRL.FUT"], -by["USDBRL.NDF"]) * 1e3)
    assert line.net_brl_mn == pytest.approx((by["USDBRL.FUT"] + by["USDBRL.NDF"]) * 1e3)
    assert "basis USDBRL" in pkg.summary() and "dropped NTNB.5Y" in pkg.summary()


def _approve_actions(pms: PMS) -> list[tuple[str, str]]:
    with pms.engine.connect() as conn:
        rows = conn.execute(select(AuditRow.actor, AuditRow.action).order_by(AuditRow.seq))
        return [
            (r.actor, r.action) for r in rows if "package" in r.action or r.action == "override"
        ]


def test_approve_package_past_a_hard_limit_needs_two_signatures(pms: PMS):
    made = propose(pms, {"USDBRL.NDF": 1.2, "DI1.2Y": 0.3})  # FX delta 1.2 × NAV > 1.0 hard
    pkg = made.attrs["package"]
    state = dump(pms)
    with pytest.raises(LimitBreachError, match=r"FX delta USD/BRL 1\.20 × NAV over its hard cap"):
        pms.approve_package(pkg, actor="bob")
    with pytest.raises(ControlError, match="needs a written reason"):
        pms.approve_package(pkg, actor="bob", override="  ")
    with pytest.raises(FourEyesError, match="four-eyes"):
        pms.approve_package(pkg, actor="alice", override="my own package")
    with pytest.raises(TransitionError, match="no package 99999"):
        pms.approve_package(99999, actor="bob")
    assert dump(pms) == state

    assert pms.approve_package(pkg, actor="bob", override="hedges the carry book") == "PROPOSED"
    assert (pms.proposals()["state"] == "PROPOSED").all()
    state = dump(pms)
    for again in ("bob", " BOB"):
        with pytest.raises(FourEyesError, match="already signed the override of package"):
            pms.approve_package(pkg, actor=again, override="still agree")
    assert dump(pms) == state

    assert pms.approve_package(pkg, actor="carol", override="agreed for a week") == "APPROVED"
    assert (pms.proposals()["state"] == "APPROVED").all()
    assert _approve_actions(pms) == [
        ("alice", "package"),
        ("bob", "override"),
        ("carol", "approve_package"),
    ]
    with pms.engine.connect() as conn:
        payload = json.loads(
            conn.execute(
                select(AuditRow.payload).where(AuditRow.action == "approve_package")
            ).scalar_one()
        )
    assert payload["override"] == {
        "approvers": ["bob", "carol"],
        "reasons": ["hedges the carry book", "agreed for a week"],
    }
    assert sorted(int(i) for i in payload["proposals"]) == sorted(int(i) for i in made.index)
    assert payload["hard_breaches"][0].startswith("FX delta USD/BRL 1.20 × NAV")
    with pytest.raises(TransitionError, match="no pending proposal"):
        pms.approve_package(pkg, actor="dave")
    assert pms.audit_verify().ok


def test_package_cli_show_and_approve(lake, tmp_path: Path, capsys):
    url = f"sqlite:///{tmp_path / 'pms.db'}"
    pms = PMS.open(url, lake=lake, actor="alice")
    made = propose(pms, {"DI1.2Y": 0.3, "IBOV.FUT": 0.1})
    pkg = str(made.attrs["package"])
    common = ["--db", url, "--path", str(lake.root)]
    assert main(["pms", "package", "show", *common]) == 0
    out = capsys.readouterr().out
    assert f"package {pkg}" in out and "historical 99% 1-day VaR 0.00% →" in out
    state = dump(pms)
    assert main(["pms", "package", "approve", "77", *common, "--user", "bob"]) != 0
    err = capsys.readouterr().err
    assert "no package 77" in err and len(err.strip().splitlines()) == 1
    assert main(["pms", "package", "approve", pkg, *common, "--user", "alice"]) != 0
    assert "four-eyes" in capsys.readouterr().err
    assert dump(pms) == state
    assert main(["pms", "package", "approve", pkg, *common, "--user", "bob"]) == 0
    assert "APPROVED" in capsys.readouterr().out
    assert (pms.proposals()["state"] == "APPROVED").all()
    pms.engine.dispose()
