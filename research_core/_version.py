"""The code version recorded with every journal entry and every run: the package version
plus the git commit of the source tree when there is one, ``0.1.0+0123456789ab`` (one
helper, one format: the journal stores the string, a run manifest its two parts)."""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

import research_core


@lru_cache(maxsize=1)
def commit() -> str | None:
    """The source tree's git commit (12 hex digits), or None outside a git checkout."""
    here = Path(research_core.__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return sha or None


def code_version() -> str:
    """``<package version>+<commit>``, or the package version alone without git."""
    sha = commit()
    return f"{research_core.__version__}+{sha}" if sha else research_core.__version__


def code_parts() -> dict[str, str | None]:
    """The same version as a run manifest's ``code``: ``package`` and ``commit``."""
    return {"package": research_core.__version__, "commit": commit()}
