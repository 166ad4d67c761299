"""The bad-input tables of ``test_cli_bad_input.py`` and ``test_cli_errors.py``: one row per
case, ``id | argv | text the one error line must contain``; an indented line continues
the row above. ``{lake}``, ``{tmp}`` and ``{db}`` are filled in by the test."""

from __future__ import annotations

import shlex


def parse_cases(table: str) -> dict[str, tuple[list[str], str]]:
    """``{id: (argv, expected)}`` from the rows of ``table`` (argv split as a shell does)."""
    rows: list[str] = []
    for line in table.splitlines():
        if line.startswith(" ") and rows:
            rows[-1] += " " + line.strip()
        elif line.strip():
            rows.append(line.strip())
    cases = {}
    for row in rows:
        case, argv, expected = (part.strip() for part in row.split(" | ", 2))
        cases[case] = (shlex.split(argv), expected)
    return cases


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each placeholder (``{lake}``, ...) replaced by its value."""
    for key, value in values.items():
        text = text.replace(key, value)
    return text
