"""TimescaleDB/PostgreSQL import against a real PostgreSQL server (started by the tests)."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from research_core.errors import ConnectorError, ImportMappingError, LakeWriteError
from research_core.lake import Lake
from research_core.lake.timescale import ImportMapping, database_url, import_timescale

pytestmark = pytest.mark.postgres

MACRO = [  # series_code, obs_date, value, release_time
    ("BR.IPCA.MOM", "2024-01-01", 0.42, "2024-02-08 09:00:00-03"),
    ("BR.IPCA.MOM", "2024-02-01", 0.83, "2024-03-12 09:00:00-03"),
    ("US.GDP.QOQ", "2024-01-01", 1.6, "2024-04-25 08:30:00-04"),
    ("US.GDP.QOQ", "2024-01-01", 1.4, "2024-05-30 08:30:00-04"),  # second vintage
    ("B3.DIxPRE.252", "2024-03-01", 10.2, "2024-03-01 18:00:00-03"),  # catalog code
]


def sql(url: str, *statements: str) -> None:
    """Run ``statements`` on the database at ``url``, in one transaction."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


@pytest.fixture
def database(postgres_url):
    sql(
        postgres_url,
        "DROP TABLE IF EXISTS observations, market_data",
        "CREATE TABLE observations (series_code text, obs_date date, "
        "value double precision, release_time timestamptz)",
        "CREATE TABLE market_data (ticker text, ts timestamptz, close double precision)",
        "INSERT INTO market_data VALUES "
        "('CDS BRAZIL 5Y', '2024-03-01 17:00:00-05', 150.5),"
        "('CDS BRAZIL 5Y', '2024-03-04 17:00:00-05', 152.0)",
    )
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO observations VALUES (:c, :d, :v, :r)"),
            [dict(zip("cdvr", row, strict=True)) for row in MACRO],
        )
    engine.dispose()
    return postgres_url


def test_import_from_database_is_idempotent_and_point_in_time(database, tmp_path):
    lake = Lake.open(tmp_path / "lake", create=True)
    first = import_timescale(lake, url=database)
    assert (first.written, first.unchanged) == (5, 0)
    again = import_timescale(lake, url=database)
    assert (again.written, again.unchanged) == (0, 5)
    vint = lake.vintages("US.GDP.QOQ")
    assert vint["value"].tolist() == [1.6, 1.4] and set(vint["source"]) == {"timescale"}
    assert lake.at("2024-05-01").series("US.GDP.QOQ").iloc[0] == 1.6
    assert lake.at("2024-06-01").series("US.GDP.QOQ").iloc[0] == 1.4
    assert lake.at("2024-02-07").series("BR.IPCA.MOM").empty
    assert lake.at("2024-03-01").latest(["BR.DI.1Y"]).loc["BR.DI.1Y", "value"] == 10.2


def test_market_layout_through_a_mapping_file(database, tmp_path):
    mapping_file = tmp_path / "market.yaml"
    mapping_file.write_text(
        "table: market_data\nseries_column: ticker\ndate_column: ts\n"
        "date_tz: America/New_York\nvalue_column: close\nrelease_column: ts\n"
        "series_map: {'CDS BRAZIL 5Y': BR.CDS.5Y}\n"
    )
    lake = Lake.open(tmp_path / "lake", create=True)
    result = import_timescale(lake, url=database, mapping=ImportMapping.from_yaml(mapping_file))
    assert result.written == 2
    hist = lake.at("2024-03-05").history("BR.CDS.5Y")
    assert hist.index.strftime("%Y-%m-%d").tolist() == ["2024-03-01", "2024-03-04"]
    assert hist["release_time"].iloc[0] == pd.Timestamp("2024-03-01 22:00", tz="UTC")


def test_copy_exports_csv_and_parquet(database, tmp_path):
    engine = sa.create_engine(database)
    csv = tmp_path / "observations.csv"
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur, csv.open("w") as fh:
            cur.copy_expert("COPY observations TO STDOUT WITH (FORMAT csv, HEADER)", fh)
    finally:
        raw.close()
    lake = Lake.open(tmp_path / "lake", create=True)
    assert import_timescale(lake, export=csv).written == 5
    parquet = tmp_path / "observations.parquet"
    pd.read_csv(csv).to_parquet(parquet)
    assert import_timescale(lake, export=parquet).written == 0  # same rows: idempotent


