"""A replay pays for what it uses (issue 29: one stored decision replayed ≤ 1 s; it spent
3.4 s importing and 0.37 s working). Its process loads neither Alembic (the schema check
reads ``alembic_version`` in one query), scikit-learn (Ledoit–Wolf in numpy) nor
scipy.stats (the VaR cap's normal quantile is ``ndtri``); a wrong schema is still refused
in one line; sizes read every quote in one lake pass, with the same quotes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sqlalchemy import text

from research_core.errors import PMSError
from research_core.lake import Lake
from research_core.pms import PMS, db
from research_core.pnl import last_quote
from research_core.portfolio.book import last_quotes
from research_core.risk.measures import _normal_tail, parametric

REPO = Path(__file__).resolve().parents[2]

# A replay's own imports, then a construction with its VaR cap and the pre-trade check
# (historical VaR): what `pms replay` runs after reading a decision.
_PROBE = """
import json, sys
import numpy as np, pandas as pd
from research_core.lake import Lake
from research_core.pms.db import open_engine
from research_core.pms.journal import replay
from research_core.portfolio.construct import construct
from research_core.models.covariance import ledoit_wolf
from research_core.portfolio.constraints import _var_99
from research_core.risk.measures import historical
rets = pd.DataFrame(np.random.default_rng(0).normal(0, 0.01, (300, 3)), columns=list("abc"))
cov = ledoit_wolf(rets).covariance
w = pd.Series(0.1, index=list("abc"))
_var_99(w, cov), historical(w, rets, [0.99])
heavy = ("alembic", "sklearn", "scipy.stats", "statsmodels", "plotly", "research_core.pms.system")
print(json.dumps(sorted({m for m in sys.modules if m.startswith(heavy)})))
"""


def test_a_replay_loads_no_alembic_scikit_learn_or_scipy_stats() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert json.loads(out.stdout.splitlines()[-1]) == []


def test_the_schema_revision_is_read_as_alembic_keeps_it(tmp_path: Path, lake: Lake) -> None:
    """The migration files' head (read without Alembic) is Alembic's; the stored revision
    is Alembic's ``MigrationContext`` answer; a database at an older revision is refused
    in one line naming both, and changes nothing."""
    from alembic.runtime.migration import MigrationContext

    assert db.shipped_head() == db.head_revision()
    url = f"sqlite:///{tmp_path / 'pms.db'}"
    engine = db.make_engine(url)
    assert db.current_revision(engine) is None  # an empty database
    PMS.open(url, lake=lake).engine.dispose()
    with engine.connect() as conn:
        assert (
            db.current_revision(engine) == MigrationContext.configure(conn).get_current_revision()
        )
    assert db.current_revision(engine) == db.head_revision()
    PMS.open(url, lake=lake, create=False).engine.dispose()  # at the head: opens
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0005_alerts'"))
    with pytest.raises(PMSError) as err:
        PMS.open(url, lake=lake, create=False)
    msg = str(err.value)
    assert "\n" not in msg and "0005_alerts" in msg and db.head_revision() in msg
    assert "workbench pms init" in msg
    assert db.current_revision(engine) == "0005_alerts"  # refused: nothing written
    engine.dispose()


def test_sizes_read_the_same_quotes_in_one_pass(tmp_path: Path) -> None:
    """``last_quotes`` is ``pnl.last_quote`` per series: the newest period's value, and
    where that period was withdrawn the last value standing (by hand: 2.0, not NaN)."""
    lake = Lake.open(tmp_path / "lake", create=True)
    for sid in ("TEST.A", "TEST.B", "TEST.C"):
        lake.register(sid, frequency="D", units="bp")

    def rows(sid: str, obs: list[str], values: list[float], released: str) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "series_id": sid,
                "obs_date": pd.to_datetime(obs),
                "value": values,
                "release_time": pd.Timestamp(released, tz="UTC"),
                "source": "test",
            }
        )

    lake.write(rows("TEST.A", ["2024-01-02", "2024-01-03"], [1.0, 2.0], "2024-01-04"))
    lake.write(rows("TEST.A", ["2024-01-04"], [np.nan], "2024-01-05").assign(withdrawn=True))
    lake.write(rows("TEST.B", ["2024-01-02", "2024-01-03"], [5.0, 6.5], "2024-01-04"))
    lake.write(rows("TEST.B", ["2024-01-03"], [7.0], "2024-02-01"))  # a later revision
    view = lake.at("2024-01-10")
    got = last_quotes(view, ["TEST.A", "TEST.B", "TEST.C", "TEST.A"])
    assert list(got) == ["TEST.A", "TEST.B", "TEST.C"]
    assert got["TEST.A"] == 2.0 and got["TEST.B"] == 6.5 and np.isnan(got["TEST.C"])
    for sid, value in got.items():
        np.testing.assert_equal(value, last_quote(view, sid))


def test_the_normal_tail_is_scipy_stats_norm_to_the_last_bit() -> None:
    """z = −Φ⁻¹(p) and φ(z)/p from the peer ``scipy.stats.norm`` (what the code called
    before), over the usual tails and 2,000 more: equal to the last bit, since a replay
    compares sizes exactly."""
    tails = [0.05, 0.025, 0.01, 0.001, *np.random.default_rng(3).uniform(1e-6, 0.5, 2000)]
    for p in tails:
        z = -stats.norm.ppf(p)
        assert _normal_tail(p) == (z, stats.norm.pdf(z) / p)


@pytest.mark.parametrize("alpha", [0.95, 0.99])
def test_normal_var_is_z_sigma_with_euler_components(alpha: float) -> None:
    """By hand: VaR = z·σ, ES = φ(z)/(1−α)·σ, components z·w_i(Σw)_i/σ adding up."""
    rng = np.random.default_rng(11)
    a = rng.normal(0, 0.01, (4, 4))
    c = a @ a.T + np.eye(4) * 1e-4
    x = np.array([0.3, -0.2, 0.5, 0.1])
    cov = pd.DataFrame(c, index=list("wxyz"), columns=list("wxyz"))
    (got,) = parametric(pd.Series(x, index=list("wxyz")), cov, (alpha,))
    sd = float(np.sqrt(x @ c @ x))
    z = -stats.norm.ppf(1 - alpha)
    assert got.var == pytest.approx(z * sd, rel=1e-12)
    assert got.es == pytest.approx(stats.norm.pdf(z) / (1 - alpha) * sd, rel=1e-12)
    np.testing.assert_allclose(got.component_var.to_numpy(), z * x * (c @ x) / sd, rtol=1e-12)


def test_a_replay_still_tells_a_changed_decision(pms: PMS) -> None:
    """Guard: the cheaper replay still compares every field. The stored ΔVaR edited by
    hand (+0.0001 % of NAV) makes the replay DIFFER in ``impact`` alone, with exit 1."""
    from research_core.cli import main
    from research_core.pms.journal import replay

    pid = pms.submit("IBOV.FUT", "buy", 1e8, as_of="2026-10-01", actor="alice")
    decision = int(pms.journal().index[0])
    assert replay(pms.engine, pms.lake, decision).identical
    with pms.engine.begin() as conn:
        query = text("SELECT impact FROM trade_proposals WHERE id = :i")
        impact = json.loads(conn.execute(query, {"i": pid}).scalar_one())
        impact["delta_var"] = float(impact["delta_var"]) + 1e-6
        update = text("UPDATE trade_proposals SET impact = :v WHERE id = :i")
        conn.execute(update, {"v": json.dumps(impact), "i": pid})
    got = replay(pms.engine, pms.lake, decision)
    assert (got.identical, got.differences) == (False, ("impact",))
    args = ["pms", "replay", str(decision), "--db", str(pms.engine.url.render_as_string(False))]
    assert main([*args, "--path", str(pms.lake.root)]) == 1
