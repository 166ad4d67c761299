"""Known answers for the curve strategies (RATES_BR_06..08) on the hand-built lake.

Each expected position is recomputed from the rows the test lake was written with
(``HandLake.known``) with the formula of the strategy's docstring; the Copom-path one
bootstraps the DI curve by hand (zero pillars at du/252, log-linear discount factors) and
reads the meeting dates from BCB's published calendar, the business days from B3's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from research_core.lake import Lake
from research_core.strategies import load_config
from tests.strategies.conftest import AS_OF, HandLake, _rows, build_rows
from tests.strategies.test_series_known_answers import slope, z_last

BOOK = load_config()

# BCB, "Calendário das reuniões do Copom": decisions on 8 Dec 2021 (the year's last) and
# 2 Feb 2022; each moves the CDI from the next session (9 Dec, 3 Feb).
EFFECTIVE = ("2021-12-09", "2022-02-03")
# B3's trading holidays between the as-of and those days (B3, "Calendário de negociação"
# 2021): São Paulo's Constitutionalist Revolution (9 Jul), Independence, Our Lady of
# Aparecida, All Souls, Republic; no session on 24 and 31 Dec.
B3_HOLIDAYS = [
    "2021-07-09",
    "2021-09-07",
    "2021-10-12",
    "2021-11-02",
    "2021-11-15",
    "2021-12-24",
    "2021-12-31",
]
DI_PILLARS = {"BR.DI.3M": 63, "BR.DI.6M": 126, "BR.DI.1Y": 252, "BR.DI.2Y": 504,
              "BR.DI.3Y": 756, "BR.DI.5Y": 1260, "BR.DI.10Y": 2520}  # fmt: skip  # du


# What the curve strategies read beyond the shared hand lake (kept out of it: a 6-month DI
# pillar changes the DI carry and roll-down the other known answers are computed without).
CONSTANT = {"BR.SELIC.TARGET": 9.1, "BR.FOCUS.SELIC.CY": 9.4, "BR.FOCUS.SELIC.NY": 9.8}


@pytest.fixture(scope="module")
def curve_lake(tmp_path_factory: pytest.TempPathFactory) -> HandLake:
    """The shared hand lake's rows plus the DI 6-month pillar (midway between the 3-month
    and the 1-year, +10 bp), the Selic target (the CDI 10 bp below it) and the Focus
    survey's Selic for this year's and next year's end."""
    rows = build_rows()
    di = {s: rows[rows["series_id"] == s].set_index("obs_date")["value"]
          for s in ("BR.DI.3M", "BR.DI.1Y")}  # fmt: skip
    days, evening = di["BR.DI.3M"].index, pd.Timedelta(hours=22)
    extra = [_rows("BR.DI.6M", days, ((di["BR.DI.3M"] + di["BR.DI.1Y"]) / 2 + 0.1).to_numpy(),
                   evening)]  # fmt: skip
    extra += [_rows(s, days, np.full(len(days), v), evening) for s, v in CONSTANT.items()]
    rows = pd.concat([rows, *extra], ignore_index=True)
    lake = Lake.open(tmp_path_factory.mktemp("curve_lake") / "lake", create=True)
    lake.write(rows)
    return HandLake(lake, rows, lake.at(AS_OF))


def fly(h: HandLake) -> dict[str, float]:
    z2, z5, z10 = (h.known(f"BR.DI.{t}") for t in ("2Y", "5Y", "10Y"))
    x = np.tanh(z_last((2 * z5 - z2 - z10).dropna(), 504) / 1.5)
    return {"DI1.5Y": -x, "DI1.2Y": 0.5 * x, "DI1.10Y": 0.5 * x}


def copom_gap_bp(h: HandLake) -> float:
    """Implied Selic after the Dec 2021 meeting − Focus for end-2021, bp: the forward CDI
    between the two effective days, (D(a)/D(b))^(1/(b−a)) − 1, on log-linear log D
    through the pillars, plus the Selic − CDI spread."""
    t = np.array(list(DI_PILLARS.values())) / 252.0
    z = np.array([h.known(s).iloc[-1] for s in DI_PILLARS]) / 100.0
    a, b = (np.busday_count("2021-06-30", d, holidays=B3_HOLIDAYS) / 252.0 for d in EFFECTIVE)
    log_d = np.interp([a, b], t, -t * np.log1p(z))
    fwd = np.exp((log_d[0] - log_d[1]) / (b - a)) - 1.0
    spread = h.known("BR.CDI").iloc[-1] - h.known("BR.SELIC.TARGET").iloc[-1]  # −0.10 pp
    return (fwd * 100.0 - spread - h.known("BR.FOCUS.SELIC.CY").iloc[-1]) * 100.0


def copom(h: HandLake) -> dict[str, float]:
    x = -np.tanh(copom_gap_bp(h) / 50.0)
    return {"DI1.1Y": x, "DI1.2Y": 0.5 * x}


CASES: dict[str, Callable[[HandLake], dict[str, float]]] = {
    "RATES_BR_06": lambda h: {
        "DI1.5Y": -slope(h, "BR.DI.5Y", "BR.DI.1Y"),
        "DI1.1Y": slope(h, "BR.DI.5Y", "BR.DI.1Y"),
    },
    "RATES_BR_07": fly,
    "RATES_BR_08": copom,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_position_matches_the_hand_computed_formula(curve_lake: HandLake, name: str) -> None:
    got = BOOK[name].generate_signals(curve_lake.view)
    want = pd.Series(CASES[name](curve_lake), dtype=float).reindex(got.index).fillna(0.0)
    assert (want.abs() > 1e-3).any()
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-12)


def test_copom_strategy_is_flat_before_the_survey_is_known(curve_lake: HandLake) -> None:
    view = curve_lake.lake.at("2014-06-30T23:00:00+00:00")  # before any row of the lake
    assert (BOOK["RATES_BR_08"].generate_signals(view) == 0.0).all()
