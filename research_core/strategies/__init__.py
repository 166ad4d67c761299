"""Strategies: registered by name, configured from YAML, each reading only a PITView.

``get_strategy(name, **params)`` builds one; ``load_config(path)`` builds every strategy a
YAML file names (the shipped ``strategies.yaml`` is the fund's book of record).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from research_core.catalog.catalog import _YAML_LOADER
from research_core.errors import StrategyConfigError
from research_core.strategies import (  # noqa: F401  (registers)
    credit,
    cross_asset,
    curve_trades,
    fx,
    inflation,
    rates,
)
from research_core.strategies.base import (
    STRATEGIES,
    BaseStrategy,
    StrategyParams,
    get_strategy,
    register,
)


def load_config(path: str | Path | None = None) -> dict[str, BaseStrategy]:
    """Strategies from a YAML mapping ``strategies: {NAME: {param: value}}``.

    With no path, the shipped ``strategies.yaml``. Unknown names list the valid ones;
    unknown or invalid parameters name the strategy and the field.
    """
    if path is None:
        text = resources.files("research_core.strategies").joinpath("strategies.yaml").read_text()
        where = "strategies.yaml"
    else:
        text, where = Path(path).read_text("utf-8"), str(path)
    raw = yaml.load(text, Loader=_YAML_LOADER) or {}  # libyaml's safe loader: ~7x faster
    entries = raw.get("strategies") if isinstance(raw, dict) else None
    if not isinstance(entries, dict):
        raise StrategyConfigError(f"{where}: expected a mapping 'strategies: {{NAME: params}}'")
    out = {}
    for name, params in entries.items():
        if params is not None and not isinstance(params, dict):
            raise StrategyConfigError(f"{where}: parameters of {name} must be a mapping")
        out[name] = get_strategy(name, **(params or {}))
    return out


def describe() -> list[dict[str, Any]]:
    """One row per registered strategy: name, family, instruments, rationale."""
    return [
        {
            "name": n,
            "family": c.family,
            "instruments": ", ".join(c.instruments),
            "rationale": c.describe(c),  # type: ignore[arg-type]
        }
        for n, c in sorted(STRATEGIES.items())
    ]


__all__ = [
    "STRATEGIES",
    "BaseStrategy",
    "StrategyParams",
    "describe",
    "get_strategy",
    "load_config",
    "register",
]
