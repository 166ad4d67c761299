"""Who is acting on a served page (no heavy imports: the server and ``--help`` read it)."""

from __future__ import annotations

import os

# Who visits a served page: ``workbench serve`` authenticates the visitor and sets this
# header on the page request; Voilà passes it to the page's kernel as USER_ENV (RFC 3875
# 4.1.18 naming). Only the server sets it: never inherited, never taken from a visitor.
USER_HEADER = "X-Workbench-User"
USER_ENV = "HTTP_X_WORKBENCH_USER"


def served_user() -> str | None:
    """Who is visiting this page, as ``workbench serve`` authenticated them (None when the
    code does not run in a page opened through it)."""
    return os.environ.get(USER_ENV, "").strip() or None
