"""The exact stratified permutation test of ``--probe invariance`` and Holm's adjustment."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from scipy.stats import permutation_test

from rubricate.calibration.invariance.stats import (
    holm,
    invariance_test,
    stratum_null,
)


def test_a_hand_computed_stratum() -> None:
    # one answer: the unchanged grader says 1, 1; the changed one 0, 0. Of the C(4, 2) = 6
    # ways to split {1, 1, 0, 0} into two groups of two, {1,1}|{0,0} and {0,0}|{1,1} give
    # 4 disagreeing cross pairs, the 4 mixed splits give 2: P(C >= 4) = 2 / 6.
    test = invariance_test([([1, 1], [0, 0])])
    assert test.p_value == pytest.approx(1 / 3)
    assert (test.cross_disagree, test.cross_pairs) == (4, 4) and test.change_flip == 1.0
    assert test.rerun_flip == 0.0 and test.changed_rerun_flip == 0.0
    assert stratum_null([2, 2], 2) == pytest.approx([0, 0, 4 / 6, 0, 2 / 6])
    # two such answers: C = 8 only when both are extreme: (1/3)^2
    assert invariance_test([([1, 1], [0, 0])] * 2).p_value == pytest.approx(1 / 9)


def _cross(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return (np.asarray(x)[..., :, None] != np.asarray(y)[..., None, :]).sum(axis=(-1, -2))


@pytest.mark.parametrize("seed", range(6))
def test_one_stratum_matches_scipys_exact_permutation_test(seed: int) -> None:
    rng = random.Random(seed)
    a = [rng.choice([0.0, 0.5, 1.0]) for _ in range(rng.randint(2, 5))]
    b = [rng.choice([0.0, 1.0]) for _ in range(rng.randint(2, 5))]
    ours = invariance_test([(a, b)]).p_value
    ref = permutation_test((a, b), _cross, permutation_type="independent", vectorized=True,
                           alternative="greater", n_resamples=np.inf).pvalue  # fmt: skip
    assert ours == pytest.approx(ref, abs=1e-12)


def test_several_strata_match_brute_force_enumeration() -> None:
    strata = [([1, 1, 0], [0, 0, 0]), ([1, 0, 1], [0, 1, 0]), ([0.25, 0.25, 1], [1, 1, 0.5])]
    observed = sum(int(_cross(np.array(a), np.array(b))) for a, b in strata)
    splits = []
    for a, b in strata:
        pooled = a + b
        splits.append([
            int(_cross(np.array([pooled[i] for i in first]),
                       np.array([pooled[i] for i in range(6) if i not in first])))
            for first in itertools.combinations(range(6), 3)
        ])  # fmt: skip
    combos = list(itertools.product(*splits))
    brute = sum(1 for c in combos if sum(c) >= observed) / len(combos)
    assert invariance_test(strata).p_value == pytest.approx(brute, abs=1e-12)


def test_under_the_null_it_rejects_at_most_alpha() -> None:
    # 400 seeded probes of a noisy judge (flips 20 %) that ignores the change: the test is
    # exact, so it rejects at 0.05 in at most 5 % of them (plus sampling error: 3 SE = 3.3 %)
    rng = np.random.default_rng(7)
    rejected = 0
    for _ in range(400):
        truth = rng.integers(0, 2, size=20)
        strata = []
        for t in truth:
            draw = np.where(rng.random(6) < 0.2, 1 - t, t)
            strata.append((list(draw[:3]), list(draw[3:])))
        p = invariance_test(strata).p_value
        assert p is not None
        rejected += p < 0.05
    assert rejected / 400 <= 0.083


def test_a_change_that_moves_a_noisy_verdict_is_detected() -> None:
    rng = np.random.default_rng(8)
    strata = []
    for t in rng.integers(0, 2, size=20):
        base = np.where(rng.random(3) < 0.1, 1 - t, t)
        changed = np.where(rng.random(3) < 0.1, t, 1 - t)  # the change flips the verdict
        strata.append((list(base), list(changed)))
    test = invariance_test(strata)
    assert test.p_value is not None and test.p_value < 1e-6
    assert test.change_flip is not None and test.rerun_flip is not None
    assert test.change_flip > 0.7 > 0.3 > test.rerun_flip


def test_degenerate_cases_are_not_assessed_never_a_pass() -> None:
    assert invariance_test([]).p_value is None
    assert invariance_test([([1.0], [0.0])]).p_value is None  # 1 + 1: nothing to permute
    nan = float("nan")
    only = invariance_test([([nan, nan], [1.0, 1.0])])
    assert only.n_answers == 0 and only.p_value is None and only.change_flip is None
    # equal everywhere: no evidence at all, p = 1
    assert invariance_test([([1, 1], [1, 1])] * 3).p_value == pytest.approx(1.0)


def test_holm_matches_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    p = [0.01, 0.04, 0.03, 0.005, 0.2]
    expected = multipletests(p, method="holm")[1]
    assert holm(p) == pytest.approx(list(expected))
    assert holm([0.01, None, 0.04]) == [pytest.approx(0.02), None, pytest.approx(0.04)]
