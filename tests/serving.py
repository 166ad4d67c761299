"""``workbench serve`` and Chromium as the dashboard tests and the page benchmark start them:
one home for the browser's path and flags, a free port, the server in a session of its own
(so its kernels stop with it) and its stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/lib/chromium/chromium")  # Debian's binary (/usr/bin/chromium is a wrapper)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(args: Sequence[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``workbench serve *args`` from the repository, this checkout first on ``PYTHONPATH``,
    ``env`` (``WORKBENCH_*``) over this process's environment, its output into ``log``."""
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    full = {**os.environ, "PYTHONPATH": path, **env}
    cmd = [sys.executable, "-m", "research_core.cli", "serve", *args]
    with log.open("w") as out:
        return subprocess.Popen(
            cmd, cwd=REPO, env=full, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(proc: subprocess.Popen[bytes], wait: float = 20.0) -> None:
    """SIGTERM to the server's process group; SIGKILL if it is still there after ``wait`` s."""
    with suppress(ProcessLookupError):  # already gone
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
