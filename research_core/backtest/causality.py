"""The engine's own look-ahead check: recompute positions on a lake cut at the signal date.

``run_backtest(..., verify=N)`` (by default ``N = VERIFY_DATES = 3``) checks N rebalance
dates: the last one and N - 1 others drawn with a seed (so reruns check the same dates).
It exports the lake as it was known at each (``lake.maintenance.export_as_of``: only
rows released by then) and asks the strategy again on that copy, with the configuration
(``WORKBENCH_LAKE_PATH``) pointing at it too. Any difference from the positions the
backtest used means the strategy saw something released later — through the view, an
attribute behind it, the configured lake, or the lake's files on disk — and raises
:class:`LookAheadError`. This catches the doors Python cannot close that go through the
configuration or the disk (see :mod:`research_core.lake.pit`); objects the caller holds in
memory (the full ``Lake``, reached through ``gc`` or frames) are the same in the re-run,
so it cannot see those. It is a sample, not a proof: a strategy that peeks only on dates
not checked passes (more dates, ``verify=N``, or other seeds check more).

Cost: one export of the lake per date (its rows written as the lake stored them, not
validated again; the exports of one :class:`AsOfLakes` share one read and sort of the lake's
rows, and its temporary copies are not flushed to disk) and one decision on cold caches
per date checked, whatever the backtest's length: on
the sample lake, RATES_BR_01 2015-2026, 0.3-0.6 s CPU for 3 dates in a fresh process
(1.1-1.2 s when each export read and sorted the lake again; issue 29).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from research_core._typing import with_overrides
from research_core.backtest.vintage import Vintage, view_at
from research_core.config import get_settings
from research_core.errors import BacktestError, LookAheadError
from research_core.lake.pit import PITView
from research_core.lake.store import Lake

if TYPE_CHECKING:
    from research_core.lake.export import LakeRows

LAKE_ENV = "WORKBENCH_LAKE_PATH"
VERIFY_DATES = 3  # run_backtest's default: the last rebalance date and two drawn at random


class AsOfLakes:
    """Copies of ``lake`` as known at given instants, each exported once and reused.

    Share one between backtests (of several strategies) that verify the same dates. With no
    ``root`` the copies live in a temporary directory removed by :meth:`close` (or on leaving
    the ``with`` block); under a given ``root`` they are kept.
    """

    def __init__(self, lake: Lake, root: str | Path | None = None) -> None:
        self.lake = lake
        self._tmp = tempfile.TemporaryDirectory(prefix="workbench-asof-") if root is None else None
        self.root = Path(root) if root is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self._cuts: dict[tuple[object, int], Lake] = {}  # by lake snapshot and instant
        self._rows: LakeRows | None = None  # the lake's rows, sorted, of one snapshot

    def at(self, as_of: object) -> Lake:
        """The lake holding only rows released by ``as_of`` (exported on first use; the
        exports of one lake snapshot share one read and sort of its rows)."""
        from research_core.lake.export import export_as_of, sorted_rows  # only to verify

        instant = self.lake.at(as_of).as_of  # type: ignore[arg-type]
        files = self.lake.snapshot()
        key = ((files.root, files.version, files.paths), instant.value)
        if key not in self._cuts:
            if self._rows is None or self._rows.snapshot != key[0]:
                self._rows = sorted_rows(self.lake)
            path = self.root / f"{len(self._cuts)}-v{files.version}-{instant:%Y%m%dT%H%M%S%f}"
            scratch = self._tmp is not None  # removed on close: not flushed to disk
            self._cuts[key] = export_as_of(
                self.lake, instant, path, rows=self._rows, durable=not scratch
            )
        return self._cuts[key]

    def close(self) -> None:
        self._cuts.clear()
        self._rows = None
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> AsOfLakes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def configured_lake(path: Path) -> Iterator[None]:
    """Within the block the configured lake (settings ``lake_path``) is ``path``."""
    old = os.environ.get(LAKE_ENV)
    os.environ[LAKE_ENV] = str(path)
    get_settings.cache_clear()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(LAKE_ENV, None)
        else:
            os.environ[LAKE_ENV] = old
        get_settings.cache_clear()


def sample_dates(dates: pd.DatetimeIndex, n: int, seed: int) -> pd.DatetimeIndex:
    """``n`` of ``dates`` (all if fewer): the last one (the decision a live run acts on, with
    the longest history behind it) and ``n - 1`` others drawn with ``seed``; the same call,
    the same dates."""
    if n < 0:
        raise BacktestError(f"verify must be a number of dates >= 0, got {n}")
    if n == 0 or len(dates) == 0:
        return dates[:0]
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(dates) - 1, size=min(n, len(dates)) - 1, replace=False)
    return dates[np.sort(np.append(picks, len(dates) - 1))]


@dataclass(frozen=True)
class VerifyOptions:
    """How many of the dates to check (``verify``: the last + ``verify - 1`` drawn with
    ``verify_seed``), on which vintage, on which shared copies (``as_of_lakes``), how far a
    recomputed decision may be from the one used (``atol``, with ``rtol=1e-9``), and whether
    to show a bar. The names are the engine's (:class:`EngineOptions` hands them on)."""

    verify: int = VERIFY_DATES
    verify_seed: int = 0
    vintage: Vintage = "as_of"
    as_of_lakes: AsOfLakes | None = None
    atol: float = 1e-12
    progress: bool = False


