"""The run folder (``runs/<YYYY-MM-DD>/``): one owner for reading it.

``RunFolder`` (``folder.py``) reads a run: its typed :class:`Manifest` (``manifest.py``),
its steps, and its artifacts by name (``find``) or by path under ``artifacts/``;
``layout.py`` names every artifact one step writes and another reads. The pipeline runner
writes the folder; the steps, health, the narrative and the pages read it through here.
"""

from research_core.runs.folder import (
    RunFolder,
    RunFolderError,
    latest_version,
    list_runs,
    run_dir,
    run_versions,
    write_atomic,
)
from research_core.runs.layout import ARTIFACTS, MANIFEST, NOTEBOOKS, VERSIONS
from research_core.runs.manifest import STATUSES, Manifest, ManifestError

__all__ = [
    "ARTIFACTS",
    "MANIFEST",
    "NOTEBOOKS",
    "STATUSES",
    "VERSIONS",
    "Manifest",
    "ManifestError",
    "RunFolder",
    "RunFolderError",
    "latest_version",
    "list_runs",
    "run_dir",
    "run_versions",
    "write_atomic",
]
