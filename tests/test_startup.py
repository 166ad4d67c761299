"""Importing research_core changes no process-wide state (issue 28 item 3); the entry points
set the process up explicitly (``research_core.startup``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# The modules that once changed process state on import: the package (sys.modules patched),
# _secrets (log-record factory), viz.pages (catalogs loaded; plotly's default template and
# renderer, set by viz.theme); plus the entry modules.
_PROBE = """
import json, logging, os, sys
import plotly.io as pio
env, factory = dict(os.environ), logging.getLogRecordFactory()
plotly_defaults = (pio.templates.default, pio.renderers.default)
import research_core, research_core._secrets, research_core.cli, research_core.serve
import research_core.connectors.base, research_core.pipeline.runner, research_core.viz.pages
from research_core.catalog import instruments, series_catalog
print(json.dumps({
    "iri_skipped": "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is None,
    "factory_replaced": logging.getLogRecordFactory() is not factory,
    "catalogs_loaded": series_catalog.cache_info().currsize + instruments.cache_info().currsize,
    "environ_changed": sorted(k for k, v in env.items() if os.environ.get(k) != v),  # cleared?
    "plotly_defaults_changed": (pio.templates.default, pio.renderers.default) != plotly_defaults,
}))
"""


# Set by pyarrow and the OpenMP runtimes for themselves when they load: the test process
# has them once it imported those, a user's shell does not, and they reset them on import.
_LIBRARY_ENV = ("_RJEM_MALLOC_CONF", "KMP_DUPLICATE_LIB_OK", "KMP_INIT_AT_FORK")


def _probe(code: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in _LIBRARY_ENV}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO, env=env
    )
    return dict(json.loads(out.stdout.splitlines()[-1]))


def test_importing_research_core_changes_no_process_state() -> None:
    assert _probe(_PROBE) == {
        "iri_skipped": False,
        "factory_replaced": False,
        "catalogs_loaded": 0,
        "environ_changed": [],
        "plotly_defaults_changed": False,  # viz.theme once set its template and renderer
    }


def test_the_entry_points_set_the_process_up() -> None:
    """``prepare_process`` (the CLI, the pipeline's fork server and kernels, the page
    kernels call it) and a registered secret install what importing no longer does."""
    code = """
import json, logging, sys
from research_core import _secrets, startup
plain = logging.getLogRecordFactory()
_secrets.register_secret("s3cr3t-value")
by_secret = logging.getLogRecordFactory() is not plain
startup.prepare_process()
record = logging.getLogger("x").makeRecord("x", 20, "f", 1, "key s3cr3t-value", None, None)
print(json.dumps({"by_secret": by_secret, "iri": sys.modules["rfc3987_syntax"] is None,
                  "masked": record.getMessage()}))
"""
    assert _probe(code) == {"by_secret": True, "iri": True, "masked": "key ***"}


def test_page_kernels_get_the_scrubbed_environment_without_touching_the_servers() -> None:
    """``serve`` once cleared ``os.environ`` so Voilà's kernels inherit no secret; now each
    page kernel's environment is scrubbed as it starts. What Voilà adds on top (the
    visitor's name from the request, its own variables) is kept; a visitor name in the
    server's own environment is not."""
    from research_core.serve import PageKernelManager, page_kernel_environment, voila_config

    server = {"HOME": "/h", "ANTHROPIC_API_KEY": "k", "HTTP_X_WORKBENCH_USER": "eve"}
    passed = server | {"VOILA_PREHEAT": "True", "HTTP_X_WORKBENCH_USER": "bob"}
    env = page_kernel_environment(passed, server)
    assert "ANTHROPIC_API_KEY" not in env
    assert env["HTTP_X_WORKBENCH_USER"] == "bob" and env["VOILA_PREHEAT"] == "True"
    assert env["HOME"] == "/h" and Path(env["WORKBENCH_LAKE_PATH"]).is_absolute()
    no_visitor = page_kernel_environment(dict(server), server)
    assert "HTTP_X_WORKBENCH_USER" not in no_visitor
    config = voila_config(
        dashboards=REPO / "dashboards", host="127.0.0.1", port=1, timeout=5, pool_size=1
    )
    assert (
        config.MappingKernelManager.kernel_manager_class == "research_core.serve.PageKernelManager"
    )
    assert PageKernelManager.__mro__[1].__name__ == "ServerKernelManager"


def test_the_page_kernels_make_the_house_theme_plotlys_default() -> None:
    """``pages.preload`` (the page kernels, the static pages' worker) makes the theme and the
    mimetype renderer plotly's defaults; without them ``viz.figure`` still wears the theme."""
    import plotly.io as pio

    from research_core.viz import figure, pages

    saved = (pio.templates.default, pio.renderers.default)
    try:
        pio.templates.default, pio.renderers.default = "plotly", "json"
        assert "Segoe UI" in figure("x").layout.template.layout.font.family  # palette.FONT
        pages.preload()
        assert (pio.templates.default, pio.renderers.default) == ("workbench", "plotly_mimetype")
    finally:
        pio.templates.default, pio.renderers.default = saved
