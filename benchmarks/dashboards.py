"""First meaningful content of every dashboard page, in headless Chromium.

"First meaningful content" is the moment the page header with the run's date is visible
(``.wb-header``: it carries the run, its status and the sample-data badge; the page's
numbers are in the same server-rendered output). Per page: median and worst of ``--loads``
visits, each once the page's pool is full again (the server log says so) and the server
is at rest (its kernels have finished preheating: the log says "filled" when a kernel has
started, not when its imports are done), and a second visitor arriving right after a
first one, while the pool refills. A third visitor at
once finds the pool empty and waits for a kernel to start: reported, as the refill time.
Goal: <= 2 s for every page after the pipeline has run.

Peers on the same machine and run: plain Voilà (default lab template, no preheated
kernels: every visit starts a kernel and imports) on one page, and the pipeline's static
Morning Pack HTML opened from disk (the floor: no kernel at all).

    python benchmarks/dashboards.py [--runs runs] [--lake parquet_lake] [--db sqlite:///workbench.db]
                                    [--loads 10] [--pool-size 2] [--pages risk_monitor ...]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/lib/chromium/chromium"
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
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server(
    cmd: Sequence[str], env: dict[str, str], ready: str, count: int
) -> Iterator[tuple[Path, int]]:
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-serve-{os.getpid()}-{time.time_ns()}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            list(cmd),
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 300
        while log.read_text().count(ready) < count:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield log, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.unlink(missing_ok=True)


def _first_content(context: object, url: str, selector: str) -> float:
    page = context.new_page()  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(selector, state="visible", timeout=300_000)
    seconds = time.perf_counter() - t0
    _leave(page)
    return seconds


def _leave(page: object) -> None:
    """Leave as a visitor does once the page is wired up: Voilà's leave beacon stops the
    kernel (closing earlier would leave it running and load the machine)."""
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    page.close(run_before_unload=True)  # type: ignore[attr-defined]


def _pair(context: object, url: str, selector: str) -> float:
    """Two visitors of the same page at once; returns the second's first-content time."""
    first, second = context.new_page(), context.new_page()  # type: ignore[attr-defined]
    first.goto(url, wait_until="commit")
    t0 = time.perf_counter()
    second.goto(url, wait_until="commit")
    second.wait_for_selector(selector, state="visible", timeout=120_000)
    seconds = time.perf_counter() - t0
    first.wait_for_selector(selector, state="visible", timeout=120_000)
    _leave(first)
    _leave(second)
    return seconds


def _settle(log: Path, page: str, fills: int) -> None:
    """Wait until the server has logged ``fills`` full pools of ``page`` (Voilà logs
    "Kernel pool of <page> is filled" each time a refill completes)."""
    deadline = time.monotonic() + 180
    while log.read_text().count(f"{page}.ipynb is filled with") < fills:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the pool of {page} did not refill within 180 s")
        time.sleep(0.1)


def _quiet(pid: int, limit: float = 10.0) -> None:
    """Wait until the server's process tree uses under ``limit`` % of a core over 1 s."""
    import psutil

    deadline = time.monotonic() + 180
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
    raise RuntimeError("the server did not come to rest within 180 s")


def _burst(context: object, url: str, selector: str, n: int) -> float:
    """``n`` visitors at once; returns the last one's first-content time."""
    pages = [context.new_page() for _ in range(n)]  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    for page in pages:
        page.goto(url, wait_until="commit")
    pages[-1].wait_for_selector(selector, state="visible", timeout=120_000)
    seconds = time.perf_counter() - t0
    for page in pages:
        page.wait_for_selector(selector, state="visible", timeout=120_000)
        _leave(page)  # as a visitor leaving: Voilà stops the kernel
    return seconds


