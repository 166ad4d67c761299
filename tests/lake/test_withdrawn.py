"""Withdrawn values (issue 13.7): a ``withdrawn=True`` row means "no value from this
release on"; as-of reads honour it. Expected values written by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.errors import LakeWriteError
from tests.lake.conftest import rows


def _withdraw(obs: str, released: str) -> pd.DataFrame:
    frame = rows("TEST.A", [obs], [np.nan], [released])
    return frame.assign(withdrawn=True)


def test_withdrawal_hides_the_period_from_its_release_on(lake):
    lake.write(
        rows("TEST.A", ["2024-01-02", "2024-01-03"], [1.0, 2.0], ["2024-01-04", "2024-01-04"])
    )
    lake.write(_withdraw("2024-01-03", "2024-02-01 12:00"))
    lake.write(rows("TEST.A", ["2024-01-03"], [2.5], ["2024-03-01"]))  # a value again
    assert lake.at("2024-01-31").series("TEST.A").tolist() == [1.0, 2.0]
    assert lake.at("2024-02-15").series("TEST.A").tolist() == [1.0]
    assert lake.at("2024-03-15").series("TEST.A").tolist() == [1.0, 2.5]
    # latest/panel: the latest period known is 2024-01-03, withdrawn -> NaN value.
    latest = lake.at("2024-02-15").latest(["TEST.A"])
    assert latest.loc["TEST.A", "obs_date"] == pd.Timestamp("2024-01-03")
    assert np.isnan(latest.loc["TEST.A", "value"])
    panel = lake.panel(["TEST.A"], ["2024-01-31", "2024-02-15", "2024-03-15"])
    np.testing.assert_array_equal(panel["value"].to_numpy(), [2.0, np.nan, 2.5])
    assert lake.write(_withdraw("2024-01-03", "2024-02-01 12:00")).written == 0  # idempotent


def test_a_nan_without_withdrawn_is_still_refused(lake):
    with pytest.raises(LakeWriteError, match="withdrawn=True"):
        lake.write(rows("TEST.A", ["2024-01-02"], [np.nan], ["2024-01-04"]))
    bad = _withdraw("2024-01-02", "2024-01-04").assign(withdrawn="yes")
    with pytest.raises(LakeWriteError, match="not True/False"):
        lake.write(bad)


def test_export_as_of_keeps_withdrawals_and_registered_series(lake, tmp_path):
    from research_core.lake.maintenance import export_as_of

    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-04"]))
    lake.write(_withdraw("2024-01-02", "2024-02-01 12:00"))
    copy = export_as_of(lake, "2024-03-01", tmp_path / "copy")
    assert copy.at("2024-01-31").series("TEST.A").tolist() == [1.0]
    assert copy.at("2024-03-01").series("TEST.A").empty
