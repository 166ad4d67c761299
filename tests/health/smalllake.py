"""A small lake and hand-built stored backtests for the health step's tests (CDI at 0 %, so
excess returns are the stored returns; one price series per strategy)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from research_core import workspace
from research_core.lake import Lake

DATES = pd.bdate_range("2020-01-01", periods=756)  # 252 reference + 504 monitored sessions
AS_OF = f"{DATES[-1]:%Y-%m-%d}"
MEAN, SD = 0.0004, 0.01
SHIFT = 652  # first session of the shifted returns (reference 252 + 400 healthy sessions)
# strategy -> the instrument its stored backtest traded (instruments.yaml: price series)
TRADED = {"RATES_BR_01": ("DI1.1Y", "BR.DI.1Y"), "RATES_US_01": ("UST.10Y.FUT", "US.UST.10Y")}


def rows(
    sid: str, values: list[float], days: pd.DatetimeIndex, released: str = "21:00"
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series_id": sid,
            "obs_date": days,
            "value": values,
            "release_time": pd.to_datetime([f"{d:%Y-%m-%d} {released}" for d in days], utc=True),
            "source": "test",
        }
    )


def shifted_path() -> pd.Series:
    """MEAN ± SD alternating (+ on even sessions) until SHIFT, then MEAN − vol: one
    reference volatility below the mean every day."""
    r = np.where(np.arange(len(DATES)) % 2 == 0, MEAN + SD, MEAN - SD)
    vol = SD * math.sqrt(252 / 251)  # the reference's sample sd (ddof 1) of ± SD
    r[SHIFT:] = MEAN - vol
    return pd.Series(r, index=DATES, name="as_of")


def store(lake: Lake, name: str, returns: pd.Series) -> None:
    folder = workspace.folder(lake.root, "backtests") / name
    folder.mkdir(parents=True, exist_ok=True)
    returns.to_frame().to_parquet(folder / "returns.parquet")
    inst = TRADED[name][0]
    pd.DataFrame({inst: 0.1}, index=DATES[:3]).to_csv(folder / "weights.csv")


def small_lake(root: Path) -> Lake:
    """CDI at 0 % (the CDI accrual is zero every day), a price series per strategy's
    instrument, and the hand-built returns stored as each strategy's backtest."""
    lake = Lake.open(root, create=True)
    lake.write(rows("BR.CDI", [0.0], DATES[:1]))
    for _, sid in TRADED.values():
        lake.write(rows(sid, [10.0, 10.1, 10.2], DATES[:3]))
    for name in TRADED:
        store(lake, name, shifted_path())
    return lake


def write_sources(run_dir: Path, names: list[str]) -> None:
    folder = run_dir / "artifacts" / "strategies"
    folder.mkdir(parents=True)
    sources = {"freshness": {f"strategy:{n}": 1.0 for n in names}, "skipped": {}}
    (folder / "sources.json").write_text(json.dumps(sources))
