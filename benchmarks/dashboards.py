"""A morning crowd on the served pages: 1, 3 and 8 visitors opening pages at once.

Each visitor is its own headless Chromium context (no shared cache or cookies, like eight
people), all started in the same instant; "first content" is the moment the page header
with the run's date is visible (``.wb-header``; the page's numbers come in the same
server-rendered output). Two crowds: everyone on the Morning Pack (7 a.m.), and visitor
*i* on page *i* of the eight (every page once at eight). Per crowd size: the median and
worst first-content time over all visitors of ``--rounds`` rounds; "server": the slowest
whole answer when the same pages are fetched at once without a browser (the server's part
of the wait: the browsers run on the same two cores here, not on the visitors' machines);
the machine's load average (1 min) before the round and the share of both cores busy.

Two servers on the same run folder, one after the other:

- ``kernels``: every page on a preheated kernel (``workbench serve --no-static``, as
  before: ``--pool-size`` kernels per page; a visitor beyond the pool waits for a kernel
  to start and import the page code);
- ``static``: ``workbench serve``: every page's first content is static HTML of the run,
  rendered once per run/PMS state in one worker process; the pages with widgets (Position
  Book, Trade Blotter, Decision Journal) show what their widgets draw and keep preheated
  kernels only for their "Act on this page" kernel page (``?act=1``), not measured here.

Goal (issue 25): eight visitors at once, median <= 2 s and worst <= 4 s, on 2 cores.

    python benchmarks/dashboards.py [--runs runs] [--lake parquet_lake]
        [--db sqlite:///workbench.db] [--rounds 3] [--pool-size 2] [--modes kernels static]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil

from research_core.page_registry import NAMES, WIDGET_PAGES

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the server as the tests start it
from tests.serving import CHROMIUM, CHROMIUM_ARGS, free_port, start_serve, stop

# the eight pages of the "every page" crowd, the Morning Pack first (the page registry's)
PAGES = (
    "morning_pack",
    *[p for p in NAMES if p not in ("morning_pack", "strategy_health", "curves")],
)
KERNEL_PAGES = WIDGET_PAGES  # pools kept for acting (the page registry)
CROWDS = (1, 3, 8)


@contextmanager
def _server(args: Sequence[str], env: dict[str, str], pools: int) -> Iterator[tuple[Path, int]]:
    """``workbench serve *args``, once ``pools`` kernel pools are filled and it is at rest."""
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-serve-{os.getpid()}-{time.time_ns()}.log"
    proc = start_serve(args, env, log)
    try:
        deadline = time.monotonic() + 300
        while log.read_text().count("is filled with") < pools:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.5)
        _quiet(proc.pid)
        yield log, proc.pid
    finally:
        stop(proc, wait=30)
        log.unlink(missing_ok=True)


def _quiet(pid: int, limit: float = 15.0) -> None:
    """Wait until the server's process tree uses under ``limit`` % of a core over 1 s
    (its kernels have finished preheating, the used ones are stopped)."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        tree = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        for proc in tree:
            with suppress(psutil.Error):
                proc.cpu_percent(None)
        time.sleep(1.0)
        busy = 0.0
        for proc in tree:
            with suppress(psutil.Error):
                busy += proc.cpu_percent(None)
        if busy < limit:
            return
    raise RuntimeError("the server did not come to rest within 240 s")


