"""Regimes: a 4-state macro HMM (growth × inflation) and a 2-state risk-on/off HMM.

Both are Gaussian HMMs (hmmlearn, full covariance, fixed seed so a refit on the same data
gives the same answer). Macro states are labelled from their fitted means by matching them
one-to-one to the quadrants (growth up/down × inflation up/down) — Goldilocks, Reflation,
Stagflation, Deflation; risk states by their volatility (risk-off is the more volatile).
When the history is shorter than ``min_obs`` the HMM is not identified; the documented
fallback classifies each period by rule (the signs of the z-scores; risk-off when trailing
volatility is above its median) and says so in ``method``.

A fit is expensive (EM from a fixed start, up to ``n_iter`` iterations); filtering is not.
Each function returns the fitted parameters with the result (``result.fit``: the HMM,
how its inputs were scaled and labelled), and given a ``fit`` from an earlier sample it
does not refit: it scales the new sample the way the fit's sample was scaled and runs the
forward-backward pass with the fitted parameters (the last row's probabilities are the
filtered ones, earlier rows smoothed). Callers choose when to refit (the cross-asset agent:
once a year).
Reference: Hamilton (1989), Econometrica 57(2); Ang and Bekaert (2002), RFS 15(4).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from hmmlearn import _hmmc  # the forward and backward passes score_samples runs
from hmmlearn.hmm import GaussianHMM
from scipy.optimize import linear_sum_assignment

from research_core.models._base import TextResult, name_index
from research_core.models.inputs import clean_frame, complete_columns
from research_core.models.scores import standardize

MACRO_STATES = ("Goldilocks", "Reflation", "Stagflation", "Deflation")
RISK_STATES = ("risk_on", "risk_off")
_QUADRANT_SIGNS = np.array([[1, -1], [1, 1], [-1, 1], [-1, -1]])  # (growth, inflation)


@dataclass(frozen=True, eq=False)
class RegimeFit:
    """A fitted regime HMM: its parameters, the state behind each label, and how the
    sample it was fitted on was scaled (``(x - center) / scale``), to filter later data."""

    hmm: GaussianHMM = field(repr=False)
    order: np.ndarray  # order[k] = the HMM state labelled k
    center: np.ndarray  # per feature
    scale: np.ndarray  # per feature
    through: pd.Timestamp  # last period of the sample it was fitted on
    nobs: int

    def filter(self, data: pd.DataFrame) -> tuple[np.ndarray, float]:
        """Labelled state probabilities of ``data`` (scaled as the fit's sample was) and
        its log-likelihood under the fitted parameters."""
        x = (data.to_numpy() - self.center) / self.scale
        return _forward_backward(self.hmm, x, self.order)


@dataclass(frozen=True, eq=False)
class RegimeResult(TextResult):
    """State probabilities over time, labelled means, transition matrix and the method."""

    method: str  # "hmm" or "rule"
    probabilities: pd.DataFrame = field(repr=False)  # index dates, columns labels
    means: pd.DataFrame  # labels x features (z-score or return units)
    transmat: pd.DataFrame  # from (rows) -> to (columns)
    loglik: float
    converged: bool
    fit: RegimeFit | None = field(default=None, repr=False)  # the parameters ("hmm" only)

    @property
    def refitted(self) -> bool:
        """Whether the HMM was fitted on this sample (else filtered with an earlier fit)."""
        return self.fit is not None and self.fit.through == self.probabilities.index[-1]

    @property
    def current(self) -> str:
        """The most likely state of the last period (the first of equals)."""
        return str(self.probabilities.columns[int(np.nanargmax(self.probabilities.to_numpy()[-1]))])

    @property
    def current_probability(self) -> float:
        return float(np.nanmax(self.probabilities.to_numpy()[-1]))

    @property
    def expected_duration(self) -> pd.Series:
        """Expected periods in each state: 1 / (1 - p_ii)."""
        stay = pd.Series(np.diag(self.transmat.to_numpy()), index=self.transmat.index)
        return 1 / (1 - stay.clip(upper=1 - 1e-9))

    def duration(self, state: str) -> float:
        """:attr:`expected_duration` of one state, without the Series of all of them."""
        k = self.transmat.index.get_loc(state)
        stay = float(self.transmat.to_numpy()[k, k])
        return 1 / (1 - min(stay, 1 - 1e-9))

    def to_frame(self) -> pd.DataFrame:
        return self.probabilities

    def summary(self) -> str:
        return (
            f"regime ({self.method}): {self.current} with p={self.current_probability:.2f}\n"
            f"means:\n{self.means.round(2).to_string()}\n"
            f"transition matrix:\n{self.transmat.round(3).to_string()}"
        )


def _fit_hmm(x: np.ndarray, n_states: int, seed: int, n_iter: int) -> GaussianHMM:
    hmm = GaussianHMM(
        n_components=n_states, covariance_type="full", n_iter=n_iter, random_state=seed, tol=1e-4
    )
    log = logging.getLogger("hmmlearn")
    level = log.level
    log.setLevel(logging.ERROR)  # hmmlearn's own convergence chatter; results report it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hmm.fit(x)
    finally:
        log.setLevel(level)
    return hmm


def _forward_backward(
    hmm: GaussianHMM, x: np.ndarray, order: np.ndarray
) -> tuple[np.ndarray, float]:
    """State probabilities of ``x`` (columns in ``order``) and its log-likelihood, from one
    forward-backward pass (``predict_proba`` and ``score`` would each run the forward one).

    hmmlearn's ``score_samples`` for one sequence (its "log" implementation, the same
    operations), without re-validating the fitted parameters and the input at every call
    (they were checked when fitted; about a third of a filter's cost): a non-finite ``x``
    still goes through ``score_samples``, which refuses it as before."""
    if hmm.implementation != "log" or not np.isfinite(x).all():
        loglik, probs = hmm.score_samples(x)
        return probs[:, order], float(loglik)
    frames = hmm._compute_log_likelihood(x)
    loglik, fwd = _hmmc.forward_log(hmm.startprob_, hmm.transmat_, frames)
    bwd = _hmmc.backward_log(hmm.startprob_, hmm.transmat_, frames)
    probs = hmm._compute_posteriors_log(fwd, bwd)
    return probs[:, order], float(loglik)


def _empirical_transmat(states: np.ndarray, n: int) -> np.ndarray:
    counts = np.ones((n, n))  # Laplace smoothing: a state never left still has a row
    np.add.at(counts, (states[:-1], states[1:]), 1)
    return counts / counts.sum(axis=1, keepdims=True)


def _rule_result(states: np.ndarray, means: pd.DataFrame, index: pd.Index) -> RegimeResult:
    """The rule fallback: one-hot probabilities of ``states``, empirical transitions."""
    labels, k = list(means.index), len(means)
    return RegimeResult(
        "rule",
        pd.DataFrame(np.eye(k)[states], index=index, columns=labels),
        means,
        pd.DataFrame(_empirical_transmat(states, k), index=labels, columns=labels),
        float("nan"),
        True,
    )


def _hmm_result(
    hmm: GaussianHMM, x: np.ndarray, index: pd.Index, means: pd.DataFrame, fit: RegimeFit
) -> RegimeResult:
    """A fitted HMM's result, its states put in ``fit.order`` (the labels of ``means``)."""
    labels, order = list(means.index), fit.order
    probs, loglik = _forward_backward(hmm, x, order)
    return RegimeResult(
        "hmm",
        pd.DataFrame(probs, index=index, columns=labels),
        means,
        pd.DataFrame(hmm.transmat_[np.ix_(order, order)], index=labels, columns=labels),
        loglik,
        bool(hmm.monitor_.converged),
        fit,
    )


def _filtered(fit: RegimeFit, data: pd.DataFrame, labels: list[str], units: str) -> RegimeResult:
    """``data`` through an earlier ``fit`` (see the module docstring)."""
    probs, loglik = fit.filter(data)
    hmm, order = fit.hmm, fit.order
    means = hmm.means_[order] * (fit.scale if units == "data" else 1.0)
    names = name_index(labels)  # one string index for the three frames' labels (copied)
    return RegimeResult(
        "hmm",
        pd.DataFrame(probs, index=data.index, columns=names),
        pd.DataFrame(means, index=names.copy(), columns=data.columns),
        pd.DataFrame(hmm.transmat_[np.ix_(order, order)], index=names.copy(), columns=names.copy()),
        loglik,
        bool(hmm.monitor_.converged),
        fit,
    )


def macro_regimes(
    growth: pd.Series,
    inflation: pd.Series,
    *,
    min_obs: int = 60,
    n_iter: int = 200,
    seed: int = 0,
    fit: RegimeFit | None = None,
) -> RegimeResult:
    """Four growth/inflation regimes from two series (any units; they are z-scored);
    ``fit``: filter with an earlier result's fit instead of refitting (module docstring)."""
    index, cols = complete_columns(
        {"growth": growth, "inflation": inflation}, model="macro_regimes", min_obs=12
    )
    data = pd.DataFrame(cols, index=index)
    labels = list(MACRO_STATES)
    if fit is not None:
        return _filtered(fit, data, labels, units="z")
    z = standardize(data)
    x = z.to_numpy()
    if len(z) < min_obs:
        quadrant = {(1, -1): 0, (1, 1): 1, (-1, 1): 2, (-1, -1): 3}
        signs = np.where(x >= 0, 1, -1)
        states = np.array([quadrant[(int(g), int(p))] for g, p in signs])
        means = pd.DataFrame(_QUADRANT_SIGNS.astype(float), index=labels, columns=z.columns)
        return _rule_result(states, means, z.index)
    hmm = _fit_hmm(x, 4, seed, n_iter)
    score = hmm.means_ @ _QUADRANT_SIGNS.T  # state i x quadrant q
    rows, cols = linear_sum_assignment(-score)
    order = rows[np.argsort(cols)]  # order[q] = the state labelled as quadrant q
    center, scale = data.mean().to_numpy(), data.std().to_numpy()  # as standardize scales
    means = pd.DataFrame(hmm.means_[order], index=labels, columns=z.columns)
    fitted = RegimeFit(hmm, order, center, scale, data.index[-1], len(data))
    return _hmm_result(hmm, x, z.index, means, fitted)


def risk_regimes(
    returns: pd.DataFrame,
    *,
    min_obs: int = 104,
    vol_window: int = 13,
    n_iter: int = 200,
    seed: int = 0,
    fit: RegimeFit | None = None,
) -> RegimeResult:
    """Risk-on/off from market returns (e.g. weekly): risk-off is the volatile state;
    ``fit``: filter with an earlier result's fit instead of refitting (module docstring)."""
    data = clean_frame(returns, model="risk_regimes", min_obs=vol_window + 2)
    labels = list(RISK_STATES)
    if fit is not None:
        return _filtered(fit, data, labels, units="data")
    if len(data) < min_obs:
        vol = data.iloc[:, 0].rolling(vol_window, min_periods=2).std().bfill()
        states = (vol > vol.median()).astype(int).to_numpy()
        means = pd.DataFrame(
            [data[states == s].mean() if (states == s).any() else data.mean() for s in (0, 1)],
            index=labels,
        )
        return _rule_result(states, means, data.index)
    scale = data.std()
    x = (data / scale).to_numpy()
    hmm = _fit_hmm(x, 2, seed, n_iter)
    calm = int(np.argmin([np.trace(c) for c in hmm.covars_]))
    order = np.array([calm, 1 - calm])
    means = pd.DataFrame(hmm.means_[order] * scale.to_numpy(), index=labels, columns=data.columns)
    fitted = RegimeFit(
        hmm, order, np.zeros(len(scale)), scale.to_numpy(), data.index[-1], len(data)
    )
    return _hmm_result(hmm, x, data.index, means, fitted)
