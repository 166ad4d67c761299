"""The ``workbench`` command: one module per command group, each with a ``register(sub)``
that adds its subcommands; shared flags declared once (:mod:`._shared`); the edge checks and
one-line errors in :mod:`._edge`. Commands import their heavy libraries only when they run,
so ``workbench --help`` stays fast."""

from research_core.cli._app import build_parser, main

__all__ = ["build_parser", "main"]
