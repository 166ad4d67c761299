"""Strategy health in the daily loop: a card per live strategy from its stored backtest
(and its live PMS P&L where there is one), recomputed only when its inputs changed.

A card's inputs are the stored backtest returns (``<backtests>/NAME/returns.parquet``, as
``workbench backtest`` writes them) up to the as-of, the lake's rows known at the as-of of
the CDI (the excess-return funding) and of the price series of the instruments the backtest
traded (its ``weights.csv`` columns), for the periods the backtest covers, the strategy's
live returns, its ledger trials and the health code itself. Their digest keys a cache kept
beside the run folders, never in the lake (``<cache>/NAME/<key>.json`` and ``.parquet``): a
rerun on the same lake snapshot recomputes nothing, nor does the next day when nothing the
card reads changed, and a revision in the lake recomputes only the strategies that read the
revised series. A live strategy without a stored backtest gets one line saying how to make
one, and the others go on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from research_core import workspace
from research_core._files import read_parquet, write_atomic
from research_core.catalog import instruments
from research_core.errors import BacktestError, HealthError
from research_core.lake.asof import as_of_instant
from research_core.lake.store import Lake
from research_core.pnl import FUNDING

if TYPE_CHECKING:  # the detectors, scipy and the backtest package load only for a card
    from research_core.backtest.ledger import TrialLedger
    from research_core.health.card import HealthCard

CODE = ("card.py", "detectors.py", "drift.py", "track.py", "report.py", "loop.py")
PATH_COLUMNS = ["name", "date", "monitored", "backtest", "z", "cusum_up", "cusum_down",
                "threshold", "cusum_alarm", "adwin_alarm"]  # fmt: skip


@dataclass(frozen=True, eq=False)
class LoopResult:
    """The cards of one as-of: records (``HealthCard.to_dict``), the detector paths (one
    long table), the strategies with no stored backtest (name → the command that makes
    one), the ones that could not be assessed (name → why), and which were computed now
    and which read from the cache."""

    as_of: str
    cards: tuple[dict[str, Any], ...]
    paths: pd.DataFrame
    missing: Mapping[str, str]
    skipped: Mapping[str, str]
    computed: tuple[str, ...]
    reused: tuple[str, ...]

    def record(self) -> dict[str, Any]:
        """``health/cards.json``: JSON-safe (an infinite MinTRL becomes null)."""
        body = {
            "as_of": self.as_of,
            "cards": list(self.cards),
            "missing": dict(self.missing),
            "skipped": dict(self.skipped),
            "computed": list(self.computed),
            "reused": list(self.reused),
        }
        if not self.cards:
            return body  # names and commands only
        from research_core.health.card import _finite

        return dict(_finite(body))


def backtest_command(name: str, as_of: str) -> str:
    """The command that stores a backtest long enough for a card (reference + monitored)."""
    start = pd.Timestamp(as_of) - pd.DateOffset(years=6)
    return f"workbench backtest {name} --start {start:%Y}-01-01 --end {as_of}"


def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:20]


def _frame_digest(frame: pd.DataFrame | pd.Series) -> str:
    return _digest(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())


def code_digest() -> str:
    """The health code's own digest: a change to how a card is computed empties the cache."""
    here = Path(__file__).parent
    return _digest(*((here / name).read_bytes() for name in CODE))


def series_rows(lake: Lake, series_ids: Iterable[str], as_of: str) -> dict[str, pd.DataFrame]:
    """Per series, its rows released by the end of ``as_of`` (every vintage), sorted."""
    known = lake.known_series()
    ids = sorted({s for s in series_ids if s in known})
    if not ids:
        return {}
    rows = lake.table(ids).to_pandas()
    rows = rows[rows["release_time"] <= as_of_instant(as_of, lake.tz)]
    cols = ["obs_date", "value", "release_time"]
    out = {sid: pd.DataFrame(columns=cols) for sid in ids}
    for sid, part in rows.groupby("series_id", sort=True, observed=True):
        out[str(sid)] = part.sort_values(cols)[cols].reset_index(drop=True)
    return out