def _row(name: str, times: list[float], *tail: float | None) -> str:
    cells = "".join(f"{t:9.2f}" if t is not None else f"{'–':>9}" for t in tail)
    return f"{name:<24}{statistics.median(times):9.2f}{max(times):9.2f}{cells}"


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", default=os.environ.get("WORKBENCH_RUNS_PATH", "runs"))
    ap.add_argument("--lake", default=os.environ.get("WORKBENCH_LAKE_PATH", "parquet_lake"))
    ap.add_argument("--db", default=os.environ.get("WORKBENCH_DB_URL", "sqlite:///workbench.db"))
    ap.add_argument("--loads", type=int, default=10)
    ap.add_argument("--pool-size", type=int, default=2)
    ap.add_argument("--pages", nargs="+", default=list(PAGES))
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    # SIGTERM (a timeout, a killed terminal) unwinds like Ctrl-C, so the server's process
    # group and its kernels are stopped by _server's cleanup instead of left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("benchmark terminated"))

    runs = Path(args.runs).resolve()
    dates = sorted(p.parent.name for p in runs.glob("*/manifest.json"))
    if not dates:
        raise SystemExit(f"no pipeline run under {runs}: run `make run` first")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        "WORKBENCH_RUNS_PATH": str(runs),
        "WORKBENCH_LAKE_PATH": str(Path(args.lake).resolve()),
        "WORKBENCH_DB_URL": args.db,
    }
    port = _port()
    base = f"http://127.0.0.1:{port}/voila/render"
    cmd = [sys.executable, "-m", "research_core.cli", "serve", "--port", str(port)]
    cmd += ["--pool-size", str(args.pool_size)]
    result: dict[str, float] = {}
    print(f"run {dates[-1]}; {args.loads} loads per page; pool {args.pool_size} kernel(s)/page")
    print(f"{'page (seconds)':<24}{'median':>9}{'worst':>9}{'2nd vis.':>9}{'3rd vis.':>9}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        with _server(cmd, env, "is filled with", len(PAGES)) as (log, pid):
            for name in args.pages:  # warm-up (not counted): the first render of each page
                _first_content(context, f"{base}/{name}.ipynb?date={dates[-1]}", ".wb-header")
            for name in args.pages:
                url = f"{base}/{name}.ipynb?date={dates[-1]}"
                fills = 2  # the pool filled at start and after the warm-up
                times = []
                for _ in range(args.loads):
                    _settle(log, name, fills)
                    _quiet(pid)
                    times.append(_first_content(context, url, ".wb-header"))
                    fills += 1
                _settle(log, name, fills)
                _quiet(pid)
                second = _pair(context, url, ".wb-header")
                _settle(log, name, fills + 1)
                time.sleep(10.0)  # both kernels the pair took are back
                _quiet(pid)
                third = _burst(context, url, ".wb-header", 3)
                print(_row(name, times, second, third), flush=True)
                result[f"{name} median"] = statistics.median(times)
                result[f"{name} worst"] = max(times)
                result[f"{name} second visitor"] = second
                result[f"{name} third visitor"] = third
        if not args.no_peer:
            page = "risk_monitor" if "risk_monitor" in args.pages else args.pages[0]
            voila = [sys.executable, "-m", "voila", "--no-browser", f"--port={port}"]
            voila += ["--Voila.port_retries=0", "--Voila.root_dir=dashboards"]
            with _server(voila, env, "Voilà is running at", 1):
                url = f"http://127.0.0.1:{port}/voila/render/{page}.ipynb?date={dates[-1]}"
                # plain Voilà's default template hides the cells until the notebook ran
                times = [
                    _first_content(context, url, ".wb-header") for _ in range(min(args.loads, 3))
                ]
            print(_row(f"peer: plain Voilà {page}", times, None, None))
            result["plain voila median"] = statistics.median(times)
            result["ratio"] = result[f"{page} median"] / result["plain voila median"]
            print(f"{page}: preheated / plain Voilà median = {result['ratio']:.2f}")
            pack = runs / dates[-1] / "artifacts" / "morning_pack" / "morning_pack.html"
            if pack.exists():
                times = [_first_content(context, pack.as_uri(), "body") for _ in range(args.loads)]
                print(_row("peer: static pack file", times, None, None))
                result["static pack median"] = statistics.median(times)
        browser.close()
    return result


if __name__ == "__main__":
    main()
