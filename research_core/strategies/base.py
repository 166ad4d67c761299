"""The strategy template, its parameters and the registry.

A strategy reads one :class:`PITView` and returns target positions in *risk units* per
instrument: +1 is one full unit of risk long the instrument's quote (the house sign: +1
profits when the yield, price, FX rate or spread rises), -1 a full unit short, 0 flat. The
backtester (and the live book) turn risk units into notional weights with each instrument's
point-in-time volatility and the strategy's ``vol_target``; strategies never size in
currency and never see anything but the view.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, Literal, TypeVar, cast, get_args

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from research_core.agents.report import AgentReport
from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.errors import (
    AgentDataError,
    BacktestError,
    InsufficientDataError,
    StrategyConfigError,
)
from research_core.lake.pit import PITView
from research_core.models.scores import nan_std
from research_core.pnl import view_reads


class StrategyParams(BaseModel):
    """Parameters every strategy has; subclasses add their own (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rebalance: Literal["D", "W", "M"] = Field("W", description="signal frequency")
    vol_target: float = Field(0.10, gt=0, le=1.0, description="annual vol of the book")
    max_gross: float = Field(25.0, gt=0, description="cap on gross notional / book value")


P = TypeVar("P", bound=StrategyParams)


class BaseStrategy(ABC, Generic[P]):
    """A strategy declares itself in its class line and implements :meth:`positions`:
    ``class X(BaseStrategy[XParams], name="...", family="rates", instruments=(...))``
    takes ``Params`` from the subscript and registers ``X`` under ``name`` (a subclass of
    a strategy inherits what it leaves out; plain class attributes still work unregistered).
    """

    name: ClassVar[str]
    family: ClassVar[str]  # rates, fx, inflation, credit, cross_asset
    instruments: ClassVar[tuple[str, ...]]
    Params: ClassVar[type[StrategyParams]] = StrategyParams
    params: P

    def __init_subclass__(
        cls,
        *,
        name: str | None = None,
        family: str | None = None,
        instruments: tuple[str, ...] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            args = get_args(base)
            if args and isinstance(args[0], type) and issubclass(args[0], StrategyParams):
                cls.Params = args[0]
        if family is not None:
            cls.family = family
        if instruments is not None:
            cls.instruments = instruments
        if name is not None:
            cls.name = name
            register(cls)

    def __init__(self, **params: Any) -> None:
        try:
            self.params = cast("P", self.Params(**params))
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
            )
            valid = sorted(self.Params.model_fields)
            raise StrategyConfigError(
                f"{self.name}: bad parameters ({problems}); valid parameters: {valid}"
            ) from None

    @abstractmethod
    def positions(self, view: PITView) -> Mapping[str, float]:
        """Target risk units per instrument from what ``view`` knows (missing = flat)."""

    def generate_signals(self, view: PITView) -> pd.Series:
        """Target positions in risk units, one per declared instrument, clipped to [-1, 1]."""
        return pd.Series(self.risk_units(view), index=list(self.instruments), name=self.name)

    def risk_units(self, view: PITView) -> np.ndarray:
        """:meth:`generate_signals` as an array in ``instruments`` order (the backtest's
        hot loop): undeclared instruments and non-finite positions raise."""
        raw = dict(self.positions(view))
        unknown = sorted(set(raw) - set(self.instruments))
        if unknown:
            raise BacktestError(f"{self.name} returned undeclared instruments {unknown}")
        bad = sorted(k for k, v in raw.items() if not math.isfinite(v))
        if bad:
            raise BacktestError(
                f"{self.name} returned a non-finite position for {bad} at {view.as_of}"
            )
        units = np.array([float(raw.get(i, 0.0)) for i in self.instruments], dtype=float)
        return np.clip(units, -1.0, 1.0)

    def describe(self) -> str:
        """First paragraph of the docstring: the economic rationale."""
        return (self.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params.model_dump()})"


STRATEGIES: dict[str, type[BaseStrategy]] = {}


def register(cls: type[BaseStrategy]) -> type[BaseStrategy]:
    """Class decorator: make a strategy available by its ``name``."""
    if cls.name in STRATEGIES:
        raise StrategyConfigError(f"strategy name {cls.name!r} registered twice")
    if not (cls.__doc__ or "").strip() or "Reference" not in (cls.__doc__ or ""):
        raise StrategyConfigError(f"{cls.name}: docstring needs a rationale and a Reference")
    STRATEGIES[cls.name] = cls
    return cls


def get_strategy(name: str, **params: Any) -> BaseStrategy:
    """A configured strategy by name; an unknown name lists the valid ones."""
    if name not in STRATEGIES:
        raise StrategyConfigError(f"unknown strategy {name!r}; valid: {sorted(STRATEGIES)}")
    return STRATEGIES[name](**params)


# --- helpers the strategies share -------------------------------------------------------


def squash(z: float, scale: float = 1.0) -> float:
    """A z-score to a position in (-1, 1): tanh(z / scale); NaN is flat."""
    return 0.0 if not math.isfinite(z) else float(np.tanh(z / scale))


def trend_z(
    series: pd.Series | np.ndarray, sessions: int, vol_window: int = B3_SESSIONS_PER_YEAR
) -> float:
    """Change over the last ``sessions`` observations in units of its typical size: the
    standard deviation of one-step changes (last ``vol_window``) times sqrt(sessions).
    ``series``: a Series or its values."""
    s = series.to_numpy(dtype=float) if isinstance(series, pd.Series) else np.asarray(series, float)
    s = s[~np.isnan(s)]  # dropna
    if len(s) <= max(2 * sessions, 20):
        return float("nan")
    step = np.empty(len(s))  # Series.diff
    step[0], step[1:] = np.nan, s[1:] - s[:-1]
    sd = float(nan_std(step[-vol_window:]))  # Series.std's bits
    return float((s[-1] - s[-1 - sessions]) / (sd * np.sqrt(sessions))) if sd > 0 else 0.0


def last(view: PITView, series_id: str) -> float:
    """Last known value of a series (NaN if nothing known yet)."""
    s = view_reads(view).values(series_id)[1]
    s = s[~np.isnan(s)]  # dropna
    return float(s[-1]) if len(s) else float("nan")


def _report(view: PITView, agent: str) -> AgentReport | None:
    """One agent's report on ``view`` (None while history is too short for the agent)."""
    from research_core.agents.runner import agent_report  # imports statsmodels

    try:
        return agent_report(view, agent)
    except (AgentDataError, InsufficientDataError):  # memoized by the runner: runs once
        return None


def agent_position(view: PITView, agent: str, instrument: str) -> float:
    """An agent's view on ``instrument`` at the view's as-of: direction x confidence.

    Agent reports are memoized per view and kept in the lake's report store when one is in
    use (:mod:`research_core.agents.store`: per lake snapshot and date), so strategies, the
    book and the pipeline that read the same agent at the same date run it once, and only
    that agent (its dependencies too only when it is not stored). Before the agent has
    enough history (``InsufficientDataError``/``AgentDataError``) it is flat.
    """
    report = _report(view, agent)
    if report is None:
        return 0.0
    for s in report.signals:
        if s.instrument == instrument:
            return float(s.direction * s.confidence)
    return 0.0
