"""``workbench serve``: the dashboards (``dashboards/*.ipynb``) on Voilà, fast, offline and safe.

- binds 127.0.0.1 unless another address is asked for, on one port (no silent port hopping);
- preheated kernels: each page keeps a pool of kernels that already ran the page's imports
  and wait at ``voila.utils.wait_for_request()``;
- sources stripped, tracebacks never shown, every cell (except the wait) under a timeout;
- the house template (``research_core/viz/voila``), which drops Voilà's CDN stylesheets;
- kernels start without the API keys and database passwords in the environment that they
  do not need (only the PMS database URL, which pages never print);
- who visits (``serve_auth``): on loopback the OS user; beyond loopback (or ``--tokens``)
  per-user tokens (``workbench users add``), and the server refuses to start without any;
  the page's kernel learns the visitor's name from the server, never from the page;
- every page's first content is static HTML (``serve_static``), rendered once per
  run/PMS state in one worker process: a crowd needs no kernel each; a page with widgets
  (``page_registry.py``) links to its kernel page (``?act=1``), on preheated kernels,
  where its buttons work (``--no-static``: every page on a kernel);
- a quiet console: kernels on IPC sockets, no "not trusted" line per page (our notebooks
  are committed without outputs, so trust changes nothing), a page error is one line;
- a visitor leaving a page stops its kernel within seconds: when the page's last kernel
  websocket closes (a tab closed, navigated away, crashed) and none reconnects within
  ``LEAVE_GRACE_S``. Voilà's own leave beacon fires only on ``beforeunload`` after the
  page is wired up, and needs the ``_xsrf`` cookie Voilà's page handler does not set
  (voila #1458), which ours does.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from research_core.errors import WorkbenchError
from research_core.identity import USER_HEADER
from research_core.page_registry import NAMES, WIDGET_PAGES
from research_core.serve_env import kernel_environment, page_kernel_environment

TEMPLATE = "workbench"
PAGES = NAMES  # the page registry (page_registry.py)
CULL_IDLE_S = 120  # seconds a kernel that never had a page connected may sit idle
LEAVE_GRACE_S = 3.0  # seconds a page's kernel waits for its websocket to reconnect
REFILL_DELAY_S = 5.0  # seconds before a used kernel's replacement starts


class ServeError(WorkbenchError):
    """The dashboards cannot be served as asked (no dashboards folder, bad port)."""


@dataclass(frozen=True)
class ServeOptions:
    """How ``workbench serve`` serves: address, dashboards folder (default
    :func:`default_dashboards`), seconds a cell may run, preheated kernels per page (and
    per-page ``pools``), seconds before a used kernel is replaced, tokens also on loopback,
    and the static first pages (``False``: every page on a kernel)."""

    port: int = 8866
    host: str = "127.0.0.1"
    dashboards: str | Path | None = None
    timeout: int = 60
    pool_size: int = 2
    pools: Mapping[str, int] | None = None
    refill_delay: float = REFILL_DELAY_S
    tokens: bool = False
    static: bool = True


def serve_options(options: ServeOptions | None, overrides: Mapping[str, object]) -> ServeOptions:
    """``options`` with the keywords a caller gave; a misspelt one is a ServeError."""
    from research_core._typing import with_overrides  # lazily: it imports pandas

    return with_overrides(options or ServeOptions(), overrides, ServeError)


def default_dashboards() -> Path:
    """``dashboards/`` of the current directory, else of the source checkout."""
    here = Path.cwd() / "dashboards"
    return here if here.is_dir() else Path(__file__).resolve().parents[1] / "dashboards"


def cell_timeout(seconds: int) -> Callable[[Any], int | None]:
    """nbclient ``timeout_func``: ``seconds`` for every cell a visitor waits for; no limit
    for the cells tagged ``preheat`` (imports, and the wait for the visitor), which run in
    a pooled kernel before anyone asked for the page (it may wait there for hours)."""

    def timeout(cell: Any) -> int | None:
        tags = cell.get("metadata", {}).get("tags", [])
        return None if "preheat" in tags else seconds

    return timeout


def page_urls(host: str, port: int) -> list[str]:
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
    return [f"http://{shown}:{port}/voila/render/{p}.ipynb" for p in PAGES]


@functools.cache
def _page_kernel_manager() -> type:
    """The per-kernel manager Voilà starts page kernels with (built lazily: jupyter_server
    is imported only by ``serve``)."""
    from jupyter_server.services.kernels.kernelmanager import ServerKernelManager
    from traitlets import Dict

    class PageKernelManager(ServerKernelManager):
        """Starts a kernel with :func:`page_kernel_environment`; the server's own
        ``os.environ`` is never changed."""

        server_env = Dict(help="the server's environment when it started").tag(config=True)

        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            kw["env"] = page_kernel_environment(kw.get("env", os.environ), self.server_env)
            await super().start_kernel(**kw)

    return PageKernelManager


def __getattr__(name: str) -> Any:
    if name == "PageKernelManager":  # named in the Voilà configuration
        return _page_kernel_manager()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def voila_config(
    options: ServeOptions | None = None,
    *,
    auth: str = "os-user",
    db_url: str = "",
    **overrides: object,
) -> Any:
    """The traitlets configuration handed to Voilà (also what the tests start), for
    ``options`` (:class:`ServeOptions`; any field may be given by keyword); with
    ``static`` only the widget pages (acted on) get a kernel pool (``pools`` may give one)."""
    o = serve_options(options, overrides)
    from traitlets.config import Config

    from research_core import serve_auth

    c = Config()
    c.Voila.ip = o.host
    c.Voila.port = o.port
    c.Voila.port_retries = 0
    c.Voila.open_browser = False
    c.Voila.root_dir = str(dashboards_folder(o).resolve())
    c.VoilaConfiguration.template = TEMPLATE
    c.VoilaConfiguration.theme = "light"
    c.VoilaConfiguration.strip_sources = True
    c.VoilaConfiguration.show_tracebacks = False
    c.VoilaConfiguration.preheat_kernel = True
    c.VoilaConfiguration.default_pool_size = o.pool_size
    c.VoilaConfiguration.file_allowlist = [r".*\.(png|svg)"]
    c.VoilaExecutor.timeout_func = cell_timeout(o.timeout)
    c.VoilaExecutor.cell_error_instruction = "The page could not finish; see the server log."
    c.VoilaExecutor.cell_timeout_instruction = "The page took too long; see the server log."
    sizes = {"default": {"pool_size": o.pool_size}}
    for page in [p for p in NAMES if p not in WIDGET_PAGES] if o.static else ():
        sizes[f"{page}.ipynb"] = {"pool_size": 0}
    for page, size in (o.pools or {}).items():
        sizes[f"{page}.ipynb"] = {"pool_size": size}
    c.VoilaKernelManager.kernel_pools_config = sizes
    # A used kernel is replaced ``refill_delay`` s later, not at once: starting a kernel
    # takes both cores for seconds, which would slow the page just opened and a second
    # visitor (who gets the pool's other kernel, already warm).
    c.VoilaKernelManager.fill_delay = o.refill_delay
    # A visitor who leaves before the page connected its kernel websocket (so none closes)
    # leaves a kernel behind: kernels with no page connected, idle for CULL_IDLE_S, are
    # stopped (pooled kernels wait inside a cell, busy, and are never culled).
    c.MappingKernelManager.cull_idle_timeout = CULL_IDLE_S
    c.MappingKernelManager.cull_interval = 30
    c.MappingKernelManager.cull_connected = False
    # Who visits: the identity provider authenticates every request; the page handler
    # forwards the name as USER_HEADER, which Voilà gives the kernel as USER_ENV.
    c.Voila.identity_provider_class = serve_auth.WorkbenchIdentity
    c.WorkbenchIdentity.mode = auth
    c.WorkbenchIdentity.db_url = db_url
    c.WorkbenchIdentity.local_user = serve_auth.os_user()
    c.VoilaConfiguration.http_header_envs = [USER_HEADER]
    # A quiet console: kernels talk over local IPC sockets (no per-kernel "running over TCP
    # without encryption" warning), and the websocket ping timeout equals its interval
    # (jupyter_server's default, three intervals, makes tornado warn on the first visit).
    c.KernelManager.transport = "ipc"
    # Kernels get kernel_environment() of the server's environment, which stays untouched.
    c.MappingKernelManager.kernel_manager_class = "research_core.serve.PageKernelManager"
    c.PageKernelManager.server_env = dict(os.environ)
    c.Voila.tornado_settings = {"ws_ping_timeout": 30_000}
    return c


def dashboards_folder(options: ServeOptions) -> Path:
    """The dashboards folder ``options`` name, else :func:`default_dashboards`."""
    return Path(options.dashboards) if options.dashboards else default_dashboards()


def serve(
    options: ServeOptions | None = None, *, argv: Sequence[str] = (), **overrides: object
) -> int:
    """Run Voilà on the dashboards until interrupted; prints the page URLs first.
    ``options`` (:class:`ServeOptions`; any field may be given by keyword) says how."""
    o = serve_options(options, overrides)
    folder = dashboards_folder(o)
    if not (folder / "index.ipynb").is_file():
        raise ServeError(f"no dashboards at {folder} (expected index.ipynb there)")
    if not 0 < o.port < 65536:
        raise ServeError(f"port {o.port} is not between 1 and 65535")
    if not o.refill_delay >= 0:  # also refuses NaN
        raise ServeError(f"--refill-delay {o.refill_delay} must be 0 or more seconds")
    from research_core import serve_auth
    from research_core.config import get_settings

    auth = serve_auth.mode_for(o.host, o.tokens)
    s = get_settings()
    if auth == serve_auth.TOKENS:
        require_users(s.db_url, o.host)
    # Voilà and nbconvert find the house template on JUPYTER_PATH (read from the environment)
    os.environ["JUPYTER_PATH"] = kernel_environment(os.environ)["JUPYTER_PATH"]
    from voila.app import Voila

    config = voila_config(o, auth=auth, db_url=s.db_url)
    pages = None
    if o.static:
        from research_core.serve_static import StaticPages

        runs = Path(s.runs_path).resolve()
        pages = StaticPages(runs_path=runs, lake_path=Path(s.lake_path), db_url=s.db_url)
    _banner(folder, o, auth)
    app = _workbench_voila(Voila, pages)(config=config)
    app.initialize(list(argv))
    app.log.addFilter(_quiet)
    try:
        app.start()
    finally:
        if pages is not None:
            pages.close()
    return 0


def _banner(folder: Path, o: ServeOptions, auth: str) -> None:
    """What the console says when the server starts: where, who may visit, the pages."""
    from research_core import serve_auth

    host, port = o.host, o.port
    print(f"workbench serve: dashboards from {folder} on {host}:{port}", flush=True)
    if auth == serve_auth.TOKENS:
        print(f"  visitors sign in with their token: http://{host}:{port}/login", flush=True)
        if not serve_auth.is_loopback(host):
            print(
                "  WARNING: plain HTTP: tokens and cookies cross the network unencrypted;"
                " put a TLS proxy in front",
                flush=True,
            )
    else:
        print(f"  visitors act as the OS user {serve_auth.os_user()} (loopback)", flush=True)
    for url in page_urls(host, port):
        print(f"  {url}", flush=True)


def _quiet(record: Any) -> bool:
    """Log filter: drop jupyter_server's "Notebook <page> is not trusted" (one per page and
    visit; trust only decides whether stored outputs may run, and ours have none)."""
    return not str(record.msg).startswith("Notebook %s is not trusted")


def require_users(db_url: str, host: str) -> None:
    """Serving with tokens needs at least one user in the PMS database; ServeError else
    (checked before anything is started; a missing SQLite file is not created)."""
    from research_core.pms.db import safe_url
    from research_core.pms.system import PMS
    from research_core.pms.users import list_users

    why = f"serving on {host} needs per-user tokens"
    hint = "add one with `workbench users add NAME`"
    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///") :]).is_file():
        raise ServeError(f"{why}: no PMS database at {safe_url(db_url)} (`workbench pms init`)")
    if list_users(PMS.open(db_url, create=False).engine).empty:
        raise ServeError(f"{why} and {safe_url(db_url)} has no user: {hint}")


def _workbench_voila(voila: type, static: Any = None) -> type:
    """``voila`` with our page and kernel-websocket handlers.

    Page handlers forward the visitor's name to the kernel (``serve_auth``) and set the
    ``_xsrf`` cookie, so the beacon the page sends when the visitor leaves (``POST
    /voila/api/shutdown/<kernel>``) passes the server's XSRF check. Kernel websockets stop
    their kernel once the last one has closed for ``LEAVE_GRACE_S`` (the visitor left).
    With ``static`` (a ``serve_static.StaticPages``) the static pages are answered by it.
    """
    from voila.handler import VoilaHandler
    from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

    from research_core import serve_auth, serve_static

    def page(handler: type) -> type:
        class PageHandler(handler):
            async def prepare(self) -> None:
                self.request.headers.pop(USER_HEADER, None)  # only the server says who
                await super().prepare()
                if self._finished or not serve_auth.page_prepare_user(self):
                    return
                _ = self.xsrf_token  # tornado sets the cookie when the token is first read

            async def get(self, path: str | None = None) -> None:
                name = Path(path or "").stem
                signed_in = self.current_user is not None  # else Voilà's get: to /login
                query = self.request.query
                if static is not None and signed_in and serve_static.static_answer(name, query):
                    await serve_static.respond(static, self, name)
                    return
                await super().get(path)

        PageHandler.__name__ = handler.__name__
        return PageHandler

    class LeavingSocket(VoilaKernelWebsocketHandler):
        def on_close(self) -> None:
            kernel_id = getattr(self, "kernel_id", None)
            super().on_close()
            if kernel_id is not None:
                from tornado.ioloop import IOLoop

                IOLoop.current().call_later(
                    LEAVE_GRACE_S, _stop_if_left, self.kernel_manager, kernel_id, self.log
                )

    def ours(handler: Any) -> Any:
        if not isinstance(handler, type):
            return handler
        if issubclass(handler, VoilaHandler):
            return page(handler)
        return LeavingSocket if handler is VoilaKernelWebsocketHandler else handler

    class WorkbenchVoila(voila):
        def init_handlers(self) -> list[Any]:
            handlers = [(h[0], ours(h[1]), *h[2:]) for h in super().init_handlers()]
            if static is None:
                return handlers
            import plotly
            from tornado.web import StaticFileHandler

            bundle = Path(plotly.__file__).parent / "package_data"
            route = (r"/workbench/(plotly\.min\.js)", StaticFileHandler, {"path": str(bundle)})
            return [route, *handlers]

        def start(self) -> None:
            if static is not None:
                from tornado.ioloop import IOLoop

                IOLoop.current().spawn_callback(static.watch, self.log)
            super().start()

    return WorkbenchVoila


async def _stop_if_left(manager: Any, kernel_id: str, log: Any) -> None:
    """Stop the kernel if no websocket of a page is connected to it any more."""
    if kernel_id not in manager:  # stopped already (the page's beacon, the culler)
        return
    if manager.kernel_model(kernel_id)["connections"] > 0:  # the page reconnected
        return
    log.info("Visitor left: stopping kernel %s", kernel_id)
    try:
        await manager.shutdown_kernel(kernel_id)
    except KeyError:
        log.info("Kernel %s was stopped meanwhile", kernel_id)
