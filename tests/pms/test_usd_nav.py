"""The USD book's P&L is its NAV's change (issue 24, item 5).

A fund whose capital is in BRL, seen in USD, gains or loses on the capital itself when
USD/BRL moves: USD P&L_t = NAV_t / S_t − NAV_{t−1} / S_{t−1} = BRL P&L_t / S_t (trading,
converted) + NAV_{t−1} × (1/S_t − 1/S_{t−1}) (FX translation of the capital). Expected
values are worked out here by hand, not taken from the PMS.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core.calendars import business_day_range
from research_core.lake.store import Lake
from research_core.pms import PMS
from tests.pms.conftest import four_eyes_off

# a small lake: the Ibovespa and USD/BRL on four B3 sessions, released at the 18:00 close
DAYS = ["2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07"]
IBOV = [100_000.0, 100_000.0, 101_000.0, 99_990.0]
USDBRL = [5.0, 5.0, 5.5, 5.0]


@pytest.fixture
def small_lake(tmp_path: Path) -> Lake:
    lake = Lake.open(tmp_path / "lake", create=True)
    released = pd.to_datetime([f"{d} 21:00" for d in DAYS], utc=True)
    for sid, values in (("BR.IBOV", IBOV), ("BRL.USD.SPOT", USDBRL)):
        frame = pd.DataFrame(
            {
                "series_id": sid,
                "obs_date": pd.to_datetime(DAYS),
                "value": values,
                "release_time": released,
                "source": "test",
            }
        )
        lake.write(frame)
    return lake


def test_usd_pnl_by_hand_over_three_marks(db_url: str, small_lake: Lake):
    """R$1m capital, long R$1m of Ibovespa future from 5 March (no carry: a price quote).

    5 Mar: NAV R$1,000,000 at 5.00 = US$200,000; P&L 0.
    6 Mar: Ibovespa +1 % → +R$10,000; NAV R$1,010,000 at 5.50 = US$183,636.36:
           USD P&L −16,363.64 = trading 10,000/5.5 (+1,818.18) + translation
           1,000,000 × (1/5.5 − 1/5) (−18,181.82).
    7 Mar: Ibovespa 99,990 = −1 % of 101,000 on R$1m → −R$10,000; NAV R$1,000,000 at 5.00 =
           US$200,000: USD P&L +16,363.64 = −10,000/5 (−2,000) + 1,010,000 × (1/5 − 1/5.5)
           (+18,363.64). Over the three marks the USD book made 0, as its NAV says; the old
           BRL P&L / S alone summed to −181.82.
    """
    pms = four_eyes_off(PMS.open(db_url, lake=small_lake, actor="alice"))
    pms.init(capital=1e6)
    pms.enter_trade("IBOV.FUT", "buy", 1e6, trade_date=DAYS[1], idempotency_key="ibov")
    marks = [pms.mark(d) for d in DAYS[1:]]
    usd = [m.pnl_usd for m in marks]
    assert usd == pytest.approx([0.0, -16_363.636363636, 16_363.636363636], abs=1e-6)
    assert [m.trading_usd for m in marks] == pytest.approx([0.0, 1_818.181818182, -2_000.0])
    assert [m.translation_usd for m in marks] == pytest.approx(
        [0.0, -18_181.818181818, 18_363.636363636], abs=1e-6
    )
    assert [m.nav_usd for m in marks] == pytest.approx([200_000.0, 183_636.363636364, 200_000.0])
    hist = pms.nav_history()
    assert hist["pnl_usd"].sum() == pytest.approx(0.0, abs=1e-6)
    assert hist["trading_usd"].sum() == pytest.approx(-181.818181818, abs=1e-6)
    assert hist["translation_usd"].tolist() == pytest.approx(
        [0.0, -18_181.818181818, 18_363.636363636], abs=1e-6
    )
    assert "trading 1,818 USD + FX translation of capital -18,182 USD" in marks[1].summary()
    again = pms.mark(DAYS[3])  # the stored mark gives the same split
    assert again.already_marked and again.translation_usd == pytest.approx(18_363.636363636)
    pms.engine.dispose()


def test_usd_pnl_sums_to_the_usd_nav_change_on_a_real_run(sample_lake_path: Path, tmp_path):
    """Four lots in BRL and USD marked over nine B3 sessions on the sample lake."""
    lake = Lake.open(sample_lake_path)
    pms = four_eyes_off(PMS.open(f"sqlite:///{tmp_path / 'pms.db'}", lake=lake, actor="alice"))
    days = business_day_range("2026-10-20", "2026-10-30", "B3")
    d0 = f"{days[0]:%Y-%m-%d}"
    book = [
        ("DI1.2Y", "buy", 3e8),
        ("NTNB.5Y", "sell", 2e8),
        ("USDBRL.NDF", "buy", 5e7),
        ("ES.FUT", "buy", 2e7),
    ]
    for i, (iid, side, size) in enumerate(book):
        pms.enter_trade(iid, side, size, trade_date=d0, idempotency_key=f"k{i}")
    for d in days:
        pms.mark(f"{d:%Y-%m-%d}")
    hist = pms.nav_history()
    assert len(hist) == 9
    fx = np.array([lake.at(d).series("BRL.USD.SPOT").dropna().iloc[-1] for d in hist.index])
    assert hist["usdbrl"].to_numpy() == pytest.approx(fx, rel=1e-12)
    start_usd = 1e9 / fx[0]  # R$1bn capital at USD/BRL of the day the lots opened
    assert hist["pnl_usd"].sum() == pytest.approx(hist["nav_usd"].iloc[-1] - start_usd, rel=1e-9)
    nav_prev = np.r_[1e9, hist["nav_brl"].to_numpy()[:-1]]
    fx_prev = np.r_[fx[0], fx[:-1]]
    trading = hist["pnl_brl"].to_numpy() / fx
    translation = nav_prev * (1 / fx - 1 / fx_prev)
    assert hist["trading_usd"].to_numpy() == pytest.approx(trading, rel=1e-12, abs=1e-6)
    assert hist["translation_usd"].to_numpy() == pytest.approx(translation, rel=1e-9, abs=1e-3)
    assert hist["pnl_usd"].to_numpy() == pytest.approx(trading + translation, rel=1e-9, abs=1e-3)
    # each lot's pnl_usd is its trading P&L converted; the lots sum to the book's trading part
    lots = pms.pnl_history().groupby("as_of")["pnl_usd"].sum()
    lots.index = pd.DatetimeIndex(pd.to_datetime(lots.index))
    assert lots.reindex(hist.index, fill_value=0.0).to_numpy() == pytest.approx(trading, abs=1e-3)
    pms.engine.dispose()
