"""Krippendorff's alpha for nominal, ordinal, interval and ratio data, missing values allowed.

Reference: K. Krippendorff (2011), *Computing Krippendorff's Alpha-Reliability*, Annenberg
School for Communication, University of Pennsylvania (repository.upenn.edu/asc_papers/43)::

    alpha = 1 - D_o / D_e
    D_o = 1/n          * sum_c sum_k o_ck    * delta2(c, k)      (observed disagreement)
    D_e = 1/(n (n-1))  * sum_c sum_k n_c n_k * delta2(c, k)      (expected disagreement)

where ``o_ck = sum_u (number of c-k pairs in unit u) / (m_u - 1)`` is the coincidence matrix,
``m_u`` the number of values unit ``u`` received, ``n_c`` the coincidence marginals and ``n``
the number of *pairable* values (values in units that received at least two). Values in units
with a single value are not pairable and are ignored, as the paper prescribes.

The difference functions ``delta2`` (paper, section E):

- nominal: 0 when c = k, else 1;
- ordinal: ``(sum_{g=c..k} n_g - (n_c + n_k) / 2) ** 2``, a function of the marginals;
- interval: ``(c - k) ** 2``;
- ratio: ``((c - k) / (c + k)) ** 2`` (0 when c = k, including c = k = 0).

How it is computed (vectorised, no loop over units):

- interval: within a unit, ``sum_{i != j} (x_i - x_j)**2 = 2 m_u * SS_u`` (SS_u the sum of
  squared deviations from the unit mean), so alpha needs only per-unit sums;
- ordinal: ``delta2_ordinal(c, k) = (R_k - R_c) ** 2`` with ``R_c = sum_{g<c} n_g + n_c / 2``
  (the mid-rank of value c among the pairable values), so ordinal alpha is interval alpha on
  the mid-ranks;
- nominal: ``sum_{i != j} [x_i != x_j] = m_u**2 - sum_c n_uc**2`` per unit;
- ratio: ``sum_u n_u' Delta n_u / (m_u - 1)`` from a unit-by-value count table (dense when small,
  scipy.sparse otherwise) and the distinct values' difference matrix Delta; its cost grows
  with the square of the number of distinct values (computed in blocks of values, so memory
  stays bounded). Round continuous scores before asking for ratio alpha.

Layout: every function here takes a **ratings matrix with one row per unit and one column per
rater** (the transpose of Krippendorff's "reliability data matrix"); ``NaN`` (or ``None``) marks
a missing rating. Nominal data may also be strings.

Degenerate cases: no unit with two or more values (nothing pairable) -> NaN; every pairable
value identical (D_e = 0: there is no variation to agree about, alpha is 0/0) -> NaN. Alpha can
be negative (systematic disagreement) and is 1.0 for perfect agreement with some variation.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")

_BLOCK_ELEMENTS = 8_000_000
"""Largest dense block (units x values, or values x values) the ratio computation allocates."""

_DENSE_CELLS = 1_000_000
"""Unit x value count tables up to this size (or 4 x the values) are dense, larger ones sparse."""


class _Pairable:
    """The pairable values of a ratings matrix, in row-major order.

    Attributes:
        unit: the (compacted) unit index of each value.
        values: the values (float; nominal strings are coded as integers).
        m: values per unit, for the units that have at least two.
    """

    def __init__(self, ratings: npt.ArrayLike, level: Level) -> None:
        matrix = _as_float_matrix(ratings, level)
        present = ~np.isnan(matrix)
        per_unit = present.sum(axis=1)
        keep = per_unit >= 2
        if not keep.all():
            matrix, present, per_unit = matrix[keep], present[keep], per_unit[keep]
        self.values = matrix[present]
        self.unit = np.repeat(np.arange(per_unit.size), per_unit)
        self.m = per_unit.astype(float)
        self._coded: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def n(self) -> int:
        return int(self.values.size)

    def coded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(distinct values, code of each value, count of each distinct value)``."""
        if self._coded is None:
            self._coded = _code_values(self.values)
        return self._coded


def _code_values(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Like ``np.unique(x, return_inverse=True, return_counts=True)``, without sorting when
    the values are integers in a modest range (the usual rating scale)."""
    if x.size:
        low, high = float(x.min()), float(x.max())
        if high - low <= max(4 * x.size, 1024):
            shifted = x - low
            as_int = shifted.astype(np.int64)
            if np.array_equal(as_int, shifted):
                full = np.bincount(as_int)
                used = full > 0
                lookup = np.cumsum(used) - 1
                return np.nonzero(used)[0] + low, lookup[as_int], full[used]
    return np.unique(x, return_inverse=True, return_counts=True)


def _as_float_matrix(ratings: npt.ArrayLike, level: Level) -> np.ndarray:
    """A float matrix with NaN for missing; non-numeric labels are coded (nominal only)."""
    array = np.asarray(ratings)
    if array.ndim != 2:
        raise ValueError(f"ratings must be a 2-D units x raters matrix, got shape {array.shape}")
    if array.dtype.kind in "biuf":
        return array.astype(float)
    if level != "nominal":
        raise ValueError(f"{level} alpha needs numeric ratings; only nominal accepts labels")
    # Deferred: pandas is only needed to code string labels.
    import pandas as pd

    codes, _ = pd.factorize(array.ravel(), use_na_sentinel=True)
    coded = codes.astype(float).reshape(array.shape)
    coded[codes.reshape(array.shape) < 0] = np.nan
    return coded


def _interval_alpha(unit: np.ndarray, x: np.ndarray, m: np.ndarray) -> float:
    n = x.size
    x = x - x.mean()
    total_ss = float(np.dot(x, x))
    if total_ss == 0.0:
        return float("nan")
    unit_mean = np.bincount(unit, weights=x, minlength=m.size) / m
    deviation = x - unit_mean[unit]
    unit_ss = np.bincount(unit, weights=deviation * deviation, minlength=m.size)
    within = float(np.sum(m * unit_ss / (m - 1.0)))
    # D_o = 2/n * within ; D_e = 2 * total_ss / (n - 1)
    return 1.0 - (n - 1) * within / (n * total_ss)


def _mid_ranks(coded: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    _, codes, counts = coded
    ranks = np.cumsum(counts) - counts / 2.0
    return ranks[codes]


def _unit_value_counts(unit: np.ndarray, codes: np.ndarray, n_units: int, n_values: int):
    """``counts[u, c]`` = how many values c unit u received: dense when small, else sparse."""
    if n_units * n_values <= max(4 * codes.size, _DENSE_CELLS):
        key = unit.astype(np.int64) * n_values + codes
        cells = np.bincount(key, minlength=n_units * n_values).astype(float)
        return cells.reshape(n_units, n_values)
    # Deferred: scipy.sparse is only needed for many distinct values.
    from scipy import sparse

    ones = np.ones(codes.size)
    return sparse.csr_matrix((ones, (unit, codes)), shape=(n_units, n_values), dtype=float)


def _nominal_alpha(
    unit: np.ndarray, coded: tuple[np.ndarray, np.ndarray, np.ndarray], m: np.ndarray
) -> float:
    _, codes, value_counts = coded
    n = codes.size
    if value_counts.size < 2:
        return float("nan")
    counts = _unit_value_counts(unit, codes, m.size, value_counts.size)
    if isinstance(counts, np.ndarray):
        squares = np.einsum("uc,uc->u", counts, counts)
    else:
        squares = np.asarray(counts.multiply(counts).sum(axis=1)).ravel()
    within = float(np.sum((m * m - squares) / (m - 1.0)))
    expected = float(n) * n - float(np.dot(value_counts.astype(float), value_counts))
    return 1.0 - (n - 1) * within / expected


def _ratio_delta(c: np.ndarray, k: np.ndarray) -> np.ndarray:
    total = c[:, None] + k[None, :]
    diff = c[:, None] - k[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = (diff / total) ** 2
    delta[diff == 0] = 0.0
    return delta


def _ratio_alpha(
    unit: np.ndarray, coded: tuple[np.ndarray, np.ndarray, np.ndarray], m: np.ndarray
) -> float:
    distinct, codes, value_counts = coded
    if distinct[0] < 0:
        raise ValueError("ratio alpha needs non-negative values (a ratio scale has a true zero)")
    n = codes.size
    n_values = distinct.size
    if n_values < 2:
        return float("nan")
    counts = _unit_value_counts(unit, codes, m.size, n_values)
    weights = 1.0 / (m - 1.0)
    block = max(1, min(n_values, _BLOCK_ELEMENTS // max(m.size, n_values)))
    observed = 0.0
    expected = 0.0
    marginals = value_counts.astype(float)
    for start in range(0, n_values, block):  # blocks of distinct values, not units
        cols = slice(start, start + block)
        delta = _ratio_delta(distinct, distinct[cols])  # (V, b)
        expected += float(marginals @ delta @ marginals[cols])
        projected = np.asarray(counts @ delta)  # (units, b): sum_c n_uc delta(c, k)
        if isinstance(counts, np.ndarray):
            per_unit = np.einsum("ub,ub->u", counts[:, cols], projected)
        else:
            per_unit = np.asarray(counts[:, cols].multiply(projected).sum(axis=1)).ravel()
        observed += float(per_unit @ weights)
    if expected == 0.0:
        return float("nan")
    return 1.0 - (n - 1) * observed / expected


def krippendorff_alpha(ratings: npt.ArrayLike, level: Level = "interval") -> float:
    """Krippendorff's alpha of a units x raters matrix (NaN = missing).

    Args:
        ratings: one row per unit, one column per rater; ``NaN``/``None`` for missing ratings.
            Numbers for every level; nominal data may also be string labels.
        level: the level of measurement, which picks the difference function.

    Returns:
        Alpha in (-inf, 1]. NaN when no unit has two ratings, or when every pairable rating is
        the same value (no variation: alpha is 0/0).

    Raises:
        ValueError: ``ratings`` is not 2-D, is non-numeric for a non-nominal level, or has
            negative values for the ratio level.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    return _alpha(_Pairable(ratings, level), level)


def krippendorff_alphas(
    ratings: npt.ArrayLike, levels: tuple[Level, ...] = LEVELS
) -> dict[str, float]:
    """Alpha at several levels of measurement at once, sharing the preparation.

    Args:
        ratings: as for :func:`krippendorff_alpha`; must be numeric unless ``levels`` is
            ``("nominal",)``.
        levels: the levels to compute.

    Returns:
        ``{level: alpha}`` in the order of ``levels`` (NaN where undefined, see
        :func:`krippendorff_alpha`).
    """
    for level in levels:
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    numeric_needed: Level = "interval" if any(lv != "nominal" for lv in levels) else "nominal"
    pairable = _Pairable(ratings, numeric_needed)
    return {level: _alpha(pairable, level) for level in levels}


def _alpha(pairable: _Pairable, level: Level) -> float:
    if pairable.n == 0:
        return float("nan")
    unit, x, m = pairable.unit, pairable.values, pairable.m
    if level == "interval":
        return _interval_alpha(unit, x, m)
    if level == "ordinal":
        return _interval_alpha(unit, _mid_ranks(pairable.coded()), m)
    if level == "nominal":
        return _nominal_alpha(unit, pairable.coded(), m)
    return _ratio_alpha(unit, pairable.coded(), m)
