"""NTN-B: the VNA and a bond's price by hand, and days to exit at the price (issue 24, item 4).

Expected values are written out here from Tesouro Nacional's NTN-B methodology (face
R$1,000 on 2000-07-15, restated on each 15th by the IPCA to the month before, pro rata by
calendar days at the month's IPCA or its projection) and the published IPCA (IBGE, BCB SGS
433), not taken from ``research_core.ntnb``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core import ntnb
from research_core.backtest import CostModel
from research_core.errors import PriceHistoryError
from research_core.lake.store import Lake
from research_core.risk.limits import days_to_exit

AS_OF = "2026-10-30"
# IPCA, % a month (IBGE; BCB SGS 433), July 2000 to December 2004
IPCA_2000_2004 = [
    *(1.61, 1.31, 0.23, 0.14, 0.32, 0.59),
    *(0.57, 0.46, 0.38, 0.58, 0.41, 0.52, 1.33, 0.70, 0.28, 0.83, 0.71, 0.65),
    *(0.52, 0.36, 0.60, 0.80, 0.21, 0.42, 1.19, 0.65, 0.72, 1.31, 3.02, 2.10),
    *(2.25, 1.57, 1.23, 0.97, 0.61, -0.15, 0.20, 0.34, 0.78, 0.29, 0.34, 0.52),
    *(0.76, 0.61, 0.47, 0.37, 0.51, 0.71, 0.91, 0.69, 0.33, 0.44, 0.69, 0.86),
]


def _monthly(start: str, values: list[float]) -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="MS"))


def test_vna_by_hand_from_the_base_date():
    ipca = _monthly("2000-07-01", [1.61, 1.31, 0.23, 0.14, 0.32, 0.59])
    days = pd.DatetimeIndex(
        ["2000-07-10", "2000-07-15", "2000-09-15", "2000-09-25", "2001-01-20", "2001-02-20"]
    )
    got = ntnb.vna(ipca, days, 0.5)
    h2 = 1.0161 * 1.0131 * 1.0023 * 1.0014 * 1.0032 * 1.0059
    assert math.isnan(got[0])  # before the base date nothing is known
    assert got[1] == pytest.approx(1000.0, rel=1e-12)
    assert got[2] == pytest.approx(1000 * 1.0161 * 1.0131, rel=1e-12)
    # 10 of the 30 days from 15 Sep to 15 Oct at September's IPCA
    assert got[3] == pytest.approx(1000 * 1.0161 * 1.0131 * 1.0023 ** (10 / 30), rel=1e-12)
    # January 2001 is not in the series: projected, 5 of the 31 days to 15 Feb
    assert got[4] == pytest.approx(1000 * h2 * 1.005 ** (5 / 31), rel=1e-12)
    # 15 Feb carries January (projected), then 5 of the 28 days to 15 Mar
    assert got[5] == pytest.approx(1000 * h2 * 1.005 * 1.005 ** (5 / 28), rel=1e-12)


def test_the_2005_anchor_is_the_published_ipca_chained_from_the_base():
    chained = 1000 * math.prod(1 + v / 100 for v in IPCA_2000_2004)
    assert len(IPCA_2000_2004) == 54
    assert ntnb.ANCHORS[-1][1] == pytest.approx(chained, abs=0.005)
    # a lake whose IPCA starts in 2005 chains from it; one from 2000 from R$1,000
    late = _monthly("2005-01-01", [0.58, 0.59])
    day = pd.DatetimeIndex(["2005-03-15"])
    assert ntnb.vna(late, day, 0.0)[0] == pytest.approx(1485.76 * 1.0058 * 1.0059, rel=1e-12)
    full = _monthly("2000-07-01", [*IPCA_2000_2004, 0.58, 0.59])
    assert ntnb.vna(full, day, 0.0)[0] == pytest.approx(chained * 1.0058 * 1.0059, rel=1e-12)


def test_vna_refuses_a_gap_or_a_history_that_starts_too_late():
    gap = pd.Series([0.5, 0.4], index=pd.DatetimeIndex(["2005-01-01", "2005-03-01"]))
    with pytest.raises(PriceHistoryError, match="no value for 2005-02"):
        ntnb.vna(gap, pd.DatetimeIndex(["2005-06-20"]), 0.4)
    with pytest.raises(PriceHistoryError, match="starts 2010-01"):
        ntnb.vna(_monthly("2010-01-01", [0.5]), pd.DatetimeIndex(["2010-03-20"]), 0.4)
    with pytest.raises(PriceHistoryError, match=r"no BR\.IPCA\.MOM"):
        ntnb.vna(pd.Series(dtype=float), pd.DatetimeIndex(["2010-03-20"]), 0.4)


@pytest.fixture(scope="module")
def lake(sample_lake_path: Path) -> Lake:
    return Lake.open(sample_lake_path)


def _vna_by_hand(view, day: pd.Timestamp, pro_rata_rate: float) -> float:
    """R$1,485.76 on 2005-01-15, × each IPCA month of the lake up to the month before the
    last 15th, × the pro-rata rate over the calendar days since that 15th."""
    ipca = view.series("BR.IPCA.MOM")
    last15 = (
        day.replace(day=15) if day.day >= 15 else (day - pd.DateOffset(months=1)).replace(day=15)
    )
    level = 1485.76
    for month, value in ipca.items():
        if month < last15.replace(day=1):
            level *= 1 + value / 100
    next15 = last15 + pd.DateOffset(months=1)
    return level * (1 + pro_rata_rate / 100) ** ((day - last15).days / (next15 - last15).days)


def test_vna_is_what_was_published_by_the_date(lake):
    sep = pd.Timestamp("2026-09-01")
    before, after = lake.at("2026-10-06"), lake.at("2026-10-12")
    assert sep not in before.series("BR.IPCA.MOM").index  # September's IPCA: out 8 October
    focus = before.series("BR.FOCUS.IPCA.MOM").iloc[-1]
    assert ntnb.vna_at(before) == pytest.approx(
        _vna_by_hand(before, pd.Timestamp("2026-10-06"), focus), rel=1e-12
    )
    actual = after.series("BR.IPCA.MOM")[sep]
    assert ntnb.vna_at(after) == pytest.approx(
        _vna_by_hand(after, pd.Timestamp("2026-10-12"), actual), rel=1e-12
    )


def test_days_to_exit_values_an_ntnb_at_its_price(lake):
    """The pack's NTNB.10Y short (−42.2 % of a R$1bn NAV) was 17.59 days to exit at R$1,000
    a bond; at VNA × quotation (the NTN-B Principal zero) it is about 8.5."""
    view = lake.at(AS_OF)
    w = pd.Series({"NTNB.10Y": -0.422066, "DI1.2Y": 0.5})
    got = days_to_exit(view, w, 1e9, 0.2)
    focus = view.series("BR.FOCUS.IPCA.MOM").iloc[-1]
    vna = _vna_by_hand(view, pd.Timestamp(AS_OF), focus)
    y = view.series("BR.NTNB.10Y").iloc[-1] / 100
    bond = vna / (1 + y) ** 10  # 10 years to maturity (du/252) on the constant-maturity point
    assert got["NTNB.10Y"] == pytest.approx(0.422066e9 / bond / (0.2 * 120_000), rel=1e-9)
    assert 2000 < bond < 2100 and 8.0 < got["NTNB.10Y"] < 9.0  # not 17.59 at R$1,000
    di = 100_000 / (1 + view.series("BR.DI.2Y").iloc[-1] / 100) ** 2  # DI1 PU: unchanged
    assert got["DI1.2Y"] == pytest.approx(0.5e9 / di / (0.2 * 350_000), rel=1e-9)


def test_backtest_impact_prices_an_ntnb_at_vna_times_quotation():
    vol = np.array([0.004])
    coef = CostModel(nav=1e9).impact_coefficients(["NTNB.10Y"], vol, np.array([6.0]), 5.0, 4000.0)
    adv = 120_000 * 4000.0 / 1.06**10  # bonds a day × R$ per bond
    assert coef[0] == pytest.approx(0.004 * math.sqrt(1e9 / adv), rel=1e-12)
    with pytest.raises(PriceHistoryError, match="VNA"):
        CostModel().impact_coefficients(["NTNB.10Y"], vol, np.array([6.0]), 5.0)
