"""Bad CLI input, round three (issue 30 items 5 and 6): each used to end in a traceback or
be accepted. Now one line ``workbench: error: ...`` naming the input, exit 2, and nothing
changed: the lake, the PMS database and the user's folder hash the same before and after.

In-process (``main``) to keep the table cheap; ``test_cli_errors.py`` runs real
subprocesses for the first rounds' cases.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from research_core.cli import main
from research_core.config import get_settings
from tests.cli_cases import fill, parse_cases
from tests.test_files import small_lake, tree_digest

BIG = str(2**64)
CASES = parse_cases(
    f"""
serve-refill-inf | serve --refill-delay inf | --refill-delay inf: must be
serve-timeout-neg | serve --timeout -1 | --timeout -1: must be a whole number
serve-timeout-zero | serve --timeout 0 | --timeout 0: must be a whole number
serve-pool-neg | serve --pool-size -1 | --pool-size -1: must be
users-bad-name | users add 'a b' --db {{db}} | user name 'a b' must be
users-remove-unknown | users remove nosuch --db {{db}} | no user nosuch
alerts-ack-unknown | alerts ack 99 --db {{db}} | no alert 99
alerts-ack-zero | alerts ack 0 --db {{db}} | alert id 0: must be
alerts-ack-huge | alerts ack {BIG} --db {{db}} | alert id {BIG}: must be
book-workers-zero | backtest --book --start 2024-01-02 --workers 0
    | --workers 0: must be a whole number from 1 to 64
book-workers-neg | backtest --book --start 2024-01-02 --workers -1 | --workers -1: must be
backfill-workers-zero | pipeline backfill --start 2024-06-03 --end 2024-06-04 --workers 0
    | --workers 0: must be
verify-negative | backtest RATES_US_05 --start 2024-01-02 --verify -3 | --verify -3: must be
seed-negative | sample-lake --path {{tmp}}/new --seed -1 | --seed -1: must
replay-id-too-big | pms replay {BIG} --db {{db}} | decision {BIG}: must be
approve-id-too-big | pms approve {BIG} --db {{db}} | proposal {BIG}: must be
min-trade-nan | pms propose --as-of 2024-06-28 --min-trade nan --db {{db}}
    | --min-trade nan: must be a number from 0 to 1
min-trade-negative | pms propose --as-of 2024-06-28 --min-trade -1 --db {{db}}
    | --min-trade -1.0: must be
min-trade-inf | pms propose --as-of 2024-06-28 --min-trade inf --db {{db}}
    | --min-trade inf: must be
db-missing-folder | pms positions --db sqlite:///{{tmp}}/no-such-dir/x.db
    | no PMS database at {{tmp}}/no-such-dir/x.db: run `workbench pms init`
db-new-file-not-created | pms positions --db sqlite:///{{tmp}}/new.db
    | no PMS database at {{tmp}}/new.db: run `workbench pms init`
db-not-a-database | pms positions --db sqlite:///{{tmp}}/notes.txt
    | notes.txt: file is not a database
db-unreachable-postgres | pms positions --db postgresql://u@127.0.0.1:1/x
    | cannot open database postgresql://u@127.0.0.1:1/x: connection to server
db-mysql | pms positions --db mysql://u@localhost/x | unsupported database 'mysql'
pipeline-spec-a-string | pipeline run --as-of 2024-06-28 --pipeline {{tmp}}/string.yaml
    | string.yaml: a pipeline is a mapping with 'name' and 'steps', not str
pipeline-spec-a-list | pipeline run --as-of 2024-06-28 --pipeline {{tmp}}/list.yaml
    | list.yaml: a pipeline is a mapping with 'name' and 'steps', not list
pipeline-spec-not-yaml | pipeline run --as-of 2024-06-28 --pipeline {{tmp}}/broken.yaml
    | broken.yaml: not valid YAML
pipeline-notebook-outside | pipeline run --as-of 2024-06-28 --pipeline {{tmp}}/outside.yaml
    | step a names ../etc/passwd, outside the pipeline's folder
