"""From aggregated signals and a covariance to a constrained book of weights.

Weights are signed notional per unit of NAV (house sign, as in the backtester and the risk
engine). Risk-parity methods (ERC, HRP) allocate risk across the instruments with a view,
on the covariance of the *directional* positions (shorts flipped), then the conviction
overlay tilts each by its |score|. View-based methods (Black–Litterman, Kelly,
mean-variance) turn each score into an expected return: ``IR_PER_Z × score × σ_i`` (a 1σ
view is worth a Sharpe of ``IR_PER_Z``), with the aggregated confidence as the
Black–Litterman confidence. The book is sized to the target vol, scaled down in a risk-off
regime, and Kelly is only ever scaled down (capped by the risk engine), never up.

Breakers act last, on the book that meets every limit (:func:`breakers`), so no limit or
VaR cap can absorb them and the cut is exact:

* stale inputs: each instrument's conviction is its score × its freshness ``f_i`` (the
  aggregated freshness of its contributors, ``research_core.signals``: 1 when current,
  ``0.5 ** (age / period)`` for a stale agent input, ``0.5 ** ((quote age − 4 days) / 5)``
  for a strategy), and the book's gross is multiplied by the book's freshness
  ``F = Σ |s_i| f_i / Σ |s_i|`` — the share of its conviction that is fresh. With every
  input five weeks old, a monthly series one release overdue counts 0.5^(35/30) = 0.45
  and a quote 31 days past its 4-day allowance 0.5^(31/5) = 0.014: a book resting on
  monthly macro views is cut to 45 % of its gross, one on strategy positions to 1.4 %.
* the drawdown ladder (:mod:`research_core.risk.breakers`) on the NAV history given as
  ``equity``: levels 2–4 multiply the gross by 0.75, 0.5 and 0, with the re-entry ramp.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.errors import PortfolioError
from research_core.portfolio.constraints import Binding, Constraints, apply_constraints
from research_core.portfolio.optimizers import black_litterman, erc, hrp, kelly, mean_variance
from research_core.risk.breakers import LadderState
from research_core.risk.measures import risk_contributions
from research_core.signals.aggregate import AggregatedSignals

METHODS = ("erc", "hrp", "bl", "kelly", "mv")
IR_PER_Z = 0.3
TRADING_DAYS = B3_SESSIONS_PER_YEAR
REGIME_CUT = 0.25  # book risk is cut by up to this much in a strong risk-off regime


@dataclass(frozen=True, eq=False)
class PortfolioResult:
    """The book, what the optimizer wanted before constraints, and what bound."""

    method: str
    as_of: pd.Timestamp
    weights: pd.Series
    target: pd.Series
    current: pd.Series
    binding: tuple[Binding, ...]
    expected_return: pd.Series  # annual, per unit weight
    risk_contribution: pd.Series  # share of annual vol, sums to 1
    vol: float  # annual
    regime_scale: float
    freshness: float = 1.0  # the book's freshness F: its gross was multiplied by it
    ladder: LadderState | None = None  # the drawdown ladder's state (None: no NAV history)

    @property
    def breaker_scale(self) -> float:
        """What the breakers multiplied the gross by: freshness × the ladder's cap."""
        return self.freshness * (1.0 if self.ladder is None else self.ladder.cap)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "weight": self.weights,
                "target": self.target.reindex(self.weights.index, fill_value=0.0),
                "current": self.current.reindex(self.weights.index, fill_value=0.0),
                "trade": self.weights - self.current.reindex(self.weights.index, fill_value=0.0),
                "risk_contribution": self.risk_contribution.reindex(self.weights.index),
                "expected_return": self.expected_return.reindex(self.weights.index),
            }
        )

    def summary(self) -> str:
        lines = [
            f"{self.method} book: {int((self.weights != 0).sum())} positions, gross "
            f"{self.weights.abs().sum():.2f}, net {self.weights.sum():+.2f}, vol {self.vol:.1%} "
            f"(regime scale {self.regime_scale:.2f}, breakers × {self.breaker_scale:.2f})"
        ]
        lines += [f"  binding — {b}" for b in self.binding] or ["  no constraint bound"]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>"


