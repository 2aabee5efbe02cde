"""Lint finds a check that can never match (or always matches, so it says nothing): issue 14,
finding 5. ``check: {numbers: ["twelve dollars"]}`` passed lint and then failed every answer.
One clear line each, pointed at the value."""

from __future__ import annotations

import pytest

from rubricate.cli import run
from rubricate.rubrics.lint import RULES, lint_rubric
from rubricate.rubrics.loader import parse_rubric

HEAD = "rubric: 1\nid: r\ntitle: T\ntask: Q\ncriteria:\n  - id: a\n    weight: 1\n"


def _problems(check: str) -> list[str]:
    loaded = parse_rubric(HEAD + f"    check: {check}\n", "r.yaml")
    return [p.format() for p in lint_rubric(loaded, None) if p.rule == "check-never-matches"]


@pytest.mark.parametrize(
    ("check", "line"),
    [
        ('{numbers: ["twelve dollars"]}',
         'r.yaml:8:23: criteria[0].check.numbers[0]: "twelve dollars" holds no amount the '
         "numbers check can find (it reads digits: $12, 12.5%, 1.2M), so the check fails every "
         "answer: write the amount in digits, or use contains for words"),
        ('{numbers: ["$1,000 to $2,000"]}',
         'r.yaml:8:23: criteria[0].check.numbers[0]: "$1,000 to $2,000" holds 2 amounts; the '
         "numbers check compares one amount per entry: list them separately"),
        ("{numbers: []}",
         "r.yaml:8:13: criteria[0].check.numbers: no expected amounts, so the check fails every "
         "answer: list at least one"),
        ('{contains: ""}',
         'r.yaml:8:23: criteria[0].check.contains: an empty text is in every answer, so the '
         "check passes every answer: write the text that must appear"),
        ('{contains: ["x", " "]}',
         'r.yaml:8:29: criteria[0].check.contains[1]: an empty text is in every answer, so the '
         "check passes every answer: write the text that must appear"),
        ("{contains: []}",
         "r.yaml:8:13: criteria[0].check.contains: no texts, so the check says nothing about "
         "the answer: list at least one"),
        ("{regex: '^'}",
         "r.yaml:8:20: criteria[0].check.regex: '^' can only match an empty string, which "
         "every answer contains, so the check passes every answer: make the pattern match text"),
        ("{regex: '(?:)|\\b'}",
         "r.yaml:8:20: criteria[0].check.regex: '(?:)|\\\\b' can only match an empty string, "
         "which every answer contains, so the check passes every answer: make the pattern match "
         "text"),
        ("{set_f1: []}",
         "r.yaml:8:13: criteria[0].check.set_f1: no expected labels, so precision, recall and "
         "F1 are undefined for every answer: list the labels, or name an item field "
         '("{{ item.labels }}")'),
        ('{fuzzy: "", threshold: 0.8}',
         'r.yaml:8:20: criteria[0].check.fuzzy: an empty reference text is similar to no '
         "answer, so the check fails every answer: write the reference, or name an item field"),
    ],
)  # fmt: skip
def test_a_check_that_cannot_match_is_one_error_line(check: str, line: str) -> None:
    assert _problems(check) == [line]
    assert RULES["check-never-matches"][0] == "error"


@pytest.mark.parametrize(
    "check",
    ['{numbers: ["$300,000", "26.67%", 1.2e6, "{{ item.amount }}"]}', '{contains: "Alex"}',
     "{regex: '\\\\d+%'}", "{regex: '^$'}", '{set_f1: "{{ item.labels }}"}',
     '{fuzzy: "{{ item.passage }}", threshold: 0.9}', '{equals: ""}'],
)  # fmt: skip
def test_checks_that_can_match_pass(check: str) -> None:
    assert _problems(check) == []


def test_check_command_reports_it(tmp_path, capsys) -> None:  # noqa: ANN001
    path = tmp_path / "rubric.yaml"
    path.write_text(HEAD + '    check: {numbers: ["twelve dollars"]}\n', encoding="utf-8")
    assert run(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:8:23: criteria[0].check.numbers[0]: \"twelve dollars\" holds no amount" in out
