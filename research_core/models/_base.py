"""The regression result every linear model shares (inputs checked by ``inputs.clean_frame``).

Pandas at the edges, float64 inside: inputs are aligned on their index, rows with a
missing value are dropped (series of different lengths meet that way), and what remains
must be finite, long enough and not constant, or a :class:`ModelError` names the column.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from research_core._memo import Kind
from research_core.models._ols import OLSFit, ols_fit_rank, warn_rank_deficient
from research_core.models._reuse import array_key, fresh, frozen, reused

Labels = tuple[pd.Index, pd.Index]  # coefficient names, row index


def name_index(names: Sequence[Hashable]) -> pd.Index:
    """``pd.Index(list(names))``, built once per tuple of names and handed out as a copy
    (its own object): a string index costs about twenty times its copy, and every fit
    labels its coefficients and diagnostics with the same few names."""
    return _name_index(tuple(names)).copy()


@functools.lru_cache(maxsize=512)
def _name_index(names: tuple[Hashable, ...]) -> pd.Index:
    return pd.Index(list(names))


def labelled(values: Mapping[str, float], name: Hashable = None) -> pd.Series:
    """``pd.Series(values, dtype=float, name=name)`` of a dict of numbers, on
    :func:`name_index` (the same series)."""
    if not values:
        return pd.Series(values, dtype=float, name=name)
    data = np.array(list(values.values()), dtype=float)
    return pd.Series(data, index=name_index(list(values)), name=name)


def series_frame(series: pd.Series, name: Hashable = None) -> pd.DataFrame:
    """``series.to_frame(name)`` (``name``: the series' own when None), its values
    copied: the same frame without inferring its one column label's type (five times
    the cost of the rest, under pandas' string labels)."""
    label = series.name if name is None else name
    if label is None:
        return series.to_frame()
    column = series.to_numpy().reshape(-1, 1)
    return pd.DataFrame(column, index=series.index, columns=name_index([label]), copy=True)


class TextResult(ABC):
    """A model result that notebooks show as its :meth:`summary` text (one home for the
    HTML repr of every result in ``models``)."""

    @abstractmethod
    def summary(self) -> str:
        """The result as the text a notebook shows."""

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>"


def residual_diagnostics(resid: np.ndarray, exog: np.ndarray, *, lags: int) -> pd.Series:
    """Durbin–Watson, Ljung–Box, Jarque–Bera and Breusch–Pagan (p-values) of residuals.

    The statistics statsmodels computes (``durbin_watson``, ``acorr_ljungbox``,
    ``jarque_bera``, ``het_breuschpagan``; ``tests/models/test_residual_diagnostics.py``
    compares them), written on arrays: the wrappers cost ten times the arithmetic, and
    every regression an agent fits at every date reports them.
    """
    return labelled(_diagnostic_values(resid, exog, lags=lags), "diagnostic")


def _diagnostic_values(resid: np.ndarray, exog: np.ndarray, *, lags: int) -> dict[str, float]:
    """:func:`residual_diagnostics`' numbers by name."""
    from scipy.special import chdtrc  # the chi-square survival function of scipy.stats.chi2

    e = np.asarray(resid, dtype=float)
    n = len(e)
    lags = max(1, min(lags, n // 4))
    out = {"durbin_watson": float(np.sum(np.diff(e) ** 2) / np.sum(e**2))}
    out[f"ljung_box_p({lags})"] = float(chdtrc(lags, _ljung_box(e, lags)))
    dev = e - e.mean()
    m2, m3, m4 = (np.mean(dev**2), np.mean(dev**2 * dev), np.mean((dev**2) ** 2))
    skew, kurt = m3 / m2**1.5, m4 / m2**2
    jb = (n / 6.0) * (skew**2 + (1 / 4.0) * (kurt - 3) ** 2)
    out |= {"jarque_bera_p": float(chdtrc(2, jb)), "skew": float(skew), "kurtosis": float(kurt)}
    if exog.shape[1] > 1:
        out["breusch_pagan_p"] = _breusch_pagan_p(e, np.asarray(exog, dtype=float))
    return out


def _ljung_box(e: np.ndarray, lags: int) -> float:
    """Ljung–Box Q at ``lags``: autocorrelations of the demeaned residuals over n."""
    dev = e - e.mean()
    n = len(e)
    acov = np.array([dev.dot(dev)] + [dev[k:].dot(dev[:-k]) for k in range(1, lags + 1)]) / n
    acf = acov / acov[0]
    return float(n * (n + 2) * np.sum(acf[1:] ** 2 / (n - np.arange(1, lags + 1))))


def _breusch_pagan_p(e: np.ndarray, exog: np.ndarray) -> float:
    """Koenker's studentized Breusch–Pagan p-value: n R² of e² on the regressors."""
    from scipy.special import chdtrc

    span = exog.max(0) - exog.min(0)
    if not np.any((span == 0) & (exog.max(0) != 0)):  # statsmodels refuses: no constant
        from statsmodels.stats.diagnostic import het_breuschpagan

        return float(het_breuschpagan(e, exog)[1])
    y = e**2
    fitted_resid = y - exog @ (np.linalg.pinv(exog) @ y)
    centered = y - y.mean()
    r2 = 1 - fitted_resid.dot(fitted_resid) / centered.dot(centered)
    return float(chdtrc(exog.shape[1] - 1, len(y) * r2))


class _Labelled:
    """A :class:`Regression`'s array as a series, named by its labels (``axis`` 0: the
    coefficients, 1: the rows) when first read, then kept on the instance."""

    def __init__(self, attr: str, axis: int) -> None:
        self.attr, self.axis = attr, axis

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, reg: Regression | None, owner: type | None = None) -> pd.Series:
        if reg is None:  # read on the class: a fit's number, not the class's
            raise AttributeError(f"{self.name} is read on a fitted Regression")
        series = pd.Series(getattr(reg.fit, self.attr), index=reg.labels[self.axis])
        reg.__dict__[self.name] = series  # read from the instance from now on
        return series


@dataclass(frozen=True, eq=False)
class Regression(TextResult):
    """An OLS fit as a PM reads it: coefficients with inference, fit and residual tests.

    The coefficient, residual and covariance series are labelled when first read (most
    fits an agent makes at a date are only summarised): the same series as before."""

    name: str
    rsquared: float
    rsquared_adj: float
    nobs: int
    sigma: float
    cov_type: str
    diagnostics: pd.Series
    fit: OLSFit = field(repr=False)
    labels: Labels = field(repr=False)  # coefficient names, row index

    params = _Labelled("params", 0)
    bse = _Labelled("bse", 0)
    tvalues = _Labelled("tvalues", 0)
    pvalues = _Labelled("pvalues", 0)
    resid = _Labelled("resid", 1)
    fitted = _Labelled("fittedvalues", 1)

    @functools.cached_property
    def cov_params(self) -> pd.DataFrame:
        names = self.labels[0]
        return pd.DataFrame(self.fit.cov_params, index=names, columns=names)

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient: coef, std_err, t, p (one block, a row per column: the
        layout of the dict-of-columns frame, without its alignment)."""
        f = self.fit
        block = np.vstack([f.params, f.bse, f.tvalues, f.pvalues])
        return pd.DataFrame(block.T, index=self.labels[0], columns=name_index(TABLE), copy=False)

    def summary(self) -> str:
        head = (
            f"{self.name}: n={self.nobs}, R²={self.rsquared:.3f} (adj {self.rsquared_adj:.3f}), "
            f"σ={self.sigma:.4g}, errors {self.cov_type}"
        )
        diag = ", ".join(f"{k}={v:.3g}" for k, v in self.diagnostics.items())
        return f"{head}\n{self.to_frame().round(4).to_string()}\nresiduals: {diag}"


def ols(
    name: str, y: pd.Series, x: pd.DataFrame, *, hac_lags: int = 0, constant: bool = True
) -> Regression:
    """OLS of ``y`` on ``x`` (plus a constant), HAC (Newey–West) errors when ``hac_lags``."""
    columns = cast(list[str], list(x.columns))  # labels as given, as statsmodels keeps them
    exog = x.to_numpy(dtype=float)
    return ols_arrays(name, y.to_numpy(dtype=float), exog, columns, y.index, hac_lags, constant)


def ols_arrays(
    name: str,
    y: np.ndarray,
    x: np.ndarray,
    columns: list[str],
    index: pd.Index,
    hac_lags: int = 0,
    constant: bool = True,
) -> Regression:
    """:func:`ols` on arrays: ``x``'s columns named by ``columns``, rows by ``index``.

    The fit is statsmodels' ``OLS(y, x).fit()`` (HAC: ``cov_type="HAC"``) computed on
    arrays by :func:`research_core.models._ols.ols_fit`, the same numbers bit for bit (the
    tests compare), labelled here as statsmodels' pandas wrapper would."""
    names = columns
    if constant:  # statsmodels' add_constant(x, has_constant="add"), without its checks
        x, names = np.column_stack([np.ones(len(x)), x]), ["const", *columns]
    x = np.asfortranarray(x)  # the layout a frame hands statsmodels: the same sums, bit for bit
    lags = max(hac_lags, 4)
    key = (array_key(y), array_key(x), hac_lags, lags)
    res, diagnostics, full_rank = reused(FITS, key, lambda: _kept_fit(y, x, hac_lags, lags))
    if not full_rank:
        warn_rank_deficient(stacklevel=2)
    return Regression(
        name=name,
        rsquared=res.rsquared,
        rsquared_adj=res.rsquared_adj,
        nobs=int(res.nobs),
        sigma=float(np.sqrt(res.scale)),
        cov_type=res.cov_type,
        diagnostics=labelled(dict(diagnostics), "diagnostic"),
        fit=_own(res),
        labels=(name_index(names), index),
    )


TABLE = ("coef", "std_err", "t", "p")
FITS: Kind[tuple[OLSFit, tuple[tuple[str, float], ...], bool]] = Kind("OLS fits", 64)


def _kept_fit(
    y: np.ndarray, x: np.ndarray, hac_lags: int, lags: int
) -> tuple[OLSFit, tuple[tuple[str, float], ...], bool]:
    """The fit (its arrays read-only), its residual diagnostics and whether ``x`` had full
    rank: what :func:`ols_arrays` keeps per content of ``y``, ``x`` and the lags."""
    res, full_rank = ols_fit_rank(y, x, hac_lags or None)
    diagnostics = tuple(_diagnostic_values(res.resid, x, lags=lags).items())
    return _each_array(res, frozen), diagnostics, full_rank


def _own(res: OLSFit) -> OLSFit:
    """A kept fit with its own writable arrays (what a caller does with them stays there)."""
    return _each_array(res, fresh)


def _each_array(res: OLSFit, how: Callable[[np.ndarray], np.ndarray]) -> OLSFit:
    """``res`` with ``how`` applied to each of its arrays."""
    return OLSFit(
        how(res.params),
        how(res.bse),
        how(res.tvalues),
        how(res.pvalues),
        how(res.resid),
        how(res.fittedvalues),
        how(res.cov_params),
        res.rsquared,
        res.rsquared_adj,
        res.nobs,
        res.scale,
        res.cov_type,
    )
