"""Trade Blotter in the browser: the PMS workflow through ipywidgets.

A malformed size or a negative price is refused on the page and writes nothing (the audit
chain head is unchanged); an approval persists under the served user (on loopback: the OS
user running the server), is in the decision journal (also on the
Decision Journal page) and the audit chain verifies.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from research_core.pms import PMS
from research_core.viz.pms_pages import open_pms
from tests.conftest import _free_port
from tests.dashboards.conftest import ACTING, Visit

OS_USER = getpass.getuser().lower()


def _message(page: object, text: str) -> str:
    loc = page.locator(".wb-msg", has_text=text)  # type: ignore[attr-defined]
    loc.first.wait_for(timeout=60_000)
    return str(loc.first.inner_text())


def test_approve_persists_journals_and_verifies(
    visit: Visit, pms_url: str, artifacts_dir: Path
) -> None:
    pms = PMS.open(pms_url, create=False)
    pending = pms.proposals(state="PROPOSED")
    first, second = (int(i) for i in pending.index[:2])
    page = visit.open("trade_blotter", ACTING)
    page.wait_for_selector(f"button.wb-approve-{first}", timeout=90_000)  # type: ignore[attr-defined]
    # the proposal's pre-trade risk is on the page before its button
    assert page.locator(".wb-card", has_text=f"#{first} ").first.is_visible()  # type: ignore[attr-defined]
    assert page.locator('[data-kpi="impact-0"]').count() >= 1  # type: ignore[attr-defined]
    # served on loopback: the visitor is the OS user running the server (no name to type)
    assert page.locator(".wb-who").inner_text().startswith(f"Signed in as {OS_USER}")  # type: ignore[attr-defined]

    head = pms.audit_head()
    page.fill(f".wb-size-{second} input", "abc")  # type: ignore[attr-defined]
    page.click(f"button.wb-modify-{second}")  # type: ignore[attr-defined]
    assert "size must be a number, got 'abc'" in _message(page, "size must be a number")
    assert pms.audit_head() == head and pms.proposal(second)["state"] == "PROPOSED"

    page.fill(f".wb-reason-{first} input", "fits the risk budget")  # type: ignore[attr-defined]
    page.click(f"button.wb-approve-{first}")  # type: ignore[attr-defined]
    _message(page, f"proposal {first} is APPROVED")
    assert pms.proposal(first)["state"] == "APPROVED"
    journal = pms.journal(action="approve")
    row = journal[journal["proposal_id"] == first]
    assert row["actor"].tolist() == [OS_USER]
    assert row["reason"].tolist() == ["fits the risk budget"]
    assert pms.audit_verify().ok

    head = pms.audit_head()
    page.wait_for_selector(f"button.wb-execute-{first}", timeout=60_000)  # type: ignore[attr-defined]
    page.fill(f".wb-price-{first} input", "-5")  # type: ignore[attr-defined]
    page.click(f"button.wb-execute-{first}")  # type: ignore[attr-defined]
    assert "price must be positive and finite, got '-5'" in _message(page, "price must be")
    assert pms.audit_head() == head and pms.proposal(first)["state"] == "APPROVED"
    page.screenshot(path=str(artifacts_dir / "trade_blotter_approved.png"), full_page=True)  # type: ignore[attr-defined]

    page = visit.open("decision_journal", ACTING)
    table = page.wait_for_selector('[data-table="journal"]', timeout=90_000)  # type: ignore[attr-defined]
    assert "fits the risk budget" in table.inner_text()


def test_unreachable_database_is_a_message_without_its_password() -> None:
    url = f"postgresql+psycopg2://fund:hunter2@127.0.0.1:{_free_port()}/pms"
    pms, problem = open_pms(url)
    assert pms is None and problem is not None
    assert problem.title == "Database unreachable"
    assert problem.text.startswith("the PMS database postgresql+psycopg2://fund:***@127.0.0.1:")
    assert "cannot be reached (OperationalError)" in problem.text
    assert "hunter2" not in problem.text


def test_missing_sqlite_database_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    pms, problem = open_pms(f"sqlite:///{path}")
    assert pms is None and problem is not None and "workbench pms init" in problem.text
    assert not path.exists()
