"""Weights and the score: can the rubric be scored at all, and can it pass?

Scores are normalised by the sum of positive weights (see :mod:`rubricate.rubrics.scoring`),
so a list of criteria without a positive weight cannot be scored; weight 0 marks a tracked
criterion (computed and reported, not scored).

Rules:

- ``no-positive-weight`` (error): no top-level criterion has a positive weight. Not reported
  when ``item_criteria`` is set: the items' own criteria may carry the positive weights.
- ``penalty-only-group`` (error): a group whose children have no positive weight.
- ``tracked-criterion`` (info): weight 0, reported but not scored.
- ``pass-threshold-range`` (error): ``pass_threshold`` outside ``score.range``.
- ``group-depth`` (error): groups nested deeper than a ``multi`` grader's formula can hold
  (:data:`~rubricate.rubrics.compile.formula.MAX_GROUP_DEPTH`).
"""

from __future__ import annotations

from rubricate.rubrics.lint.context import LintContext
from rubricate.rubrics.problems import Problem


def weight_rules(ctx: LintContext) -> list[Problem]:
    """The weight and threshold rules above."""
    rubric = ctx.rubric
    problems: list[Problem] = []
    if rubric.criteria and rubric.item_criteria is None:
        if not any(c.weight > 0 for c in rubric.criteria):
            problems.append(
                ctx.at(
                    ("criteria",),
                    "no top-level criterion has a positive weight, so no score can be "
                    "computed (scores are divided by the sum of positive weights); give at "
                    "least one criterion a weight above 0",
                    "no-positive-weight",
                    at_value=False,
                )
            )
    for node, criterion in ctx.criteria():
        if criterion.children is not None and not any(c.weight > 0 for c in criterion.children):
            problems.append(
                ctx.at(
                    (*node, "children"),
                    f'group "{criterion.id}" has no child with a positive weight (only '
                    "penalties or tracked criteria), so its score cannot be computed; give a "
                    "child a positive weight, or move the penalties out of the group",
                    "penalty-only-group",
                    at_value=False,
                )
            )
        if criterion.weight == 0:
            problems.append(
                ctx.at(
                    (*node, "weight"),
                    f'"{criterion.id}" has weight 0: it is computed and reported (tracked) but '
                    "does not count in the score",
                    "tracked-criterion",
                    "info",
                )
            )
    problems += _group_depth(ctx)
    low, high = rubric.score.range
    threshold = rubric.pass_threshold
    if threshold is not None and not low <= threshold <= high:
        problems.append(
            ctx.at(
                ("pass_threshold",),
                f"pass_threshold {threshold:g} is outside score.range [{low:g}, {high:g}], so "
                f"{'no answer can pass' if threshold > high else 'every answer passes'}; "
                "set it within the range",
                "pass-threshold-range",
            )
        )
    return problems


def _group_depth(ctx: LintContext) -> list[Problem]:
    from rubricate.rubrics.compile.formula import MAX_GROUP_DEPTH, group_depth

    problems = []
    for index, top in enumerate(ctx.rubric.criteria):
        depth = group_depth([top])
        if depth > MAX_GROUP_DEPTH:
            problems.append(
                ctx.at(
                    ("criteria", index),
                    f'"{top.id}" holds criteria nested {depth} groups deep; the compiled '
                    f"formula holds at most {MAX_GROUP_DEPTH} (the runtime parses at most 50 "
                    "levels of brackets): flatten the groups",
                    "group-depth",
                    at_value=False,
                )
            )
    return problems