def series_digest(rows: Mapping[str, pd.DataFrame], series_id: str, through: pd.Timestamp) -> str:
    """A digest of a series' rows (from :func:`series_rows`) for periods up to ``through``:
    a revision or a late print of those periods changes it, a print of a later one does not
    (the card of a backtest stored through ``through`` reads nothing later)."""
    part = rows.get(series_id)
    if part is None:
        return "not in the lake"
    return _frame_digest(part[pd.DatetimeIndex(part["obs_date"]) <= through])


@dataclass(frozen=True, eq=False)
class _Stored:
    """One live strategy's stored backtest up to the as-of: its daily returns, the last
    date they reach (``through``), the file's digest and the series its card reads."""

    name: str
    returns: pd.Series
    through: pd.Timestamp
    digest: str
    series: tuple[str, ...]


def _stored(folder: Path, name: str, as_of: str) -> _Stored | None:
    path = folder / name / workspace.RETURNS
    if not path.is_file():
        return None
    returns = _read_returns(path)
    returns = returns[returns.index <= pd.Timestamp(as_of)]
    through = returns.index.max() if len(returns) else pd.Timestamp(as_of)
    series = {FUNDING["BRL"]}
    weights = folder / name / "weights.csv"
    if weights.is_file():
        specs = instruments()
        traded = pd.read_csv(weights, nrows=0).columns[1:]
        series |= {specs[i].price_series for i in traded if i in specs}
    digest = _digest(path.read_bytes())
    return _Stored(name, returns, through, digest, tuple(sorted(series)))


def _read_returns(path: Path) -> pd.Series:
    frame = read_parquet(path)
    col = "as_of" if "as_of" in frame.columns else frame.columns[0]
    r = frame[col].astype(float)
    r.index = pd.DatetimeIndex(r.index)
    return r


def _paths(card: HealthCard, backtest: pd.Series, live: pd.Series | None) -> pd.DataFrame:
    """The detectors' daily paths over the monitored sessions, with the monitored and the
    backtest daily excess returns of the same dates (fractions)."""
    if card.detection is None:
        return pd.DataFrame(columns=PATH_COLUMNS)
    stats = card.detection.statistics
    dates = stats.index
    mon = live if card.source == "live" and live is not None else backtest
    frame = stats.drop(columns=["score"]).assign(
        monitored=mon.reindex(dates).to_numpy(),
        backtest=backtest.reindex(dates).to_numpy(),
        threshold=card.detection.threshold,
        name=card.name,
    )
    frame = frame.rename_axis("date").reset_index()
    return frame[PATH_COLUMNS]


