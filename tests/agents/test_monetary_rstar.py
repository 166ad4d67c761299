"""The monetary-policy agent's r* estimator setting (issue 29): the default exact profile
fit is point in time (a revision released after the as-of changes nothing), it is part of
the agent's report key, and the earlier optimiser stays available and close."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from research_core.agents.monetary import MonetaryPolicyAgent, rstar_method
from research_core.agents.report import AgentReport
from research_core.agents.runner import variant
from research_core.errors import AgentDataError
from tests.agents.agent_lake import AS_OF, WEEKS, build, planted


def strengths(report: AgentReport) -> dict[str, float]:
    return {s.instrument: s.strength for s in report.signals}


def test_a_revision_after_the_as_of_changes_nothing_and_reaches_later_views(
    tmp_path: Path,
) -> None:
    lake = build(tmp_path / "lake").lake  # a lake of this test's own: it is revised below
    as_of = pd.Timestamp(AS_OF)
    before = MonetaryPolicyAgent().run(lake.at(as_of))  # the agent itself: no memo
    # Focus (the real rate's expected inflation) revised up 1 pp for every week of 2020,
    # released a day after the as-of.
    weeks = WEEKS[(WEEKS >= "2020-01-01") & (WEEKS <= "2020-12-31")]
    focus = planted()[1]["focus"].reindex(weeks)
    lake.write(
        pd.DataFrame(
            {
                "series_id": "BR.FOCUS.IPCA.12M",
                "obs_date": weeks,
                "value": focus.to_numpy() + 1.0,
                "release_time": as_of + pd.Timedelta(days=1),
                "source": "test",
            }
        )
    )
    again = MonetaryPolicyAgent().run(lake.at(as_of))
    assert again.to_dict() == before.to_dict()
    later = MonetaryPolicyAgent().run(lake.at(as_of + pd.Timedelta(days=2)))
    moved = strengths(later)["BR.POLICY_STANCE"] - strengths(before)["BR.POLICY_STANCE"]
    # known from then on: a lower real rate through 2020 lowers r*, so today's (unrevised)
    # real rate reads more restrictive
    assert moved > 0.1


def test_the_estimator_is_part_of_the_report_key_and_the_optimizer_stays_close(
    tmp_path: Path,
) -> None:
    view = build(tmp_path / "lake").lake.at(AS_OF)
    assert variant("monetary_policy") == "" and MonetaryPolicyAgent.rstar == "profile"
    fast = MonetaryPolicyAgent().run(view)
    with rstar_method("optimizer"):
        assert variant("monetary_policy") == "rstar=optimizer"
        assert variant("cross_asset").startswith("rstar=optimizer,")  # its dependent too
        slow = MonetaryPolicyAgent().run(view)
    assert variant("monetary_policy") == ""
    a, b = strengths(fast), strengths(slow)
    assert a["DI1.1Y"] == b["DI1.1Y"] and a["UST.2Y.FUT"] == b["UST.2Y.FUT"]  # no r* in them
    for stance in ("BR.POLICY_STANCE", "US.POLICY_STANCE"):
        assert a[stance] == pytest.approx(b[stance], abs=0.01)
    with pytest.raises(AgentDataError, match="rstar 'yearly'"), rstar_method("yearly"):
        pass
