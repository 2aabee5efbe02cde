"""Correlations (scipy underneath): hand-computed values and degenerate cases."""

from __future__ import annotations

import numpy as np
import pytest

from rubricate.calibration.stats.correlation import (
    correlation,
    kendall_tau_b,
    mean_pairwise_spearman,
    pairwise_spearman,
    pearson,
    spearman,
)


def test_hand_computed_without_ties() -> None:
    x, y = [1, 2, 3, 4, 5], [2, 1, 4, 3, 5]
    # rank differences d = (-1, 1, -1, 1, 0): rho = 1 - 6 * 4 / (5 * 24) = 0.8
    assert spearman(x, y) == pytest.approx(0.8)
    # 10 pairs, discordant (1,2) and (3,4): tau = (8 - 2) / 10 = 0.6
    assert kendall_tau_b(x, y) == pytest.approx(0.6)
    # the values are their own ranks, so Pearson equals Spearman here
    assert pearson(x, y) == pytest.approx(0.8)


def test_kendall_tau_b_with_ties() -> None:
    # x = 1 1 2 3, y = 1 2 2 3: 4 concordant, 0 discordant, 1 pair tied in x, 1 tied in y
    # tau_b = 4 / sqrt((6 - 1) * (6 - 1)) = 0.8 (tau_a would be 4 / 6)
    assert kendall_tau_b([1, 1, 2, 3], [1, 2, 2, 3]) == pytest.approx(0.8)


def test_missing_pairs_dropped_and_degenerate_is_nan() -> None:
    assert spearman([1, 2, np.nan, 4], [1, 2, 9, 3]) == pytest.approx(
        spearman([1, 2, 4], [1, 2, 3])
    )
    assert np.isnan(pearson([1, 1, 1], [1, 2, 3]))  # no variance: no warning, NaN
    assert np.isnan(spearman([1], [2]))
    assert np.isnan(kendall_tau_b([np.nan, 1], [1, np.nan]))
    with pytest.raises(ValueError, match="unknown method"):
        correlation([1, 2, 3], [1, 2, 3], "cosine")  # type: ignore[arg-type]


def test_pairwise_spearman_ranks_each_pair_on_its_common_units() -> None:
    ratings = np.array(
        [[1, 1, 3], [2, 2, np.nan], [3, 4, 1], [4, 3, 2], [5, 5, np.nan]], dtype=float
    )
    corr = pairwise_spearman(ratings)
    assert corr[0, 1] == pytest.approx(spearman(ratings[:, 0], ratings[:, 1]))
    # raters 0 and 2 share units 0, 2, 3: (1, 3), (3, 1), (4, 2) -> ranks (1,3),(2,1),(3,2)
    # d = (-2, 1, 1): rho = 1 - 6 * 6 / (3 * 8) = -0.5
    assert corr[0, 2] == pytest.approx(-0.5)
    expected = np.mean([corr[0, 1], corr[0, 2], corr[1, 2]])
    assert mean_pairwise_spearman(ratings) == pytest.approx(expected)


def test_mean_pairwise_spearman_degenerate() -> None:
    assert np.isnan(mean_pairwise_spearman(np.array([[1.0], [2.0], [3.0]])))  # one rater
    sparse = np.array([[1, np.nan], [np.nan, 2], [3, 3]], dtype=float)
    assert np.isnan(mean_pairwise_spearman(sparse))  # one shared unit < min_overlap