async def _visitor(browser: object, url: str) -> float:
    """One person: a fresh browser context opens ``url``; seconds to first content."""
    context = await browser.new_context(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
    page = await context.new_page()
    t0 = time.perf_counter()
    await page.goto(url, wait_until="commit", timeout=300_000)
    await page.wait_for_selector(".wb-header", state="visible", timeout=300_000)
    seconds = time.perf_counter() - t0
    with suppress(Exception):  # leave as a visitor does: the page's kernel is stopped
        await page.wait_for_load_state("networkidle", timeout=60_000)
    await page.close(run_before_unload=True)
    await context.close()
    return seconds


def _fetch(url: str) -> float:
    """Seconds until the server has sent the whole page (no browser: the server's part)."""
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as answer:
        answer.read()
    return time.perf_counter() - t0


async def _round(browser: object, urls: list[str]) -> tuple[list[float], float]:
    """All ``urls`` opened at the same instant; their times and the machine's busy %."""
    psutil.cpu_percent(None)
    times = await asyncio.gather(*(_visitor(browser, u) for u in urls))
    return list(times), psutil.cpu_percent(None)


async def _server_part(urls: list[str]) -> float:
    """The slowest whole answer when ``urls`` are fetched at once without a browser."""
    return max(await asyncio.gather(*(asyncio.to_thread(_fetch, u) for u in urls)))


async def _measure(base: str, rounds: int, pid: int) -> dict[str, tuple]:
    from playwright.async_api import async_playwright

    out: dict[str, tuple] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        await _round(browser, [f"{base}/{PAGES[0]}.ipynb"])  # warm-up, not counted
        for crowd in ("Morning Pack", "every page"):
            for n in CROWDS:
                names = [PAGES[0]] * n if crowd == "Morning Pack" else list(PAGES[:n])
                urls = [f"{base}/{x}.ipynb" for x in names]  # the latest run, as at 7 a.m.
                times, loads, busy, served = [], [], [], []
                for _ in range(rounds):
                    await asyncio.to_thread(_quiet, pid)
                    loads.append(os.getloadavg()[0])
                    got, cpu = await _round(browser, urls)
                    times += got
                    busy.append(cpu)
                    await asyncio.to_thread(_quiet, pid)
                    served.append(await _server_part(urls))
                name = f"{crowd}, {n} at once"
                out[name] = (
                    statistics.median(times), max(times), max(served),
                    statistics.mean(loads), max(busy),
                )  # fmt: skip
                print(_row(name, *out[name]), flush=True)
        await browser.close()
    return out


def main(argv: list[str] | None = None) -> dict[str, dict[str, tuple]]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", default=os.environ.get("WORKBENCH_RUNS_PATH", "runs"))
    ap.add_argument("--lake", default=os.environ.get("WORKBENCH_LAKE_PATH", "parquet_lake"))
    ap.add_argument("--db", default=os.environ.get("WORKBENCH_DB_URL", "sqlite:///workbench.db"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pool-size", type=int, default=2)
    ap.add_argument("--modes", nargs="+", default=["kernels", "static"])
    args = ap.parse_args(argv)
    # SIGTERM (a timeout, a killed terminal) unwinds like Ctrl-C, so the server's process
    # group and its kernels are stopped by _server's cleanup instead of left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("benchmark terminated"))

    runs = Path(args.runs).resolve()
    dates = sorted(p.parent.name for p in runs.glob("*/manifest.json"))
    if not dates:
        raise SystemExit(f"no pipeline run under {runs}: run `make run` first")
    env = {
        "WORKBENCH_RUNS_PATH": str(runs),
        "WORKBENCH_LAKE_PATH": str(Path(args.lake).resolve()),
        "WORKBENCH_DB_URL": args.db,
    }
    print(f"run {dates[-1]}; {args.rounds} round(s) per crowd; {os.cpu_count()} cores")
    results: dict[str, dict[str, tuple]] = {}
    for mode in args.modes:
        port = free_port()
        cmd = ["--port", str(port), "--pool-size", str(args.pool_size)]
        cmd += ["--no-static"] if mode == "kernels" else []
        pools = len(PAGES) if mode == "kernels" else len(KERNEL_PAGES)
        with _server(cmd, env, pools) as (_, pid):
            base = f"http://127.0.0.1:{port}/voila/render"
            print(
                f"\n{mode}: first content (s)      median    worst   server  load(1m)  cpu busy %"
            )
            results[mode] = asyncio.run(_measure(base, args.rounds, pid))
    return results


def _row(name: str, med: float, worst: float, served: float, load: float, busy: float) -> str:
    return f"  {name:<28}{med:8.2f}{worst:9.2f}{served:9.2f}{load:10.2f}{busy:12.0f}"


if __name__ == "__main__":
    main()
