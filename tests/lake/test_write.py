"""Writes: validation names bad rows and writes nothing; idempotency; append-only history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.errors import CatalogError, LakeError, LakeWriteError
from research_core.lake import Lake
from research_core.lake.maintenance import check_lake
from tests.lake.conftest import rows


def test_open_missing_lake_says_how_to_build_one(tmp_path):
    with pytest.raises(LakeError, match="sample-lake"):
        Lake.open(tmp_path / "nowhere")


def test_write_is_idempotent(lake):
    frame = rows(
        "TEST.A", ["2024-01-02", "2024-01-03"], [1.0, 2.0], ["2024-01-02 21:00", "2024-01-03 21:00"]
    )
    first = lake.write(frame)
    again = lake.write(frame)
    assert (first.written, first.unchanged) == (2, 0)
    assert (again.written, again.unchanged) == (0, 2)
    assert len(lake.vintages("TEST.A")) == 2
    assert again.version == first.version  # nothing committed


def test_revision_is_a_new_vintage_not_an_overwrite(lake):
    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03 12:00"]))
    lake.write(rows("TEST.A", ["2024-01-02"], [1.5], ["2024-02-03 12:00"]))
    vint = lake.vintages("TEST.A")
    assert vint["value"].tolist() == [1.0, 1.5]
    assert lake.at("2024-01-10").series("TEST.A").iloc[0] == 1.0
    assert lake.at("2024-02-10").series("TEST.A").iloc[0] == 1.5


def test_changing_a_stored_value_under_the_same_key_is_rejected(lake):
    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03 12:00"]))
    with pytest.raises(LakeWriteError, match="new release_time") as err:
        lake.write(
            rows(
                "TEST.A",
                ["2024-01-02", "2024-01-03"],
                [9.0, 2.0],
                ["2024-01-03 12:00", "2024-01-04 12:00"],
            )
        )
    assert len(err.value.rows) == 1
    assert lake.vintages("TEST.A")["value"].tolist() == [1.0]  # the good row was not written


def test_bad_rows_are_named_and_nothing_is_written(lake):
    good = rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03 12:00"])
    bad = pd.concat(
        [
            good,
            rows("NOT.A.SERIES", ["2024-01-02"], [1.0], ["2024-01-03 12:00"]),
            rows("TEST.B", ["2024-01-02"], [np.inf], ["2024-01-03 12:00"]),
            rows("TEST.B", ["2024-01-05"], [1.0], ["2024-01-03 12:00"]),  # before period
            rows("TEST.C", ["2024-01-02"], [1.0], ["2024-01-03 12:00"], source="bad/name"),
        ],
        ignore_index=True,
    )
    before = lake.version
    with pytest.raises(LakeWriteError) as err:
        lake.write(bad)
    msg = str(err.value)
    assert "unknown series 'NOT.A.SERIES'" in msg
    assert "not a finite number" in msg
    assert "before its period 2024-01-05 started" in msg
    assert list(err.value.rows.index) == [1, 2, 3]
    assert lake.version == before and lake.files() == []
    with pytest.raises(LakeWriteError, match="source names"):
        lake.write(bad.iloc[[4]])
    assert lake.files() == []


def test_naive_release_time_is_rejected_not_assumed_utc(lake):
    frame = rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03 12:00"])
    frame["release_time"] = frame["release_time"].dt.tz_localize(None)
    with pytest.raises(LakeWriteError, match="naive"):
        lake.write(frame)
    mixed = frame.astype({"release_time": object})
    mixed.loc[0, "release_time"] = "2024-01-03T12:00:00-03:00"
    assert lake.write(mixed).written == 1


def test_missing_columns_and_wrong_types(lake):
    with pytest.raises(LakeWriteError, match=r"lacks columns \['source'\]"):
        lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03"]).drop(columns="source"))
    with pytest.raises(LakeWriteError, match="expected a pandas DataFrame"):
        lake.write([{"series_id": "TEST.A"}])  # type: ignore[arg-type]
    frame = rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03"]).astype({"obs_date": object})
    frame.loc[0, "obs_date"] = "not a date"
    with pytest.raises(LakeWriteError, match="is not a date"):
        lake.write(frame)


def test_conflicting_duplicates_inside_one_write(lake):
    frame = rows("TEST.A", ["2024-01-02"] * 3, [1.0, 1.0, 2.0], ["2024-01-03 12:00"] * 3)
    with pytest.raises(LakeWriteError, match="different values"):
        lake.write(frame)
    assert lake.write(frame.iloc[:2]).written == 1  # identical duplicates collapse


def test_register_guards_ids(lake):
    with pytest.raises(CatalogError, match="catalog series"):
        lake.register("BR.IPCA.MOM", frequency="M", units="%")
    with pytest.raises(CatalogError, match="must look like"):
        lake.register("my spread", frequency="D", units="bp")
    with pytest.raises(CatalogError, match="already registered"):
        lake.register("TEST.A", frequency="M", units="bp")
    assert lake.register("TEST.A", frequency="D", units="bp").id == "TEST.A"  # same: no-op
    with pytest.raises(CatalogError, match="unknown series"):
        lake.at("2024-01-01").series("NOPE.NOPE")


def test_expectation_series_may_be_dated_by_survey(tmp_path):
    lake = Lake.open(tmp_path / "l", create=True)
    frame = pd.DataFrame(
        {
            "series_id": ["BR.FOCUS.IPCA.CY"],
            "obs_date": [pd.Timestamp("2024-03-08")],
            "value": [3.8],
            "release_time": [pd.Timestamp("2024-03-11 11:25", tz="UTC")],
            "source": ["bcb_focus"],
        }
    )
    assert lake.write(frame).written == 1
    assert check_lake(lake).ok


def test_check_flags_an_unsorted_file(lake):
    import pyarrow.parquet as pq

    lake.write(
        rows(
            "TEST.A",
            ["2024-01-02", "2024-01-03"],
            [1.0, 2.0],
            ["2024-01-02 21:00", "2024-01-03 21:00"],
        )
    )
    (path,) = lake.files()
    table = pq.read_table(path)
    pq.write_table(table.take([1, 0]), path)  # same rows, wrong order
    report = check_lake(lake)
    assert not report.ok and "not sorted" in report.summary()


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (True, "bool"),
        (np.bool_(False), "bool"),
        (1 + 2j, "complex"),
        (pd.Timestamp("2024-01-01"), "Timestamp"),
        (pd.Timedelta("1D"), "Timedelta"),
        ("1.5", "str"),
    ],
)
def test_only_real_numbers_are_stored(lake, value, kind):
    """Issue 14.6: these used to become floats."""
    from tests.lake.conftest import lake_bytes

    before = lake_bytes(lake.root)
    frame = rows("TEST.A", ["2024-01-02", "2024-01-03"], [1.0, 2.0], ["2024-01-03", "2024-01-04"])
    frame["value"] = pd.Series([1.0, value], dtype=object)
    with pytest.raises(LakeWriteError, match=f"is a {kind}, not a real number"):
        lake.write(frame)
    whole = frame.assign(value=[value, value])  # a column of one non-number type
    with pytest.raises(LakeWriteError, match="not a real number"):
        lake.write(whole)
    assert lake_bytes(lake.root) == before
    ok = frame.assign(value=pd.Series([1, np.float32(2.5)], dtype=object))  # ints/floats are
    assert lake.write(ok).written == 2
    assert lake.vintages("TEST.A")["value"].tolist() == [1.0, 2.5]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"release": "close"}, "release must be a rule mapping"),
        ({"kind": "weird"}, "kind 'weird'"),
        ({"release": {"rule": "bogus"}}, "release rule is invalid"),
        ({"release": {"rule": "close", "time": "25h"}}, "release rule is invalid"),
        ({"frequency": "X"}, "frequency 'X'"),
        ({"country": "FR"}, "country 'FR'"),
    ],
)
def test_register_validates_specs_like_the_catalog(lake, kwargs, match):
    from tests.lake.conftest import lake_bytes

    before = lake_bytes(lake.root)
    args = {"frequency": "D", "units": "bp", **kwargs}
    with pytest.raises(CatalogError, match=match):
        lake.register("MY.BAD", **args)
    assert lake_bytes(lake.root) == before
    assert check_lake(lake).ok


def test_unregister_removes_a_series_without_rows_only(lake, capsys):
    from research_core.cli import main

    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03"]))
    lake.register("MY.TYPO", frequency="D", units="bp")
    assert main(["lake", "unregister", "MY.TYPO", "--path", str(lake.root)]) == 0
    assert "unregistered MY.TYPO" in capsys.readouterr().out
    assert "MY.TYPO" not in Lake.open(lake.root).known_series()
    with pytest.raises(CatalogError, match="has rows stored"):
        lake.unregister("TEST.A")
    with pytest.raises(CatalogError, match="not registered"):
        lake.unregister("MY.TYPO")


def test_writes_compact_a_source_past_the_file_threshold(lake, monkeypatch):
    """Issue 14.11: nothing compacted automatically, so write time grew with file count."""
    import research_core.lake.store as store

    monkeypatch.setattr(store, "AUTO_COMPACT_FILES", 3)
    for day in range(1, 5):
        lake.write(rows("TEST.A", [f"2024-01-0{day}"], [float(day)], [f"2024-01-0{day + 1}"]))
    assert len(lake.files()) == 1  # the 4th file pushed source=test past 3: merged
    assert lake.at("2024-02-01").series("TEST.A").tolist() == [1.0, 2.0, 3.0, 4.0]
    assert check_lake(lake).ok


def test_registry_survives_reopening_and_a_torn_last_line(lake):
    from research_core.lake.registry import REGISTRY

    lake.register("MY.ONE", frequency="M", units="%")
    with (lake.root / REGISTRY).open("ab") as fh:
        fh.write(b'{"register": {"id": "MY.TO')  # a writer killed mid-append
    assert "MY.ONE" in Lake.open(lake.root).known_series()
    lake.register("MY.TWO", frequency="D", units="bp")
    assert {"MY.ONE", "MY.TWO"} <= set(Lake.open(lake.root).known_series())
