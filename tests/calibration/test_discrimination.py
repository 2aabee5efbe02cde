"""Discrimination statistics: hand-computed tables and a simulated grader."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from rubricate.calibration.grades_table import TOTAL
from rubricate.calibration.stats.discrimination import (
    adversarial_risks,
    auc,
    item_tier_means,
    tier_auc,
    tier_margins,
    tier_means,
    tier_order,
)

from .stats_grades import grades_from_scores, simulated_grades


def _table():
    # t1 ordered (0.9 > 0.5 > 0.1); t2 not (fair 0.6 > great 0.4); t3 lacks a poor answer.
    # t1 has an adversarial answer at 0.7 (> fair 0.5); t2's adversarial 0.3 (< fair 0.6).
    scores = {
        ("t1", "great"): [0.9, 0.9],
        ("t1", "fair"): [0.5, 0.5],
        ("t1", "poor"): [0.1, None],
        ("t1", "adversarial"): [0.6, 0.8],
        ("t2", "great"): [0.4, 0.4],
        ("t2", "fair"): [0.6, 0.6],
        ("t2", "poor"): [0.2, 0.2],
        ("t2", "adversarial"): [0.3, 0.3],
        ("t3", "great"): [1.0, 1.0],
        ("t3", "fair"): [0.7, 0.7],
    }
    rows = [
        (item, f"{item}-{tier}", tier, r, TOTAL, s)
        for (item, tier), values in scores.items()
        for r, s in enumerate(values)
    ]
    return grades_from_scores(rows)


def test_item_tier_means_and_order() -> None:
    means = item_tier_means(_table())
    assert means.loc["t1"].tolist() == pytest.approx([0.9, 0.5, 0.1, 0.7])
    order = tier_order(_table())
    assert (order.n_items, order.n_ordered, order.share, order.n_incomplete) == (2, 1, 0.5, 1)
    assert order.ci_low < 0.5 < order.ci_high
    assert order.pairwise == pytest.approx(
        {"great>fair": 2 / 3, "great>poor": 1.0, "fair>poor": 1.0}
    )


def test_tier_means_pool_repeats_with_answer_clusters() -> None:
    table = tier_means(_table(), n_resamples=500)
    assert list(table.index) == ["great", "fair", "poor", "adversarial"]
    great = table.loc["great"]
    assert (great["n_items"], great["n_answers"], great["n_scores"]) == (3, 3, 6)
    assert great["mean"] == pytest.approx((0.9 * 2 + 0.4 * 2 + 1.0 * 2) / 6)
    assert great["ci_low"] <= great["mean"] <= great["ci_high"]
    assert table.loc["poor", "n_scores"] == 3  # the unscored repeat is left out


def test_tier_margins_hand_computed() -> None:
    margins = tier_margins(_table(), n_resamples=500)
    # great - fair per item: 0.4, -0.2, 0.3 -> mean 0.5 / 3
    assert margins.loc["great-fair", "n_items"] == 3
    assert margins.loc["great-fair", "margin"] == pytest.approx(0.5 / 3)
    assert margins.loc["great-poor", "margin"] == pytest.approx((0.8 + 0.2) / 2)


def test_auc_matches_mann_whitney() -> None:
    rng = np.random.default_rng(4)
    pos, neg = rng.integers(0, 5, 40).astype(float), rng.integers(0, 4, 30).astype(float)
    u = stats.mannwhitneyu(pos, neg).statistic
    assert auc(pos, neg) == pytest.approx(u / (40 * 30))
    # hand: positives (1, 0.5), negatives (0.5, 0): pairs 1>0.5, 1>0, 0.5=0.5 (half), 0.5>0
    assert auc(np.array([1, 0.5]), np.array([0.5, 0])) == pytest.approx(3.5 / 4)
    assert np.isnan(auc(np.array([]), np.array([1.0])))


def test_tier_auc_on_a_simulated_grader() -> None:
    grades = simulated_grades(n_items=40, repeats=3, seed=2)
    result = tier_auc(grades, n_resamples=300)
    assert 0.5 < result.low <= result.estimate <= result.high <= 1.0
    assert result.n_clusters == 40
    hand = tier_auc(_table(), n_resamples=200)
    # great grades 0.9 0.9 0.4 0.4 1 1 vs poor 0.1 0.2 0.2: all greater -> 1.0
    assert hand.estimate == 1.0


def test_adversarial_answers_that_outscore_fair_are_listed_first() -> None:
    risks = adversarial_risks(_table())
    assert risks["answer_id"].tolist() == ["t1-adversarial", "t2-adversarial"]
    first = risks.iloc[0]
    assert (first["mean"], first["reference_mean"]) == pytest.approx((0.7, 0.5))
    assert bool(first["outscores"]) and not bool(risks.iloc[1]["outscores"])
    assert first["kind"] == "verbose"


def test_degenerate_cases() -> None:
    only_great = grades_from_scores([("t1", "a", "great", 0, TOTAL, 1.0)])
    order = tier_order(only_great)
    assert order.n_items == 0 and np.isnan(order.share) and order.n_incomplete == 1
    assert np.isnan(tier_auc(only_great).estimate)
    assert adversarial_risks(only_great).empty
    margins = tier_margins(only_great)
    assert np.isnan(margins.loc["great-poor", "margin"])
    means = tier_means(only_great)
    assert np.isnan(means.loc["great", "ci_low"])  # one answer: nothing to resample
