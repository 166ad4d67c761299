"""Health cards for a whole book at one as-of: inputs, storage and ``workbench health``.

Inputs: each strategy's backtest returns (the folders ``workbench backtest`` writes under
``<workspace>/backtests/NAME/returns.parquet``, or a mapping given in Python — the
book's own daily returns under the name ``BOOK``), live returns from the PMS when a
database is named, and the trial ledger for the deflated Sharpe.

Outputs: ``<workspace>/health/<as_of>/cards.json`` and ``cards.parquet`` (atomic
writes, :mod:`research_core._files`), and point-in-time series in the lake, released at
the as-of: ``HEALTH.<NAME>.STATE`` (0 GREEN, 1 AMBER, 2 RED), ``HEALTH.<NAME>.PSR`` and
``HEALTH.<NAME>.CUSUM`` (lower CUSUM over its threshold), source ``health``. A card
stored for a date is history: rerunning the date with other inputs leaves the lake's rows
as they were (a warning says so) and replaces only the artifact files.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from research_core import workspace
from research_core._files import atomic_folder, read_parquet
from research_core.backtest.ledger import TrialLedger
from research_core.errors import BacktestError, HealthError, LakeWriteError, WorkbenchWarning
from research_core.health.card import STATUS_CODE, HealthCard, HealthReport, assess
from research_core.health.track import ledger_dsr
from research_core.lake.asof import as_of_instant
from research_core.lake.store import Lake
from research_core.pnl import FUNDING, cdi_accrual, known_on

SOURCE = "health"
BOOK = "BOOK"
SERIES = {"STATE": "status code", "PSR": "probability", "CUSUM": "ratio"}


def excess_returns(
    lake: Lake, returns: pd.Series, as_of: object, *, cdi: pd.Series | None = None
) -> pd.Series:
    """Daily total returns less the CDI accrual known each day (as the engine computes it);
    ``cdi`` is the CDI series as known at ``as_of`` if the caller has read it already."""
    r = pd.Series(returns, dtype=float).dropna()
    idx = pd.DatetimeIndex(r.index)
    if cdi is None:
        cdi = lake.at(as_of).series(FUNDING["BRL"])  # type: ignore[arg-type]
    return (r - cdi_accrual(known_on(cdi, idx))).rename(r.name)


def stored_backtests(lake: Lake) -> dict[str, pd.Series]:
    """Daily returns of every backtest report stored under the lake (``as_of`` vintage)."""
    out = {}
    for name, path in workspace.stored_backtests(lake.root).items():
        frame = read_parquet(path)
        col = "as_of" if "as_of" in frame.columns else frame.columns[0]
        out[name] = frame[col].astype(float)
    return out


def health_report(
    lake: Lake,
    as_of: object,
    *,
    backtests: Mapping[str, pd.Series] | None = None,
    live: pd.DataFrame | None = None,
    ledger: TrialLedger | None = None,
    excess: bool = True,
) -> HealthReport:
    """A card for each backtest (default: the stored ones) at ``as_of``.

    ``backtests`` are daily total returns (``excess=False``: already over the CDI);
    ``live`` has a column of live daily returns per name (see
    :func:`research_core.health.drift.live_returns`); ``ledger`` gives each card the DSR
    over that strategy's recorded trials (default: the lake's ledger).
    """
    when = pd.Timestamp(as_of_instant(as_of, lake.tz).tz_convert(lake.tz).date())  # type: ignore[arg-type]
    series = dict(stored_backtests(lake) if backtests is None else backtests)
    if not series:
        raise HealthError(
            f"no backtest returns to assess: run `workbench backtest NAME` (reports under "
            f"{workspace.folder(lake.root, 'backtests')}) or pass backtests="
        )
    ledger = ledger or TrialLedger.for_lake(lake)
    cdi = lake.at(as_of).series(FUNDING["BRL"]) if excess else None  # type: ignore[arg-type]
    cards: list[HealthCard] = []
    skipped: dict[str, str] = {}
    for name, returns in series.items():
        try:
            r = (
                excess_returns(lake, returns, as_of, cdi=cdi)
                if excess
                else pd.Series(returns, dtype=float)
            )
            r = r[r.index <= when].dropna()
            dsr = ledger_dsr(r, ledger, name) if len(r) > 2 else (float("nan"), 0)
            mine = None if live is None or name not in live else live[name]
            cards.append(assess(name, r, when, live=mine, dsr=dsr))
        except (HealthError, BacktestError) as err:  # one name's bad input skips it
            skipped[name] = str(err)
    return HealthReport(when, tuple(cards), skipped)


def _series_id(name: str, field: str) -> str:
    return f"HEALTH.{re.sub(r'[^A-Z0-9_-]', '_', name.upper())}.{field}"


def pit_rows(report: HealthReport, lake: Lake) -> pd.DataFrame:
    """The report as observation rows released at its as-of (end of that day), or now if
    that is later: a card computed today for a past date reads today's ledger and stored
    backtests, so it was not known back then."""
    end_of_day = as_of_instant(f"{report.as_of:%Y-%m-%d}", lake.tz)
    release = max(end_of_day, pd.Timestamp.now(tz="UTC"))
    rows = []
    for c in report.cards:
        values = {"STATE": STATUS_CODE[c.status], "PSR": c.track.psr, "CUSUM": c.cusum_down}
        for field, value in values.items():
            if np.isfinite(value):
                rows.append((_series_id(c.name, field), report.as_of, float(value)))
    frame = pd.DataFrame(rows, columns=["series_id", "obs_date", "value"])
    return frame.assign(release_time=release, source=SOURCE)


def write_health(report: HealthReport, lake: Lake, folder: str | Path | None = None) -> Path:
    """Store the cards (JSON + Parquet; the folder written whole, and only over a folder
    the program wrote) and their point-in-time series; returns the folder."""
    day = f"{report.as_of:%Y-%m-%d}"
    out = Path(folder) if folder else workspace.folder(lake.root, "health") / day
    text = report.to_json()
    table = report.to_frame().drop(columns=["alarms"], errors="ignore")
    with atomic_folder(out) as tmp:
        (tmp / "cards.json").write_text(text, encoding="utf-8")
        table.to_parquet(tmp / "cards.parquet")
    rows = pit_rows(report, lake)
    for sid in rows["series_id"].unique():
        field = sid.rsplit(".", 1)[1]
        lake.register(sid, frequency="D", units=SERIES[field], category="health")
    try:
        lake.write(rows)
    except LakeWriteError as err:
        warnings.warn(
            f"health series for {report.as_of:%Y-%m-%d} already stored with other values; "
            f"the lake is unchanged ({str(err).splitlines()[0][:200]})",
            WorkbenchWarning,
            stacklevel=2,
        )
    return out
