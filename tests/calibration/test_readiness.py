"""RFT readiness: saturation, variance study and headroom on hand-computed tables."""

from __future__ import annotations

import numpy as np
import pytest

from rubricate.calibration.grades_table import TOTAL
from rubricate.calibration.stats.readiness import readiness, saturation, variance_study

from .stats_grades import grades_from_scores


def _table():
    # t1: every grade 0 (too hard); t2: every grade 1 (too easy);
    # t3: great 1.0, 0.8; poor 0.2, unscored
    rows = [
        ("t1", "g", "great", 0, TOTAL, 0.0),
        ("t1", "p", "poor", 0, TOTAL, 0.0),
        ("t2", "g", "great", 0, TOTAL, 1.0),
        ("t2", "g", "great", 1, TOTAL, 1.0),
        ("t3", "g", "great", 0, TOTAL, 1.0),
        ("t3", "g", "great", 1, TOTAL, 0.8),
        ("t3", "p", "poor", 0, TOTAL, 0.2),
        ("t3", "p", "poor", 1, TOTAL, None),
    ]
    return grades_from_scores(rows)


def test_saturation_per_item() -> None:
    table = saturation(_table())
    assert table["all_min"].tolist() == [True, False, False]
    assert table["all_max"].tolist() == [False, True, False]
    assert table["saturated"].tolist() == [True, True, False]
    shifted = saturation(_table(), score_range=(0.0, 2.0))
    assert not shifted.loc["t2", "all_max"]


def test_variance_study_per_answer_sorted_by_mean() -> None:
    study = variance_study(_table())
    assert study.index.tolist()[0] == ("t1", "g")  # means 0, 0 first (ties by key)
    row = study.loc[("t3", "g")]
    assert (row["n_scores"], row["mean"], row["max"], row["min"]) == pytest.approx(
        (2, 0.9, 1.0, 0.8)
    )
    assert row["headroom"] == pytest.approx(0.1)
    assert row["sd"] == pytest.approx(np.sqrt(0.02))
    assert np.isnan(study.loc[("t3", "p"), "sd"])  # one scored grade
    assert study["mean"].is_monotonic_increasing


def test_variance_study_per_item() -> None:
    study = variance_study(_table(), by="item")
    t3 = study.loc["t3"]
    assert (t3["n_scores"], t3["mean"], t3["headroom"]) == pytest.approx((3, 2.0 / 3, 1 / 3))
    with pytest.raises(ValueError, match="by must be"):
        variance_study(_table(), by="prompt")  # type: ignore[arg-type]


def test_readiness_summary() -> None:
    result = readiness(_table())
    assert result.n_items == 3
    assert (result.share_all_min, result.share_all_max) == pytest.approx((1 / 3, 1 / 3))
    assert result.share_saturated == pytest.approx(2 / 3)
    # headrooms per answer: t1 g 0, t1 p 0, t2 g 0, t3 g 0.1, t3 p 0
    assert result.n_samples == 5
    assert result.mean_headroom == pytest.approx(0.02)
    assert result.median_headroom == 0.0
    assert result.as_dict()["score_range"] == [0.0, 1.0]
    only_great = readiness(_table(), tiers=("great",))
    assert only_great.n_samples == 3


def test_empty_table() -> None:
    result = readiness(_table().iloc[0:0])
    assert result.n_items == 0 and np.isnan(result.share_saturated)
    assert np.isnan(result.mean_headroom) and result.n_samples == 0
