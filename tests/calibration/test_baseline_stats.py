"""Baseline statistics on hand-made grades tables: variance study, learning signal, means."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rubricate.calibration.baseline.labels import label_tasks, sample_labels
from rubricate.calibration.baseline.run import BASELINE_COLUMNS
from rubricate.calibration.baseline.stats import (
    criterion_means,
    item_study,
    learning_signal,
    study_summary,
    unscored_samples,
    usage_summary,
)
from rubricate.rubrics.loader import parse_rubric


def _grades(model: str, scores: dict[str, list[float | None]], criterion: str = "__total__"):
    rows = []
    for item_id, values in scores.items():
        for index, value in enumerate(values):
            rows.append({"item_id": item_id, "answer_id": f"{model}#{index}", "tier": None,
                         "kind": None, "repeat": 0, "criterion": criterion,
                         "score": np.nan if value is None else value, "scored": value is not None,
                         "error": None if value is not None else "boom", "model": model,
                         "sample": index})  # fmt: skip
    return pd.DataFrame.from_records(rows, columns=list(BASELINE_COLUMNS))


def test_study_on_a_five_point_range_with_an_unscored_sample() -> None:
    grades = _grades("m", {"a": [0, 5, 4, None], "b": [2, 2, 2, 2], "c": [3, None, None, None]})
    study = item_study(grades, "m")
    # a: 0, 5, 4 -> mean 3, deviations -3, 2, 1 -> var (9 + 4 + 1) / 2 = 7; max 5, headroom 2
    a = study.loc["a"]
    assert (a["n"], a["mean"], a["max"], a["min"], a["headroom"]) == (3, 3, 5, 0, 2)
    assert a["var"] == pytest.approx(7) and a["sd"] == pytest.approx(7**0.5)
    assert math.isnan(study.loc["c", "var"])  # one scored sample: no variance
    assert list(study.index) == ["b", "a", "c"]  # by mean: 2, 3, 3 (ties by id)
    summary = study_summary(study)
    # overall mean (3 + 2 + 3) / 3 = 8/3; mean of maxima (5 + 2 + 3) / 3 = 10/3;
    # mean variance over a and b = (7 + 0) / 2
    assert summary == pytest.approx({"items": 3, "samples": 8, "overall_mean": 8 / 3,
                                     "mean_max": 10 / 3, "mean_variance": 3.5,
                                     "items_with_variance": 2})  # fmt: skip
    signal = learning_signal(grades, "m", (0.0, 5.0))
    # measured: a and b; b is flat at 2 (zero variance, neither extreme); c has one sample
    assert signal["measured"] == 2 and signal["share_zero_variance"] == 0.5
    assert (signal["flat"], signal["too_few"], signal["drop"], signal["fix"]) == (
        ["b"], ["c"], [], [])  # fmt: skip
    # headroom over a and b = (2 + 0) / 2 = 1 (20 % of the range): likely
    assert signal["headroom"] == 1.0 and signal["status"] == "likely"


@pytest.mark.parametrize(
    ("scores", "status", "words"),
    [
        ({"a": [1, 1], "b": [1, 1], "c": [0, 1]}, "limited", "only 1 of 3 items"),
        ({"a": [1, 1], "b": [1, 1], "c": [1, 1], "d": [0.9, 1]}, "unlikely", "too easy"),
        ({"a": [0, 0], "b": [0, 0], "c": [0, 0]}, "unlikely", "always score the minimum"),
        ({"a": [0.5, 0.5], "b": [0.5, 0.5]}, "unlikely", "hardly change"),
        ({"a": [0.2, 0.21], "b": [0.5, 0.51]}, "unlikely", "2 of 2 items (100%)"),
        ({"a": [1], "b": [0]}, "unknown", "--samples 3"),
    ],
)
def test_verdicts(scores: dict, status: str, words: str) -> None:
    signal = learning_signal(_grades("m", scores), "m", (0.0, 1.0))
    assert signal["status"] == status, signal
    assert words in signal["verdict"]


def test_no_scored_sample_gives_an_empty_study_and_no_verdict() -> None:
    grades = _grades("m", {"a": [None, None]})
    assert len(item_study(grades, "m")) == 0
    assert math.isnan(study_summary(item_study(grades, "m"))["overall_mean"])
    assert learning_signal(grades, "m", (0.0, 1.0))["status"] == "unknown"


def test_criterion_means_leave_unscored_rows_out_and_count_them() -> None:
    grades = pd.concat([_grades("x", {"a": [1, 0, None]}, "c1"), _grades("y", {"a": [1, 1]}, "c1")])
    (row,) = criterion_means(grades, ["x", "y"], ["c1", "absent"])
    assert row["models"]["x"] == {"mean": 0.5, "n": 2, "unscored": 1}
    assert row["models"]["y"] == {"mean": 1.0, "n": 2, "unscored": 0}


def test_usage_and_unscored_samples() -> None:
    samples = pd.DataFrame(
        {
            "item_id": ["a", "a", "b"], "model": ["m", "m", "m"], "sample": [0, 1, 0],
            "scored": [True, True, False], "error": [None, None, "generation failed (x)"],
            "cached": [False, True, False], "latency_s": [1.0, np.nan, 3.0],
            "input_tokens": [10, 10, 10], "output_tokens": [5, 7, 0],
            "reasoning_tokens": [2, 4, 0], "generation_cost_usd": [0.1, 0.2, 0.0],
            "grading_cost_usd": [np.nan, 0.0, 0.0], "judge_calls": [1, 1, 0],
        }
    )  # fmt: skip
    usage = usage_summary(samples, "m")
    assert usage["reasoning_tokens_mean"] == 2 and usage["reasoning_tokens_max"] == 4
    assert usage["latency_n"] == 2 and usage["latency_mean_s"] == 2.0
    assert usage["generation_cost_usd"] == pytest.approx(0.3)
    assert usage["generation_cost_per_sample_usd"] == pytest.approx(0.1)
    assert usage["grading_cost_usd"] is None  # an unpriced judge call: no total
    assert usage["replayed"] == 1 and usage["judge_calls"] == 2
    bad = unscored_samples(samples, "m")
    assert bad["count"] == 1 and bad["share"] == pytest.approx(1 / 3)
    assert bad["list"] == [{"item_id": "b", "sample": 0, "error": "generation failed (x)"}]


RUBRIC = """
rubric: 1
id: topic
title: Topic classification
task: "Topic of: {{ item.text }}"
criteria:
  - id: right-topic
    weight: 1
    check: {equals: "{{ item.topic }}", path: topic, case_sensitive: false}
