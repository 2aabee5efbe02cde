"""Confidence intervals for a proportion k / n: Wilson score and exact Clopper-Pearson.

References:
    E. B. Wilson (1927), Probable inference, the law of succession, and statistical inference,
    *JASA* 22, 209-212.
    C. J. Clopper and E. S. Pearson (1934), The use of confidence or fiducial limits
    illustrated in the case of the binomial, *Biometrika* 26, 404-413.
    R. G. Newcombe (1998), Two-sided confidence intervals for the single proportion:
    comparison of seven methods, *Statistics in Medicine* 17, 857-872 (worked examples).

Wilson: ``(p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``; it behaves well at
k = 0 and k = n, where the Wald interval collapses. Exact: beta quantiles, conservative.

Both functions are vectorised over arrays of (k, n). Degenerate case: n = 0 -> NaN bounds.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from rubricate.calibration.stats.distributions import beta_ppf, norm_ppf

IntervalMethod = Literal["wilson", "exact"]


def _z(confidence: float) -> float:
    return float(norm_ppf(0.5 + confidence / 2))


def proportion_ci(
    k: npt.ArrayLike,
    n: npt.ArrayLike,
    *,
    confidence: float = 0.95,
    method: IntervalMethod = "wilson",
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of the proportion k / n.

    Args:
        k: successes (scalar or array).
        n: trials (same shape as ``k``, or broadcastable).
        confidence: level of the interval.
        method: ``"wilson"`` (score interval) or ``"exact"`` (Clopper-Pearson).

    Returns:
        ``(low, high)`` arrays (0-d for scalar input); NaN where n = 0.
    """
    k_arr = np.asarray(k, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    if np.any(k_arr < 0) or np.any(k_arr > n_arr):
        raise ValueError("need 0 <= k <= n")
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "wilson":
            z = _z(confidence)
            p = k_arr / n_arr
            denominator = 1 + z * z / n_arr
            centre = (p + z * z / (2 * n_arr)) / denominator
            half = z * np.sqrt(p * (1 - p) / n_arr + z * z / (4 * n_arr * n_arr)) / denominator
            low = np.where(k_arr == 0, 0.0, np.clip(centre - half, 0, 1))
            high = np.where(k_arr == n_arr, 1.0, np.clip(centre + half, 0, 1))
        elif method == "exact":
            alpha = 1 - confidence
            low = np.where(k_arr > 0, beta_ppf(alpha / 2, k_arr, n_arr - k_arr + 1), 0.0)
            high = np.where(k_arr < n_arr, beta_ppf(1 - alpha / 2, k_arr + 1, n_arr - k_arr), 1.0)
        else:
            raise ValueError(f"unknown method {method!r}; use 'wilson' or 'exact'")
    empty = n_arr == 0
    low = np.where(empty, np.nan, low)
    high = np.where(empty, np.nan, high)
    return low, high