pipeline-past-the-data | pipeline run --as-of 2030-01-01 --runs {{tmp}}/runs
    | --as-of 2030-01-01 is past the lake's data (newest release 2024-06-29)
tone-score-binary | tone score {{tmp}}/binary.txt | binary.txt is not UTF-8 text
tone-ingest-bad-json | tone ingest --from-dir {{tmp}}/records
    | com_001.json is not a Copom API record
tone-ingest-bad-meetings | tone ingest --meetings 1:x
    | --meetings '1:x': give FIRST:LAST numbers
calendar-past-its-end | calendar --from 2100-01-01 --to 2100-02-01
    | dates beyond the NYSE calendar's end
journal-unknown-action | pms journal --action nosuch --db {{db}}
    | --action 'nosuch' is not a decision action; valid: propose, approve, reject
"""
)


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_lake(tmp_path_factory.mktemp("bad-input") / "lake").root


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory, lake_dir: Path) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('bad-input-db') / 'pms.db'}"
    assert main(["pms", "init", "--db", url, "--path", str(lake_dir)]) == 0
    return url


def _user_folder(tmp: Path) -> None:
    (tmp / "notes.txt").write_text("my notes, not a database\n")
    (tmp / "string.yaml").write_text("just a string\n")
    (tmp / "list.yaml").write_text("- a\n- b\n")
    (tmp / "broken.yaml").write_text("name: [x\n")
    (tmp / "outside.yaml").write_text("name: x\nsteps:\n  - name: a\n    notebook: ../etc/passwd\n")
    (tmp / "binary.txt").write_bytes(bytes(range(128, 256)))
    (tmp / "records").mkdir()
    (tmp / "records" / "com_001.json").write_text("{not json")


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_is_one_line_and_changes_nothing(
    case: str, lake_dir: Path, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, expected = CASES[case]
    _user_folder(tmp_path)
    db_file = Path(db_url.removeprefix("sqlite:///"))
    values = {"{lake}": str(lake_dir), "{tmp}": str(tmp_path), "{db}": db_url}
    args = [fill(a, values) for a in argv]
    if (
        "--path" not in args
        and args[0] not in ("serve", "calendar", "users", "alerts")
        and args[1] != "score"
    ):
        args += ["--path", str(lake_dir)]
    before = (tree_digest(lake_dir), tree_digest(tmp_path), db_file.read_bytes())
    capsys.readouterr()

    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("workbench: error: ") and fill(expected, values) in lines[0]
    assert (tree_digest(lake_dir), tree_digest(tmp_path), db_file.read_bytes()) == before


def test_an_unknown_time_zone_is_one_line(monkeypatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setenv("WORKBENCH_TIMEZONE", "Mars/Olympus_Mons")
    get_settings.cache_clear()
    try:
        assert main(["lake", "info", "--path", str(tmp_path)]) == 2
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "workbench: error: Settings timezone: Value error, unknown IANA time zone "
        "'Mars/Olympus_Mons' (e.g. America/Sao_Paulo) (got 'Mars/Olympus_Mons')"
    ]


def test_a_plain_postgresql_url_uses_the_shipped_driver(postgres_url: str, tmp_path: Path) -> None:
    """Issue 30 item 8: ``postgresql://`` (no driver) failed for the PMS."""
    from sqlalchemy.engine import make_url

    from research_core.pms.db import make_engine

    plain = make_url(postgres_url).set(drivername="postgresql")
    engine = make_engine(plain.render_as_string(hide_password=False))
    assert engine.dialect.driver == "psycopg2"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    json.dumps(str(engine.url))  # the URL stays printable


@pytest.mark.parametrize("argv", [["--help"], ["pms", "--bogus"], ["backtest", "--workers"]])
def test_help_and_usage_errors_import_no_heavy_library(argv: list[str]) -> None:
    """Issue 29 item 3: `workbench --help` took 0.7 s idle (7 s at load 10) importing pandas,
    SQLAlchemy and pydantic before argparse answered."""
    code = (
        "import sys\nfrom research_core.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "heavy = ('pandas', 'scipy', 'plotly', 'sqlalchemy', 'pydantic', 'numpy')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr
