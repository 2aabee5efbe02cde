"""Agreement among expert raters alone: the figures ``rubricate agreement`` prints.

:func:`summarize_agreement` takes a units x raters matrix (NaN = missing) and returns a plain,
JSON-ready dict (NaN becomes None):

- ``krippendorff_alpha``: one value per level (nominal, ordinal, interval, ratio), every
  rating used, missing ones allowed; ratio is None when a score is negative;
- ``icc``: the six Shrout & Fleiss forms (``ICC1`` ... ``ICC3k``), each with ``value``,
  ``ci_low``, ``ci_high`` (95 %), on complete units only: ``icc_units`` were used and
  ``icc_dropped_units`` dropped because some rater did not rate them;
- ``icc1_all_units``: the one-way ICC(1,1) on every unit with two or more ratings (raters need
  not be crossed with units, so it also works when each unit has different raters);
- ``fleiss_kappa``: when the scores are categorical (every score an integer, at most
  :data:`MAX_CATEGORIES` distinct values), else None; Gwet's generalisation when units have
  different numbers of ratings (see :mod:`.kappa`);
- ``cohen_kappa``: with exactly two raters and categorical scores, unweighted, linear and
  quadratic (categories = the distinct scores, in order);
- ``percent_agreement``: for categorical scores, the mean share of agreeing rater pairs per
  unit (:func:`~rubricate.calibration.stats.kappa.percent_agreement`);
- ``mean_pairwise_spearman``: the mean over rater pairs sharing at least 3 units.

The ``scale`` says what the scores are: ``numeric`` (numbers: every figure), ``ordinal``
(categories whose order is known but not their distances, coded 0, 1, 2, ... in that order:
nominal and ordinal alpha, the kappas with linear and quadratic weights on the positions,
Spearman; no interval or ratio alpha, no ICC) or ``nominal`` (unordered labels, coded in any
order: nominal alpha, Fleiss' kappa, unweighted Cohen's kappa, percent agreement). A figure a
scale does not support is None, with a note saying why.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from rubricate.calibration.stats.correlation import pairwise_spearman
from rubricate.calibration.stats.icc import ICC_FORMS, icc, icc_oneway
from rubricate.calibration.stats.kappa import cohen_kappa, fleiss_kappa, percent_agreement
from rubricate.calibration.stats.krippendorff import LEVELS, Level, krippendorff_alphas

MAX_CATEGORIES = 20
"""Most distinct integer scores still treated as categories (for the kappas)."""

MIN_SPEARMAN_OVERLAP = 3
"""Rater pairs sharing fewer units are left out of the mean pairwise Spearman."""


def _clean(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def is_categorical(matrix: np.ndarray) -> bool:
    """True when every present score is an integer and there are few distinct ones."""
    values = matrix[~np.isnan(matrix)]
    return (
        values.size > 0
        and bool(np.all(values == np.round(values)))
        and np.unique(values).size <= MAX_CATEGORIES
    )


Scale = Literal["numeric", "ordinal", "nominal"]
SCALE_LEVELS: dict[str, tuple[Level, ...]] = {
    "numeric": LEVELS,
    "ordinal": ("nominal", "ordinal"),
    "nominal": ("nominal",),
}
"""The alpha levels each scale supports."""


def summarize_agreement(
    ratings: npt.ArrayLike, *, level: Level = "interval", scale: Scale = "numeric"
) -> dict[str, Any]:
    """Every inter-rater figure of a units x raters matrix, JSON-ready (NaN -> None).

    Args:
        ratings: one row per unit, one column per rater, NaN for a missing rating.
        level: the headline level of measurement, reported as ``level`` and ``alpha``.
        scale: what the scores are (see the module docstring); labels arrive coded as
            numbers (in their order for ``ordinal``).

    Returns:
        A dict with ``n_units`` (units with at least one rating), ``n_raters``,
        ``n_ratings``, ``n_pairable_units`` (units with two or more ratings), ``level``,
        ``alpha``, ``krippendorff_alpha``, ``icc``, ``icc_units``, ``icc_dropped_units``,
        ``icc1_all_units``,
        ``fleiss_kappa``, ``cohen_kappa`` (None unless two raters), ``mean_pairwise_spearman``,
        ``spearman_pairs`` (pairs averaged) and ``notes`` (why a figure is None).
    """
    matrix = np.asarray(ratings, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"ratings must be a 2-D units x raters matrix, got {matrix.shape}")
    matrix = matrix[~np.isnan(matrix).all(axis=1)]
    present = ~np.isnan(matrix)
    per_unit = present.sum(axis=1)
    notes: list[str] = []
    levels: tuple[Level, ...] = SCALE_LEVELS[scale]
    if scale == "nominal":
        notes.append("unordered labels: ordinal alpha, Spearman and weighted kappas need their "
                     "order (--order), interval and ratio alpha and ICC need numbers")  # fmt: skip
    elif scale == "ordinal":
        notes.append("ordered labels: interval and ratio alpha and ICC need numbers (distances), "
                     "not only an order")  # fmt: skip
    if matrix.size and np.nanmin(matrix) < 0 and "ratio" in levels:
        levels = tuple(lv for lv in LEVELS if lv != "ratio")
        notes.append("ratio alpha needs non-negative scores (a true zero); it is left out")
    alphas: dict[str, float | None] = dict.fromkeys(LEVELS)
    alphas.update({k: _clean(v) for k, v in krippendorff_alphas(matrix, levels).items()})
    numeric = scale == "numeric"
    result = icc(matrix if numeric else np.full((0, max(matrix.shape[1], 1)), np.nan))
    if result.n_units < 2 and numeric:
        notes.append("ICC needs at least two units rated by every rater")
    unit_index = np.broadcast_to(np.arange(matrix.shape[0])[:, None], matrix.shape)
    oneway = icc_oneway(matrix[present], unit_index[present]) if numeric else None
    categorical = is_categorical(matrix) or not numeric
    fleiss = _clean(fleiss_kappa(matrix)) if categorical else None
    if not categorical:
        notes.append(f"kappas need categorical scores (integers, at most {MAX_CATEGORIES})")
    cohen = None
    if categorical and matrix.shape[1] == 2:
        a, b = matrix[:, 0], matrix[:, 1]
        ordered = scale != "nominal"
        cohen = {
            "unweighted": _clean(cohen_kappa(a, b)),
            "linear": _clean(cohen_kappa(a, b, weights="linear")) if ordered else None,
            "quadratic": _clean(cohen_kappa(a, b, weights="quadratic")) if ordered else None,
        }
    upper = np.array([])
    if scale != "nominal":
        corr = pairwise_spearman(matrix, min_overlap=MIN_SPEARMAN_OVERLAP)
        upper = corr[np.triu_indices(corr.shape[0], k=1)]
        upper = upper[~np.isnan(upper)]
    return {
        "n_units": int(matrix.shape[0]),
        "n_raters": int(matrix.shape[1]),
        "n_ratings": int(present.sum()),
        "n_pairable_units": int((per_unit >= 2).sum()),
        "scale": scale,
        "level": level,
        "alpha": alphas[level],
        "krippendorff_alpha": alphas,
        "icc": {
            form: {
                "value": _clean(result[form].value),
                "ci_low": _clean(result[form].ci_low),
                "ci_high": _clean(result[form].ci_high),
            }
            for form in ICC_FORMS
        },
        "icc_units": result.n_units,
        "icc_dropped_units": result.n_dropped,
        "icc1_all_units": {
            "value": _clean(oneway.value) if oneway else None,
            "ci_low": _clean(oneway.ci_low) if oneway else None,
            "ci_high": _clean(oneway.ci_high) if oneway else None,
        },
        "fleiss_kappa": fleiss,
        "cohen_kappa": cohen,
        "percent_agreement": _clean(percent_agreement(matrix)) if categorical else None,
        "mean_pairwise_spearman": float(upper.mean()) if upper.size else None,
        "spearman_pairs": int(upper.size),
        "notes": notes,
    }
