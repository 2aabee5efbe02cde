"""Correlations: Spearman, Kendall tau-b and Pearson (scipy), and mean pairwise Spearman.

References: C. Spearman (1904); M. G. Kendall (1945), The treatment of ties in ranking
problems, *Biometrika* 33(3), 239-251 (tau-b); K. Pearson (1896). The numbers come from
``scipy.stats.spearmanr``, ``scipy.stats.kendalltau`` (``variant="b"``) and
``scipy.stats.pearsonr``.

Every function drops pairs with a missing side (pairwise-complete observations). Degenerate
cases: fewer than 2 complete pairs, or a side with no variance (correlation is 0/0) -> NaN,
without the warning scipy would raise.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

Method = Literal["spearman", "kendall", "pearson"]


def _complete_pairs(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray] | None:
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"x and y must be 1-D and the same length, got {a.shape} and {b.shape}")
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    if a.size < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return None
    return a, b


def correlation(x: npt.ArrayLike, y: npt.ArrayLike, method: Method = "spearman") -> float:
    """One correlation coefficient between two equal-length vectors (NaN = missing).

    Args:
        x, y: the paired observations.
        method: ``"spearman"`` (rank), ``"kendall"`` (tau-b, ties corrected) or ``"pearson"``.

    Returns:
        The coefficient in [-1, 1]; NaN with fewer than 2 complete pairs or a constant side.
    """
    pairs = _complete_pairs(x, y)
    if pairs is None:
        return float("nan")
    a, b = pairs
    # Deferred: scipy.stats is slow to import.
    from scipy import stats

    if method == "spearman":
        return float(stats.spearmanr(a, b).statistic)
    if method == "kendall":
        return float(stats.kendalltau(a, b, variant="b").statistic)
    if method == "pearson":
        return float(stats.pearsonr(a, b).statistic)
    raise ValueError(f"unknown method {method!r}; use spearman, kendall or pearson")


def spearman(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Spearman's rank correlation (see :func:`correlation`)."""
    return correlation(x, y, "spearman")


def kendall_tau_b(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Kendall's tau-b, corrected for ties (see :func:`correlation`)."""
    return correlation(x, y, "kendall")


def pearson(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Pearson's product-moment correlation (see :func:`correlation`)."""
    return correlation(x, y, "pearson")


def pairwise_spearman(ratings: npt.ArrayLike, *, min_overlap: int = 3) -> np.ndarray:
    """Spearman correlation of every pair of raters (columns), on the units both rated.

    Ranks are recomputed on each pair's common units (pandas' ``DataFrame.corr(method=
    "spearman", min_periods=...)``, compiled code, no Python loop over pairs or units).

    Args:
        ratings: one row per unit, one column per rater; NaN = missing.
        min_overlap: pairs sharing fewer units than this get NaN.

    Returns:
        A symmetric raters x raters matrix with 1.0 on the diagonal (NaN for raters with no
        variance on the shared units, or too little overlap).
    """
    # Deferred: pandas is heavy and only needed here.
    import pandas as pd

    matrix = np.asarray(ratings, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"ratings must be a 2-D units x raters matrix, got {matrix.shape}")
    frame = pd.DataFrame(matrix)
    with np.errstate(invalid="ignore", divide="ignore"):
        return frame.corr(method="spearman", min_periods=max(min_overlap, 2)).to_numpy()


def mean_pairwise_spearman(ratings: npt.ArrayLike, *, min_overlap: int = 3) -> float:
    """Mean of the Spearman correlations over rater pairs where it is defined.

    Args:
        ratings: one row per unit, one column per rater; NaN = missing.
        min_overlap: pairs that share fewer units are left out of the mean.

    Returns:
        The mean over defined pairs; NaN when no pair is defined (fewer than 2 raters, too
        little overlap, or no variance).
    """
    corr = pairwise_spearman(ratings, min_overlap=min_overlap)
    upper = corr[np.triu_indices(corr.shape[0], k=1)]
    upper = upper[~np.isnan(upper)]
    return float(upper.mean()) if upper.size else float("nan")
