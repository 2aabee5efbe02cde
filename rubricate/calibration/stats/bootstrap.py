"""Bootstrap confidence intervals (percentile and BCa), resampling whole clusters.

References:
    B. Efron (1987), Better bootstrap confidence intervals, *JASA* 82, 171-185 (BCa).
    B. Efron and R. J. Tibshirani (1993), *An Introduction to the Bootstrap*, ch. 13-14
    (percentile and BCa intervals; the jackknife estimate of the acceleration, eq. 14.15).
    A. C. Davison and D. V. Hinkley (1997), *Bootstrap Methods and their Application*,
    section 3.8 (clustered data: resample whole clusters).

Clusters: the repeats of one answer are not independent draws, so they are resampled as a
unit (the whole cluster or nothing). Without ``clusters`` every observation is its own cluster.

BCa: the bias correction ``z0 = Phi^-1(share of replicates below the estimate)`` (ties count
half) and the acceleration from the leave-one-cluster-out jackknife
``a = sum d^3 / (6 (sum d^2)^1.5)``, ``d = mean(theta_(.)) - theta_(i)``.
Percentile: quantiles of the replicates (linear interpolation).

Randomness: pass ``seed`` (an int, for reproducible intervals) or a ``numpy.random.Generator``
(to share one stream); never numpy's global state. The same seed gives the same interval.

Degenerate cases: no observations -> NaN estimate and bounds; a single cluster (nothing to
resample) -> the estimate with NaN bounds; replicates with no spread -> both bounds equal the
estimate. Replicates where the statistic is NaN are dropped; if more than half are NaN the
bounds are NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from rubricate.calibration.stats.distributions import norm_cdf, norm_ppf

Seed = int | np.random.Generator | None
CIMethod = Literal["percentile", "bca"]

_MAX_BLOCK = 4_000_000
"""Largest (resamples x clusters) block the vectorised mean allocates at once."""


@dataclass(frozen=True)
class BootstrapCI:
    """A point estimate with its bootstrap confidence interval.

    Attributes:
        estimate: the statistic on the original data.
        low, high: the interval bounds.
        confidence: the level (0.95 = 95 %).
        method: ``"percentile"`` or ``"bca"``.
        n_resamples: bootstrap replicates drawn.
        n_clusters: clusters resampled (observations when unclustered).
    """

    estimate: float
    low: float
    high: float
    confidence: float
    method: str
    n_resamples: int
    n_clusters: int

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for JSON reports."""
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
            "method": self.method,
            "n_resamples": self.n_resamples,
            "n_clusters": self.n_clusters,
        }


