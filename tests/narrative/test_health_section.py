"""The Morning Pack's "Strategy health" section: its facts come from the run's
``health/cards.json``, RED and AMBER cards come first, then the count of GREEN ones, and
every number in it is checked against the fact sheet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from research_core.narrative.checker import check_narrative
from research_core.narrative.facts import FactSheet
from research_core.narrative.health import health_facts, health_lines, health_section
from research_core.runs import RunFolder

AS_OF = "2026-10-30"
COMMAND = f"workbench backtest FX_BR_01 --start 2020-01-01 --end {AS_OF}"


def _card(name: str, status: str, **numbers: float) -> dict[str, object]:
    base = {"name": name, "as_of": AS_OF, "status": status, "source": "backtest", "alarms": []}
    return base | numbers


# what the health step writes (health/cards.json), numbers chosen for the test
RECORD = {
    "as_of": AS_OF,
    "cards": [
        _card("XA_MOM_01", "GREEN", cusum_down=0.1, psr=0.9, progress=1.0, sharpe=1.2,
              benchmark=0.4, n_obs=504.0),
        _card("RATES_US_01", "AMBER", cusum_down=0.8, psr=0.2, progress=0.0, sharpe=0.1,
              benchmark=0.3, n_obs=504.0),
        _card("RATES_BR_01", "RED", cusum_down=0.2877, psr=0.0312, progress=0.0,
              sharpe=-2.7019, benchmark=0.3169, n_obs=504.0)
        | {"alarms": ["returns below backtest (cusum, 2026-09-14)"]},
        _card("CUPOM_01", "GREEN", cusum_down=0.0, psr=0.7, progress=0.5, sharpe=0.9,
              benchmark=0.5, n_obs=504.0),
    ],
    "missing": {"FX_BR_01": COMMAND},
    "skipped": {},
}  # fmt: skip


@pytest.fixture
def run(tmp_path: Path) -> RunFolder:
    folder = tmp_path / AS_OF
    (folder / "artifacts" / "health").mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"as_of": AS_OF, "status": "succeeded"}))
    (folder / "artifacts" / "health" / "cards.json").write_text(json.dumps(RECORD))
    return RunFolder(folder)


def test_the_facts_are_the_cards_numbers_with_units(run: RunFolder) -> None:
    sheet = FactSheet(AS_OF, tuple(health_facts(run, AS_OF)))
    counts = {k: sheet[f"health.{k}"].value for k in ("red", "amber", "green", "missing")}
    assert counts == {"red": 1, "amber": 1, "green": 2, "missing": 1}
    # RED and AMBER cards carry their numbers; GREEN ones only count
    assert sheet["health.RATES_BR_01.cusum"].display() == "29 %"  # 0.2877 of the line
    assert sheet["health.RATES_BR_01.psr"].display() == "3 %"  # 0.0312
    assert sheet["health.RATES_BR_01.sharpe"].display() == "−2.70"
    assert sheet["health.RATES_BR_01.alarm"].display() == "2026-09-14"
    assert sheet["health.RATES_US_01.cusum"].display() == "80 %"
    assert "health.XA_MOM_01.psr" not in sheet and "health.CUPOM_01.cusum" not in sheet
    assert sheet["health.start"].display() == "2020-01-01"


def test_red_and_amber_first_then_green_and_every_number_checks(run: RunFolder) -> None:
    sheet = FactSheet(AS_OF, tuple(health_facts(run, AS_OF)))
    lines = health_lines(sheet, RECORD)
    assert lines[0] == "Strategy health: 1 RED, 1 AMBER."
    assert lines[1] == (
        "RATES_BR_01 is RED on its backtest record, last alarm returns below backtest on "
        "2026-09-14, downside CUSUM at 29 % of its alarm line, PSR 3 %, 0 % of the minimum "
        "track record, Sharpe −2.70, against a haircut benchmark of 0.32, over 504 sessions."
    )
    assert lines[2].startswith("RATES_US_01 is AMBER")
    assert lines[3] == "Strategy health: 2 GREEN."
    assert lines[4] == "Strategy health: 1 live strategy without a stored backtest."
    assert f"`{COMMAND.replace('FX_BR_01', 'NAME')}` for FX_BR_01." in lines[5]
    check = check_narrative("\n".join(lines), sheet)
    # by hand: 2 + (1 date + 6) + 6 + 1 + 1 + 2 dates
    assert check.ok and check.numbers == 19
    html = health_section(sheet, RECORD)
    assert html.index("RATES_BR_01 is RED") < html.index("RATES_US_01 is AMBER")
    assert html.index("RATES_US_01 is AMBER") < html.index("2 GREEN")


@pytest.mark.parametrize(
    ("right", "wrong"),
    [
        ("PSR 3 %", "PSR 4 %"),
        ("CUSUM at 29 %", "CUSUM at 30 %"),
        ("2 GREEN", "3 GREEN"),
        ("Sharpe −2.70", "Sharpe −2.60"),
        ("on 2026-09-14", "on 2026-09-15"),
    ],
)
def test_a_wrong_number_fails_the_check(run: RunFolder, right: str, wrong: str) -> None:
    sheet = FactSheet(AS_OF, tuple(health_facts(run, AS_OF)))
    text = "\n".join(health_lines(sheet, RECORD))
    assert right in text
    assert not check_narrative(text.replace(right, wrong), sheet).ok


def test_portuguese_numbers_check_and_the_command_keeps_iso_dates(run: RunFolder) -> None:
    sheet = FactSheet(AS_OF, tuple(health_facts(run, AS_OF)), "pt-BR")
    lines = health_lines(sheet, RECORD)
    assert "Sharpe −2,70, against a haircut benchmark of 0,32" in lines[1]
    assert lines[-1].startswith(
        f"Strategy health: store one with `{COMMAND.replace('FX_BR_01', 'NAME')}`"
    )
    assert check_narrative("\n".join(lines), sheet).ok


def test_no_health_step_says_so(tmp_path: Path) -> None:
    folder = tmp_path / AS_OF
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"as_of": AS_OF, "status": "succeeded"}))
    assert health_facts(RunFolder(folder), AS_OF) == []
    assert "not in this run (no health step)" in health_section(FactSheet(AS_OF, ()), None)
