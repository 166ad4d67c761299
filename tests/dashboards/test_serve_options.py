"""``serve`` and ``voila_config`` take one frozen options object (issue 28: no function with
more than 8 parameters); the CLI's flags fill it, and a misspelt option is a one-line error."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

import pytest

from research_core.cli import serve as serve_cli
from research_core.serve import ServeError, ServeOptions, serve, voila_config

REPO = Path(__file__).resolve().parents[2]


def test_a_misspelt_option_is_one_line_naming_it() -> None:
    with pytest.raises(ServeError, match="unknown option 'prot'") as err:
        serve(prot=8866)
    assert "\n" not in str(err.value)
    with pytest.raises(ServeError, match="unknown option 'pool'"):
        voila_config(pool=1)


def test_the_cli_flags_fill_the_options() -> None:
    parser = argparse.ArgumentParser()
    serve_cli._add_arguments(parser)
    args = parser.parse_args(["--port", "9001", "--pool-size", "3", "--no-static", "--tokens"])
    given = {k: v for k, v in vars(args).items() if k in ServeOptions.__dataclass_fields__}
    # every flag has its field (the CLI passes them all, by name)
    assert set(vars(args)) == set(given)
    options = ServeOptions(**given)
    assert (options.port, options.pool_size, options.static, options.tokens) == (
        9001,
        3,
        False,
        True,
    )


def test_voila_config_reads_the_options() -> None:
    """Static pages: every page without widgets gets no kernel pool (the widget pages keep
    the default); without static pages: the default everywhere, plus ``pools``."""
    dashboards = REPO / "dashboards"
    config = voila_config(ServeOptions(dashboards=dashboards, port=9001, pool_size=3))
    pools = config.VoilaKernelManager.kernel_pools_config
    assert config.Voila.port == 9001 and pools["default"] == {"pool_size": 3}
    no_pool = {p[: -len(".ipynb")] for p, size in pools.items() if size == {"pool_size": 0}}
    # the pages without widgets, by hand from dashboards/ (the widget pages: position book,
    # trade blotter, decision journal)
    static = {"index", "morning_pack", "risk_monitor", "attribution", "agent_hub"}
    assert no_pool == static | {"strategy_health", "curves"}
    config = voila_config(ServeOptions(dashboards=dashboards), static=False, pools={"index": 1})
    pools = config.VoilaKernelManager.kernel_pools_config
    assert pools == {"default": {"pool_size": 2}, "index.ipynb": {"pool_size": 1}}


def test_serve_and_serve_static_import_no_circle() -> None:
    """``serve`` imports ``serve_static``; ``serve_static`` never imports ``serve`` back
    (both read the kernel environment from ``serve_env``)."""
    tree = ast.parse((REPO / "research_core" / "serve_static.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert "research_core.serve" not in imported
    assert "research_core.serve_env" in imported
