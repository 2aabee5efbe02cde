"""The safe ``calculate_output`` evaluator: grammar, hand-checked values, rejections."""

from __future__ import annotations

import math

import pytest

from rubricate.judge.formula import MAX_DEPTH, FormulaError, evaluate, parse

ENV = {"a": 0.5, "b": 0.25, "c": 1.0, "name": 0.9, "email": 1.0}


@pytest.mark.parametrize(
    "formula, expected",
    [
        ("(name + email) / 2", 0.95),  # the graders guide's example
        ("0.5 * a + 0.5 * b", 0.375),
        ("a - b - c", -0.75),  # left-associative: (0.5 - 0.25) - 1
        ("8 / 2 / 2", 2.0),  # left-associative: (8 / 2) / 2
        ("2 ^ 3 ^ 2", 512.0),  # right-associative: 2 ^ 9
        ("-2 ^ 2", -4.0),  # power binds tighter than the sign, as in Python
        ("2 ^ -1", 0.5),
        ("(-2) ^ 2", 4.0),
        ("2 * -a", -1.0),
        ("--a", 0.5),
        ("+a", 0.5),
        ("min(a, b, 0.3)", 0.25),
        ("max(a)", 0.5),
        ("abs(b - a)", 0.25),
        ("floor(2.7) + ceil(0.2)", 3.0),
        ("floor(-0.5)", -1.0),
        ("exp(0)", 1.0),
        ("sqrt(16)", 4.0),
        ("log(exp(2))", 2.0),  # natural logarithm
        (".5 + 1. + 1e-3 * 1000 + 2E1", 22.5),
        ("  a\t+\nb  ", 0.75),
        ("max(0, min(1, a + b - c))", 0.0),
    ],
)
def test_values(formula: str, expected: float) -> None:
    assert evaluate(formula, ENV) == pytest.approx(expected, abs=1e-12)


def test_names_are_collected() -> None:
    assert parse("min(a, b) + 2 * a - max(c)").names == {"a", "b", "c"}
    assert parse("1 + 2").names == frozenset()


def test_long_flat_formula_does_not_recurse() -> None:
    formula = "+".join(["a"] * 4000)
    assert evaluate(formula, {"a": 1.0}) == 4000.0


@pytest.mark.parametrize(
    "formula, words",
    [
        ("a.b", ["attribute access"]),
        ("a.__class__", ["attribute access"]),
        ("__import__('os')", ["'"]),
        ("__import__(a)", ["unknown function", "__import__"]),
        ("eval(a)", ["unknown function"]),
        ("pow(a, 2)", ["unknown function"]),
        ("a ** 2", ["'^'"]),
        ("a[0]", ["'['"]),
        ("a; b", ["';'"]),
        ("lambda: 1", ["':'"]),
        ("2a", ["malformed number"]),
        ("1.2.3", ["malformed number"]),
        ("x + a", ["unknown name", "'x'"]),
        ("min()", ["expected"]),
        ("abs(1, 2)", ["takes 1 argument"]),
        ("sqrt", ["unknown name"]),
        ("a +", ["expected"]),
        ("(a + b", ["')'"]),
        ("a b", ["expected an operator"]),
        ("", ["empty"]),
        ("   ", ["empty"]),
        ("1 / 0", ["division by zero"]),
        ("a / (b - b)", ["division by zero"]),
        ("0 ^ -1", ["negative power"]),
        ("10 ^ 400", ["overflow"]),
        ("9 ^ 9 ^ 9", ["overflow"]),
        ("exp(1000)", ["exp"]),
        ("1e300 * 1e300", ["finite"]),
        ("sqrt(-1)", ["sqrt"]),
        ("log(0)", ["log"]),
        ("(-8) ^ (1 / 3)", ["finite"]),
        ("1e999", ["too large"]),
    ],
)
def test_rejections(formula: str, words: list[str]) -> None:
    with pytest.raises(FormulaError) as info:
        evaluate(formula, ENV)
    for word in words:
        assert word in info.value.msg


def test_deep_nesting_is_rejected_cleanly() -> None:
    for formula in (
        "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1),
        "-" * (MAX_DEPTH + 5) + "1",
        "2^" * (MAX_DEPTH + 5) + "2",
        "abs(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1),
        "(" * 100_000,
    ):
        with pytest.raises(FormulaError, match="nested|longer"):
            parse(formula)
    # just inside the limit is fine
    assert evaluate("(" * (MAX_DEPTH - 1) + "1" + ")" * (MAX_DEPTH - 1), {}) == 1.0


def test_too_long_is_rejected() -> None:
    from rubricate.judge.formula import MAX_LENGTH

    with pytest.raises(FormulaError, match="longer"):
        parse("1+" * (MAX_LENGTH // 2 + 1) + "1")
    # a sum of 20,000 terms (a rubric of 20,000 criteria) is within it, and parsed flat
    assert evaluate("+".join(["1"] * 20_000), {}) == 20_000


def test_bad_values_for_names() -> None:
    with pytest.raises(FormulaError, match="not a number"):
        evaluate("a", {"a": "0.5"})  # type: ignore[dict-item]
    with pytest.raises(FormulaError, match="finite"):
        evaluate("a", {"a": math.nan})
    with pytest.raises(FormulaError, match="not a number"):
        evaluate("a", {"a": True})


def test_a_name_may_shadow_a_function_name() -> None:
    # a sub-grader called "max" is a variable unless it is followed by "("
    assert evaluate("max(max, 0.2)", {"max": 0.7}) == 0.7


def test_non_string_formula() -> None:
    with pytest.raises(FormulaError, match="string"):
        parse(3)  # type: ignore[arg-type]
