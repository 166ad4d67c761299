"""Small synthetic pipelines for the runner's failure modes (no lake needed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest
import yaml

PARAMS = 'as_of = "2000-01-01"\nlake_path = ""\ndb_url = ""\nrun_dir = ""'


def write_notebook(path: Path, body: str, *, params: str | None = PARAMS) -> Path:
    """A notebook: a ``parameters`` cell (unless ``params`` is None) then ``body``."""
    cells = []
    if params is not None:
        cell = nbformat.v4.new_code_cell(params)
        cell.metadata["tags"] = ["parameters"]
        cells.append(cell)
    else:
        cells.append(nbformat.v4.new_code_cell(PARAMS))
    cells.append(nbformat.v4.new_code_cell(body))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)
    return path


def write_artifact_body(step: str, name: str = "out.json") -> str:
    return (
        "import pathlib, time\n"
        f"p = pathlib.Path(run_dir) / 'artifacts' / {step!r}\n"
        "p.mkdir(parents=True, exist_ok=True)\n"
        f"(p / {name!r}).write_text(str(time.time()))\n"
    )


@pytest.fixture
def make_pipeline(tmp_path: Path) -> Callable[..., Path]:
    """``make_pipeline({"a": body, ...}, deadline_s={"a": 5}, artifacts={"a": [...]},
    after={"c": ["a"]})``; a step without ``after`` needs the one before it."""

    def make(
        steps: Mapping[str, str],
        *,
        deadline_s: Mapping[str, float] | None = None,
        artifacts: Mapping[str, list[str]] | None = None,
        retries: Mapping[str, int] | None = None,
        params: Mapping[str, str | None] | None = None,
        after: Mapping[str, list[str]] | None = None,
    ) -> Path:
        folder = tmp_path / "pipe"
        folder.mkdir(exist_ok=True)
        spec: dict[str, Any] = {"name": "synthetic", "start_timeout_s": 60, "steps": []}
        for name, body in steps.items():
            kw = {} if params is None or name not in params else {"params": params[name]}
            write_notebook(folder / f"{name}.ipynb", body, **kw)
            step: dict[str, Any] = {"name": name, "notebook": f"{name}.ipynb"}
            step["deadline_s"] = (deadline_s or {}).get(name, 120)
            step["retries"] = (retries or {}).get(name, 1)
            step["artifacts"] = (artifacts or {}).get(name, [])
            if after and name in after:
                step["after"] = after[name]
            spec["steps"].append(step)
        path = folder / "pipe.yaml"
        path.write_text(yaml.safe_dump(spec))
        return path

    return make


def alive(pids: list[int]) -> list[int]:
    """The pids still running (zombies count as gone)."""
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            continue
    return out
