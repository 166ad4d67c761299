"""Run pages without a kernel, for ``workbench serve``: rendered once per state, sent to all.

Eight people opening the Morning Pack at 7 a.m. each got a kernel that read the run and
drew the page: on two cores the eighth waited many seconds. Every page's first content
(:data:`STATIC_PAGES`; a page with widgets shows what its widgets draw and links to its
kernel page, ``?act=1``) is rendered to HTML in one worker process (which
imported the page code once) and kept per (page, query) with the *state* it was built
from: the manifests of the runs folder, the PMS database (its SQLite file, or the audit
log's last seq) and the lake's manifest. A visit compares the state (a few ``stat`` calls)
and sends the cached page; visitors arriving while it renders wait for that one render.
The latest run's pages are rendered at start and again whenever the state changes, so the
first visitor after the morning pipeline finds them ready. Pages older than ``MAX_AGE_S``
are sent and refreshed behind (what the page says about "now" stays fresh).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from research_core.page_registry import ACT, NAMES, WIDGET_PAGES

STATIC_PAGES = NAMES
"""Every page's first content is static HTML, without a kernel (the page registry)."""
PLOTLY_JS = "/workbench/plotly.min.js"  # the installed plotly package's bundle, served here
MAX_AGE_S = 300.0  # seconds a page is sent as cached before it is rendered again
WATCH_S = 5.0  # seconds between checks of the state for the latest run's pages
QUERY_KEYS = ("date", "version")  # what a static page reads from its query string
ERROR_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Page error</title>'
    '</head><body><div class="wb wb-msg error" role="status">The page could not finish; '
    "see the server log.</div></body></html>"
)

State = tuple[Any, ...]


def _worker_start() -> None:
    """Each worker: Ctrl-C belongs to the server (which stops the pool); its environment is
    a page kernel's (no secrets); then the page code and catalogs load once, before any
    visitor waits for them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from research_core import startup
    from research_core.serve_env import kernel_environment

    env = kernel_environment(os.environ)
    for key in set(os.environ) - set(env):
        del os.environ[key]
    os.environ.update(env)
    startup.prepare_process()
    from research_core.viz import pages

    pages.preload()


def _render(name: str, query: str) -> str:
    from research_core.viz.static import page_html

    return page_html(name, query, plotly_js=PLOTLY_JS)


def normal_query(query: str) -> str:
    """The part of a query string a static page reads, in a stable order."""
    pairs = [(k, v) for k, v in parse_qsl(query or "", keep_blank_values=True) if k in QUERY_KEYS]
    return urlencode(sorted(pairs))


def static_answer(name: str, query: str) -> bool:
    """Whether the request for page ``name`` gets the static page: every page, except a
    widget page asked for with ``act`` (its kernel page, where it can be acted on)."""
    if name not in STATIC_PAGES:
        return False
    keys = {k for k, _ in parse_qsl(query or "", keep_blank_values=True)}
    return not (name in WIDGET_PAGES and ACT in keys)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class StaticPages:
    """The cache of rendered pages and the worker that renders them (``workers`` of them)."""

    def __init__(self, *, runs_path: Path, lake_path: Path, db_url: str, workers: int = 1):
        self.runs_path, self.lake_path, self.db_url = runs_path, lake_path, db_url
        self.workers = workers
        self.cache: dict[tuple[str, str], tuple[State, float, str]] = {}
        self.pending: dict[tuple[str, str, State], asyncio.Future[str]] = {}
        self.behind: set[asyncio.Future[str]] = set()  # refreshes nobody waits for
        self._pool: ProcessPoolExecutor | None = None
        self._engine: Any = None

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")  # the server has threads: no fork
            self._pool = ProcessPoolExecutor(self.workers, ctx, initializer=_worker_start)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _pms_state(self) -> Any:
        """The audit log's last seq: every PMS write appends to it (a SQLite file's own
        stamp would change whenever a reader opens and closes it, in WAL mode)."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import SQLAlchemyError

        if self.db_url.startswith("sqlite:///"):
            db = Path(self.db_url[len("sqlite:///") :].split("?")[0])
            if not db.is_file():  # never create an empty database by looking
                return None
        if self._engine is None:
            self._engine = create_engine(self.db_url, pool_pre_ping=True)
        try:
            with self._engine.connect() as conn:
                return conn.execute(text("SELECT max(seq) FROM audit_log")).scalar()
        except SQLAlchemyError as err:  # the page itself says what is wrong with the database
            return type(err).__name__

    def state(self) -> State:
        """What a page's content depends on, cheaply: run manifests, PMS, lake manifest."""
        runs = self.runs_path
        manifests = [*runs.glob("*/manifest.json"), *runs.glob("*/versions/v*/manifest.json")]
        stamps = tuple(sorted((str(p.relative_to(runs)), _stat(p)) for p in manifests))
        return (stamps, self._pms_state(), _stat(self.lake_path / "_lake.json"))

    async def html(self, name: str, query: str = "") -> str:
        """The page for ``query``: from the cache when built from the current state."""
        key, state = (name, normal_query(query)), self.state()
        hit = self.cache.get(key)
        if hit is not None and hit[0] == state:
            if time.monotonic() - hit[1] > MAX_AGE_S:
                task = asyncio.ensure_future(self._build(key, state))  # sent, refreshed behind
                self.behind.add(task)
                task.add_done_callback(self.behind.discard)
            return hit[2]
        return await self._build(key, state)

    async def _build(self, key: tuple[str, str], state: State) -> str:
        job = (*key, state)
        fut = self.pending.get(job)
        if fut is None:
            fut = asyncio.ensure_future(self._run(key, state))
            self.pending[job] = fut
            fut.add_done_callback(lambda _: self.pending.pop(job, None))
        return await asyncio.shield(fut)

    async def _run(self, key: tuple[str, str], state: State) -> str:
        loop = asyncio.get_running_loop()
        try:
            html = await loop.run_in_executor(self.pool(), _render, *key)
        except BrokenProcessPool:  # the worker died (killed, out of memory): a new one
            self._pool = None
            html = await loop.run_in_executor(self.pool(), _render, *key)
        self.cache[key] = (state, time.monotonic(), html)
        return html

    async def watch(self, log: Any) -> None:
        """Render the latest run's pages now, and again each time the state changes."""
        seen: State | None = None
        while True:
            state = self.state()
            if state != seen:
                for name in STATIC_PAGES:
                    try:
                        await self._build((name, ""), state)
                    except Exception as err:  # noqa: BLE001  any page error: one line, go on
                        log.error(one_line(name, "", err))
                seen = state
            await asyncio.sleep(WATCH_S)


def one_line(name: str, query: str, err: BaseException) -> str:
    """A page's error as the one console line that names it."""
    what = " ".join(str(err).split())[:300]
    shown = normal_query(query) or "latest run"
    return f"page {name} ({shown}) failed: {type(err).__name__}: {what}"


async def respond(pages: StaticPages, handler: Any, name: str) -> None:
    """Answer ``handler`` (a page request) with the static page, or the error page and
    one console line naming the page."""
    query = handler.request.query
    handler.set_header("Cache-Control", "no-cache, no-store, must-revalidate")
    try:
        html = await pages.html(name, query)
    except Exception as err:  # noqa: BLE001  whatever the page raised: one line naming it
        handler.log.error(one_line(name, query, err))
        html = ERROR_PAGE  # status 200 as Voilà's own failed pages: the line above is the one
    handler.set_header("Content-Type", "text/html; charset=UTF-8")
    handler.finish(html)
