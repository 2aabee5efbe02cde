"""Cohen's and Fleiss' kappa against published values.

Sources:
- Fleiss (1971), Psychological Bulletin 76(5), 378-382, Table 1: 30 patients, 6 psychiatrists
  each, 5 diagnoses; kappa = .430 (R irr::kappam.fleiss(diagnoses) = 0.4302445; the data are
  irr's `diagnoses`, also in statsmodels' test_inter_rater.py).
- Wikipedia "Fleiss' kappa", worked example: 10 subjects x 14 raters x 5 categories,
  kappa = 0.210.
- SAS PROC FREQ example printed in statsmodels' test_inter_rater.py (TestUnweightedCohens /
  TestWeightedCohens): table [[0,4,1],[0,8,0],[0,1,5]]: simple kappa 0.4842, weighted kappa
  (Cicchetti-Allison = linear weights) 0.4701.
- R irr::kappa2 on irr's `anxiety` data, raters 2 and 3 (values printed in statsmodels'
  test_cohens_kappa_irr): unweighted -0.006289308, "equal" (linear) 0.1459075, "squared"
  (quadratic) 0.2520325.
"""

from __future__ import annotations

import numpy as np
import pytest

from rubricate.calibration.stats.kappa import (
    cohen_kappa,
    cohen_kappa_from_table,
    fleiss_kappa,
    fleiss_kappa_from_counts,
)

# Fleiss (1971) Table 1 as 30 rows of 6 diagnoses (1 depression ... 5 other)
DIAGNOSES = np.array(
    [
        [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
    ]
)  # fmt: skip

WIKIPEDIA_COUNTS = np.array(
    [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]
)  # fmt: skip

# irr's anxiety data, raters 2 and 3 (20 subjects)
ANXIETY_2 = [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4]
ANXIETY_3 = [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]


def test_fleiss_1971() -> None:
    assert fleiss_kappa(DIAGNOSES) == pytest.approx(0.4302445, abs=1e-7)


def test_fleiss_wikipedia_counts() -> None:
    # P-bar = 0.378, P_e = 0.213 (Wikipedia): kappa = (0.378 - 0.213) / (1 - 0.213) = 0.210
    assert fleiss_kappa_from_counts(WIKIPEDIA_COUNTS) == pytest.approx(0.210, abs=1e-3)


def test_fleiss_missing_ratings_follow_gwet() -> None:
    # Two units: (a, a, a) and (a, b, missing). P_1 = 1, P_2 = 0 -> P-bar = 0.5
    # p_a = mean(3/3, 1/2) = 0.75, p_b = 0.25 -> P_e = 0.625
    # kappa = (0.5 - 0.625) / (1 - 0.625) = -1/3
    data = np.array([["a", "a", "a"], ["a", "b", None]], dtype=object)
    assert fleiss_kappa(data) == pytest.approx(-1 / 3, abs=1e-12)


def test_fleiss_degenerate() -> None:
    assert np.isnan(fleiss_kappa(np.array([[1, 1], [1, 1]])))  # one category only
    assert np.isnan(fleiss_kappa(np.array([[1.0, np.nan], [np.nan, 2.0]])))  # no pairs


def test_cohen_sas_example() -> None:
    table = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]
    assert cohen_kappa_from_table(table) == pytest.approx(0.4842, abs=1e-4)
    assert cohen_kappa_from_table(table, "linear") == pytest.approx(0.4701, abs=1e-4)


@pytest.mark.parametrize(
    ("weights", "published"),
    [(None, -0.006289308), ("linear", 0.1459075), ("quadratic", 0.2520325)],
)
def test_cohen_irr_anxiety(weights: str | None, published: float) -> None:
    assert cohen_kappa(ANXIETY_2, ANXIETY_3, weights=weights) == pytest.approx(published, abs=1e-7)


def test_cohen_categories_change_the_weights() -> None:
    # Nobody used level 5: with the full scale 1..6, adjacent observed levels 4 and 6 are two
    # steps apart, so linear kappa differs from irr's (which drops unused levels).
    full = cohen_kappa(ANXIETY_2, ANXIETY_3, weights="linear", categories=[1, 2, 3, 4, 5, 6])
    assert full != pytest.approx(0.1459075, abs=1e-4)
    unweighted = cohen_kappa(ANXIETY_2, ANXIETY_3, categories=[1, 2, 3, 4, 5, 6])
    assert unweighted == pytest.approx(-0.006289308, abs=1e-7)
    with pytest.raises(ValueError, match="not among the categories"):
        cohen_kappa([1, 2], [2, 7], categories=[1, 2, 3])


def test_cohen_hand_computed_binary() -> None:
    # a = 1 1 0 0, b = 1 0 0 0: p_o = 3/4; p_a = 1/2, p_b = 1/4
    # p_e = 1/2 * 1/4 + 1/2 * 3/4 = 1/2; kappa = (3/4 - 1/2) / (1/2) = 1/2
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(0.5)
    # with two categories every weighting is the same
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0], weights="quadratic") == pytest.approx(0.5)


def test_cohen_missing_and_degenerate() -> None:
    assert cohen_kappa([1, np.nan, 0, 0], [1, 1, 0, 1]) == pytest.approx(
        cohen_kappa([1, 0, 0], [1, 0, 1])
    )
    assert np.isnan(cohen_kappa([], []))
    assert np.isnan(cohen_kappa([1, 1, 1], [1, 1, 1]))  # chance agreement 1: 0/0
    assert cohen_kappa(["x", "y", None], ["x", "y", "y"]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same length"):
        cohen_kappa([1, 2], [1])
