"""Research notebooks open with what they show and a chart (issue 26 item 5): the first
cell says what the notebook shows, a chart comes within the first four code cells (after
the parameters and the set-up), model diagnostics come after it, and the index in
``notebooks/README.md`` lists every notebook. Static: the notebooks themselves are run by
nbval with the rest of the tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
ALL = sorted(NOTEBOOKS.rglob("*.ipynb"))
CHART = re.compile(
    r"\.show\(\)|px\.\w+\(|go\.Figure\(|\bfigure\(|_figure\(|\bfigures\(|^fig$", re.M
)


def _cells(path: Path) -> list[tuple[str, str]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_a_notebook_says_what_it_shows_and_charts_early(path: Path) -> None:
    cells = _cells(path)
    kind, first = cells[0]
    assert kind == "markdown" and first.startswith("# ")
    statement = first.split("\n", 1)[1].strip() if "\n" in first else ""
    assert len(statement) > 40, f"{path.name}: the first cell has no statement of what it shows"
    code = [src for kind, src in cells if kind == "code"]
    first_chart = next((i for i, src in enumerate(code) if CHART.search(src)), None)
    assert first_chart is not None and first_chart <= 3, f"{path.name}: first chart too late"
    heads = [i for i, (kind, src) in enumerate(cells) if src.startswith("## Model diagnostics")]
    chart_cell = [i for i, (kind, src) in enumerate(cells) if kind == "code" and CHART.search(src)]
    assert all(h > chart_cell[0] for h in heads)


def test_the_index_lists_every_notebook() -> None:
    index = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    for path in ALL:
        name = path.name if path.parent == NOTEBOOKS else f"{path.parent.name}/"
        assert f"`{name}" in index, f"notebooks/README.md does not list {path.name}"