@dataclass(frozen=True)
class Sizing:
    """The construction methods' tuning: tilt risk-parity weights by |score|
    (``conviction``), cut the book in a risk-off regime (``regime_scaling``), the Kelly
    fraction, and the risk aversion of Black–Litterman and mean-variance."""

    conviction: bool = True
    regime_scaling: bool = True
    kelly_fraction: float = 0.5
    risk_aversion: float = 2.5


def construct(
    aggregated: AggregatedSignals,
    cov: pd.DataFrame,
    method: str = "erc",
    *,
    current: pd.Series | None = None,
    constraints: Constraints | None = None,
    equity: pd.Series | None = None,
    reviews: Iterable[object] = (),
    sizing: Sizing | None = None,
) -> PortfolioResult:
    """Build the book from ``aggregated`` signals and a *daily* covariance of unit returns.

    ``equity`` is the NAV history the drawdown ladder reads (one value per session, the
    first the starting capital; None: no history, no cut), ``reviews`` the dates a
    manual review cleared a flattened book, ``sizing`` the methods' tuning (:class:`Sizing`)."""
    sz = sizing or Sizing()
    regime_scaling = sz.regime_scaling
    if method not in METHODS:
        raise PortfolioError(f"unknown method {method!r}; use one of {METHODS}")
    cons = constraints or Constraints()
    table = aggregated.table[aggregated.table["direction"] != 0]
    if table.empty:
        raise PortfolioError("no instrument has a directional signal")
    missing = [i for i in table.index if i not in cov.index]
    if missing:
        raise PortfolioError(f"no covariance for instruments {missing}")
    ids = list(table.index)
    sub = _block(cov, ids)
    a = sub.to_numpy() * TRADING_DAYS  # pandas' layout: the products below add up as its did
    score = table["score"].to_numpy(dtype="float64") * _freshness(table).to_numpy()
    sd = np.sqrt(np.diag(a))
    mu = IR_PER_Z * score * sd
    raw = _raw(method, a, score, mu, table, cons, sz)
    regime = aggregated.regime
    scale = 1.0 - REGIME_CUT * min(abs(regime) / 2.0, 1.0) if regime_scaling and regime < 0 else 1.0
    vol = float(np.sqrt(np.dot(np.dot(raw, a), raw)))
    if vol <= 0:
        raise PortfolioError(f"{method} gave a book with no risk")
    budget = cons.target_vol * scale
    scale_to_budget = budget / vol if method != "kelly" else min(1.0, budget / vol)
    target = pd.Series(raw * scale_to_budget, index=table.index, name="target")
    cur = pd.Series(0.0, index=ids) if current is None else current.astype("float64")
    weights, binding = apply_constraints(target, sub, cons, current)
    weights, fresh, ladder, cut = breakers(weights, table, cons, equity, reviews)
    weights = weights.rename("weight")
    covw = cov.reindex(index=weights.index, columns=weights.index, fill_value=0.0) * TRADING_DAYS
    var_p = float(weights.to_numpy() @ covw.to_numpy() @ weights.to_numpy())
    contrib = risk_contributions(weights, covw)
    return PortfolioResult(
        method,
        aggregated.as_of,
        weights,
        target,
        cur,
        binding + cut,
        pd.Series(mu, index=table.index),
        contrib,
        float(np.sqrt(var_p)),
        scale,
        fresh,
        ladder,
    )


