"""``workbench serve``: the dashboards (``dashboards/*.ipynb``) on Voilà, fast, offline and safe.

- binds 127.0.0.1 unless another address is asked for, on one port (no silent port hopping);
- preheated kernels: each page keeps a pool of kernels that already ran the page's imports
  and wait at ``voila.utils.wait_for_request()``;
- sources stripped, tracebacks never shown, every cell (except the wait) under a timeout;
- the house template (``research_core/viz/voila``), which drops Voilà's CDN stylesheets;
- kernels start without the API keys and database passwords in the environment that they
  do not need (only the PMS database URL, which pages never print);
- a visitor leaving a page stops its kernel: Voilà's page handler does not set the
  ``_xsrf`` cookie its own shutdown beacon needs (voila #1458: every visit would leave a
  kernel running until the server stops), so ours does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from research_core.errors import WorkbenchError

TEMPLATE_ROOT = Path(__file__).parent / "viz"  # holds voila/templates/workbench
TEMPLATE = "workbench"
PAGES = (
    "index",
    "morning_pack",
    "position_book",
    "trade_blotter",
    "risk_monitor",
    "attribution",
    "decision_journal",
    "agent_hub",
)
CULL_IDLE_S = 300  # seconds a kernel whose page is gone may sit idle
REFILL_DELAY_S = 5.0  # seconds before a used kernel's replacement starts
# Environment variables a page never needs: kept out of every kernel.
SECRET_ENV = ("ANTHROPIC_API_KEY", "FRED_API_KEY", "WORKBENCH_TIMESCALE_URL")


class ServeError(WorkbenchError):
    """The dashboards cannot be served as asked (no dashboards folder, bad port)."""


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


def kernel_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The server's environment for kernels: absolute data paths (kernels run in
    ``dashboards/``), the house template on JUPYTER_PATH, secrets removed."""
    from research_core.config import get_settings

    s = get_settings()
    env = {k: v for k, v in environ.items() if k not in SECRET_ENV and not k.endswith("_API_KEY")}
    env["WORKBENCH_RUNS_PATH"] = str(Path(s.runs_path).resolve())
    env["WORKBENCH_LAKE_PATH"] = str(Path(s.lake_path).resolve())
    if s.db_url.startswith("sqlite:"):  # made absolute by the settings
        env["WORKBENCH_DB_URL"] = s.db_url
    paths = [str(TEMPLATE_ROOT), *filter(None, environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    env["JUPYTER_PATH"] = os.pathsep.join(paths)
    env["TQDM_DISABLE"] = "1"
    return env


def voila_config(
    *,
    dashboards: Path,
    host: str,
    port: int,
    timeout: int,
    pool_size: int,
    pools: Mapping[str, int] | None = None,
    refill_delay: float = REFILL_DELAY_S,
) -> Any:
    """The traitlets configuration handed to Voilà (also what the tests start)."""
    from traitlets.config import Config

    c = Config()
    c.Voila.ip = host
    c.Voila.port = port
    c.Voila.port_retries = 0
    c.Voila.open_browser = False
    c.Voila.root_dir = str(dashboards)
    c.VoilaConfiguration.template = TEMPLATE
    c.VoilaConfiguration.theme = "light"
    c.VoilaConfiguration.strip_sources = True
    c.VoilaConfiguration.show_tracebacks = False
    c.VoilaConfiguration.preheat_kernel = True
    c.VoilaConfiguration.default_pool_size = pool_size
    c.VoilaConfiguration.file_allowlist = [r".*\.(png|svg)"]
    c.VoilaExecutor.timeout_func = cell_timeout(timeout)
    c.VoilaExecutor.cell_error_instruction = "The page could not finish; see the server log."
    c.VoilaExecutor.cell_timeout_instruction = "The page took too long; see the server log."
    sizes = {"default": {"pool_size": pool_size}}
    for page, size in (pools or {}).items():
        sizes[f"{page}.ipynb"] = {"pool_size": size}
    c.VoilaKernelManager.kernel_pools_config = sizes
    # A used kernel is replaced ``refill_delay`` s later, not at once: starting a kernel
    # takes both cores for seconds, which would slow the page just opened and a second
    # visitor (who gets the pool's other kernel, already warm).
    c.VoilaKernelManager.fill_delay = refill_delay
    # A visitor who leaves before the page has wired its leave beacon leaves a kernel
    # behind: kernels with no open page, idle for CULL_IDLE_S, are stopped (Voilà keeps
    # the pooled ones).
    c.MappingKernelManager.cull_idle_timeout = CULL_IDLE_S
    c.MappingKernelManager.cull_interval = 60
    c.MappingKernelManager.cull_connected = False
    return c


def serve(
    *,
    port: int = 8866,
    host: str = "127.0.0.1",
    dashboards: str | Path | None = None,
    timeout: int = 60,
    pool_size: int = 2,
    pools: Mapping[str, int] | None = None,
    refill_delay: float = REFILL_DELAY_S,
    argv: Sequence[str] = (),
) -> int:
    """Run Voilà on the dashboards until interrupted; prints the page URLs first."""
    folder = Path(dashboards) if dashboards else default_dashboards()
    if not (folder / "index.ipynb").is_file():
        raise ServeError(f"no dashboards at {folder} (expected index.ipynb there)")
    if not 0 < port < 65536:
        raise ServeError(f"port {port} is not between 1 and 65535")
    if not refill_delay >= 0:  # also refuses NaN
        raise ServeError(f"--refill-delay {refill_delay} must be 0 or more seconds")
    env = kernel_environment(os.environ)  # kernels inherit the server's environment
    os.environ.clear()
    os.environ.update(env)
    from voila.app import Voila

    config = voila_config(
        dashboards=folder.resolve(),
        host=host,
        port=port,
        timeout=timeout,
        pool_size=pool_size,
        pools=pools,
        refill_delay=refill_delay,
    )
    print(f"workbench serve: dashboards from {folder} on {host}:{port}", flush=True)
    for url in page_urls(host, port):
        print(f"  {url}", flush=True)
    app = _with_shutdown_cookie(Voila)(config=config)
    app.initialize(list(argv))
    app.start()
    return 0


def _with_shutdown_cookie(voila: type) -> type:
    """``voila`` whose page handlers set the ``_xsrf`` cookie, so the beacon the page sends
    when the visitor leaves (``POST /voila/api/shutdown/<kernel>``) passes the server's
    XSRF check and the kernel stops (without it: 403, and the kernel lives on)."""
    from voila.handler import VoilaHandler

    def setting_cookie(handler: type) -> type:
        class PageHandler(handler):
            async def prepare(self) -> None:
                await super().prepare()
                _ = self.xsrf_token  # tornado sets the cookie when the token is first read

        PageHandler.__name__ = handler.__name__
        return PageHandler

    class WorkbenchVoila(voila):
        def init_handlers(self) -> list[Any]:
            return [
                (h[0], setting_cookie(h[1]), *h[2:])
                if isinstance(h[1], type) and issubclass(h[1], VoilaHandler)
                else h
                for h in super().init_handlers()
            ]

    return WorkbenchVoila


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m research_core.serve`` (what ``workbench serve`` runs)."""
    import argparse

    p = argparse.ArgumentParser(prog="workbench serve", description=__doc__)
    add_arguments(p)
    args = p.parse_args(argv)
    return run(args)


def add_arguments(p: Any) -> None:
    p.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--dashboards", help="folder of page notebooks (default: ./dashboards)")
    p.add_argument("--timeout", type=int, default=60, help="seconds a cell may run (default 60)")
    p.add_argument(
        "--pool-size", type=int, default=2, help="preheated kernels per page (default 2)"
    )
    p.add_argument(
        "--refill-delay",
        type=float,
        default=REFILL_DELAY_S,
        help=f"seconds before a used kernel is replaced (default {REFILL_DELAY_S:g})",
    )


def run(args: Any) -> int:
    return serve(
        port=args.port,
        host=args.host,
        dashboards=args.dashboards,
        timeout=args.timeout,
        pool_size=args.pool_size,
        refill_delay=args.refill_delay,
    )


if __name__ == "__main__":
    sys.exit(main())
