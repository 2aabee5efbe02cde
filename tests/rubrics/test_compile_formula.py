"""``calculate_output`` computes what the rubric's scoring function computes.

The formula is evaluated with the runtime's own safe evaluator (``rubricate.judge.formula``),
the one that runs the compiled grader locally.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rubricate.errors import GraderError, InputError
from rubricate.judge.formula import evaluate
from rubricate.rubrics.compile.formula import build_formula, check_formula, number
from rubricate.rubrics.compile.names import (
    subgrader_names,
    subgrader_plan,
    verdicts_from_subrewards,
)
from rubricate.rubrics.model import Rubric
from rubricate.rubrics.scoring import score

LEVELS = {0: "absent", 1: "mentioned", 2: "explained"}


def make(criteria: list[dict], **extra) -> Rubric:
    return Rubric.model_validate(
        {"rubric": 1, "id": "r", "title": "t", "criteria": criteria, **extra}
    )


RUBRIC = make(
    [
        {"id": "ownership", "text": "Ownership", "weight": 0.1, "check": {"numbers": ["20%"]}},
        {"id": "income", "text": "Income", "weight": 0.2},
        {"id": "invents-position", "text": "Invents a position", "weight": -0.3},
        {"id": "explanation", "text": "Explains", "weight": 0.2, "levels": LEVELS},
        {
            "id": "basis",
            "weight": 0.4,
            "children": [
                {"id": "alex-stock", "check": {"numbers": ["$248,333"]}, "weight": 0.5},
                {"id": "alex-debt", "text": "Debt basis", "weight": 0.5},
                {"id": "basis-error", "text": "Confuses debt and stock", "weight": -1},
                {"id": "mentions-1231", "check": {"contains": "1231"}, "weight": 0},
            ],
        },
        {"id": "style", "check": {"fuzzy": "{{ item.memo }}", "threshold": 0.8}, "weight": 0.1},
        {"id": "recall", "check": {"set_f1": ["a"], "metric": "recall"}, "weight": 0},
    ]
)


def test_names_follow_ids_and_groups() -> None:
    assert subgrader_names(RUBRIC) == {
        "ownership": "ownership",
        "income": "income",
        "invents-position": "invents_position",
        "explanation": "explanation",
        "alex-stock": "basis__alex_stock",
        "alex-debt": "basis__alex_debt",
        "basis-error": "basis__basis_error",
        "mentions-1231": "basis__mentions_1231",
        "style": "style",
        "recall": "recall",
    }
    assert ("ownership", "ownership__gate", "gate") in subgrader_plan(RUBRIC)


def test_names_are_stable_under_reordering() -> None:
    data = RUBRIC.model_dump(exclude_none=True)
    data["criteria"].reverse()
    next(c for c in data["criteria"] if c["id"] == "basis")["children"].reverse()
    assert subgrader_names(Rubric.model_validate(data)) == subgrader_names(RUBRIC)


def test_names_are_identifiers_even_for_odd_ids() -> None:
    r = make(
        [
            {"id": "2024-income", "text": "A", "weight": 1},
            {"id": "log", "text": "B", "weight": 1},
            {"id": "class", "text": "C", "weight": 1},
        ]
    )
    assert list(subgrader_names(r).values()) == ["c_2024_income", "log_", "class_"]


def test_colliding_names_are_an_error_naming_both() -> None:
    r = make([{"id": "a-b", "text": "A", "weight": 1}, {"id": "a_b", "text": "B", "weight": 1}])
    with pytest.raises(InputError, match="'a-b' and 'a_b' both become the sub-grader name 'a_b'"):
        subgrader_names(r)


def test_formula_reads_like_the_rubric() -> None:
    assert build_formula(RUBRIC) == (
        "min(1, max(0, (0.1 * ownership__gate * ownership + 0.2 * income"
        " - 0.3 * invents_position + 0.2 * (explanation / 2)"
        " + 0.4 * min(1, max(0, (0.5 * basis__alex_stock + 0.5 * basis__alex_debt"
        " - basis__basis_error)))"
        " + 0.1 * style)))"
    )


def test_formula_grammar_is_the_platforms() -> None:
    names = {name for _, name, _ in subgrader_plan(RUBRIC)}
    check_formula(build_formula(RUBRIC), names)
    for bad, words in [
        ("a ** 2", "power operator is `^`"),
        ("a.b", "not allowed"),
        ("__import__('os')", "not allowed"),
        ("nope + 1", "unknown name 'nope'"),
        ("(a", "not a valid formula"),
    ]:
        with pytest.raises(GraderError, match=re.escape(words)):
            check_formula(bad, {"a"})
    check_formula("min(1, a ^ 2) - -a", {"a"})


def test_numbers_are_plain_decimals() -> None:
    assert [number(x) for x in (1.0, 0.05, 1e-05, 2, 0.1 + 0.2)] == [
        "1",
        "0.05",
        "0.00001",
        "2",
        "0.30000000000000004",
    ]


# sub-rewards, and the score worked by hand
CASES = [
    # everything right: (0.1 + 0.2 + 0.2 + 0.4*1 + 0.1) / 1 = 1
    (
        dict(
            ownership__gate=1,
            ownership=1,
            income=1,
            invents_position=0,
            explanation=2,
            basis__alex_stock=1,
            basis__alex_debt=1,
            basis__basis_error=0,
            basis__mentions_1231=0,
            style=1,  # 0.95 >= 0.8
            recall=0.2,
        ),
        1.0,
    ),
    # gate fails (ownership 0), level 1 (0.5), group (0.5*1 + 0.5*0 - 0) = 0.5, style fails (0)
    # (0 + 0.2 - 0 + 0.2*0.5 + 0.4*0.5 + 0) = 0.5
    (
        dict(
            ownership__gate=0,
            ownership=1,
            income=1,
            invents_position=0,
            explanation=1,
            basis__alex_stock=1,
            basis__alex_debt=0,
            basis__basis_error=0,
            basis__mentions_1231=1,
            style=0,  # the fuzzy check's own threshold: 0.79 < 0.8
            recall=1,
        ),
        0.5,
    ),
    # penalties: group (0.5 + 0.5 - 1) = 0 ; top (0.1 + 0 - 0.3 + 0 + 0 + 0.1) = -0.1 -> 0
    (
        dict(
            ownership__gate=1,
            ownership=1,
            income=0,
            invents_position=1,
            explanation=0,
            basis__alex_stock=1,
            basis__alex_debt=1,
            basis__basis_error=1,
            basis__mentions_1231=1,
            style=1,  # 0.8 >= 0.8
            recall=0,
        ),
        0.0,
    ),
    # group clipped below: (0 + 0 - 1) -> 0 ; top: 0.1 + 0.2 + 0.2*1 = 0.5
    (
        dict(
            ownership__gate=1,
            ownership=1,
            income=1,
            invents_position=0,
            explanation=2,
            basis__alex_stock=0,
            basis__alex_debt=0,
            basis__basis_error=1,
            basis__mentions_1231=0,
            style=0,
            recall=0,
        ),
        0.5,
    ),
]


@pytest.mark.parametrize(("subs", "expected"), CASES)
def test_formula_equals_scoring_on_hand_worked_cases(subs: dict, expected: float) -> None:
    formula_value = evaluate(build_formula(RUBRIC), subs)
    scored = score(RUBRIC, verdicts_from_subrewards(RUBRIC, subs))
    assert formula_value == pytest.approx(expected, abs=1e-12)
    assert scored == pytest.approx(expected, abs=1e-12)


def test_range_mapping_and_clipping_in_the_formula() -> None:
    r = make(
        [
            {"id": "a", "text": "A", "weight": 3},
            {"id": "b", "text": "B", "weight": 1},
            {"id": "p", "text": "P", "weight": -2},
        ],
        score={"range": [-5, 5]},
    )
    formula = build_formula(r)
    assert formula == "min(5, max(-5, -5 + 10 * (3 * a + b - 2 * p) / 4))"
    # (3 + 0 - 0)/4 = 0.75 -> -5 + 7.5 = 2.5 ; (0 + 0 - 2)/4 = -0.5 -> -10 -> clipped -5
    for subs, expected in [({"a": 1, "b": 0, "p": 0}, 2.5), ({"a": 0, "b": 0, "p": 1}, -5.0)]:
        assert evaluate(formula, subs) == pytest.approx(expected)
        assert score(r, verdicts_from_subrewards(r, subs)) == pytest.approx(expected)


def test_leading_penalty_is_written_without_unary_minus() -> None:
    r = make([{"id": "p", "text": "P", "weight": -1}, {"id": "a", "text": "A", "weight": 1}])
    assert build_formula(r) == "min(1, max(0, (0 - p + a)))"


_subs = st.fixed_dictionaries(
    {
        "ownership__gate": st.sampled_from([0.0, 1.0]),
        "ownership": st.sampled_from([0.0, 1.0]),
        "income": st.sampled_from([0.0, 1.0]),
        "invents_position": st.sampled_from([0.0, 1.0]),
        "explanation": st.sampled_from([0.0, 1.0, 2.0]),
        "basis__alex_stock": st.floats(0, 1),
        "basis__alex_debt": st.sampled_from([0.0, 1.0]),
        "basis__basis_error": st.sampled_from([0.0, 1.0]),
        "basis__mentions_1231": st.sampled_from([0.0, 1.0]),
        "style": st.floats(0, 1),
        "recall": st.floats(0, 1),
    }
)


@settings(max_examples=150, deadline=None)
@given(_subs)
def test_formula_equals_scoring_everywhere(subs: dict) -> None:
    expected = score(RUBRIC, verdicts_from_subrewards(RUBRIC, subs))
    assert evaluate(build_formula(RUBRIC), subs) == pytest.approx(expected, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.sampled_from([1, 0.5, 0.05, -0.2, -1, 0]), min_size=65, max_size=4200),
    st.randoms(use_true_random=False),
)
def test_long_lists_are_summed_in_chunks_and_still_equal_scoring(weights, rnd) -> None:
    """More than SUM_CHUNK criteria: a sum of parenthesised sums, with the same value."""
    from rubricate.rubrics.compile.formula import SUM_CHUNK

    weights[0] = 1  # a positive weight to divide by
    criteria = [{"id": f"c{i}", "check": {"contains": "x"}, "weight": w}
                for i, w in enumerate(weights)]  # fmt: skip
    rubric = make(criteria, score={"range": [-1, 2]})
    formula = build_formula(rubric)
    counted = sum(1 for w in weights if w != 0)
    assert ("((" in formula) == (counted > SUM_CHUNK)
    check_formula(formula, frozenset(f"c{i}" for i in range(len(weights))))
    subs = {f"c{i}": rnd.random() for i in range(len(weights))}
    expected = score(rubric, verdicts_from_subrewards(rubric, subs))
    assert evaluate(formula, subs) == pytest.approx(expected, abs=1e-9)
