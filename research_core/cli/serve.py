"""``workbench serve``: the dashboards (Voilà) on 127.0.0.1:8866 (:mod:`research_core.serve`)."""

from __future__ import annotations

from typing import Any

from research_core.serve import REFILL_DELAY_S


def _add_arguments(p: Any) -> None:
    p.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--dashboards", help="folder of page notebooks (default: ./dashboards)")
    p.add_argument("--timeout", type=int, default=60, help="seconds a cell may run (default 60)")
    p.add_argument(
        "--pool-size", type=int, default=2, help="preheated kernels per page (default 2)"
    )
    p.add_argument(
        "--tokens",
        action="store_true",
        help="require per-user tokens (`workbench users add`) also on loopback; always "
        "required on any other address",
    )
    p.add_argument(
        "--refill-delay",
        type=float,
        default=REFILL_DELAY_S,
        help=f"seconds before a used kernel is replaced (default {REFILL_DELAY_S:g})",
    )
    p.add_argument(
        "--no-static",
        dest="static",
        action="store_false",
        help="serve every page on a kernel (default: pages without widgets as static HTML)",
    )


def _run(args: Any) -> int:
    from dataclasses import fields

    from research_core.serve import ServeOptions, serve

    given = {f.name: getattr(args, f.name) for f in fields(ServeOptions) if hasattr(args, f.name)}
    return serve(ServeOptions(**given))


def register(sub: Any) -> None:
    """Add ``serve``."""
    p = sub.add_parser("serve", help="serve the dashboards (Voilà) on 127.0.0.1:8866")
    _add_arguments(p)
    p.set_defaults(func=_run)
