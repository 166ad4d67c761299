"""Issue 29 (daily pipeline): a step's kernel starts — its modules imported — while the step
before it still runs, so kernel start-up overlaps work; one never used is killed when the
run ends; a kernel's exit skips the interpreter's teardown. Real papermill, real kernels."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from research_core.pipeline import PipelineError, load_pipeline, run_pipeline
from tests.pipeline.conftest import alive, write_artifact_body

DATE = "2026-10-30"


def _with_preload(path: Path, preload: dict[str, list[str]]) -> Path:
    """The pipeline YAML at ``path`` with ``preload`` lists added to the named steps."""
    spec: dict[str, Any] = yaml.safe_load(path.read_text())
    for step in spec["steps"]:
        if step["name"] in preload:
            step["preload"] = preload[step["name"]]
    path.write_text(yaml.safe_dump(spec))
    return path


def _find_next_kernel(out: Path) -> str:
    """Cell code: wait (30 s at most) for a kernel of this pipeline (working folder = the
    pipeline's) other than our own, and write its pid to ``out`` ("none" if it never came)."""
    return (
        "import os, pathlib, time, psutil\n"
        "me, found, t0 = os.environ['WORKBENCH_PIPELINE_TOKEN'], 'none', time.time()\n"
        "while found == 'none' and time.time() - t0 < 30:\n"
        "    for p in psutil.process_iter():\n"
        "        try:\n"
        "            env, cmd, cwd = p.environ(), ' '.join(p.cmdline()), p.cwd()\n"
        "        except psutil.Error:\n"
        "            continue\n"
        "        token = env.get('WORKBENCH_PIPELINE_TOKEN')\n"
        "        if token and token != me and 'ipykernel' in cmd and cwd == os.getcwd():\n"
        "            found = str(p.pid)\n"
        "    time.sleep(0.05)\n"
        f"pathlib.Path({str(out)!r}).write_text(found)\n"
    )


def test_next_step_kernel_starts_with_its_modules_while_the_step_before_runs(
    make_pipeline, tmp_path
):
    """On main each step's worker started its kernel (~3 s, more under load) only when the
    step before had ended, and the first cell imported the step's modules."""
    seen = tmp_path / "seen.txt"
    b_body = (
        "import os, sys, pathlib\n"
        f"pathlib.Path({str(tmp_path / 'b.txt')!r}).write_text("
        "f\"{os.getpid()} {'colorsys' in sys.modules} {'colorsys' in dir()} {'_w' in dir()}\")\n"
    ) + write_artifact_body("b")
    path = make_pipeline(
        {"a": _find_next_kernel(seen) + write_artifact_body("a"), "b": b_body},
        artifacts={"a": ["a/out.json"], "b": ["b/out.json"]},
    )
    path = _with_preload(path, {"b": ["colorsys"]})  # a stdlib module no kernel loads
    result = run_pipeline(DATE, pipeline=path, runs_path=tmp_path / "runs",
                          lake_path=tmp_path / "nolake", progress=False)  # fmt: skip
    assert result.status == "succeeded", result.summary()
    pid, preloaded, in_namespace, helper = (tmp_path / "b.txt").read_text().split()
    assert seen.read_text() == pid  # b ran on the kernel started while a ran
    assert (preloaded, in_namespace, helper) == ("True", "False", "False")


def test_a_warm_kernel_never_used_is_killed_when_the_run_ends(make_pipeline, tmp_path):
    """a fails after b's kernel has started: b never runs and its kernel does not outlive
    the run (nor does anything else the run started)."""
    seen = tmp_path / "seen.txt"
    path = make_pipeline(
        {"a": _find_next_kernel(seen) + "raise ValueError('a fails')\n", "b": "x = 1\n"},
        retries={"a": 0},
    )
    result = run_pipeline(DATE, pipeline=path, runs_path=tmp_path / "runs",
                          lake_path=tmp_path / "nolake", progress=False)  # fmt: skip
    assert [s["status"] for s in result.manifest["steps"]] == ["failed", "pending"]
    warm = seen.read_text()
    assert warm != "none"  # b's kernel had started
    assert alive([int(warm)]) == []


def test_a_preload_that_does_not_exist_or_is_not_a_module_name_is_refused(make_pipeline, tmp_path):
    path = _with_preload(make_pipeline({"a": "x = 1\n"}), {"a": ["research_core.no_such"]})
    with pytest.raises(PipelineError, match=r"preload: no module named 'research_core.no_such'"):
        load_pipeline(path)
    path = _with_preload(path, {"a": ["os; import shutil"]})  # it becomes kernel code
    with pytest.raises(PipelineError, match=r"steps\.0\.preload\.0: String should match"):
        load_pipeline(path)


def test_exit_after_handlers_runs_the_exit_handlers_then_skips_the_teardown():
    """The exit handlers registered later (the step's, the guard's) run; the interpreter's
    teardown of every module — what outlasted jupyter_client's 2.5 s grace with pandas,
    scipy and plotly loaded — does not (a finalizer at teardown would print)."""
    code = (
        "import atexit, sys\n"
        "import research_core.pipeline.guard as guard\n"
        "guard.exit_after_handlers()\n"
        "atexit.register(print, 'handler ran', flush=False)\n"
        "class Slow:\n"
        "    def __del__(self):\n"
        "        print('teardown ran')\n"
        "keep = Slow()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "handler ran\n", "")
