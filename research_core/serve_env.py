"""The environment a page kernel (or the static pages' worker) runs in: what ``serve`` and
``serve_static`` both need, kept here so neither imports the other's module back."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from research_core.identity import USER_ENV

TEMPLATE_ROOT = Path(__file__).parent / "viz"  # holds voila/templates/workbench
# Environment variables a page never needs: kept out of every kernel.
SECRET_ENV = ("ANTHROPIC_API_KEY", "FRED_API_KEY", "WORKBENCH_TIMESCALE_URL")
# Only the server says who visits: never inherited from the server's own environment.
SERVER_ONLY_ENV = (USER_ENV,)


def kernel_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The server's environment for kernels: absolute data paths (kernels run in
    ``dashboards/``), the house template on JUPYTER_PATH, secrets removed."""
    from research_core.config import get_settings

    s = get_settings()
    hidden = SECRET_ENV + SERVER_ONLY_ENV
    env = {k: v for k, v in environ.items() if k not in hidden and not k.endswith("_API_KEY")}
    env["WORKBENCH_RUNS_PATH"] = str(Path(s.runs_path).resolve())
    env["WORKBENCH_LAKE_PATH"] = str(Path(s.lake_path).resolve())
    if s.db_url.startswith("sqlite:"):  # made absolute by the settings
        env["WORKBENCH_DB_URL"] = s.db_url
    paths = [str(TEMPLATE_ROOT), *filter(None, environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    env["JUPYTER_PATH"] = os.pathsep.join(paths)
    env["TQDM_DISABLE"] = "1"
    return env


def page_kernel_environment(
    passed: Mapping[str, str], server_env: Mapping[str, str]
) -> dict[str, str]:
    """A page kernel's environment: :func:`kernel_environment` of the server's, plus what
    Voilà added or changed on top of it (``VOILA_*``, the request's ``USER_ENV``)."""
    added = {k: v for k, v in passed.items() if server_env.get(k) != v}
    return kernel_environment(server_env) | added