def test_release_from_catalog_rule_when_the_table_has_none(database, tmp_path):
    sql(
        database,
        "CREATE TABLE IF NOT EXISTS ipca (code text, ref date, v float8)",
        "INSERT INTO ipca VALUES ('433', '2024-01-01', 0.42)",
    )
    mapping = ImportMapping(
        table="ipca",
        series_column="code",
        date_column="ref",
        value_column="v",
        release_column=None,
        series_map={"433": "BR.IPCA.MOM"},
    )
    lake = Lake.open(tmp_path / "lake", create=True)
    import_timescale(lake, url=database, mapping=mapping)
    release = lake.vintages("BR.IPCA.MOM")["release_time"].iloc[0]
    assert release == pd.Timestamp("2024-02-08 12:00", tz="UTC")  # 6th B3 session, 09:00 BRT


def test_bad_sources_raise_clear_errors_and_write_nothing(database, tmp_path):
    lake = Lake.open(tmp_path / "lake", create=True)
    sql(
        database,
        "INSERT INTO observations VALUES "
        "('NOT.IN.CATALOG', '2024-01-01', 1, '2024-02-01T00:00:00Z')",
    )
    with pytest.raises(ImportMappingError, match=r"NOT\.IN\.CATALOG"):
        import_timescale(lake, url=database)
    with pytest.raises(ImportMappingError, match="lacks columns"):
        import_timescale(lake, url=database, mapping=ImportMapping(value_column="px_last"))
    with pytest.raises(ImportMappingError, match="not found"):
        import_timescale(lake, url=database, mapping=ImportMapping(table="nope"))
    sql(
        database,
        "DELETE FROM observations WHERE series_code = 'NOT.IN.CATALOG'",
        "INSERT INTO observations VALUES ('BR.IPCA.MOM', '2024-05-01', 1, '2024-04-01T00:00:00Z')",
    )
    with pytest.raises(LakeWriteError, match="before its period"):
        import_timescale(lake, url=database)
    assert lake.files() == []
    bad_mapping = tmp_path / "m.yaml"
    bad_mapping.write_text("tabel: observations\n")
    with pytest.raises(ImportMappingError, match="unknown mapping keys"):
        ImportMapping.from_yaml(bad_mapping)


def test_plain_postgresql_url_works(database, tmp_path):
    """`--url postgresql://...` (no driver) used to fail: SQLAlchemy 2.1 looks for psycopg 3
    there; the package ships psycopg2, so the URL is normalized to it."""
    plain = database.replace("postgresql+psycopg2://", "postgresql://")
    assert plain.startswith("postgresql://")
    lake = Lake.open(tmp_path / "lake", create=True)
    assert import_timescale(lake, url=plain).written == 5
    assert database_url("postgres://u@h/db").drivername == "postgresql+psycopg2"


def test_unreachable_database_is_one_line_without_the_password(tmp_path):
    lake = Lake.open(tmp_path / "lake", create=True)
    with pytest.raises(ConnectorError) as caught:  # port 1: nothing listens there
        import_timescale(lake, url="postgresql://fund:s3cret-pw@127.0.0.1:1/prices")
    text = str(caught.value)
    assert "127.0.0.1" in text and "s3cret-pw" not in text and "\n" not in text
    with pytest.raises(ImportMappingError, match="not a SQLAlchemy URL"):
        import_timescale(lake, url="not a url")
    assert lake.files() == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("table: x\n  bad: : :\n", r"not valid YAML \(line 2, column 6\)"),
        ("- observations\n", "expected a mapping of keys to values, got a list"),
        ("table: [1, 2]\n", "table: Input should be a valid string"),
        ("series_map: [a]\n", "series_map: Input should be a valid dictionary"),
        ("date_tz: Mars/Olympus\n", "date_tz: unknown time zone 'Mars/Olympus'"),
        ("tabel: observations\n", "unknown mapping keys"),
    ],
)
def test_bad_mapping_files_name_the_problem(tmp_path, text, message):
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(ImportMappingError, match=message) as caught:
        ImportMapping.from_yaml(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_mapping_file_accepts_numeric_source_codes(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("table: ipca\nrelease_column: null\nseries_map: {433: BR.IPCA.MOM}\n")
    mapping = ImportMapping.from_yaml(path)
    assert mapping.series_map == {"433": "BR.IPCA.MOM"} and mapping.release_column is None
