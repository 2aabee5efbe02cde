"""The expert agreement summary behind ``rubricate agreement``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rubricate.calibration.stats.expert_agreement import is_categorical, summarize_agreement
from rubricate.calibration.stats.icc import ICC_FORMS

from .test_icc import PUBLISHED_ICC, SHROUT_FLEISS
from .test_kappa import DIAGNOSES
from .test_krippendorff import PAPER_2011


def test_shrout_fleiss_matrix() -> None:
    summary = summarize_agreement(SHROUT_FLEISS)
    assert (summary["n_units"], summary["n_raters"], summary["n_ratings"]) == (6, 4, 24)
    assert set(summary["icc"]) == set(ICC_FORMS)
    for form, published in PUBLISHED_ICC.items():
        assert summary["icc"][form]["value"] == pytest.approx(published, abs=0.005)
    assert (summary["icc_units"], summary["icc_dropped_units"]) == (6, 0)
    assert summary["icc1_all_units"]["value"] == pytest.approx(summary["icc"]["ICC1"]["value"])
    assert summary["fleiss_kappa"] is not None  # integer scores 1..10
    assert summary["cohen_kappa"] is None  # four raters
    assert summary["spearman_pairs"] == 6
    json.dumps(summary, allow_nan=False)  # JSON-ready: no NaN anywhere


def test_krippendorff_paper_matrix_with_missing_values() -> None:
    summary = summarize_agreement(PAPER_2011, level="nominal")
    assert summary["alpha"] == pytest.approx(0.743, abs=1e-3)
    assert summary["krippendorff_alpha"]["interval"] == pytest.approx(0.849, abs=1e-3)
    # units 1 (C missing), 10-12 have gaps: 8 complete units for the ICC
    assert (summary["icc_units"], summary["icc_dropped_units"]) == (8, 4)
    assert summary["n_pairable_units"] == 11  # unit 12 has a single value


def test_fleiss_data_and_two_raters() -> None:
    summary = summarize_agreement(DIAGNOSES.astype(float))
    assert summary["fleiss_kappa"] == pytest.approx(0.4302445, abs=1e-7)
    two = summarize_agreement(np.array([[1, 1], [2, 2], [3, 2], [1, 1]], dtype=float))
    assert set(two["cohen_kappa"]) == {"unweighted", "linear", "quadratic"}


def test_continuous_and_negative_scores() -> None:
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(20, 3))
    assert not is_categorical(matrix)
    summary = summarize_agreement(matrix)
    assert summary["fleiss_kappa"] is None
    assert summary["krippendorff_alpha"]["ratio"] is None  # negative scores
    assert any("ratio" in note for note in summary["notes"])
    assert any("categorical" in note for note in summary["notes"])
    json.dumps(summary, allow_nan=False)