def verify_decisions(
    name: str,
    decide: Callable[[PITView, pd.Timestamp], np.ndarray],
    lake: Lake,
    dates: pd.DatetimeIndex,
    decisions: np.ndarray,
    *,
    options: VerifyOptions | None = None,
    **overrides: object,
) -> pd.DatetimeIndex:
    """Recompute ``decide(view, date)`` at some of ``dates`` on lakes cut at each date.

    ``decisions`` holds what the backtest used, one row per date; ``options``
    (:class:`VerifyOptions`, or its fields by keyword) says which dates and how close.
    Returns the dates checked; a difference raises :class:`LookAheadError` naming ``name``
    and the date. Each date costs an export of the lake and a cold decision.
    """
    o = with_overrides(options or VerifyOptions(), overrides, BacktestError)
    n, seed, vintage, cuts, atol = o.verify, o.verify_seed, o.vintage, o.as_of_lakes, o.atol
    progress = o.progress
    picks = sample_dates(dates, n, seed)
    if len(picks) == 0:
        return picks
    if vintage == "latest":
        raise BacktestError(
            "verify needs a causal vintage (as_of or first_release): "
            "'latest' uses later revisions by design"
        )
    if cuts is not None and cuts.lake.root.resolve() != lake.root.resolve():
        raise BacktestError(f"the as-of copies are of {cuts.lake.root}, not of {lake.root}")
    own = cuts is None
    cuts = cuts or AsOfLakes(lake)
    try:
        for day in tqdm(picks, desc=f"{name} causality", disable=not progress, leave=False):
            cut = cuts.at(day)
            with configured_lake(cut.root):
                try:
                    again = decide(view_at(cut, day, vintage), day)
                except Exception as err:
                    raise LookAheadError(
                        f"{name} at {day.date()}: fails on a lake holding only the "
                        f"rows released by then ({err}); it depends on data released later"
                    ) from err
            used = decisions[dates.get_loc(day)]
            if not np.allclose(again, used, rtol=1e-9, atol=atol, equal_nan=True):
                raise LookAheadError(
                    f"{name} at {day.date()}: positions {np.round(used, 6).tolist()} "
                    f"in the backtest but {np.round(again, 6).tolist()} on a lake holding only "
                    "the rows released by then; the strategy reads data released later"
                )
    finally:
        if own:
            cuts.close()
    return picks
