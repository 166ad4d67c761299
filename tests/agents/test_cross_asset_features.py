"""The cross-asset agent's weekly returns, worked out by hand on three weeks of prices.

Friday-to-Friday: the log change of each market's last price of the week, the CDS spread's
change in bp / 100; a week in which one market has no price is dropped for all (complete
weeks only), and so is the week after it (its change has no start).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from research_core.agents.cross_asset import MARKETS, CrossAssetAgent

# Mon 2024-01-01 .. Fri 2024-01-26: four Fridays (5, 12, 19, 26 January)
DAYS = pd.bdate_range("2024-01-01", "2024-01-26")
FRIDAYS = ["2024-01-05", "2024-01-12", "2024-01-19", "2024-01-26"]


def _prices(fridays: tuple[float, ...]) -> pd.Series:
    """A daily series with the given prices on the four Fridays (in between: interpolated)."""
    out = pd.Series(np.nan, index=DAYS)
    out[pd.DatetimeIndex(FRIDAYS)] = fridays
    return out.interpolate().bfill()


def _data() -> dict[str, pd.Series]:
    months = pd.date_range("2021-01-01", periods=36, freq="MS")
    ramp = pd.Series(np.linspace(0.1, 0.5, 36), index=months)
    data = {
        "US.IP.MOM": ramp,
        "BR.IBCBR.SA": 100 + ramp.cumsum(),
        "US.CPI.YOY": 3 + ramp**2,
        "BR.IPCA.MOM": ramp / 2,
    }
    data |= {
        MARKETS["spx"]: _prices((4700.0, 4780.0, 4840.0, 4890.0)),
        MARKETS["ibov"]: _prices((132000.0, 131000.0, 127000.0, 128000.0)),
        MARKETS["usdbrl"]: _prices((4.90, 4.92, 4.95, 4.91)),
        MARKETS["cds"]: _prices((135.0, 138.0, 150.0, 144.0)),  # bp
    }
    # no USD/BRL at all in the week of 19 January: that week has no complete row
    week3 = (DAYS > "2024-01-12") & (DAYS <= "2024-01-19")
    data[MARKETS["usdbrl"]] = data[MARKETS["usdbrl"]][~week3]
    return data


def test_weekly_returns_by_hand() -> None:
    returns = CrossAssetAgent().features(_data(), [])["returns"]
    # the week of the 5th has no start, those of the 19th (no USD/BRL) and of the 26th
    # (USD/BRL's change starts in the empty week) are incomplete: the 12th against the 5th
    expected = pd.DataFrame(
        {
            "spx": [math.log(4780 / 4700)],
            "ibov": [math.log(131000 / 132000)],
            "usdbrl": [math.log(4.92 / 4.90)],
            "cds": [(138 - 135) / 100],
        },
        index=pd.DatetimeIndex([pd.Timestamp("2024-01-12")]),
    )
    assert list(returns.columns) == ["spx", "ibov", "usdbrl", "cds"]
    assert returns.index.equals(expected.index)
    np.testing.assert_allclose(returns.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-15)
