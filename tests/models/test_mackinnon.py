"""The Engle–Granger p-value from MacKinnon's table equals statsmodels' ``mackinnonp``
(the reference, bit for bit) without importing statsmodels or scipy.stats (issue 29)."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.tsa.adfvalues import mackinnonp

from research_core.errors import ModelError
from research_core.models._mackinnon import mackinnon_p


@pytest.mark.parametrize("n_vars", range(1, 7))
def test_equals_statsmodels_across_both_tails_and_the_cut_offs(n_vars: int) -> None:
    grid = np.r_[np.linspace(-30, 3, 661), -np.inf, [-18.83, -1.61, -2.62, -3.93, 2.74, 1.0]]
    for stat in grid:
        assert mackinnon_p(float(stat), n_vars) == mackinnonp(stat, regression="c", N=n_vars)


def test_published_value_at_the_five_percent_critical_value() -> None:
    """MacKinnon (2010), "Critical Values for Cointegration Tests", QED WP 1227, table 2:
    the asymptotic 5 % critical value of the Engle–Granger test with a constant and two
    variables is -3.33613; the 1994 response surface puts its p-value near 0.05."""
    assert mackinnon_p(-3.33613, 2) == pytest.approx(0.05, abs=0.005)


def test_more_series_than_the_table_is_refused() -> None:
    with pytest.raises(ModelError, match="1 to 6"):
        mackinnon_p(-3.0, 7)