def _raw(
    method: str,
    a: np.ndarray,
    score: np.ndarray,
    mu: np.ndarray,
    table: pd.DataFrame,
    cons: Constraints,
    sz: Sizing,
) -> np.ndarray:
    """The method's weights before sizing, on the annual covariance ``a`` of the table's
    instruments (risk parity on the directional positions, tilted by |score|; the
    view-based methods on ``mu``). Frames are built on ``a`` as it lies in memory."""
    ann = pd.DataFrame(a, index=table.index, columns=table.index, copy=False)
    if method in ("erc", "hrp"):
        sign = np.sign(score)
        outer = np.outer(sign, sign)  # in the layout pandas' product had:
        flipped = np.multiply(a, outer, order="F" if a.flags.f_contiguous else "C")
        directional = pd.DataFrame(flipped, index=ann.index, columns=ann.columns, copy=False)
        base = (erc(directional) if method == "erc" else hrp(directional)).to_numpy()
        size = np.abs(score)
        tilt = size / (size.sum() / len(size)) if sz.conviction else 1.0  # pandas' mean
        return sign * base * tilt
    mus = pd.Series(mu, index=ann.index)
    if method == "bl":
        conf = table["confidence"].clip(0.01, 0.99)
        return black_litterman(ann, mus, conf, risk_aversion=sz.risk_aversion).weights.to_numpy()
    if method == "kelly":
        return kelly(mus, ann, fraction=sz.kelly_fraction).to_numpy()
    bound = cons.limits.position
    return mean_variance(
        mus, ann, risk_aversion=sz.risk_aversion, bounds=(-bound, bound)
    ).to_numpy()


def _block(cov: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """``cov.loc[ids, ids]`` by position (a quarter of its cost per decision), the same
    frame and memory layout; labels that repeat take ``.loc``'s path."""
    if not (cov.index.is_unique and cov.columns.is_unique):
        return cov.loc[ids, ids]
    labels = pd.Index(ids)
    rows, cols = cov.index.get_indexer(labels), cov.columns.get_indexer(labels)
    if (rows < 0).any() or (cols < 0).any():  # take(-1) would read the last row or column
        absent = [i for i, r, c in zip(ids, rows, cols, strict=True) if r < 0 or c < 0]
        raise PortfolioError(f"no covariance for instruments {absent}")
    return cov.take(rows).take(cols, axis=1)


def _freshness(table: pd.DataFrame) -> pd.Series:
    """Each instrument's freshness f_i in (0, 1] (1 where the table has none)."""
    if "freshness" not in table:
        return pd.Series(1.0, index=table.index)
    return table["freshness"].astype(float)


def breakers(
    weights: pd.Series,
    table: pd.DataFrame,
    constraints: Constraints,
    equity: pd.Series | None = None,
    reviews: Iterable[object] = (),
) -> tuple[pd.Series, float, LadderState | None, tuple[Binding, ...]]:
    """The one place breakers cut a book: ``weights`` (within every limit) × the book's
    freshness F × the drawdown ladder's cap (see the module docstring). ``table`` is the
    aggregated table of the instruments with a view. Returns the cut weights, F, the
    ladder's state (None without ``equity``) and a :class:`Binding` for each cut."""
    conviction = np.abs(table["score"].to_numpy(dtype="float64"))
    freshness = _freshness(table)  # on arrays; NaN-skipping sums, as pandas' were
    fresh = float(np.nansum(conviction * freshness.to_numpy()) / np.nansum(conviction))
    ladder = None if equity is None else constraints.drawdown_ladder.state(equity, reviews)
    cut: list[Binding] = []
    if fresh < 1.0:
        stale = ", ".join(f"{i} {f:.2f}" for i, f in freshness.items() if f < 1.0)
        cut.append(
            Binding("freshness", f"book freshness {fresh:.2f} ({stale}): gross × {fresh:.2f}")
        )
    if ladder is not None and ladder.cap < 1.0:
        cut.append(Binding("drawdown ladder", ladder.summary()))
    scale = fresh * (1.0 if ladder is None else ladder.cap)
    cut_weights = weights.to_numpy(dtype="float64") * scale + 0.0  # on the array: one Series
    return pd.Series(cut_weights, index=weights.index, name=weights.name), fresh, ladder, tuple(cut)
