"""Checks that can never match, or always do: they look like tests of the answer and are not.

Rule ``check-never-matches`` (error), one line per value:

- ``numbers``: an expected amount written without digits (``"twelve dollars"``: the check
  reads digits, so it fails every answer), one that holds several amounts, or no amounts;
- ``contains``: an empty (or blank) text, which every answer contains; no texts at all;
- ``regex``: a pattern that can only match an empty string *and* matches every answer
  (``^``, ``(?:)|\\b``); ``^$`` (only an empty answer) is a real test and passes;
- ``set_f1``: an empty list of expected labels (precision, recall and F1 undefined);
- ``fuzzy``: an empty reference text (similar to no answer).

Templates (``{{ item.amount }}``) are values from the data and are not judged here.
"""

from __future__ import annotations

import re
from typing import Any

from rubricate.rubrics.compile.checklib.amounts import find_numbers
from rubricate.rubrics.lint.context import LintContext
from rubricate.rubrics.model import (
    ContainsCheck,
    FuzzyCheck,
    NumbersCheck,
    RegexCheck,
    SetF1Check,
)
from rubricate.rubrics.problems import NodePath, Problem

RULE = "check-never-matches"
_PROBES = ("", "a", "Z", "0", " ", ".", "\n", "An answer, with words.")
"""Answers a pattern that matches every answer matches; one that matches only empty strings
and all of these matches every answer (it can only match at positions, not text)."""


def _templated(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


def _numbers(ctx: LintContext, node: NodePath, check: NumbersCheck) -> list[Problem]:
    if not check.numbers:
        return [ctx.at(node, "no expected amounts, so the check fails every answer: list at "
                       "least one", RULE)]  # fmt: skip
    problems = []
    for index, value in enumerate(check.numbers):
        if not isinstance(value, str) or _templated(value):
            continue
        found = len(find_numbers(value))
        if found == 0:
            message = (
                f'"{value}" holds no amount the numbers check can find (it reads digits: $12, '
                "12.5%, 1.2M), so the check fails every answer: write the amount in digits, or "
                "use contains for words"
            )
        elif found > 1:
            message = (
                f'"{value}" holds {found} amounts; the numbers check compares one amount per '
                "entry: list them separately"
            )
        else:
            continue
        problems.append(ctx.at((*node, index), message, RULE))
    return problems


def _contains(ctx: LintContext, node: NodePath, check: ContainsCheck) -> list[Problem]:
    empty = (
        "an empty text is in every answer, so the check passes every answer: write the text "
        "that must appear"
    )
    if isinstance(check.contains, str):
        return [ctx.at(node, empty, RULE)] if not check.contains.strip() else []
    if not check.contains:
        return [ctx.at(node, "no texts, so the check says nothing about the answer: list at "
                       "least one", RULE)]  # fmt: skip
    return [ctx.at((*node, i), empty, RULE) for i, text in enumerate(check.contains)
            if not text.strip()]  # fmt: skip


def _max_width(pattern: str, flags: int) -> int | None:
    try:
        from re import _parser  # type: ignore[attr-defined]  # private (sre_parse): not in typeshed

        return int(_parser.parse(pattern, flags).getwidth()[1])
    except Exception:  # noqa: BLE001 - a pattern the parser refuses is bad-regex's business
        return None


def _regex(ctx: LintContext, node: NodePath, check: RegexCheck) -> list[Problem]:
    flags = re.IGNORECASE if check.ignore_case else 0
    if _templated(check.regex) or _max_width(check.regex, flags) != 0:
        return []
    try:
        pattern = re.compile(check.regex, flags)
    except re.error:
        return []
    if all(pattern.search(probe) for probe in _PROBES):
        return [ctx.at(node, f"{check.regex!r} can only match an empty string, which every "
                       "answer contains, so the check passes every answer: make the pattern "
                       "match text", RULE)]  # fmt: skip
    return []


def never_matches_rules(ctx: LintContext) -> list[Problem]:
    """The rule on every criterion's check (see the module docstring)."""
    problems: list[Problem] = []
    for node, criterion in ctx.criteria():
        check = criterion.check
        where = (*node, "check")
        if isinstance(check, NumbersCheck):
            problems += _numbers(ctx, (*where, "numbers"), check)
        elif isinstance(check, ContainsCheck) and not _templated(check.contains):
            problems += _contains(ctx, (*where, "contains"), check)
        elif isinstance(check, RegexCheck):
            problems += _regex(ctx, (*where, "regex"), check)
        elif isinstance(check, SetF1Check) and check.set_f1 == []:
            problems.append(ctx.at((*where, "set_f1"), "no expected labels, so precision, recall "
                                   "and F1 are undefined for every answer: list the labels, or "
                                   'name an item field ("{{ item.labels }}")', RULE))  # fmt: skip
        elif isinstance(check, FuzzyCheck) and not check.fuzzy.strip():
            problems.append(ctx.at((*where, "fuzzy"), "an empty reference text is similar to no "
                                   "answer, so the check fails every answer: write the "
                                   "reference, or name an item field", RULE))  # fmt: skip
    return problems
