"""The Copom path of a hand-built DI curve whose per-period CDI is known exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.curves import Curve
from research_core.curves.breakeven import fisher
from research_core.curves.policy import implied_path
from research_core.errors import CurveError

DAY = pd.Timestamp("2026-10-30")  # a Friday
MEETINGS = pd.DatetimeIndex(["2026-11-04", "2026-12-09"])  # Copom decisions (evening)
# B3 sessions counted by hand (numpy.busday_count, holidays Finados 2 Nov and Consciência
# Negra 20 Nov 2026): 30 Oct–4 Nov is 3 sessions (the CDI changes from 5 Nov), 5 Nov–9 Dec 24.
DU1, DU2 = 3, 24
CDI = (12.40, 12.15, 11.90)  # % a.a. before, between and after the meetings


def _hand_curve() -> Curve:
    """Pillars at the two effective days and a year later; DF by hand from the CDI path."""
    t1, t2 = DU1 / 252, (DU1 + DU2) / 252
    df1 = (1 + CDI[0] / 100) ** -t1
    df2 = df1 * (1 + CDI[1] / 100) ** -(t2 - t1)
    df3 = df2 * (1 + CDI[2] / 100) ** -1.0
    times = np.array([t1, t2, t2 + 1.0])
    return Curve("DI", DAY, times, np.log([df1, df2, df3]), "annual", "du/252")


def test_hand_built_curve_gives_back_its_cdi_path_and_the_selic_changes() -> None:
    path = implied_path(
        _hand_curve(), MEETINGS, policy_rate_pct=12.50, spread_bp=-10.0, calendar="B3"
    )
    t = path.table
    assert list(t["business_days"][:2]) == [DU1, DU2]
    assert np.allclose(t["implied_rate_pct"], CDI, atol=1e-10)
    # Selic = CDI + 10 bp: 12.25 after 4 Nov, 12.00 after 9 Dec, from 12.50 in force
    assert np.allclose(t["implied_policy_pct"][1:], [12.25, 12.00], atol=1e-10)
    assert np.allclose(t["change_bp"][1:], [-25.0, -25.0], atol=1e-8)
    assert np.allclose(t["cumulative_bp"][1:], [-25.0, -50.0], atol=1e-8)
    assert list(t["meeting"][1:]) == list(MEETINGS)
    assert "−50.0 bp" in path.summary().replace("-", "−")


def test_no_meeting_after_the_date_is_a_one_line_error() -> None:
    with pytest.raises(CurveError, match="no meeting in the calendar after 2026-10-30"):
        implied_path(_hand_curve(), MEETINGS - pd.Timedelta(days=60), policy_rate_pct=12.5,
                     spread_bp=0.0)  # fmt: skip


def test_fisher_breakeven_by_hand() -> None:
    """(1.1290 / 1.0709) − 1 = 5.4253 % a.a.; semiannual: 2 × ((1.0208 / 1.00805) − 1)."""
    assert abs(fisher(12.90, 7.09, 1) - (1.1290 / 1.0709 - 1) * 100) < 1e-12
    assert abs(fisher(4.16, 1.61, 2) - 2 * (1.0208 / 1.00805 - 1) * 100) < 1e-12
