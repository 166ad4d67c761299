"""The fund's loop closed in the pages, in a real browser (issue 23 item 7).

A PMS holding the dashboards' test book (``runfolder.HELD``) gets the package the daily
``book`` step proposes on the session's 2026-10-30 run (its signals, decided against that
book: no agent or strategy runs again). ``workbench serve --tokens`` serves it to alice and
bob. Alice asks to approve the proposal whose book after it breaches a hard limit: without
an override reason she is refused, with one she signs, and a second approval by her is
refused; she submits a discretionary trade that appears at once. Bob signs the override
(approved), executes on the next session at the market (a double click books once), marks
the book (stale quotes refused until accepted); then the Position Book, Risk Monitor and
Attribution show the held book live from the PMS as of that mark. The Risk Monitor's held
VaR is recomputed here from the positions and the lake's unit returns with numpy.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest

from research_core.catalog import instrument
from research_core.lake import Lake
from research_core.page_registry import WIDGET_PAGES
from research_core.pipeline import steps
from research_core.pms import PMS
from research_core.pms.live import next_session
from research_core.pnl import unit_index
from tests.dashboards.conftest import GOOD, REPO, write_runs
from tests.dashboards.runfolder import HELD, hold_positions
from tests.dashboards.test_serve_auth import _add_user, _up
from tests.serving import free_port, start_serve, stop

NEXT = "2026-11-03"  # B3: Mon 2026-11-02 is Finados (All Souls' Day), no session
LOOKBACK = 750  # risk_report's window (B3 sessions)
PAGES = ("index", "trade_blotter", "position_book", "risk_monitor", "attribution")


class LoopServer(NamedTuple):
    base: str
    db_url: str
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def loop_server(
    runs_path: Path,
    sample_lake_path: Path,
    pms_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LoopServer]:
    """The session's 2026-10-30 run copied beside a PMS of its own, whose package the
    run's book step proposes; served with per-user tokens (alice, bob)."""
    write_runs(runs_path, sample_lake_path, pms_url)  # the session's runs (once a session)
    folder = tmp_path_factory.mktemp("loop")
    pages = folder / "dashboards"  # only the pages the loop visits, one warm kernel each
    pages.mkdir()
    for name in PAGES:
        shutil.copy(REPO / "dashboards" / f"{name}.ipynb", pages)
    db_url = f"sqlite:///{folder / 'pms.db'}"
    PMS.open(db_url, lake=sample_lake_path, actor="pm")  # the server needs the database
    env = {
        "WORKBENCH_RUNS_PATH": str(folder / "runs"),
        "WORKBENCH_LAKE_PATH": str(sample_lake_path),
        "WORKBENCH_DB_URL": db_url,
    }
    tokens = {name: _add_user(db_url, name) for name in ("alice", "bob")}
    port, log = free_port(), folder / "serve.log"
    args = ["--tokens", "--port", str(port), "--dashboards", str(pages)]
    proc = start_serve([*args, "--pool-size", "1", "--refill-delay", "0"], env, log)
    base = f"http://127.0.0.1:{port}"
    # while the kernels warm up: the book held, marked by the run's pms step, and the
    # package the run's book step proposes against it
    hold_positions(PMS.open(db_url, lake=sample_lake_path, actor="pm"))
    run = folder / "runs" / GOOD
    shutil.copytree(runs_path / GOOD, run)
    args = {"lake_path": str(sample_lake_path), "as_of": GOOD, "run_dir": str(run)}
    steps.pms_mark(**args, db_url=db_url)
    steps.book(**args, db_url=db_url)
    try:
        _up(base, proc, log)
        _warm(proc, log)
        yield LoopServer(base, db_url, tokens)
    finally:
        stop(proc)


def _warm(proc: subprocess.Popen[bytes], log: Path) -> None:
    """Wait (at most 120 s) until the pool of every page with widgets holds its preheated
    kernel (for acting; every page's first content is static HTML, ``serve_static``)."""
    kernels = [p for p in PAGES if p in WIDGET_PAGES]
    deadline = time.monotonic() + 120
    while log.read_text().count("is filled with") < len(kernels):
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"kernel pools not warm:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)


def _open(ctx: object, server: LoopServer, user: str, page: str, wait: str) -> object:
    """``user`` opens ``page`` (signing in with the token); a page with widgets shows its
    static first content, then "Act on this page" opens its kernel page, where one acts."""
    tab = ctx.new_page()  # type: ignore[attr-defined]
    url = f"{server.base}/voila/render/{page}.ipynb?date={GOOD}&token={server.tokens[user]}"
    tab.goto(url, wait_until="commit")
    if page in WIDGET_PAGES:
        tab.wait_for_selector(".wb-static-note", timeout=60_000)
        assert tab.query_selector_all(".wb-static-note ~ * button") == []  # nothing to press yet
        tab.click("a.wb-act")
    tab.wait_for_selector(wait, timeout=120_000)
    return tab


