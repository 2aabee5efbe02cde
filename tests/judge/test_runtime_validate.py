"""Static validation of grader configs (``validate_grader``)."""

from __future__ import annotations

import pytest

from rubricate.judge.graders.python_grader import source_problems as python_source_problems
from rubricate.judge.validate import find_problems, structural_problems, validate_grader

GOOD = [
    {"type": "string_check", "name": "s", "input": "{{ sample.output_text }}",
     "reference": "{{ item.a }}", "operation": "ilike"},
    {"type": "text_similarity", "name": "t", "input": "{{ sample.output_text }}",
     "reference": "{{ item.a }}", "evaluation_metric": "rouge_l", "pass_threshold": 0.5},
    {"type": "python", "name": "p", "image_tag": "2025-05-08",
     "source": "import numpy as np\nimport json\ndef grade(sample, item):\n    return 1.0"},
    {"type": "score_model", "name": "j", "model": "o4-mini-2025-04-16", "range": [0, 10],
     "input": [{"role": "system", "content": "x"},
               {"role": "user", "content": [{"type": "input_text", "text": "{{ item.q }}"}]}],
     "sampling_params": {"seed": 1}},
    {"type": "label_model", "name": "l", "model": "gpt-4.1", "labels": ["a", "b"],
     "passing_labels": ["a"], "input": [{"role": "user", "content": "{{ sample.output_text }}"}]},
    {"type": "multi", "name": "m", "calculate_output": "0.5 * x + 0.5 * max(y, 0)", "graders": {
        "x": {"type": "string_check", "name": "x", "input": "a", "reference": "a",
              "operation": "eq"},
        "y": {"type": "python", "name": "y", "source": "def grade(s, i, *rest):\n    return 1"}}},
]  # fmt: skip


@pytest.mark.parametrize("grader", GOOD, ids=[g["type"] for g in GOOD])
def test_good_configs_have_no_problems(grader: dict) -> None:
    assert validate_grader(grader) == []


MULTI = GOOD[-1]


@pytest.mark.parametrize(
    "grader, expected",
    [
        ({**GOOD[0], "input": "{{ item. }}"}, "input: template variable"),
        ({**GOOD[0], "input": "{{ answer }}"}, "unknown namespace 'answer'"),
        ({**GOOD[0], "operation": "neq"}, "operation: must be one of eq, ne, like, ilike ('neq'"),
        ({**GOOD[3], "range": [0]}, "range: must be two increasing numbers"),
        ({**GOOD[3], "input": [{"role": "judge", "content": "x"}]}, "input[0].role: must be one"),
        ({**GOOD[3], "input": [{"role": "user", "content": [{"type": "input_text",
          "text": "{{ sample.output_text"}]}]}, None),
        ({**GOOD[4], "passing_labels": ["c"]}, "passing_labels: ['c'] are not among labels"),
        ({**MULTI, "calculate_output": "x + z"}, "calculate_output: reads z, which no sub"),
        ({**MULTI, "calculate_output": "x +"}, "calculate_output: calculate_output 'x +'"),
        ({**MULTI, "graders": {"bad-key": GOOD[0]}, "calculate_output": "1"},
         "graders.bad-key: calculate_output cannot name"),
        ({**MULTI, "graders": {"x": {**GOOD[0], "operation": "eq", "input": "{{ sample.x[ }}"}},
          "calculate_output": "x"}, "graders.x.input: template variable"),
        ({**GOOD[2], "source": "def grade(sample):\n    return 1"}, "exactly two arguments"),
        ({**GOOD[2], "source": "def grader(sample, item):\n    return 1"}, "no top-level def"),
        ({**GOOD[2], "source": "def grade(sample, item)\n    return 1"}, "does not compile"),
        ({**GOOD[2], "source": "async def grade(s, i):\n    return 1"}, "not async"),
        ({**GOOD[2], "source": "def grade(s, i, *, k):\n    return 1"}, "exactly two"),
    ],
)  # fmt: skip
def test_errors(grader: dict, expected: str | None) -> None:
    problems = validate_grader(grader)
    errors = [p for p in problems if not p.startswith("warning:")]
    if expected is None:  # an unclosed {{ is literal text, not an error
        assert errors == []
    else:
        assert any(expected in p for p in errors), problems


def test_warnings() -> None:
    problems = validate_grader(
        {"type": "python", "source": "import requests, torch\nfrom os import path\n"
         "def grade(s, i):\n    return 1", "image_tag": "2024-01-01", "extra": 1}
    )  # fmt: skip
    assert "warning: name: no name; the API requires one" in problems
    assert "warning: extra: unknown key for a python grader" in problems
    assert any("requests, torch" in p and "does not have" in p for p in problems)
    assert any(p.startswith("warning: image_tag") for p in problems)
    cos = {**GOOD[1], "evaluation_metric": "cosine"}
    assert validate_grader(cos) == ["warning: evaluation_metric: cosine is for evals only, not RFT"]


def test_source_size_limit() -> None:
    source = "def grade(s, i):\n    return 1\n" + "#" * (256 * 1024)
    assert ("error", "is 256 kB; the platform's limit is 256 kB") in python_source_problems(source)


def test_structural_flag() -> None:
    problems = find_problems({**GOOD[0], "input": "{{ item. }}", "operation": "x"})
    assert [(p.path, p.structural) for p in problems] == [("input", False), ("operation", True)]


def test_structural_problems_are_those_of_the_full_check() -> None:
    """The runtime's check (structural_problems) skips templates and python sources, which
    never hold a structural problem, and finds the same structural problems as the full one."""
    broken = [
        {**GOOD[0], "input": "{{ item. }}", "operation": "x"},
        {**GOOD[2], "source": "def grade(:"},
        {**MULTI, "graders": {**MULTI["graders"], "z": {"type": "python", "source": 3}}},
        {"type": "nope"},
        *GOOD,
    ]
    for grader in broken:
        full = [str(p) for p in find_problems(grader) if p.structural]
        assert structural_problems(grader) == full
    assert structural_problems(broken[1]) == [] and validate_grader(broken[1])


def test_not_an_object() -> None:
    assert validate_grader([1, 2]) == ["a grader must be a JSON object, not list"]  # type: ignore[arg-type]
