"""The models an agent fits at every date run without importing statsmodels or
scipy.stats (about 1 s CPU of a cold ``workbench agents run``, issue 29): a fresh process
fits OLS (plain and HAC), a Hamilton gap, r* with a gap and a BEER."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_PROBE = """
import json, sys
import numpy as np, pandas as pd
from research_core.models._base import ols
from research_core.models.equilibrium_fx import beer
from research_core.models.gap import hamilton_gap
from research_core.models.rstar import natural_rate
rng = np.random.default_rng(0)
idx = pd.date_range("2005-01-31", periods=200, freq="ME")
x = pd.DataFrame({"a": rng.normal(size=200).cumsum()}, index=idx)
y = pd.Series(0.5 * x["a"] + rng.normal(size=200), index=idx)
ols("plain", y, x), ols("hac", y, x, hac_lags=6)
gap = hamilton_gap(pd.Series(np.exp(0.01 * rng.normal(size=200).cumsum() + 4), index=idx))
natural_rate(pd.Series(rng.normal(size=200).cumsum() * 0.1 + 2, index=idx), gap)
beer(pd.Series(np.exp(y / 10), index=idx), x)
heavy = ("statsmodels", "scipy.stats")
print(json.dumps(sorted(m for m in sys.modules if m.startswith(heavy))))
"""


def test_fitting_the_per_date_models_imports_no_statsmodels_or_scipy_stats() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert json.loads(out.stdout.splitlines()[-1]) == []