def _said(tab: object, where: str, text: str) -> str:
    """The message containing ``text`` in the feedback line ``where``."""
    from playwright.sync_api import TimeoutError as Timeout

    loc = tab.locator(f"{where} .wb-msg:not(.warn)", has_text=text)  # type: ignore[attr-defined]
    try:
        loc.first.wait_for(timeout=60_000)
    except Timeout:
        pytest.fail(f"{where} says {tab.locator(where).all_inner_texts()}, not {text!r}")  # type: ignore[attr-defined]
    return str(loc.first.inner_text())


def _beside(tab: object, where: str, button: str) -> None:
    """The feedback line starts right of the button, on the button's row."""
    fb = tab.locator(where).bounding_box()  # type: ignore[attr-defined]
    b = tab.locator(button).bounding_box()  # type: ignore[attr-defined]
    assert fb["x"] >= b["x"] + b["width"] - 1, (fb, b)
    assert abs((fb["y"] + fb["height"] / 2) - (b["y"] + b["height"] / 2)) < fb["height"], (fb, b)


def _hard(pms: PMS, pid: int) -> bool:
    limits = pms.proposal(pid)["impact"]["limits"]
    return any(v["status"] == "breach" and v["kind"] == "hard" for v in limits.values())


def _alice(ctx: object, server: LoopServer, pms: PMS, pid: int, art: Path) -> None:
    """Override refused without a reason, signed with one, refused a second time by her;
    a discretionary trade appears in the list at once."""
    tab = _open(ctx, server, "alice", "trade_blotter", f"button.wb-approve-{pid}")
    slot = tab.locator(".wb-package-slot")  # type: ignore[attr-defined]
    assert slot.count() == 1 and slot.locator("button.wb-package-approve").count() == 1
    # the package card on top: the whole package's ΔVaR 99 % as the PMS prices it (checked
    # against a hand computation in tests/pms/test_package.py)
    dvar = float(pms.package().risk.loc[0.99, "delta_var"]) * 100
    assert f"{dvar:+.2f} % of NAV" in slot.inner_text()
    assert tab.locator(f".wb-override-{pid} input").is_visible()  # type: ignore[attr-defined]
    fb = f".wb-feedback-{pid}"
    head = pms.audit_head()
    tab.click(f"button.wb-approve-{pid}")  # type: ignore[attr-defined]
    text = _said(tab, fb, "approving it needs an override")
    assert text.startswith(f"Not done: proposal {pid} would breach hard limits: ")
    assert "\n" not in text and pms.audit_head() == head
    _beside(tab, fb, f"button.wb-approve-{pid}")
    tab.fill(f".wb-override-{pid} input", "hedges the NDF held")  # type: ignore[attr-defined]
    tab.click(f"button.wb-approve-{pid}")  # type: ignore[attr-defined]
    _said(tab, fb, f"override signed by alice: proposal {pid} waits for a second")
    head = pms.audit_head()
    tab.fill(f".wb-override-{pid} input", "hedges the NDF held")  # type: ignore[attr-defined]
    tab.click(f"button.wb-approve-{pid}")  # type: ignore[attr-defined]
    _said(tab, fb, f"alice already signed the override of proposal {pid}")
    assert pms.proposal(pid)["state"] == "PROPOSED" and pms.audit_head() == head

    pending = pms.proposals(state="PROPOSED")
    taken = set(zip(pending["instrument"], pending["side"], strict=True))
    inst, side = next(t for t in (("GOLD.FUT", "buy"), ("GOLD.FUT", "sell")) if t not in taken)
    tab.select_option(".wb-entry-instrument select", inst)  # type: ignore[attr-defined]
    tab.select_option(".wb-entry-side select", side)  # type: ignore[attr-defined]
    tab.fill(".wb-entry-size input", "5e7")  # type: ignore[attr-defined]
    tab.click("button.wb-entry-submit")  # type: ignore[attr-defined]
    _said(tab, ".wb-feedback-entry", "discretionary trade stored as proposal")
    new = int(pms.proposals(state="PROPOSED").index[-1])
    assert pms.proposal(new)["instrument"] == inst
    tab.wait_for_selector(f"button.wb-approve-{new}", timeout=30_000)  # type: ignore[attr-defined]
    _beside(tab, ".wb-feedback-entry", "button.wb-entry-submit")
    tab.locator(fb).scroll_into_view_if_needed()  # type: ignore[attr-defined]
    tab.screenshot(path=str(art / "loop_blotter_alice.png"), full_page=True)  # type: ignore[attr-defined]
    tab.close()  # type: ignore[attr-defined]


