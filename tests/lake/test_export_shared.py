"""Cut lakes made by one :class:`AsOfLakes` share one read and sort of the lake's rows
(issue 29): each cut still holds exactly the rows released by its instant, each file in the
order readers assume (``lake check`` finds nothing), from a lake whose rows sit in several
files per source, written out of order. Expected rows by hand."""

from __future__ import annotations

from research_core.backtest.causality import AsOfLakes
from research_core.lake.maintenance import check_lake
from tests.lake.conftest import rows


def test_cuts_sharing_one_read_hold_the_rows_released_by_each_instant(lake, tmp_path):
    lake.write(rows("TEST.B", ["2024-01-03"], [3.0], ["2024-01-10"]))  # B before A on disk
    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-04"]))
    lake.write(rows("TEST.A", ["2024-01-02"], [1.5], ["2024-02-20"]))  # a revision, later
    lake.write(rows("TEST.C", ["2024-01-05"], [9.0], ["2024-01-06"], source="other"))
    lake.write(rows("TEST.A", ["2024-01-01"], [0.5], ["2024-01-08"]))  # an earlier period, later
    with AsOfLakes(lake, tmp_path / "cuts") as cuts:
        jan, feb = cuts.at("2024-01-31"), cuts.at("2024-02-29")
        early = cuts.at("2024-01-05 12:00+00:00")
        for cut in (jan, feb, early):
            assert check_lake(cut).ok, check_lake(cut).problems
        assert jan.at("2024-01-31").series("TEST.A").tolist() == [0.5, 1.0]
        assert feb.at("2024-02-29").series("TEST.A").tolist() == [0.5, 1.5]
        assert jan.at("2024-01-31").series("TEST.C").tolist() == [9.0]
        assert early.table().column("series_id").to_pylist() == ["TEST.A"]
        assert sorted(jan.sources) == ["other", "test"]
        assert jan.table().num_rows == 4 and feb.table().num_rows == 5
