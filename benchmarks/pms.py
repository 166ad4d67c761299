"""Benchmark: mark and attribute a 20-position book in the PMS (issue #15).

The book: every catalog instrument (alternating sides) plus a second DI1 lot, opened on the
first day; then ``--days`` (250) B3 sessions are marked one by one through ``PMS.mark`` (a
SQLite file, every mark one audited transaction) and the whole history is attributed by
risk factor, with the FRTB P&L attribution test. Peers: the point-in-time reads alone (the
quotes one mark needs, ``view.latest``) for the mark, and a pandas group-by of the same
P&L rows for the attribution. Before any time is reported the script checks that the NAV
history equals capital plus the P&L rows and that each day's factors sum to its P&L.

Run ``python benchmarks/pms.py [--days 250]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import best_of  # benchmarks/ is on sys.path when run as a script

from research_core.calendars import business_day_range
from research_core.catalog import instrument, instruments
from research_core.config import get_settings
from research_core.lake import Lake
from research_core.pms import PMS
from research_core.pnl import USDBRL

SIZES = {"rates": 2e8, "inflation": 1e8, "fx": 1e8, "credit": 5e6, "equity": 3e7}


def book() -> list[tuple[str, str, float]]:
    """20 positions: (instrument, side, size in the instrument's currency)."""
    out = []
    for k, iid in enumerate([*sorted(instruments()), "DI1.2Y"]):
        inst = instrument(iid)
        size = SIZES.get(inst.asset_class, 2e7) / (5.5 if inst.currency == "USD" else 1.0)
        out.append((iid, "buy" if k % 2 else "sell", size))
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lake", help="lake path (default: WORKBENCH_LAKE_PATH)")
    parser.add_argument("--end", default="2026-10-30", help="last mark date")
    parser.add_argument("--days", type=int, default=250, help="sessions to mark")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of the attribution")
    args = parser.parse_args(argv)

    lake = Lake.open(args.lake or get_settings().lake_path)
    days = business_day_range("2000-01-01", args.end, "B3")[-(args.days + 1) :]
    positions = book()
    with tempfile.TemporaryDirectory() as tmp:
        pms = PMS.open(f"sqlite:///{Path(tmp) / 'bench.db'}", lake=lake, actor="bench")
        rid = pms.request_control("four_eyes", False, reason="a one-person benchmark book")
        pms.approve_control(rid, actor="controller", reason="benchmark")  # direct bookings
        for k, (iid, side, size) in enumerate(positions):
            pms.enter_trade(iid, side, size, trade_date=days[0], idempotency_key=f"b{k}")
        mark_times, read_times = [], []
        series = sorted({instrument(i).price_series for i, _, _ in positions} | {USDBRL})
        for day in days:
            t0 = time.perf_counter()
            pms.mark(day)
            mark_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            lake.at(str(day.date())).latest(series)
            read_times.append(time.perf_counter() - t0)
        rows = pms.pnl_history()
        nav = pms.nav_history()
        assert np.isclose(nav["nav_brl"].iloc[-1], 1e9 + rows["pnl_brl"].sum(), rtol=0, atol=1e-4)
        t_attr, table = best_of(args.repeat, lambda: pms.attribution("factor"))
        assert np.allclose(table.sum(axis=1).to_numpy(), nav["pnl_brl"].to_numpy(), atol=1e-6)
        t_peer, _ = best_of(args.repeat, lambda: rows.groupby(["as_of", "instrument_id"]).sum())
        pla = pms.pla()
        pms.engine.dispose()
    mark = statistics.median(mark_times)
    read = statistics.median(read_times)
    print(f"{len(positions)} positions, {len(days)} marks to {args.end}")
    print(
        f"mark one day:        median {mark * 1e3:8.1f} ms   (reads alone {read * 1e3:.1f} ms, "
        f"x{mark / read:.1f})"
    )
    print(f"mark {len(days)} days:       {sum(mark_times):8.2f} s")
    print(
        f"attribute {len(days)} days:  {t_attr:8.3f} s   (pandas group-by of the rows "
        f"{t_peer:.3f} s, x{t_attr / t_peer:.1f})"
    )
    print(pla.summary())
    return {
        "mark (median day)": mark,
        "reads alone (median day)": read,
        "mark all days": sum(mark_times),
        "attribution": t_attr,
        "pandas group-by": t_peer,
        "pla spearman": pla.spearman,
        "pla ks": pla.ks,
        "pla residual": pla.residual_share,
    }


if __name__ == "__main__":
    pd.set_option("display.width", 160)
    main()