"""


def test_single_label_tasks_read_the_answer_as_the_check_does() -> None:
    (task,) = label_tasks(parse_rubric(RUBRIC).rubric)
    assert task.kind == "single" and task.criteria == ("right-topic",)
    item = {"topic": "Sports"}
    assert sample_labels(task, '{"topic": " sports"}', item) == (["sports"], ["sports"])
    assert sample_labels(task, '{"other": 1}', item) == ([], ["sports"])


def test_a_failed_generation_has_no_latency_and_is_not_called_replayed() -> None:
    """Issue 16: with every generation failed (a local server refusing the request), the
    report said the latency was "n/a (replayed from the store)"."""
    from rubricate.calibration.baseline.report_md import _latency

    samples = pd.DataFrame(
        {
            "item_id": ["a", "b"], "model": ["m", "m"], "sample": [0, 0],
            "scored": [False, False], "error": ["generation failed (bad_request): HTTP 500"] * 2,
            "cached": [False, False], "latency_s": [np.nan, np.nan],
            "input_tokens": [0, 0], "output_tokens": [0, 0], "reasoning_tokens": [0, 0],
            "generation_cost_usd": [0.0, 0.0], "grading_cost_usd": [0.0, 0.0],
            "judge_calls": [0, 0],
        }
    )  # fmt: skip
    usage = usage_summary(samples, "m")
    assert usage["latency_n"] == 0 and usage["failed_generations"] == 2
    assert _latency(usage) == "n/a (no generation succeeded)"
    replayed = samples.assign(cached=True, error=None, scored=True)
    assert _latency(usage_summary(replayed, "m")) == "n/a (replayed from the store)"
