"""Bias correction from expert labels: PPI and Rogan-Gladen against hand-worked values, and the
simulation acceptance of issue 19 (a): a judge with known sensitivity / specificity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rubricate.calibration.stats.bias_correction import (
    Accuracy,
    mean_ci,
    ppi_mean,
    rogan_gladen,
    sensitivity_specificity,
)

Z95 = 1.959963984540054  # normal 97.5 % quantile
T95_DF3 = 3.182446305284263  # Student t 97.5 % quantile, 3 degrees of freedom (tables)


def test_ppi_matches_the_papers_formula_worked_by_hand() -> None:
    # Angelopoulos et al. 2023: theta = mean(f_u) - mean(f_l - y_l),
    # SE^2 = var(f_u)/N + var(f_l - y_l)/n (sample variances, ddof 1).
    y_l, f_l = [1, 0, 1, 1], [1, 0, 0, 1]
    f_u = [1, 1, 0, 1, 0, 1]
    # mean(f_u) = 4/6; rectifier f_l - y_l = (0, 0, -1, 0), mean -1/4
    theta = 4 / 6 + 1 / 4
    # var(f_u): four deviations of 1/3 and two of -2/3 -> (4/9 + 8/9) / 5
    var_f = (4 / 9 + 8 / 9) / 5
    # var(rectifier): three deviations of 1/4, one of -3/4 -> (3/16 + 9/16) / 3
    var_r = (3 / 16 + 9 / 16) / 3
    se = math.sqrt(var_f / 6 + var_r / 4)
    normal = ppi_mean(y_l, f_l, f_u, interval="normal")
    assert normal.estimate == pytest.approx(theta)  # 0.916667
    assert normal.se == pytest.approx(se)  # 0.327023
    assert (normal.low, normal.high) == pytest.approx((theta - Z95 * se, theta + Z95 * se))
    small = ppi_mean(y_l, f_l, f_u)  # default: t with n - 1 = 3 degrees of freedom
    assert (small.low, small.high) == pytest.approx((theta - T95_DF3 * se, theta + T95_DF3 * se))
    assert (small.n_labeled, small.n_units) == (4, 6)


def test_ppi_with_the_labelled_answers_among_the_judged_ones() -> None:
    # all six answers judged, the first four also labelled: each labelled answer contributes
    # f/N - (f - y)/n, each other answer f/N.
    f_all = [1, 0, 0, 1, 1, 1]
    y_l = [1, 0, 1, 1]
    a = [1 / 6 - 0 / 4, 0 / 6 - 0 / 4, 0 / 6 + 1 / 4, 1 / 6 - 0 / 4]
    mean_a = sum(a) / 4
    var_a = sum((v - mean_a) ** 2 for v in a) / 3
    var_f = (4 / 9 + 8 / 9) / 5  # f_all: four 1s and two 0s, as above
    se = math.sqrt(4 * var_a + 2 * var_f / 36)
    got = ppi_mean(y_l, f_all[:4], f_all, labeled_in_unlabeled=True, interval="normal")
    assert got.estimate == pytest.approx(4 / 6 + 1 / 4)
    assert got.se == pytest.approx(se)


def test_ppi_with_every_answer_labelled_is_the_experts_mean() -> None:
    y = np.array([0.2, 0.9, 0.4, 1.0, 0.6])
    f = np.array([0.5, 0.8, 0.9, 1.0, 0.2])
    got = ppi_mean(y, f, f, labeled_in_unlabeled=True, interval="normal")
    assert got.estimate == pytest.approx(y.mean())
    assert got.se == pytest.approx(y.std(ddof=1) / math.sqrt(5))


def test_ppi_needs_two_labels() -> None:
    got = ppi_mean([1.0], [1.0], [1.0, 0.0, 1.0], labeled_in_unlabeled=True)
    assert math.isnan(got.estimate) and got.n_labeled == 1
    with pytest.raises(ValueError, match="differ in length"):
        ppi_mean([1, 0], [1], [1, 0])


def test_sensitivity_and_specificity_count_the_two_by_two_table() -> None:
    verdict = [1, 1, 0, 1, 0, 0, 1, float("nan")]
    truth = [1, 1, 1, 0, 0, 0, 1, 1]
    got = sensitivity_specificity(verdict, truth)
    assert (got.tp, got.fn, got.tn, got.fp) == (3, 1, 2, 1)
    assert got.sensitivity == pytest.approx(3 / 4) and got.specificity == pytest.approx(2 / 3)
    assert got.sensitivity_low < 0.75 < got.sensitivity_high


def _accuracy(tp: int, fn: int, tn: int, fp: int) -> Accuracy:
    return sensitivity_specificity([1] * tp + [0] * fn + [0] * tn + [1] * fp,
                                   [1] * (tp + fn) + [0] * (tn + fp))  # fmt: skip


def test_rogan_gladen_recovers_a_known_prevalence() -> None:
    # Rogan & Gladen 1978: pi = (p + Sp - 1) / (Se + Sp - 1). True share 0.3 seen through a
    # test with Se 0.9 and Sp 0.85 appears as 0.3 * 0.9 + 0.7 * 0.15 = 0.375.
    got = rogan_gladen(0.375, 400, _accuracy(tp=90, fn=10, tn=85, fp=15))
    assert got.estimate == pytest.approx(0.3)
    assert got.low < 0.3 < got.high


def test_rogan_gladen_variance_reduces_to_the_known_accuracy_formula() -> None:
    # With sensitivity and specificity known (huge calibration sets) the variance is
    # p q / (n J^2) (Rogan & Gladen 1978; as worked in influentialpoints.com, "Confidence
    # interval for true prevalence"): p = 0.375, n = 400, J = 0.75.
    got = rogan_gladen(0.375, 400, _accuracy(tp=9_000_000, fn=1_000_000, tn=8_500_000,
                                             fp=1_500_000))  # fmt: skip
    assert got.se == pytest.approx(math.sqrt(0.375 * 0.625 / 400 / 0.75**2), rel=1e-4)


def test_rogan_gladen_clips_an_impossible_apparent_share() -> None:
    # Advanced Field Epi manual 2 (Diagnostic tests; wiki.isikhnas.com): 4 positives of 150
    # with specificity 0.9 gives a negative Rogan-Gladen estimate: reported as 0, and here the
    # whole interval lies below 0 (raw -0.086, SE 0.015), so it is [0, 0].
    got = rogan_gladen(4 / 150, 150, _accuracy(tp=19, fn=1, tn=90, fp=10))
    assert (got.estimate, got.low, got.high) == (0.0, 0.0, 0.0)
    assert (4 / 150 + 0.9 - 1) / (0.95 + 0.9 - 1) == pytest.approx(-0.0863, abs=1e-4)


def test_rogan_gladen_is_undefined_for_a_judge_no_better_than_chance() -> None:
    got = rogan_gladen(0.5, 100, _accuracy(tp=5, fn=5, tn=5, fp=5))
    assert math.isnan(got.estimate)


def _simulated_run(
    seed: int,
    *,
    n_units: int = 1000,
    n_labeled: int = 40,
    truth: float = 0.4,
    sensitivity: float = 0.85,
    specificity: float = 0.80,
) -> tuple[bool, ...]:
    """One seeded run: true met/not-met per answer, a judge that sees a met answer as met with
    probability ``sensitivity`` and a not-met one as not met with ``specificity``, and experts
    (who know the truth) grading a random subset of ``n_labeled`` answers."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n_units) < truth).astype(float)
    draw = rng.random(n_units)
    judge = np.where(y == 1, draw < sensitivity, draw >= specificity).astype(float)
    labeled = rng.choice(n_units, n_labeled, replace=False)
    ppi = ppi_mean(y[labeled], judge[labeled], judge, labeled_in_unlabeled=True)
    accuracy = sensitivity_specificity(judge[labeled], y[labeled])
    rg = rogan_gladen(float(judge.mean()), n_units, accuracy)
    return ppi.covers(truth), mean_ci(judge).covers(truth), rg.covers(truth)


def test_simulation_corrected_interval_covers_the_truth_and_the_uncorrected_does_not() -> None:
    # Issue 19 acceptance (a): 400 seeded runs; the judge's expected share met is
    # 0.4 * 0.85 + 0.6 * 0.20 = 0.46, 0.06 above the truth 0.4.
    runs = np.array([_simulated_run(seed) for seed in range(400)])
    ppi, uncorrected, rogan = runs.mean(axis=0)
    assert 0.93 <= ppi <= 0.97, ppi
    assert uncorrected < 0.5, uncorrected
    assert rogan >= 0.93, rogan  # Agresti-Coull-adjusted variances: conservative
