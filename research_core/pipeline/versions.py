"""Forced re-runs keep history: ``pipeline run --force`` on a date that already ran writes
``runs/<D>/versions/v<N>/`` (the run-folder layout again) instead of overwriting the run.

The new version's manifest carries ``version`` and ``revision``: the version it revises
(``previous``: its number and path under the runs folder) and, once it finished, what
changed (artifacts whose SHA-256 differs, added or removed; the steps that wrote them; the
Morning Pack's text, line by line). Earlier versions are only read, never written.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path
from typing import Any

from research_core._files import sha256_file
from research_core.pipeline.spec import Pipeline
from research_core.runs import ARTIFACTS, NOTEBOOKS, VERSIONS, run_versions

PACK = "morning_pack/morning_pack.html"
EXCERPT_LINES = 8  # changed pack lines quoted in the manifest (the counts cover all)


def start(
    date_folder: Path, previous: Path, manifest: dict[str, Any], keep: set[str]
) -> tuple[Path, dict[str, Any]]:
    """Make the next version's folder and its first manifest: the steps in ``keep`` come
    from ``previous`` (their notebooks and artifact folders copied), the rest run again."""
    number = max(int(manifest.get("version", 1)), len(run_versions(date_folder))) + 1
    folder = date_folder / VERSIONS / f"v{number}"
    while folder.exists():  # a re-run that crashed before writing its manifest
        number += 1
        folder = date_folder / VERSIONS / f"v{number}"
    folder.mkdir(parents=True)
    for name in sorted(keep):
        src = previous / ARTIFACTS / name
        if src.is_dir():
            shutil.copytree(src, folder / ARTIFACTS / name)
        notebook = previous / NOTEBOOKS / f"{name}.ipynb"
        if notebook.exists():
            (folder / NOTEBOOKS).mkdir(parents=True, exist_ok=True)
            shutil.copy2(notebook, folder / NOTEBOOKS / notebook.name)
    root = date_folder.parent
    first = {
        "version": number,
        "revision": {
            "previous": {
                "version": int(manifest.get("version", 1)),
                "path": previous.relative_to(root).as_posix(),
                "status": manifest.get("status"),
            }
        },
        "steps": [s for s in manifest.get("steps", []) if s["name"] in keep],
    }
    return folder, first


def _digests(folder: Path) -> dict[str, str]:
    root = folder / ARTIFACTS
    if not root.exists():
        return {}
    files = (p for p in sorted(root.rglob("*")) if p.is_file())
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in files}


def pack_lines(html: str) -> list[str]:
    """The Morning Pack's visible text, one non-empty line per block (no style/script)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["style", "script"]):
        tag.decompose()
    return [" ".join(line.split()) for line in soup.get_text("\n").splitlines() if line.strip()]


def pack_diff(old_html: str | None, new_html: str | None) -> dict[str, Any]:
    """Lines of pack text added and removed between two versions, with an excerpt."""
    if old_html is None or new_html is None:
        return {"compared": False, "why": "a version has no Morning Pack"}
    diff = [
        line
        for line in difflib.unified_diff(
            pack_lines(old_html), pack_lines(new_html), lineterm="", n=0
        )
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return {
        "compared": True,
        "changed": bool(diff),
        "lines_added": sum(line.startswith("+") for line in diff),
        "lines_removed": sum(line.startswith("-") for line in diff),
        "excerpt": diff[:EXCERPT_LINES],
    }


def changes(pipe: Pipeline, previous: Path, current: Path) -> dict[str, Any]:
    """What ``current`` changed against ``previous``: artifacts (by SHA-256), the steps
    whose outputs differ, and the Morning Pack's text."""
    old, new = _digests(previous), _digests(current)
    changed = sorted(k for k in old.keys() & new.keys() if old[k] != new[k])
    added, removed = sorted(new.keys() - old.keys()), sorted(old.keys() - new.keys())
    differ = {*changed, *added, *removed}
    steps = [
        s.name
        for s in pipe.steps
        if any(a in differ for a in s.artifacts) or any(d.split("/")[0] == s.name for d in differ)
    ]

    def pack(folder: Path) -> str | None:
        path = folder / ARTIFACTS / PACK
        return path.read_text("utf-8") if path.exists() else None

    return {
        "artifacts_changed": changed,
        "artifacts_added": added,
        "artifacts_removed": removed,
        "steps_changed": steps,
        "pack": pack_diff(pack(previous), pack(current)),
    }


def summary(manifest: dict[str, Any]) -> str:
    """One line for ``pipeline run``: which version this is and what it changed."""
    rev = manifest.get("revision") or {}
    prev = rev.get("previous") or {}
    if not prev:
        return ""
    pack = rev.get("pack") or {}
    text = (
        f"  version {manifest.get('version')} revises version {prev.get('version')} "
        f"({prev.get('path')}, kept): {len(rev.get('steps_changed', []))} step(s) with "
        f"different outputs {rev.get('steps_changed', [])}"
    )
    if pack.get("compared"):
        text += (
            f"; Morning Pack text +{pack['lines_added']}/-{pack['lines_removed']} lines"
            if pack["changed"]
            else "; Morning Pack text unchanged"
        )
    return text
