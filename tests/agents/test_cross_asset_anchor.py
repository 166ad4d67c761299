"""The yearly refit's anchor: the last year-end the view can see (issue 29: the agent no
longer asks a view for its own year's end when the as-of is days before it).

The expectation is worked out the long way here: ask the view for this year's 31
December, and fall back on last year's when that is look-ahead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from research_core.agents.cross_asset import CrossAssetAgent
from research_core.errors import LookAheadError
from research_core.lake.pit import PITView
from research_core.lake.store import Lake


def _anchor(view: PITView) -> PITView:
    try:
        return view.at(f"{view.as_of.year}-12-31")
    except LookAheadError:
        return view.at(f"{view.as_of.year - 1}-12-31")


AS_OFS = ["2016-06-30", "2016-12-29", "2016-12-30", "2016-12-31", "2017-01-02"]


@pytest.mark.parametrize("as_of", AS_OFS)
def test_the_anchor_is_the_last_year_end_the_view_can_see(
    sample_lake_path: Path, as_of: str
) -> None:
    view = Lake.open(sample_lake_path).at(as_of)
    agent = CrossAssetAgent()
    agent._regime_fits(view)
    assert agent._fit_key == (*_anchor(view).cache_key, "yearly")
