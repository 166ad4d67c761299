"""Who acts on the pages: ``workbench serve --tokens`` with per-user tokens, in a real
browser.

A second server (``--tokens`` on loopback, no kernel pool: each visit starts its kernel, the
path Voilà takes when the pool is empty) over a PMS with four-eyes on, users alice and bob
added by ``workbench users add``, and a proposal bob made. Without a token nothing is served;
bob, signed in by ``?token=`` and sending a forged ``X-Workbench-User: alice`` header, is
refused approving his own proposal (four-eyes) on the page; alice, signed in on ``/login``,
approves it and the journal records alice; ``/logout`` ends her session.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from research_core.cli import main
from research_core.pms import PMS
from research_core.serve import ServeError, require_users
from research_core.serve_auth import is_loopback, mode_for
from tests.dashboards.conftest import ACTING, GOOD, REPO, write_runs
from tests.serving import free_port, start_serve, stop

PAGE = f"/voila/render/trade_blotter.ipynb?{ACTING}"  # the kernel page, where one acts


class TokenServer(NamedTuple):
    base: str
    db_url: str
    tokens: dict[str, str]
    proposal: int


def _add_user(db_url: str, name: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["users", "add", name, "--db", db_url]) == 0
    return next(line for line in out.getvalue().splitlines() if line.startswith(f"{name}."))


def _up(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"workbench serve --tokens exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    pytest.fail(f"workbench serve --tokens not answering after 120 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def token_server(
    runs_path: Path, sample_lake_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TokenServer]:
    folder = tmp_path_factory.mktemp("tokens")
    db_url = f"sqlite:///{folder / 'pms.db'}"
    pms = PMS.open(db_url, lake=sample_lake_path, actor="bob")
    if not pms.settings()["four_eyes"]:  # on by default for new databases (issue 23)
        pms.init(four_eyes=True)
    pid = pms.submit("GOLD.FUT", "buy", 5e7, as_of=GOOD, actor="bob", reason="gold hedge")
    tokens = {name: _add_user(db_url, name) for name in ("alice", "bob")}
    write_runs(runs_path, sample_lake_path, db_url)
    port = free_port()
    env = {
        "WORKBENCH_RUNS_PATH": str(runs_path),
        "WORKBENCH_LAKE_PATH": str(sample_lake_path),
        "WORKBENCH_DB_URL": db_url,
    }
    log = folder / "serve.log"
    proc = start_serve(["--tokens", "--port", str(port), "--pool-size", "0"], env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        _up(base, proc, log)
        yield TokenServer(base, db_url, tokens, pid)
    finally:
        stop(proc)


@pytest.mark.parametrize(
    ("host", "loopback"),
    # RFC 1122 3.2.1.3: 127.0.0.0/8 is loopback; RFC 4291 2.5.3: ::1; "" and 0.0.0.0 and
    # :: bind every address
    [
        ("127.0.0.1", True),
        ("127.4.5.6", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("", False),
        ("::", False),
        ("10.0.0.5", False),
        ("workbench.fund.example", False),
    ],
)
def test_loopback_or_tokens(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    assert mode_for(host) == ("os-user" if loopback else "tokens")
    assert mode_for(host, tokens=True) == "tokens"


def test_serving_beyond_loopback_refuses_to_start_without_a_user(
    tmp_path: Path, sample_lake_path: Path
) -> None:
    """Before: ``serve --host 0.0.0.0`` served the pages, approve buttons included, to any
    address. Now it exits with one line before binding anything; a missing SQLite
    database is not created."""
    missing = tmp_path / "none.db"
    with pytest.raises(ServeError, match="no PMS database"):
        require_users(f"sqlite:///{missing}", "0.0.0.0")
    assert not missing.exists()
    db_url = f"sqlite:///{tmp_path / 'pms.db'}"
    PMS.open(db_url, lake=sample_lake_path)
    env = {**os.environ, "WORKBENCH_DB_URL": db_url, "WORKBENCH_LAKE_PATH": str(sample_lake_path)}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "research_core.cli", "serve", "--host", "0.0.0.0"]
    cmd += ["--port", str(free_port()), "--pool-size", "0"]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        f"workbench: error: serving on 0.0.0.0 needs per-user tokens and {db_url} has no "
        "user: add one with `workbench users add NAME`"
    ]


def test_nothing_is_served_without_a_valid_token(browser: object, token_server: TokenServer):
    base = token_server.base
    ctx = browser.new_context()  # type: ignore[attr-defined]
    try:
        get = ctx.request.get
        answer = get(base + PAGE, max_redirects=0)
        assert answer.status == 302 and answer.headers["location"].startswith("/login?next=")
        answer = get(base + PAGE + "&token=bob.not-his-token", max_redirects=0)
        assert answer.status == 302 and answer.headers["location"].startswith("/login?next=")
        for page in ("morning_pack", "trade_blotter"):  # static pages (no kernel) too
            static = get(f"{base}/voila/render/{page}.ipynb", max_redirects=0)
            assert static.status == 302 and static.headers["location"].startswith("/login?next=")
        assert get(f"{base}/api/kernels/{'0' * 8}-0000-0000-0000-{'0' * 12}").status == 403
        assert get(f"{base}/login").status == 200  # the form, and its _xsrf cookie
        xsrf = {c["name"]: c["value"] for c in ctx.cookies()}["_xsrf"]
        answer = ctx.request.post(
            f"{base}/login", form={"_xsrf": xsrf, "token": "bob.not-his-token"}, max_redirects=0
        )
        assert answer.status == 403 and "That token is not valid." in answer.text()
        assert not [c for c in ctx.cookies() if c["name"].startswith("username-")]
    finally:
        ctx.close()


def _message(page: object, text: str) -> str:
    loc = page.locator(".wb-msg", has_text=text)  # type: ignore[attr-defined]
    loc.first.wait_for(timeout=90_000)
    return str(loc.first.inner_text())


def test_four_eyes_through_the_page_and_decisions_under_the_served_user(
    browser: object, token_server: TokenServer
) -> None:
    base, pid = token_server.base, token_server.proposal
    pms = PMS.open(token_server.db_url, create=False)
    # bob signs in with ?token= and forges the header the server uses to say who visits
    bob = browser.new_context(extra_http_headers={"X-Workbench-User": "alice"})  # type: ignore[attr-defined]
    alice = browser.new_context()  # type: ignore[attr-defined]
    try:
        page = bob.new_page()
        page.goto(f"{base}{PAGE}&token={token_server.tokens['bob']}", wait_until="commit")
        page.wait_for_selector(f"button.wb-approve-{pid}", timeout=120_000)
        assert "token=" not in page.url  # redirected without it
        assert page.locator(".wb-who").inner_text().startswith("Signed in as bob")
        login = next(c for c in bob.cookies() if c["name"].startswith("username-"))
        assert login["httpOnly"] and login["sameSite"] == "Lax"
        head = pms.audit_head()
        page.fill(f".wb-reason-{pid} input", "my own idea")
        page.click(f"button.wb-approve-{pid}")
        text = _message(page, "four-eyes")
        assert f"four-eyes: bob proposed {pid} and cannot also approve it" in text
        assert pms.proposal(pid)["state"] == "PROPOSED" and pms.audit_head() == head

        page = alice.new_page()
        page.goto(f"{base}/login?next={PAGE.replace('&', '%26')}", wait_until="load")
        page.fill("input[name=token]", token_server.tokens["alice"])
        page.click("input[type=submit]")
        page.wait_for_selector(f"button.wb-approve-{pid}", timeout=120_000)
        page.fill(f".wb-reason-{pid} input", "a sensible hedge")
        page.click(f"button.wb-approve-{pid}")
        _message(page, f"proposal {pid} is APPROVED")
        journal = pms.journal(action="approve")
        assert journal.loc[journal["proposal_id"] == pid, "actor"].tolist() == ["alice"]
        assert pms.audit_verify().ok
        page.close()

        assert alice.request.get(f"{base}/logout").status == 200
        answer = alice.request.get(base + PAGE, max_redirects=0)
        assert answer.status == 302 and answer.headers["location"].startswith("/login")
    finally:
        bob.close()
        alice.close()
