"""Shared fixtures: a throwaway PostgreSQL server started from Debian's binaries.

Outside CI a missing PostgreSQL installation skips the tests that need it, with the reason;
under ``CI=true`` it fails them (CI must install ``postgresql``; see ``.ci/run``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _pg_bindir() -> Path | None:
    found = shutil.which("initdb")
    candidates = ([str(Path(found).resolve())] if found else []) + sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True
    )
    for cand in candidates:
        path = Path(cand)
        if (path.parent / "pg_ctl").exists():
            return path.parent
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI=true: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL server in a temporary directory (stopped afterwards)."""
    bindir = _pg_bindir()
    if bindir is None:
        _unavailable(
            "PostgreSQL server binaries (initdb, pg_ctl) not found; apt-get install postgresql"
        )
    assert bindir is not None
    base = Path(tempfile.mkdtemp(prefix="workbench-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: use the package's postgres user
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root and no 'postgres' user exists to own the server")
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", _free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, text=True, timeout=120)

    try:
        run(
            str(bindir / "initdb"), "-D", str(data), "-U", "workbench", "--auth=trust", "-E", "UTF8"
        )
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(base / "server.log"),
            "-w",
            "-o",
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1",
            "start",
        )
    except subprocess.CalledProcessError as err:
        log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
        pytest.fail(f"could not start PostgreSQL: {err.stderr}\n{log}")
    try:
        yield f"postgresql+psycopg2://workbench@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(base, ignore_errors=True)
