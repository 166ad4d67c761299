"""One Voilà server (``workbench serve``) and one headless Chromium for the whole session.

The run folders are written by real package calls on the sample lake (``runfolder.py``):
a good run, a failed run, a stale run and a run with an empty book. Every request the
browser makes to a host other than the server is aborted and recorded; a test fails if any
was made. Screenshots go to ``test-artifacts/dashboards/`` (printed; ignored by git).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from research_core.page_registry import ACT, WIDGET_PAGES
from tests.dashboards.runfolder import hold_positions, write_book_run, write_manifest
from tests.serving import CHROMIUM, CHROMIUM_ARGS, free_port, start_serve, stop

REPO = Path(__file__).resolve().parents[2]
GOOD, FAILED, STALE, EMPTY = "2026-10-30", "2026-10-29", "2026-10-28", "2026-10-27"
SECRET = "sk-ant-test-DO-NOT-SHOW-4242"
PROPOSALS = (("DI1.5Y", "sell", 2e8), ("GOLD.FUT", "buy", 5e7))
# The pages with widgets: static first content, and a kernel page (``?act=1``) on a
# preheated kernel where they are acted on (the page registry).
KERNEL_PAGES = WIDGET_PAGES
ACTING = f"date={GOOD}&{ACT}=1"  # a widget page's kernel page, for the run of GOOD


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("WORKBENCH_TEST_ARTIFACTS", REPO / "test-artifacts")) / "dashboards"
    path.mkdir(parents=True, exist_ok=True)
    print(f"\ndashboard screenshots: {path}")
    return path


def write_runs(runs: Path, lake: Path, db_url: str) -> None:
    """Four runs: good, failed (at risk), stale (good artifacts, stale flag), empty book
    (once a session: a second call finds them written)."""
    if (runs / EMPTY / "manifest.json").is_file():
        return
    good = write_book_run(runs, lake, GOOD, db_url)
    write_manifest(
        runs / FAILED,
        FAILED,
        status="failed",
        error={
            "step": "risk",
            "cell": 3,
            "exception": "RiskError",
            "message": "covariance not PSD",
        },
    )
    shutil.copytree(good / "artifacts", runs / STALE / "artifacts")
    write_manifest(runs / STALE, STALE, stale=True, stale_series="BR.IPCA.MOM")
    empty = runs / EMPTY / "artifacts" / "book"
    empty.mkdir(parents=True)
    pd.read_parquet(good / "artifacts/book/weights.parquet").head(0).to_parquet(
        empty / "weights.parquet"
    )
    write_manifest(runs / EMPTY, EMPTY)


@pytest.fixture(scope="session")
def pms_url(sample_lake_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite PMS holding a book (``runfolder.HELD``, marked before GOOD) with two
    discretionary proposals (real workflow calls) as of GOOD."""
    from research_core.pms import PMS

    url = f"sqlite:///{tmp_path_factory.mktemp('pms') / 'pms.db'}"
    pms = PMS.open(url, lake=sample_lake_path, actor="alice")
    hold_positions(pms)
    for inst, side, size in PROPOSALS:
        pms.submit(inst, side, size, as_of=GOOD, actor="alice", reason="test")
    return url


@pytest.fixture(scope="session")
def runs_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the session's ``workbench serve`` prints (Voilà's log)."""
    return tmp_path_factory.mktemp("serve") / "serve.log"


@pytest.fixture(scope="session")
def server(
    runs_path: Path, sample_lake_path: Path, pms_url: str, server_log: Path
) -> Iterator[str]:
    """``workbench serve`` in a subprocess; the run folders are written while its kernel
    pools warm up (pages read them on request); yields the base URL once pools are warm."""
    port = free_port()
    log = server_log
    env = {
        "WORKBENCH_RUNS_PATH": str(runs_path),
        "WORKBENCH_LAKE_PATH": str(sample_lake_path),
        "WORKBENCH_DB_URL": pms_url,
        "ANTHROPIC_API_KEY": SECRET,
    }
    args = ["--port", str(port)]
    args += ["--pool-size", "1"]  # one warm kernel per page is enough for sequential visits
    args += ["--refill-delay", "0"]  # the next test's visit should not wait for it
    proc = start_serve(args, env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        write_runs(runs_path, sample_lake_path, pms_url)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = log.read_text()
            if proc.poll() is not None:
                pytest.fail(f"workbench serve exited:\n{text}")
            if text.count("is filled with") >= len(KERNEL_PAGES):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"kernel pools not warm after 120 s:\n{log.read_text()[-3000:]}")
        yield base
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} missing under CI=true (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Visit:
    """One tab of the session's browser context (1366×768); the context aborts and records
    every request to another host (shared cache: the front-end bundle loads once)."""

    def __init__(self, context: object, base: str, outside: list[str]) -> None:
        self.base = base
        self.outside = outside
        self.page = context.new_page()  # type: ignore[attr-defined]

    def open(self, page: str, query: str = "") -> object:
        url = f"{self.base}/voila/render/{page}.ipynb" + (f"?{query}" if query else "")
        self.page.goto(url, wait_until="commit")
        self.page.wait_for_selector(".wb-header", state="visible", timeout=90_000)
        return self.page


@pytest.fixture(scope="session")
def context(browser: object, server: str) -> Iterator[tuple[object, list[str]]]:
    outside: list[str] = []

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        if url.startswith(server) or url.split(":", 1)[0] in ("data", "blob", "about"):
            r.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            r.abort()  # type: ignore[attr-defined]

    ctx = browser.new_context(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
    ctx.route("**/*", route)
    yield ctx, outside
    ctx.close()


@pytest.fixture()
def visit(context: tuple[object, list[str]], server: str) -> Iterator[Visit]:
    ctx, outside = context
    v = Visit(ctx, server, outside)
    yield v
    v.page.close(run_before_unload=True)  # type: ignore[attr-defined]  # Voilà stops the kernel
    assert outside == [], f"requests to outside hosts: {outside}"
