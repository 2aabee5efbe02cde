"""Stability statistics on small hand-computed grades tables and a scripted flipping judge."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rubricate.calibration.grades_table import TOTAL, check_grades, unscored_counts
from rubricate.calibration.stats.stability import (
    answer_stability,
    distinct_levels,
    flip_probability,
    flip_rates,
    stability_summary,
)

from .stats_grades import grades_from_scores, simulated_grades


def _small() -> pd.DataFrame:
    # item t1: answer g scores 0.8, 1.0, 0.9 (total); answer p scores 0.2, 0.2, unscored
    # criterion c: g verdicts 1, 1, 0 (flips); p verdicts 0, 0, 0 (stable)
    rows = [
        ("t1", "g", "great", 0, TOTAL, 0.8),
        ("t1", "g", "great", 1, TOTAL, 1.0),
        ("t1", "g", "great", 2, TOTAL, 0.9),
        ("t1", "p", "poor", 0, TOTAL, 0.2),
        ("t1", "p", "poor", 1, TOTAL, 0.2),
        ("t1", "p", "poor", 2, TOTAL, None),
        ("t1", "g", "great", 0, "c", 1),
        ("t1", "g", "great", 1, "c", 1),
        ("t1", "g", "great", 2, "c", 0),
        ("t1", "p", "poor", 0, "c", 0),
        ("t1", "p", "poor", 1, "c", 0),
        ("t1", "p", "poor", 2, "c", 0),
    ]
    return grades_from_scores(rows)


def test_answer_stability_hand_computed() -> None:
    table = answer_stability(_small())
    g = table.loc[("t1", "g")]
    assert (g["n_scored"], g["n_unscored"]) == (3, 0)
    assert g["mean"] == pytest.approx(0.9)
    assert g["sd"] == pytest.approx(0.1)  # deviations -0.1, 0.1, 0: sqrt(0.02 / 2)
    assert (g["min"], g["max"], g["spread"], g["n_levels"]) == pytest.approx((0.8, 1.0, 0.2, 3))
    p = table.loc[("t1", "p")]
    assert (p["n_scored"], p["n_unscored"], p["sd"], p["n_levels"]) == (2, 1, 0.0, 1)
    assert table.index[0] == ("t1", "g")  # least stable first


def test_stability_summary_hand_computed() -> None:
    summary = stability_summary(_small())
    # pooled within SD: (2 * 0.01 + 1 * 0) / (2 + 1) = 0.00667 -> 0.08165
    assert summary.pooled_within_sd == pytest.approx(np.sqrt(0.02 / 3))
    assert (summary.n_answers, summary.n_scored, summary.n_unscored) == (2, 5, 1)
    assert summary.distinct_levels == 4  # 0.2, 0.8, 0.9, 1.0
    assert summary.mean_spread == pytest.approx(0.1)  # (0.2 + 0) / 2
    # one-way ICC: groups (0.8, 1.0, 0.9) and (0.2, 0.2); grand mean 0.62
    # SS_between = 3 * 0.28^2 + 2 * 0.42^2 = 0.588; BMS = 0.588; WMS = 0.02 / 3
    # k0 = (5 - 13 / 5) / 1 = 2.4; ICC = (0.588 - 0.00667) / (0.588 + 1.4 * 0.00667)
    wms = 0.02 / 3
    assert summary.icc.value == pytest.approx((0.588 - wms) / (0.588 + 1.4 * wms))
    assert set(summary.as_dict()) >= {"pooled_within_sd", "icc", "distinct_levels"}


def test_flip_rates_hand_computed() -> None:
    table = flip_rates(_small())
    assert list(table.index) == ["c"]  # the total is left out unless asked
    c = table.loc["c"]
    assert (c["n_answers"], c["n_flipped"], c["flip_rate"]) == (2, 1, 0.5)
    # pairs: g has 3 pairs, 2 differing; p 3 pairs, 0 differing -> D = 2 / 6
    assert c["pair_disagreement"] == pytest.approx(1 / 3)
    assert c["flip_p"] == pytest.approx((1 - np.sqrt(1 - 2 / 3)) / 2)
    assert c["ci_low"] < 0.5 < c["ci_high"]
    with_total = flip_rates(_small(), include_total=True)
    assert with_total.loc[TOTAL, "n_flipped"] == 1 and with_total.loc[TOTAL, "n_answers"] == 2
    assert with_total.loc[TOTAL, "n_unscored"] == 1


def test_flip_probability_inverts_two_p_one_minus_p() -> None:
    p = np.array([0.0, 0.05, 0.2, 0.5])
    assert flip_probability(2 * p * (1 - p)) == pytest.approx(p)
    assert flip_probability(0.7) == pytest.approx(0.5)  # capped


def test_scripted_judge_flip_probability_is_recovered() -> None:
    grades = simulated_grades(
        n_items=60, repeats=5, flip_p={"steady": 0.02, "shaky": 0.25}, unscored_share=0.02
    )
    table = flip_rates(grades, seed=1)
    for criterion, p in {"steady": 0.02, "shaky": 0.25}.items():
        row = table.loc[criterion]
        assert row["flip_p_low"] <= p <= row["flip_p_high"], (criterion, row.to_dict())
        # the share of answers that flip at least once in 5 repeats: 1 - (1-p)^5 - p^5
        expected_rate = 1 - (1 - p) ** 5 - p**5
        assert row["ci_low"] - 0.05 <= expected_rate <= row["ci_high"] + 0.05
    assert table.index[0] == "shaky"  # least stable first
    counts = unscored_counts(grades)
    assert counts.loc["shaky", "share_unscored"] == pytest.approx(0.02, abs=0.01)


def test_degenerate_cases() -> None:
    single = grades_from_scores(
        [("t1", "a", "fair", 0, TOTAL, 0.5), ("t1", "a", "fair", 1, TOTAL, None)]
    )
    summary = stability_summary(single)
    assert np.isnan(summary.pooled_within_sd) and np.isnan(summary.icc.value)
    assert (summary.n_scored, summary.n_unscored) == (1, 1)
    table = flip_rates(single, include_total=True)
    assert table.loc[TOTAL, "n_answers"] == 0 and np.isnan(table.loc[TOTAL, "flip_rate"])
    empty = stability_summary(single.iloc[0:0])
    assert empty.n_answers == 0 and np.isnan(empty.pooled_within_sd)
    assert distinct_levels([0.1 + 0.2, 0.3, np.nan]) == 1  # rounding noise is not a level


def test_grades_table_is_checked() -> None:
    with pytest.raises(ValueError, match="lacks column"):
        check_grades(pd.DataFrame({"item_id": []}))
    bad = _small().assign(tier="excellent")
    with pytest.raises(ValueError, match="unknown tier"):
        answer_stability(bad)