def _assess_one(
    lake: Lake,
    stored: _Stored,
    as_of: str,
    *,
    cdi: pd.Series,
    live: pd.Series | None,
    ledger: TrialLedger,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The card record and paths of one strategy, or ``{"skipped": why}`` and no paths."""
    from research_core.health.card import MIN_REFERENCE, MONITOR, assess
    from research_core.health.report import excess_returns
    from research_core.health.track import ledger_dsr

    when = pd.Timestamp(as_of)
    try:
        r = excess_returns(lake, stored.returns, as_of, cdi=cdi).dropna()
        need = MIN_REFERENCE + (MONITOR if live is None or len(live) < 3 else 0)
        if len(r) < need:  # without live P&L: a reference, then the monitored sessions
            raise HealthError(
                f"{len(r)} backtest sessions up to {as_of}; a card needs {need} "
                f"(store a longer one: {backtest_command(stored.name, as_of)})"
            )
        dsr = ledger_dsr(r, ledger, stored.name)
        card = assess(stored.name, r, when, live=live, dsr=dsr)
    except (HealthError, BacktestError) as err:
        return {"skipped": str(err)}, pd.DataFrame(columns=PATH_COLUMNS)
    return card.to_dict(), _paths(card, r, live)


def _key(
    stored: _Stored,
    rows: Mapping[str, pd.DataFrame],
    live: pd.Series | None,
    ledger: TrialLedger,
    code: str,
) -> str:
    """What the card reads, not the date it is read on: a backtest stored through an
    earlier date, with no revision of its periods and no live P&L, keeps its card."""
    trials = ledger.trials(stored.name)
    return _digest(
        stored.name,
        stored.digest,
        f"{stored.through:%Y-%m-%d}",
        *(f"{s}={series_digest(rows, s, stored.through)}" for s in stored.series),
        "no live" if live is None else _frame_digest(live),
        trials.to_json(orient="records", date_format="iso") if len(trials) else "no trials",
        code,
    )


def _cached(folder: Path, key: str) -> tuple[dict[str, Any], pd.DataFrame] | None:
    record, table = folder / f"{key}.json", folder / f"{key}.parquet"
    if not (record.is_file() and table.is_file()):
        return None
    return json.loads(record.read_text("utf-8")), read_parquet(table)


def _store(folder: Path, key: str, record: dict[str, Any], paths: pd.DataFrame) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / f"{key}.parquet", lambda tmp: paths.to_parquet(tmp))
    text = json.dumps(record, default=str)  # NaN/inf kept (Python's JSON reads them back)
    write_atomic(folder / f"{key}.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))


def health_loop(
    lake: Lake,
    as_of: str,
    names: Iterable[str],
    *,
    cache_dir: str | Path,
    live: pd.DataFrame | None = None,
    backtests: str | Path | None = None,
) -> LoopResult:
    """Cards of the live strategies ``names`` at ``as_of`` from their stored backtests
    (``backtests``, default ``<workspace>/backtests``), each reused from ``cache_dir``
    when none of its inputs changed. ``live`` has a column of live daily returns per name
    (:func:`research_core.health.drift.live_returns`)."""
    folder = Path(backtests) if backtests else workspace.folder(lake.root, "backtests")
    when = pd.Timestamp(as_of)
    stored, missing = [], {}
    for name in sorted(set(names)):
        found = _stored(folder, name, as_of)
        if found is None:
            missing[name] = backtest_command(name, as_of)
        else:
            stored.append(found)
    if not stored:
        empty = pd.DataFrame(columns=PATH_COLUMNS)
        return LoopResult(as_of, (), empty, missing, {}, (), ())
    from research_core.backtest.ledger import TrialLedger

    rows = series_rows(lake, {s for st in stored for s in st.series}, as_of)
    ledger, code = TrialLedger.for_lake(lake), code_digest()
    cdi: pd.Series | None = None
    records, tables, computed, reused = [], [], [], []
    for st in stored:
        mine = None
        if live is not None and st.name in live:
            col = live[st.name].dropna()
            mine = col[pd.DatetimeIndex(col.index) <= when]
        key = _key(st, rows, mine, ledger, code)
        hit = _cached(Path(cache_dir) / st.name, key)
        if hit is None:
            cdi = lake.at(as_of).series(FUNDING["BRL"]) if cdi is None else cdi
            hit = _assess_one(lake, st, as_of, cdi=cdi, live=mine, ledger=ledger)
            _store(Path(cache_dir) / st.name, key, *hit)
            computed.append(st.name)
        else:
            reused.append(st.name)
        records.append(
            hit[0] | {"name": st.name, "as_of": as_of, "through": f"{st.through:%Y-%m-%d}"}
        )
        tables.append(hit[1])
    cards = tuple(r for r in records if "skipped" not in r)
    skipped = {r["name"]: str(r["skipped"]) for r in records if "skipped" in r}
    nonempty = [t for t in tables if len(t)]
    paths = (
        pd.concat(nonempty, ignore_index=True) if nonempty else pd.DataFrame(columns=PATH_COLUMNS)
    )
    return LoopResult(as_of, cards, paths, missing, skipped, tuple(computed), tuple(reused))


def cards_frame(result: LoopResult) -> pd.DataFrame:
    """The cards as a table (``health/cards.parquet``): one row per strategy, worst first;
    Sharpes annualized, PSR/DSR probabilities, MinTRL in sessions, progress a fraction."""
    if not result.cards:
        return pd.DataFrame(columns=["name", "status", "reason", "source"])
    frame = pd.DataFrame(list(result.cards)).drop(columns=["alarms"], errors="ignore")
    order = frame["status"].map({"RED": 0, "AMBER": 1, "GREEN": 2})
    frame = frame.assign(_o=order).sort_values(["_o", "name"]).drop(columns="_o")
    return frame.replace([np.inf, -np.inf], np.nan).reset_index(drop=True)
