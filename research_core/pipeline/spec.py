"""A pipeline definition (``pipelines/daily.yaml``): ordered steps, each a parameterized
notebook with its deadline, the artifacts it must leave in the run folder and the earlier
steps it needs (by default the one before it), so independent steps can run side by side.

Loading checks every notebook before anything runs: it must have a cell tagged
``parameters`` and accept every parameter the runner will pass (papermill would
otherwise run it silently with its own defaults, papermill #125/#330).
"""

from __future__ import annotations

import importlib.util
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Annotated, Any

import nbformat
import yaml
from papermill import inspect_notebook
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from research_core.errors import WorkbenchError

COMMON_PARAMETERS = ("as_of", "lake_path", "db_url", "run_dir")
MODULE = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
Modules = tuple[Annotated[str, StringConstraints(pattern=MODULE)], ...]


class PipelineError(WorkbenchError):
    """A pipeline definition, notebook or run request is invalid, or a run cannot start."""


class RunLockedError(PipelineError):
    """Another run of the same date holds its lock."""


class Step(BaseModel):
    """One step: a notebook, its extra parameters, its deadline and expected artifacts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    notebook: str
    deadline_s: float = Field(default=300.0, gt=0)
    retries: int = Field(default=2, ge=0, le=5)
    artifacts: tuple[str, ...] = ()
    params: dict[str, Any] = Field(default_factory=dict)
    after: tuple[str, ...] | None = None  # earlier steps it reads; None: the previous step
    preload: Modules = ()  # modules its kernel imports at start (it may start early)


class Pipeline(BaseModel):
    """Ordered steps; ``folder`` is where the notebooks live (the YAML's folder);
    ``max_parallel`` steps whose needs are met run at once; every step's kernel imports
    ``preload`` (and the step's own) when it starts, before the step may run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    steps: tuple[Step, ...]
    kernel: str = "python3"
    start_timeout_s: float = 60.0
    max_parallel: int = Field(default=2, ge=1, le=16)
    preload: Modules = ()
    folder: Path = Path(".")

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise PipelineError(f"unknown step {name!r}; steps: {[s.name for s in self.steps]}")

    def notebook_path(self, step: Step) -> Path:
        return self.folder / step.notebook

    def needs(self, step: Step) -> tuple[str, ...]:
        """The steps ``step`` reads from: its ``after`` list, or the step before it."""
        if step.after is not None:
            return step.after
        i = self.steps.index(step)
        return (self.steps[i - 1].name,) if i else ()


def load_pipeline(path: str | Path) -> Pipeline:
    """Read and validate a pipeline YAML (and every notebook it names)."""
    path = Path(path)
    if not path.exists():
        raise PipelineError(f"no pipeline definition at {path}")
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise PipelineError(f"{path}: not valid YAML ({one_line_reason(err)})") from err
    if not isinstance(raw, dict):
        raise PipelineError(
            f"{path}: a pipeline is a mapping with 'name' and 'steps', not {type(raw).__name__}"
        )
    try:
        pipe = Pipeline.model_validate({**raw, "folder": path.parent})
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PipelineError(f"{path}: {where}: {first['msg']}") from err
    names = [s.name for s in pipe.steps]
    if len(set(names)) != len(names):
        raise PipelineError(f"{path}: duplicate step names in {names}")
    for i, step in enumerate(pipe.steps):
        later = [n for n in pipe.needs(step) if n not in names[:i]]
        if later:
            raise PipelineError(
                f"{path}: step {step.name} is after {later}, which are not earlier steps"
            )
    _check_preload(path, pipe)
    for step in pipe.steps:
        notebook = pipe.notebook_path(step)
        if not notebook.resolve().is_relative_to(path.parent.resolve()):
            raise PipelineError(
                f"{path}: step {step.name} names {step.notebook}, outside the pipeline's folder"
            )
        check_notebook(notebook, [*COMMON_PARAMETERS, *step.params])
    return pipe


def _check_preload(path: Path, pipe: Pipeline) -> None:
    """Every module a kernel is to preload exists (a typo would only show as a warning in
    the kernel's log, and the step would import it itself)."""
    for name in dict.fromkeys([*pipe.preload, *(m for s in pipe.steps for m in s.preload)]):
        if not _module_exists(name):
            raise PipelineError(f"{path}: preload: no module named {name!r}")


def _module_exists(name: str) -> bool:
    """Whether ``name`` can be imported, found without importing it or its packages
    (``importlib.util.find_spec`` imports the parents: 1.6 s of CPU for daily.yaml's)."""
    top, *parts = name.split(".")
    spec = importlib.util.find_spec(top)  # a top-level name: nothing is imported
    for depth in range(1, len(parts) + 1):
        if spec is None or spec.submodule_search_locations is None:
            return False
        where = list(spec.submodule_search_locations)
        spec = PathFinder.find_spec(".".join([top, *parts[:depth]]), where)
    return spec is not None


def one_line_reason(err: BaseException) -> str:
    """The first line of an exception's message."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def check_notebook(path: Path, parameters: list[str]) -> dict[str, Any]:
    """Refuse a notebook without a ``parameters`` cell or one not declaring a parameter we
    pass; returns papermill's view of its parameters."""
    if not path.exists():
        raise PipelineError(f"step notebook {path} does not exist")
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError, UnicodeDecodeError) as err:  # nbformat's errors are ValueErrors
        raise PipelineError(
            f"step notebook {path} is not a notebook: {one_line_reason(err)}"
        ) from err
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        raise PipelineError(
            f"{path.name} has no cell tagged 'parameters'; papermill would run it with its "
            "own defaults (add the tag to the cell that sets as_of, lake_path, ...)"
        )
    declared = inspect_notebook(str(path))
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise PipelineError(
            f"{path.name} does not declare parameter(s) {unknown} in its parameters cell; "
            f"it declares {sorted(declared)}"
        )
    return dict(declared)