def rng_from(seed: Seed) -> np.random.Generator:
    """A Generator from an int seed, an existing Generator (returned as is) or None (fresh)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _cluster_codes(n: int, clusters: npt.ArrayLike | None) -> tuple[np.ndarray, int]:
    if clusters is None:
        return np.arange(n), n
    labels = np.asarray(clusters)
    if labels.shape != (n,):
        raise ValueError(f"clusters must have one label per observation ({n}), got {labels.shape}")
    # Deferred: pandas factorizes any hashable labels quickly.
    import pandas as pd

    codes, uniques = pd.factorize(labels, use_na_sentinel=False)
    return codes, len(uniques)


def _interval(
    estimate: float,
    replicates: np.ndarray,
    jackknife: np.ndarray | None,
    confidence: float,
    method: CIMethod,
) -> tuple[float, float]:
    replicates = replicates[~np.isnan(replicates)]
    if replicates.size == 0 or np.isnan(estimate):
        return float("nan"), float("nan")
    if np.all(replicates == replicates[0]):
        return estimate, estimate
    alpha = 1 - confidence
    quantiles = np.array([alpha / 2, 1 - alpha / 2])
    if method == "bca":
        below = np.mean(replicates < estimate) + 0.5 * np.mean(replicates == estimate)
        z0 = norm_ppf(np.clip(below, 1e-12, 1 - 1e-12))
        jack = jackknife[~np.isnan(jackknife)] if jackknife is not None else np.array([])
        d = jack.mean() - jack if jack.size else np.array([0.0])
        denominator = 6.0 * float(np.sum(d * d)) ** 1.5
        accel = float(np.sum(d**3)) / denominator if denominator > 0 else 0.0
        z = norm_ppf(quantiles)
        quantiles = norm_cdf(z0 + (z0 + z) / (1 - accel * (z0 + z)))
    elif method != "percentile":
        raise ValueError(f"unknown method {method!r}; use 'percentile' or 'bca'")
    low, high = np.quantile(replicates, quantiles)
    return float(low), float(high)


def bootstrap_mean_ci(
    values: npt.ArrayLike,
    *,
    clusters: npt.ArrayLike | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    method: CIMethod = "bca",
    seed: Seed = 0,
) -> BootstrapCI:
    """Bootstrap interval of the mean, resampling whole clusters; fully vectorised.

    Each replicate is the mean of every observation in the resampled clusters (clusters of
    different sizes weigh by their size, as pooling the observations does).

    Args:
        values: the observations; NaN values are ignored.
        clusters: a cluster label per observation (e.g. the answer id of each repeat).
        confidence: level of the interval.
        n_resamples: bootstrap replicates.
        method: ``"bca"`` (default) or ``"percentile"``.
        seed: int seed or Generator.

    Returns:
        A :class:`BootstrapCI`; see the module docstring for degenerate cases.
    """
    x = np.asarray(values, dtype=float)
    return bootstrap_ratio_ci(
        x,
        np.ones_like(x),
        clusters=clusters,
        confidence=confidence,
        n_resamples=n_resamples,
        method=method,
        seed=seed,
    )


def bootstrap_ratio_ci(
    numerator: npt.ArrayLike,
    denominator: npt.ArrayLike,
    *,
    clusters: npt.ArrayLike | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    method: CIMethod = "bca",
    seed: Seed = 0,
) -> BootstrapCI:
    """Bootstrap interval of a ratio of sums, ``sum(numerator) / sum(denominator)``.

    A mean is the ratio with denominators 1; a pooled rate (e.g. disagreeing pairs / pairs) is
    another. Whole clusters are resampled; fully vectorised.

    Args:
        numerator, denominator: one pair per observation; observations with a NaN are ignored.
        clusters: a cluster label per observation.
        confidence, n_resamples, method, seed: as for :func:`bootstrap_mean_ci`.

    Returns:
        A :class:`BootstrapCI`; the estimate is NaN when the denominators sum to 0.
    """
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    if num.shape != den.shape or num.ndim != 1:
        raise ValueError("numerator and denominator must be 1-D and the same length")
    codes, _ = _cluster_codes(num.size, clusters)
    keep = ~(np.isnan(num) | np.isnan(den))
    num, den, codes = num[keep], den[keep], codes[keep]
    nan = float("nan")
    if num.size == 0 or den.sum() == 0:
        return BootstrapCI(nan, nan, nan, confidence, method, 0, 0)
    used, codes = np.unique(codes, return_inverse=True)
    n_clusters = used.size
    sums = np.bincount(codes, weights=num)
    sizes = np.bincount(codes, weights=den)
    estimate = float(sums.sum() / sizes.sum())
    if n_clusters < 2:
        return BootstrapCI(estimate, nan, nan, confidence, method, 0, 1)
    rng = rng_from(seed)
    replicates = np.empty(n_resamples)
    block = max(1, _MAX_BLOCK // n_clusters)
    with np.errstate(invalid="ignore", divide="ignore"):
        for start in range(0, n_resamples, block):  # blocks of replicates, bounded memory
            stop = min(start + block, n_resamples)
            draw = rng.integers(0, n_clusters, size=(stop - start, n_clusters))
            replicates[start:stop] = sums[draw].sum(axis=1) / sizes[draw].sum(axis=1)
        jackknife = (sums.sum() - sums) / (sizes.sum() - sizes)
    low, high = _interval(estimate, replicates, jackknife, confidence, method)
    return BootstrapCI(estimate, low, high, confidence, method, n_resamples, n_clusters)


def bootstrap_ci(
    data: Any,
    statistic: Callable[[Any], float],
    *,
    clusters: npt.ArrayLike | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    method: CIMethod = "bca",
    seed: Seed = 0,
) -> BootstrapCI:
    """Bootstrap interval of any statistic, resampling whole clusters of rows.

    The statistic is called once per replicate (and once per cluster for the BCa jackknife)
    on the resampled rows: use :func:`bootstrap_mean_ci` for means, which is vectorised.

    Args:
        data: a numpy array (rows on axis 0) or a pandas DataFrame/Series (rows by position).
        statistic: maps resampled ``data`` to a float; NaN is allowed for unlucky resamples.
        clusters: a cluster label per row; rows of one cluster are resampled together.
        confidence: level of the interval.
        n_resamples: bootstrap replicates.
        method: ``"bca"`` (default) or ``"percentile"``.
        seed: int seed or Generator.

    Returns:
        A :class:`BootstrapCI`; see the module docstring for degenerate cases.
    """
    take = data.iloc.__getitem__ if hasattr(data, "iloc") else np.asarray(data).__getitem__
    n_rows = len(data)
    if n_rows == 0:
        return BootstrapCI(float("nan"), float("nan"), float("nan"), confidence, method, 0, 0)
    codes, n_clusters = _cluster_codes(n_rows, clusters)
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=n_clusters)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    estimate = float(statistic(data))
    if n_clusters < 2:
        return BootstrapCI(estimate, float("nan"), float("nan"), confidence, method, 0, 1)
    rng = rng_from(seed)

    def rows_of(chosen: np.ndarray) -> np.ndarray:
        lengths = sizes[chosen]
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return order[np.repeat(starts[chosen], lengths) + offsets]

    draws = rng.integers(0, n_clusters, size=(n_resamples, n_clusters))
    replicates = np.array([statistic(take(rows_of(draw))) for draw in draws], dtype=float)
    if np.mean(np.isnan(replicates)) > 0.5:
        return BootstrapCI(
            estimate, float("nan"), float("nan"), confidence, method, n_resamples, n_clusters
        )
    jackknife = None
    if method == "bca":
        everything = np.arange(n_clusters)
        jackknife = np.array(
            [statistic(take(rows_of(np.delete(everything, i)))) for i in range(n_clusters)],
            dtype=float,
        )
    low, high = _interval(estimate, replicates, jackknife, confidence, method)
    return BootstrapCI(estimate, low, high, confidence, method, n_resamples, n_clusters)
