"""Issue 28 item 6: one code version, one format, for the journal and the run manifest."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import research_core
from research_core._version import code_parts, code_version


def test_the_journal_and_the_run_manifest_record_the_same_commit() -> None:
    here = Path(research_core.__file__).parent
    git = subprocess.run(
        ["git", "log", "-1", "--format=%H"], cwd=here, capture_output=True, text=True, check=False
    )
    full = git.stdout.strip() if git.returncode == 0 else ""
    parts = code_parts()
    assert parts["package"] == research_core.__version__
    if full:  # a git checkout: the first 12 hex digits of HEAD, as the journal stores them
        assert parts["commit"] == full[:12]
        assert code_version() == f"{research_core.__version__}+{full[:12]}"
    else:
        assert parts["commit"] is None and code_version() == research_core.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+(\+[0-9a-f]{12})?", code_version())
