"""The workspace: results that are not lake data, kept beside the lake, not inside it.

Backtest reports and their trial ledger, health cards and ``workbench book`` files are
outputs, not observations: they live under config ``workspace`` (``WORKBENCH_WORKSPACE``),
default ``<lake>_workspace/`` beside the lake folder. One layout for every writer and reader::

    <workspace>/backtests/<NAME>/returns.parquet   a stored backtest report (``workbench backtest``)
    <workspace>/backtests/trials.jsonl             the trial ledger
    <workspace>/health/<YYYY-MM-DD>/               health cards (``workbench health``)
    <workspace>/book/<YYYY-MM-DD>/                 ``workbench book`` files

Lakes made before the workspace kept these under ``<lake>/artifacts/<kind>/``; the first
:func:`folder` call for a kind moves them (copy, verify SHA-256, then remove the old copy,
each move logged). A file whose name is already taken by different content in the workspace
stays where it was, with a warning: nothing is overwritten or deleted unverified.
"""

from __future__ import annotations

import functools
import logging
import shutil
from pathlib import Path

from research_core._files import artifact_lock, sha256_file, write_atomic
from research_core.config import get_settings

log = logging.getLogger(__name__)

KINDS = ("backtests", "health", "book")
LEGACY = "artifacts"  # the lake's old folder of results
RETURNS = "returns.parquet"  # a stored backtest report's daily returns
TRIALS = "trials.jsonl"


def root(lake_root: str | Path) -> Path:
    """The workspace of the lake at ``lake_root`` (config ``workspace`` when set)."""
    given = get_settings().workspace
    if given is not None:
        return Path(given)
    lake = Path(lake_root)
    return lake.parent / f"{lake.name}_workspace"


def folder(lake_root: str | Path, kind: str) -> Path:
    """``<workspace>/<kind>`` (one of :data:`KINDS`), after moving what an older lake kept
    for it under ``<lake>/artifacts/<kind>/``."""
    if kind not in KINDS:
        raise ValueError(f"unknown workspace folder {kind!r}; one of {KINDS}")
    out = root(lake_root) / kind
    old = Path(lake_root) / LEGACY / kind
    if old.is_dir():
        migrate(old, out)
    return out


def trials_path(lake_root: str | Path) -> Path:
    """The trial ledger of the lake's backtests."""
    return folder(lake_root, "backtests") / TRIALS


def backtest_returns(lake_root: str | Path, name: str, backtests: Path | None = None) -> Path:
    """The stored daily returns of backtest ``name`` (under ``backtests`` when given)."""
    return (backtests or folder(lake_root, "backtests")) / name / RETURNS


def stored_backtests(lake_root: str | Path, backtests: Path | None = None) -> dict[str, Path]:
    """Every stored backtest report: name -> its returns file."""
    base = backtests or folder(lake_root, "backtests")
    if not base.is_dir():
        return {}
    found = (p / RETURNS for p in sorted(base.iterdir()) if p.is_dir())
    return {path.parent.name: path for path in found if path.is_file()}


def migrate(old: Path, new: Path) -> list[Path]:
    """Move every file under ``old`` to the same place under ``new``: copy, verify its
    SHA-256, then remove the old copy (logged). Idempotent; returns the files moved."""
    moved = []
    with artifact_lock(new):
        for src in sorted(p for p in old.rglob("*") if p.is_file() and not p.is_symlink()):
            dst = new / src.relative_to(old)
            digest = sha256_file(src)
            if dst.exists() and sha256_file(dst) != digest:
                log.warning("workspace: %s kept in place: %s differs", src, dst)
                continue
            if not dst.exists():
                write_atomic(dst, functools.partial(shutil.copyfile, src))
            if sha256_file(dst) != digest:
                log.warning("workspace: copy of %s does not verify; old copy kept", src)
                continue
            src.unlink()
            moved.append(dst)
            log.info("workspace: moved %s -> %s (sha256 %s)", src, dst, digest[:12])
        for sub in sorted((p for p in old.rglob("*") if p.is_dir()), reverse=True):
            if not any(sub.iterdir()):
                sub.rmdir()
        if not any(old.iterdir()):
            old.rmdir()
    return moved
