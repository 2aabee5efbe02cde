"""Compile a rubric into OpenAI grader JSON: ``multi``, ``score_model`` or ``python``.

:func:`compile_rubric` is pure (no IO) and deterministic: the same rubric gives the same
grader, and :func:`grader_json` the same bytes. Which target, when none is asked for
(:func:`default_target`):

- a rubric with per-item criteria (``item_criteria``) → ``score_model`` (they vary per item);
- ``judge.mode: holistic`` → ``score_model``;
- a rubric made only of checks → ``python``, unless it has tracked (weight-0) criteria, whose
  sub-rewards only a ``multi`` grader reports → ``multi``;
- otherwise (``judge.mode: per_criterion``, the default) → ``multi``.

Validation against the ``openai`` models is separate (:mod:`.validate`), because it imports
``openai``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, get_args

from rubricate.errors import GraderError, InputError
from rubricate.rubrics.compile.formula import build_formula
from rubricate.rubrics.compile.multi import multi_grader
from rubricate.rubrics.compile.names import (
    subgrader_names,
    subgrader_plan,
    verdicts_from_subrewards,
)
from rubricate.rubrics.compile.python_target import python_grader
from rubricate.rubrics.compile.score_model import holistic_grader
from rubricate.rubrics.compile.serialize import grader_json, grader_sha256
from rubricate.rubrics.model import RegexCheck, Rubric

Target = Literal["multi", "score_model", "python"]
TARGETS: tuple[str, ...] = get_args(Target)
"""Every compile target."""


def default_target(rubric: Rubric) -> Target:
    """The target a rubric asks for (see the module docstring)."""
    if rubric.item_criteria is not None or rubric.judge.mode == "holistic":
        return "score_model"
    leaves = rubric.leaves()
    if all(c.text is None for c in leaves):
        tracked = any(c.weight == 0 for _, c in rubric.walk())
        return "multi" if tracked else "python"
    return "multi"


def applicable_targets(rubric: Rubric) -> list[Target]:
    """The targets ``rubric`` can be compiled to (``python`` needs a rubric of checks only;
    ``multi`` cannot hold per-item criteria)."""
    out: list[Target] = []
    if rubric.item_criteria is None:
        out.append("multi")
    out.append("score_model")
    if rubric.item_criteria is None and all(c.text is None for c in rubric.leaves()):
        out.append("python")
    return out


def compile_rubric(rubric: Rubric, target: Target | None = None) -> dict[str, Any]:
    """Compile ``rubric`` into the grader JSON of ``target`` (None: :func:`default_target`).

    Callers load rubrics with :func:`rubricate.rubrics.lint.load_checked_rubric`, which refuses
    every lint error first; this function still refuses the two that would compile into a
    wrong grader rather than fail (a duplicate id, a regex that does not compile).

    Raises:
        GraderError: the rubric cannot be compiled to that target (e.g. judged criteria for
            ``python``, per-item criteria for ``multi``), or the target is unknown.
        InputError: duplicate ids, a regex that does not compile, sub-grader names collide,
            or a list of criteria has no positive weight.
    """
    _refuse_wrong_graders(rubric)
    chosen = target or default_target(rubric)
    if chosen == "multi":
        return multi_grader(rubric)
    if chosen == "score_model":
        return holistic_grader(rubric)
    if chosen == "python":
        return python_grader(rubric)
    raise GraderError(f"unknown compile target {chosen!r}; choose one of {', '.join(TARGETS)}")


def _refuse_wrong_graders(rubric: Rubric) -> None:
    seen: set[str] = set()
    for _, criterion in rubric.walk():
        if criterion.id in seen:
            raise InputError(
                f'rubric {rubric.id!r}: duplicate id "{criterion.id}"; ids must be unique across '
                "all criteria, groups included: rename one (`rubricate check` shows where)"
            )
        seen.add(criterion.id)
        if isinstance(criterion.check, RegexCheck):
            try:
                re.compile(criterion.check.regex)
            except (re.error, RecursionError, OverflowError) as error:
                raise InputError(
                    f"rubric {rubric.id!r}: criterion {criterion.id!r}: regex "
                    f"{criterion.check.regex!r} does not compile ({error}); fix the pattern"
                ) from None


def compile_exact(rubric: Rubric, target: Target | None = None) -> tuple[Target, dict, str]:
    """Compile ``rubric`` and parse its canonical JSON back: what a run grades with.

    Returns:
        ``(target, grader, text)``: the target used (``target``, else :func:`default_target`),
        the grader parsed from ``text``, and ``text`` itself (:func:`grader_json`). The grader
        that runs is exactly the one whose bytes are written and whose SHA-256 export looks
        for, never a dict that serialises differently.

    Raises:
        GraderError / InputError: as :func:`compile_rubric`.
    """
    chosen = target or default_target(rubric)
    text = grader_json(compile_rubric(rubric, chosen))
    return chosen, json.loads(text), text


__all__ = [
    "TARGETS",
    "Target",
    "applicable_targets",
    "build_formula",
    "compile_exact",
    "compile_rubric",
    "default_target",
    "grader_json",
    "grader_sha256",
    "subgrader_names",
    "subgrader_plan",
    "verdicts_from_subrewards",
]