def _bob(ctx: object, server: LoopServer, pms: PMS, pid: int, lake: Lake, art: Path) -> None:
    """The second override signature approves; execution on the next session at the
    market, refused without a date, booked once on a double click."""
    tab = _open(ctx, server, "bob", "trade_blotter", f"button.wb-approve-{pid}")
    fb = f".wb-feedback-{pid}"
    tab.fill(f".wb-override-{pid} input", "agreed: package hedge")  # type: ignore[attr-defined]
    tab.click(f"button.wb-approve-{pid}")  # type: ignore[attr-defined]
    _said(tab, fb, f"proposal {pid} is APPROVED")
    signed = pms.journal(action="approve").query(f"proposal_id == {pid}")["actor"].tolist()
    assert signed == ["bob"]
    assert pms.journal(action="override").query(f"proposal_id == {pid}")["actor"].tolist() == [
        "alice"
    ]
    tab.wait_for_selector(f"button.wb-execute-{pid}", timeout=30_000)  # type: ignore[attr-defined]
    date = tab.locator(f".wb-trade-date-{pid} input")  # type: ignore[attr-defined]
    assert date.input_value() == NEXT
    inst = instrument(str(pms.proposal(pid)["instrument"]))
    market = lake.at(NEXT).series(inst.price_series).dropna().iloc[-1]
    price = tab.locator(f".wb-price-{pid} input").input_value()  # type: ignore[attr-defined]
    assert float(price) == pytest.approx(market, rel=1e-9)
    date.fill("")
    tab.click(f"button.wb-execute-{pid}")  # type: ignore[attr-defined]
    _said(tab, fb, "execution needs a trade date (YYYY-MM-DD); nothing executed")
    _beside(tab, fb, f"button.wb-execute-{pid}")
    assert pms.proposal(pid)["state"] == "APPROVED"
    date.fill(NEXT)
    tab.dblclick(f"button.wb-execute-{pid}")  # type: ignore[attr-defined]
    _said(tab, fb, f"proposal {pid} executed as trade")
    tab.fill(".wb-entry-size input", "abc")  # type: ignore[attr-defined]
    tab.click("button.wb-entry-preview")  # type: ignore[attr-defined]  # queued after the clicks
    _said(tab, ".wb-feedback-entry", "size must be a number")
    assert len(pms.journal(action="execute").query(f"proposal_id == {pid}")) == 1
    tab.locator(fb).scroll_into_view_if_needed()  # type: ignore[attr-defined]
    tab.screenshot(path=str(art / "loop_blotter_bob.png"), full_page=True)  # type: ignore[attr-defined]
    tab.close()  # type: ignore[attr-defined]


def _mark(ctx: object, server: LoopServer, pms: PMS, pid: int, art: Path) -> None:
    """Stale quotes refused until accepted; the new mark, with the executed trade in the
    book, is shown at once."""
    tab = _open(ctx, server, "bob", "position_book", "button.wb-mark")
    assert tab.locator(".wb-mark-day input").input_value() == NEXT  # type: ignore[attr-defined]
    tab.click("button.wb-mark")  # type: ignore[attr-defined]
    _said(tab, ".wb-feedback-mark", "no new market data for US.SPX (last quote 2026-10-30)")
    assert f"{pms.nav_history().index.max():%Y-%m-%d}" == GOOD
    tab.check(".wb-mark-stale input")  # type: ignore[attr-defined]
    tab.click("button.wb-mark")  # type: ignore[attr-defined]
    _said(tab, ".wb-feedback-mark", f"marked {NEXT}: NAV BRL ")
    _beside(tab, ".wb-feedback-mark", "button.wb-mark")
    tab.wait_for_selector(f'[data-kpi="nav"]:has-text("{NEXT}")', timeout=30_000)  # type: ignore[attr-defined]
    rows = {r.query_selector("td").inner_text(): r.inner_text()
            for r in tab.query_selector_all('[data-table="book"] tbody tr')}  # type: ignore[attr-defined]  # fmt: skip
    p = pms.proposal(pid)
    assert f"{_quantity_after(p):,.0f}" in rows[p["instrument"]]
    tab.screenshot(path=str(art / "loop_position_book.png"), full_page=True)  # type: ignore[attr-defined]
    tab.close()  # type: ignore[attr-defined]
    # the next visit's static first content: the book as of the new mark, the trade in it
    tab = ctx.new_page()  # type: ignore[attr-defined]
    tab.goto(f"{server.base}/voila/render/position_book.ipynb?date={GOOD}")  # type: ignore[attr-defined]
    note = tab.wait_for_selector(".wb-static-note", timeout=60_000)  # type: ignore[attr-defined]
    assert f"held book, live from PMS as of {NEXT}" in note.inner_text()
    rows = {r.query_selector("td").inner_text(): r.inner_text()
            for r in tab.query_selector_all('[data-table="book"] tbody tr')}  # type: ignore[attr-defined]  # fmt: skip
    assert f"{_quantity_after(p):,.0f}" in rows[p["instrument"]]
    tab.close()  # type: ignore[attr-defined]


