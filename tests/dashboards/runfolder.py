"""Write pipeline run folders for the dashboard tests with the pipeline's own step functions.

``research_core.pipeline.steps`` are the calls the daily notebooks make (agents, strategies,
book, risk, Morning Pack), so the artifacts have exactly the pipeline's layout and content;
only papermill and the per-step processes are skipped to keep the tests fast. The manifest
follows the run-folder contract (``pipelines/README.md``).
"""

from __future__ import annotations

import json
from pathlib import Path

from research_core.pipeline import steps
from research_core.pms import PMS


def write_manifest(folder: Path, as_of: str, status: str = "succeeded", **extra: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"as_of": as_of, "status": status, "steps": [], "parameters": {}, **extra}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")


# The book the test PMS holds: bought or sold on 2026-10-28 and marked that day and the
# next (the run of 2026-10-30 marks the third day); sizes in the instrument's currency.
HELD = (("DI1.5Y", "sell", 2e8), ("USDBRL.NDF", "buy", 3e7), ("ES.FUT", "buy", 2e7))
TRADED, MARKS = "2026-10-28", ("2026-10-28", "2026-10-29")


def hold_positions(pms: PMS) -> None:
    """Book :data:`HELD` on :data:`TRADED` and mark :data:`MARKS` (real PMS calls): four-eyes
    off for the direct bookings (approved by a second user), then on again for the pages."""
    from tests.pms.conftest import four_eyes_off, four_eyes_on

    four_eyes_off(pms)
    for i, (inst, side, size) in enumerate(HELD):
        pms.enter_trade(inst, side, size, trade_date=TRADED, idempotency_key=f"held-{i}")
    four_eyes_on(pms)
    for day in MARKS:
        pms.mark(day)


def write_book_run(
    runs: Path, lake_path: Path, as_of: str, db_url: str, *, n_sims: int = 5_000
) -> Path:
    """A succeeded run of ``as_of``: agents, strategies, the PMS mark, the target book
    against the held book (and its proposals), both books' risk and the Morning Pack."""
    folder = runs / as_of
    args = {"lake_path": str(lake_path), "as_of": as_of, "run_dir": str(folder)}
    steps.agents(**args)
    steps.strategies(**args)
    steps.pms_mark(**args, db_url=db_url)
    steps.book(**args, db_url=db_url)
    steps.risk(**args, db_url=db_url, n_sims=n_sims)
    write_manifest(folder, as_of, parameters={"lake_path": str(lake_path)})
    steps.morning_pack(**args)
    return folder
