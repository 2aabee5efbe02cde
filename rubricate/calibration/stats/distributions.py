"""The distribution functions the statistics use, from ``scipy.special``, not ``scipy.stats``.

``scipy.stats`` takes ~0.7 s of CPU to import (scipy 1.17: its distributions, and the
docstrings its array-API decorators parse), ``scipy.special`` ~0.26 s: more than the
statistics of a calibration report take to compute. These are the functions ``scipy.stats``
itself computes the quantiles and tails with (``norm.ppf`` is ``ndtri``, ``norm.cdf`` ``ndtr``,
``t.ppf`` ``stdtrit``, ``f.ppf`` ``fdtri``, ``f.sf`` ``fdtrc``; ``beta.ppf`` gives what
``betaincinv`` gives, both Boost's inverse incomplete beta), so the values are the same to the
last bit (the golden reports, ``tests/data/report_golden``, are unchanged byte for byte). Where
``scipy.stats`` answers without its special function (a quantile at 0 or 1 is the end of the
support, an F tail below its support is 1) these do the same; ``tests/calibration/
test_distributions.py`` holds every function to ``scipy.stats`` inside, at the ends of and
outside the support.
``scipy.stats`` is still imported where its tests are needed (the correlations with the
experts, :mod:`.correlation`).

Each function imports ``scipy.special`` when first called: a run that reports nothing never
loads it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


def norm_ppf(q: npt.ArrayLike) -> Any:
    """Quantile of the standard normal (``scipy.stats.norm.ppf``)."""
    from scipy.special import ndtri

    return ndtri(np.asarray(q, dtype=float))


def norm_cdf(x: npt.ArrayLike) -> Any:
    """Distribution function of the standard normal (``scipy.stats.norm.cdf``)."""
    from scipy.special import ndtr

    return ndtr(np.asarray(x, dtype=float))


def _at_the_ends(
    q: npt.ArrayLike, value: Any, low: float, high: float, valid: npt.ArrayLike = True
) -> Any:
    """``value`` with the ends of the support where ``q`` is 0 or 1 (and the parameters are
    ``valid``), as ``scipy.stats``'s ``ppf`` gives them whatever its special function says
    there (``stdtrit(df, 0)`` is +inf)."""
    q_arr = np.asarray(q, dtype=float)
    ends = np.where(q_arr == 0, low, np.where(q_arr == 1, high, value))
    result = np.where(valid, ends, value)
    return result if result.ndim else float(result)


def t_ppf(q: npt.ArrayLike, df: npt.ArrayLike) -> Any:
    """Quantile of Student's t with ``df`` degrees of freedom (``scipy.stats.t.ppf``)."""
    from scipy.special import stdtrit

    df_arr, q_arr = np.asarray(df, dtype=float), np.asarray(q, dtype=float)
    with np.errstate(invalid="ignore"):
        valid = df_arr > 0
    return _at_the_ends(q_arr, stdtrit(df_arr, q_arr), -np.inf, np.inf, valid)


def beta_ppf(q: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike) -> Any:
    """Quantile of Beta(a, b) (``scipy.stats.beta.ppf``); NaN where ``a`` or ``b`` is not
    positive, as scipy.stats gives."""
    from scipy.special import betaincinv

    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):
        value = betaincinv(a_arr, b_arr, np.asarray(q, dtype=float))
    return np.where((a_arr > 0) & (b_arr > 0), value, np.nan)


def f_ppf(q: float, dfn: float, dfd: float) -> float:
    """Quantile of F(dfn, dfd) (``scipy.stats.f.ppf``)."""
    from scipy.special import fdtri

    if dfn > 0 and dfd > 0:  # NaN compares False: NaN degrees of freedom give NaN below
        return float(_at_the_ends(q, fdtri(dfn, dfd, q), 0.0, np.inf))
    return float(fdtri(dfn, dfd, q))


def f_sf(x: float, dfn: float, dfd: float) -> float:
    """Upper tail of F(dfn, dfd) at ``x`` (``scipy.stats.f.sf``)."""
    from scipy.special import fdtrc

    if dfn > 0 and dfd > 0 and x <= 0:  # at or below the support: all of it lies above
        return 1.0
    return float(fdtrc(dfn, dfd, x))


def average_ranks(values: npt.ArrayLike) -> np.ndarray:
    """Ranks from 1, ties given the mean of their ranks (``scipy.stats.rankdata``'s default:
    all NaN when a value is NaN)."""
    import pandas as pd

    array = np.asarray(values, dtype=float).ravel()
    if np.isnan(array).any():
        return np.full(array.shape, np.nan)
    return pd.Series(array).rank(method="average").to_numpy(dtype=float)