def _quantity_after(p: dict) -> float:
    """The position in the executed proposal's instrument: what HELD had in it (by hand from
    runfolder.HELD; none if it was not held) plus the proposal's signed size."""
    held = sum(
        (1 if side == "buy" else -1) * size for i, side, size in HELD if i == p["instrument"]
    )
    return held + p["side"] * (p["approved_size"] or p["size"])


def _held_by_hand(pms: PMS, lake: Lake, pid: int) -> tuple[pd.Series, float]:
    """The held book at NEXT (HELD plus proposal ``pid`` executed) in BRL over the NAV of
    that mark, and its historical 99 % 1-day VaR: -(1 %-quantile) of positions × the
    lake's unit returns (numpy's inverted CDF, the last 750 sessions)."""
    view = lake.at(NEXT)
    fx = view.series("BRL.USD.SPOT").dropna().iloc[-1]
    qty = pd.Series({i: (1 if side == "buy" else -1) * size for i, side, size in HELD})
    p = pms.proposal(pid)
    traded = pd.Series({p["instrument"]: p["side"] * (p["approved_size"] or p["size"])})
    qty = qty.add(traded, fill_value=0.0)
    nav = float(pms.nav_history()["nav_brl"].loc[pd.Timestamp(NEXT)])
    w = pd.Series({i: q * (fx if instrument(i).currency == "USD" else 1.0) / nav
                   for i, q in qty.items()})  # fmt: skip
    start = pd.Timestamp(NEXT) - pd.Timedelta(days=int(LOOKBACK * 1.5) + 30)
    rets = unit_index(view, list(w.index), start, trim=True).pct_change().iloc[1:]
    pnl = rets.iloc[-LOOKBACK:].to_numpy() @ w[rets.columns].to_numpy()
    return w, float(-np.quantile(pnl, 0.01, method="inverted_cdf"))


def test_the_loop_closes_in_the_pages(
    browser: object, loop_server: LoopServer, sample_lake_path: Path, artifacts_dir: Path
) -> None:
    pms = PMS.open(loop_server.db_url, create=False)
    package = pms.proposals(state="PROPOSED")
    assert (package["created_by"] != "pm").sum() >= 2  # the book step's package
    pid = next(int(i) for i in package.index if _hard(pms, int(i)))
    lake = Lake.open(sample_lake_path)
    # one context (the front-end bundle loads once): each ?token= signs its user in
    alice = bob = browser.new_context(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
    try:
        _alice(alice, loop_server, pms, pid, artifacts_dir)
        _bob(bob, loop_server, pms, pid, lake, artifacts_dir)
        _mark(bob, loop_server, pms, pid, artifacts_dir)
        w, v99 = _held_by_hand(pms, lake, pid)
        nav = float(pms.nav_history()["nav_brl"].loc[pd.Timestamp(NEXT)])
        live = f"held book, live from PMS as of {NEXT}"

        tab = _open(bob, loop_server, "bob", "risk_monitor", '[data-kpi="held_var99"]')
        kpis = {k.get_attribute("data-kpi"): k.inner_text()
                for k in tab.query_selector_all("[data-kpi]")}  # type: ignore[attr-defined]  # fmt: skip
        assert kpis["held_var99"].lower().startswith(live.lower())
        assert kpis["held_var99"].endswith(f"\n{v99:.2%}"), kpis["held_var99"]
        brl_mn = f"\nBRL {v99 * nav / 1e6:,.1f} mn"  # by hand: VaR × NAV in millions
        assert kpis["held_var99_brl"].endswith(brl_mn), kpis["held_var99_brl"]
        assert f"{live}: the PMS was traded and marked after the {GOOD} run" in tab.inner_text(
            "body"
        )
        tab.close()

        tab = _open(bob, loop_server, "bob", "attribution", '[data-table="attribution"]')
        assert live in tab.inner_text(".wb-card h2")
        rows = [[c.inner_text() for c in r.query_selector_all("td")]
                for r in tab.query_selector_all('[data-table="attribution"] tbody tr')]  # fmt: skip
        by_instrument = {r[1] for r in rows if r[0] == "instrument" and r[2] == "day"}
        assert set(w.index) <= by_instrument, (set(w.index), by_instrument)
        tab.close()
    finally:
        alice.close()


def test_the_default_trade_and_mark_date_is_the_next_b3_session() -> None:
    # B3's 2026 calendar: Mon 2 Nov (Finados) and Fri 20 Nov (Consciência Negra) are holidays
    assert f"{next_session('2026-10-30')}" == NEXT
    assert f"{next_session('2026-11-03')}" == "2026-11-04"
    assert f"{next_session('2026-11-19')}" == "2026-11-23"
