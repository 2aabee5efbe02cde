"""Cohen's kappa (unweighted, linear, quadratic) for two raters; Fleiss' kappa for many.

References:
    J. Cohen (1960), A coefficient of agreement for nominal scales, *Educational and
    Psychological Measurement* 20, 37-46 (unweighted kappa).
    J. Cohen (1968), Weighted kappa, *Psychological Bulletin* 70(4), 213-220.
    J. L. Fleiss (1971), Measuring nominal scale agreement among many raters, *Psychological
    Bulletin* 76(5), 378-382.
    K. L. Gwet (2014), *Handbook of Inter-Rater Reliability*, 4th ed., ch. 2 (Fleiss' kappa
    when units have different numbers of ratings).

Cohen's kappa from the K x K table of proportions ``p`` (rows: rater a, columns: rater b)::

    kappa_w = 1 - sum(w * p) / sum(w * outer(p_a, p_b))

with disagreement weights ``w_ij`` = ``[i != j]`` (unweighted), ``|i - j| / (K - 1)`` (linear)
or ``((i - j) / (K - 1)) ** 2`` (quadratic); i, j are *positions in the ordered category list*
(by default the sorted union of the values both raters used, as R's ``irr::kappa2`` and
scikit-learn do; pass ``categories`` to weight by the full scale, e.g. a level nobody used).

Fleiss' kappa from per-unit category counts ``n_ij``::

    P_i = sum_j n_ij (n_ij - 1) / (n_i (n_i - 1))      agreement within unit i
    p_j = mean_i (n_ij / n_i)                           share of category j
    kappa = (mean_i P_i - sum_j p_j**2) / (1 - sum_j p_j**2)

over the units with at least two ratings. With the same number of ratings per unit this is
exactly Fleiss (1971); with varying numbers it is Gwet's (2014) generalisation.

Degenerate cases: no pair (Cohen) or no unit with two ratings (Fleiss) -> NaN; chance
disagreement 0 (both raters, or all raters, used a single category) -> NaN (kappa is 0/0).
Missing ratings (NaN / None) are dropped pairwise (Cohen) or per unit (Fleiss).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

Weights = Literal["linear", "quadratic"] | None


def _codes(values: np.ndarray, categories: npt.ArrayLike | None) -> tuple[np.ndarray, int]:
    """Integer codes in the order of ``categories`` (default: sorted distinct values)."""
    if categories is None:
        cats, codes = np.unique(values, return_inverse=True)
        return codes.ravel(), cats.size
    cats = np.asarray(categories)
    order = np.argsort(cats, kind="stable")
    positions = np.searchsorted(cats[order], values)
    positions = np.clip(positions, 0, cats.size - 1)
    found = cats[order][positions] == values
    if not np.all(found):
        missing = np.unique(values[~found])[:5]
        raise ValueError(f"values {missing.tolist()} are not among the categories")
    return order[positions], cats.size


def _missing(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind == "O":
        # Deferred: pandas' isna understands None and NaN in object arrays.
        import pandas as pd

        return np.asarray(pd.isna(values), dtype=bool)
    return np.zeros(values.shape, dtype=bool)


def _disagreement_weights(k: int, weights: Weights) -> np.ndarray:
    i = np.arange(k)
    distance = np.abs(i[:, None] - i[None, :]).astype(float)
    if weights is None:
        return (distance > 0).astype(float)
    scale = max(k - 1, 1)
    if weights == "linear":
        return distance / scale
    if weights == "quadratic":
        return (distance / scale) ** 2
    raise ValueError(f"unknown weights {weights!r}; use None, 'linear' or 'quadratic'")


def cohen_kappa_from_table(table: npt.ArrayLike, weights: Weights = None) -> float:
    """Cohen's kappa from a K x K contingency table (counts or proportions).

    Args:
        table: ``table[i, j]`` = units rater a put in category i and rater b in j; rows and
            columns in the order of the (ordered) categories.
        weights: None (unweighted), ``"linear"`` or ``"quadratic"``.

    Returns:
        Kappa; NaN for an empty table or when chance disagreement is 0.
    """
    counts = np.asarray(table, dtype=float)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"table must be square, got shape {counts.shape}")
    total = counts.sum()
    if total <= 0:
        return float("nan")
    p = counts / total
    w = _disagreement_weights(p.shape[0], weights)
    expected = float(np.sum(w * np.outer(p.sum(axis=1), p.sum(axis=0))))
    if expected == 0:
        return float("nan")
    return 1.0 - float(np.sum(w * p)) / expected


def cohen_kappa(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    weights: Weights = None,
    categories: npt.ArrayLike | None = None,
) -> float:
    """Cohen's kappa between two raters' ratings of the same units.

    Args:
        a, b: equal-length ratings (numbers or labels); pairs with a missing side are dropped.
        weights: None (unweighted), ``"linear"`` or ``"quadratic"``; weighted kappa needs the
            categories to be ordered.
        categories: the ordered category list; default the sorted union of observed values.

    Returns:
        Kappa in [-1, 1]; NaN when no pair remains or chance disagreement is 0.
    """
    x, y = np.asarray(a), np.asarray(b)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"a and b must be 1-D and the same length, got {x.shape} and {y.shape}")
    keep = ~(_missing(x) | _missing(y))
    x, y = x[keep], y[keep]
    if x.size == 0:
        return float("nan")
    codes, k = _codes(np.concatenate([x, y]), categories)
    table = np.bincount(codes[: x.size] * k + codes[x.size :], minlength=k * k).reshape(k, k)
    return cohen_kappa_from_table(table, weights)


def fleiss_kappa_from_counts(counts: npt.ArrayLike) -> float:
    """Fleiss' kappa from a units x categories table of rating counts.

    Args:
        counts: ``counts[i, j]`` = raters who put unit i in category j. Units may have
            different totals (Gwet's generalisation); units with fewer than 2 are ignored.

    Returns:
        Kappa; NaN when no unit has two ratings or only one category is ever used.
    """
    n_ij = np.asarray(counts, dtype=float)
    if n_ij.ndim != 2:
        raise ValueError(f"counts must be 2-D units x categories, got shape {n_ij.shape}")
    n_i = n_ij.sum(axis=1)
    keep = n_i >= 2
    n_ij, n_i = n_ij[keep], n_i[keep]
    if n_i.size == 0:
        return float("nan")
    p_unit = np.sum(n_ij * (n_ij - 1), axis=1) / (n_i * (n_i - 1))
    p_j = np.mean(n_ij / n_i[:, None], axis=0)
    chance = float(np.dot(p_j, p_j))
    if chance >= 1.0:
        return float("nan")
    return (float(p_unit.mean()) - chance) / (1.0 - chance)


def fleiss_kappa(ratings: npt.ArrayLike, *, categories: npt.ArrayLike | None = None) -> float:
    """Fleiss' kappa of a units x raters matrix of category labels (NaN/None = missing).

    Args:
        ratings: one row per unit, one column per rater slot (raters need not be the same
            people across units, as in Fleiss 1971).
        categories: the category list; default the distinct observed values.

    Returns:
        Kappa; see :func:`fleiss_kappa_from_counts` for degenerate cases.
    """
    matrix = np.asarray(ratings)
    if matrix.ndim != 2:
        raise ValueError(f"ratings must be a 2-D units x raters matrix, got {matrix.shape}")
    present = ~_missing(matrix)
    unit = np.nonzero(present)[0]
    codes, k = _codes(matrix[present], categories)
    counts = np.bincount(unit * k + codes, minlength=matrix.shape[0] * k)
    return fleiss_kappa_from_counts(counts.reshape(matrix.shape[0], k))


def percent_agreement(ratings: npt.ArrayLike) -> float:
    """Observed agreement of a units x raters matrix of categories (NaN/None = missing).

    The mean, over units with two or more ratings, of the share of rater pairs in the unit
    that gave the same category (Fleiss' ``P-bar``; with two raters and no missing rating, the
    share of units they agree on). Labels or numbers; NaN when no unit has two ratings.
    """
    matrix = np.asarray(ratings)
    if matrix.ndim != 2:
        raise ValueError(f"ratings must be a 2-D units x raters matrix, got {matrix.shape}")
    present = ~_missing(matrix)
    unit = np.nonzero(present)[0]
    codes, k = _codes(matrix[present], None)
    counts = np.bincount(unit * k + codes, minlength=matrix.shape[0] * k).reshape(-1, k)
    n_i = counts.sum(axis=1).astype(float)
    keep = n_i >= 2
    if not keep.any():
        return float("nan")
    agree = np.sum(counts[keep] * (counts[keep] - 1), axis=1) / (n_i[keep] * (n_i[keep] - 1))
    return float(agree.mean())
