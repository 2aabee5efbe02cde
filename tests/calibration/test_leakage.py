"""Leakage: calibration answers that are the rubric's few-shot examples are found."""

from __future__ import annotations

import json

from rubricate.calibration.inputs.calset import parse_calibration_set
from rubricate.calibration.inputs.leakage import find_leaks, normalise
from rubricate.rubrics.loader import parse_rubric

RUBRIC = """\
rubric: 1
id: leak
title: Leak
criteria:
  - {id: c, text: States the capital of France., weight: 1}
examples:
  - id: good
    tier: great
    answer: "The capital of France is Paris, on the Seine, with about two million inhabitants."
    verdicts: {c: true}
  - tier: poor
    answer: "Lyon."
    verdicts: {c: false}
"""


def _entries(*texts: str):  # noqa: ANN202
    answers = [{"id": f"a{i}", "tier": "fair", "text": t} for i, t in enumerate(texts)]
    return parse_calibration_set(json.dumps({"id": "q", "answers": answers})).entries()


def test_normalise_folds_case_width_and_space() -> None:
    assert normalise("  The\tCapital\n\nIS  Ｐａｒｉｓ ") == "the capital is paris"


def test_exact_near_and_unrelated_answers() -> None:
    rubric = parse_rubric(RUBRIC).rubric
    entries = _entries(
        "the capital of france is paris, on the Seine,\nwith about two million inhabitants.",
        "The capital of France is Paris, on the Seine, with about three million inhabitants.",
        "Paris is the capital; it lies on the Seine.",
        "lyon.",
        "",
    )
    leaks = find_leaks(entries, rubric)
    assert [(k.answer_id, k.example, k.example_tier) for k in leaks] == [
        ("a0", "good", "great"), ("a1", "good", "great"), ("a3", "#2", "poor"),
    ]  # fmt: skip
    assert leaks[0].similarity == 1.0 and 0.95 <= leaks[1].similarity < 1.0
    assert "is 9" in leaks[1].describe() and "few-shot example good (great)" in leaks[1].describe()


def test_no_examples_no_leaks() -> None:
    rubric = parse_rubric(RUBRIC.split("examples:")[0]).rubric
    assert find_leaks(_entries("Lyon."), rubric) == []
