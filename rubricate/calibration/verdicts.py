"""From grade records to rows of the tidy grades table: criteria, checks, the total.

A ``multi`` grader compiled from a rubric reports one sub-reward per sub-grader
(:func:`rubricate.rubrics.compile.subgrader_plan`); this module maps them back to the rubric's
leaf criteria. One record gives these rows (``criterion`` column):

- every leaf criterion id: its score in [0, 1] as the grader's formula uses it: a met / not
  met judge 0 or 1 (for a penalty, 1 = present), a levelled judge ``level / max``, a check its
  score, a gated criterion ``gate * judge``;
- ``<id>:check`` for a criterion whose check gates its judge: the check alone (a slug never
  holds ``:``, so these never clash with criterion ids). They show what the deterministic part
  decides, and are the only part that runs without a model;
- ``__checks__`` (:data:`CHECKS`), for a rubric mixing checks and judged criteria: the
  rubric's scoring over its deterministic checks alone (a check-only criterion's score, a gated
  criterion's check; judged-only criteria left out, weights renormalised, on the score range).
  It is not the reward: it is what can be measured without a judge, and the report's headline
  when the judge did not run;
- ``__total__``: the record's reward.

Other targets (``score_model``, ``python``) report only ``__total__``.

A row is *unscored* (``scored`` False, no score) when its sub-grader erred; ``error`` says why.
A judge result outside its range (clipped by the platform) makes its rows unscored with an
``error`` starting ``model_grader_clipped``; a run with ``--score-clipped`` keeps them scored at
the clipped value, with :data:`CLIPPED_SCORED` as their ``error``, so they are still counted.
It is *not run* when the sub-graders it needs were never attempted because no model endpoint is
configured: ``error`` then starts with :data:`NOT_RUN`, and statistics leave such rows out
entirely (they are not judge errors). A gated criterion whose judge did not run is not run even
when its check failed: its ``:check`` row holds what is known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rubricate.calibration.grades_table import TOTAL
from rubricate.errors import InputError
from rubricate.judge.graders.base import CLIPPED, NOT_CONFIGURED
from rubricate.judge.graders.kinds import MODEL_TYPES
from rubricate.judge.records import GradeRecord
from rubricate.rubrics.compile import subgrader_plan
from rubricate.rubrics.model import Criterion, Rubric
from rubricate.rubrics.scoring import to_range, weighted_mean

if TYPE_CHECKING:  # pandas is imported where used: ~0.4 s the grading does not need
    import pandas as pd

CHECKS = "__checks__"
"""The ``criterion`` of the checks-only score."""
CHECK_SUFFIX = ":check"
"""Suffix of the row of a check that gates a judged criterion."""
NOT_RUN = "not run"
"""How the ``error`` of a never-attempted row starts."""
NOT_RUN_ERROR = f"{NOT_RUN}: no model endpoint configured"
CLIPPED_SCORED = f"{CLIPPED}: counted as scored at the clipped value (--score-clipped)"
"""The ``error`` of a *scored* row whose judge result was clipped (the run counted it)."""


@dataclass(frozen=True)
class CriterionPlan:
    """How one leaf criterion is graded by the compiled grader.

    Attributes:
        id: the criterion id.
        kind: ``judged``, ``check`` or ``both`` (a check gating a judge).
        judge: the judge sub-grader's name (None for a check).
        check: the check sub-grader's name (the gate for ``both``; None for ``judged``).
        max_level: the top level (1 for met / not met).
        weight: the criterion's weight (negative: a penalty; 0: tracked).
        panel: for a panel grader (:mod:`rubricate.rubrics.compile.panel`), every judge's
            sub-grader of this criterion (``judge`` is the first); empty otherwise.
        rule: how the panel pools them (``majority`` or ``mean``).
    """

    id: str
    kind: str
    judge: str | None
    check: str | None
    max_level: int
    weight: float
    panel: tuple[str, ...] = ()
    rule: str = "majority"

    @property
    def judges(self) -> tuple[str, ...]:
        """Every sub-grader that judges this criterion (one, or the panel's)."""
        return self.panel or ((self.judge,) if self.judge is not None else ())


@dataclass(frozen=True)
class GraderPlan:
    """What rows a compiled grader's records give, and what its judge calls cost.

    Attributes:
        target: ``multi``, ``score_model`` or ``python``.
        criteria: the leaf criteria (empty unless ``multi``).
        model_subgraders: names of the sub-graders that call a model (``multi``).
        calls_per_grade: model calls one full grade makes.
        checks_score: whether ``__checks__`` rows are made.
    """

    target: str
    criteria: tuple[CriterionPlan, ...] = ()
    model_subgraders: tuple[str, ...] = ()
    calls_per_grade: int = 0
    checks_score: bool = False
    _rubric: Rubric | None = field(default=None, repr=False, compare=False)

    @property
    def judged_criteria(self) -> list[str]:
        """Ids of the criteria a model judges."""
        return [c.id for c in self.criteria if c.judge is not None]

    def criterion(self, cid: str) -> CriterionPlan:
        return next(c for c in self.criteria if c.id == cid)


def plan_grader(
    rubric: Rubric,
    grader: dict[str, Any],
    target: str,
    panel: dict[str, Any] | None = None,
) -> GraderPlan:
    """The plan of ``grader``, compiled from ``rubric`` to ``target``; ``panel``
    (``{"judges": [...], "rule": ...}``, as ``run.json`` records it) for a panel grader."""
    from rubricate.rubrics.compile.panel import panel_name

    if target != "multi":
        calls = 1 if grader.get("type") in MODEL_TYPES else 0
        return GraderPlan(target=target, calls_per_grade=calls, _rubric=rubric)
    leaves = {c.id: c for c in rubric.leaves()}
    names: dict[str, dict[str, str]] = {}
    for cid, name, role in subgrader_plan(rubric):
        names.setdefault(cid, {})[role] = name
    criteria = []
    for cid, roles in names.items():
        node = leaves[cid]
        judge = roles.get("judge")
        pool: tuple[str, ...] = ()
        if panel and judge is not None:
            pool = tuple(panel_name(judge, k) for k in range(1, len(panel["judges"]) + 1))
            judge = pool[0]
        criteria.append(
            CriterionPlan(
                id=cid,
                kind=node.kind,
                judge=judge,
                check=roles.get("gate") or roles.get("check"),
                max_level=node.max_level,
                weight=node.weight,
                panel=pool,
                rule=panel["rule"] if panel else "majority",
            )
        )
    models = tuple(k for k, v in grader["graders"].items() if v.get("type") in MODEL_TYPES)
    kinds = {c.kind for c in criteria}
    mixed = "judged" in kinds or "both" in kinds
    has_checks = "check" in kinds or "both" in kinds
    return GraderPlan(
        target="multi",
        criteria=tuple(criteria),
        model_subgraders=models,
        calls_per_grade=len(models),
        checks_score=mixed and has_checks,
        _rubric=rubric,
    )


Row = tuple[str, float, bool, str | None]
"""``(criterion, score, scored, error)``; score NaN when not scored."""


def _missing(record: GradeRecord, criterion: str, name: str) -> Row:
    """The row of ``criterion`` whose sub-grader ``name`` has no reward."""
    error = record.sub_errors.get(name)
    if error == NOT_CONFIGURED:
        return (criterion, math.nan, False, NOT_RUN_ERROR)
    return (criterion, math.nan, False, error or f"sub-grader {name} did not report")


def _value(record: GradeRecord, name: str) -> float | None:
    value = record.sub_rewards.get(name)
    return None if value is None else float(value)


def _judged(plan: CriterionPlan, record: GradeRecord) -> float | Row:
    """The criterion's judged verdict in [0, 1] (a panel's pooled), or the unscored row."""
    from rubricate.rubrics.compile.panel import PanelRule, pooled

    values = []
    for name in plan.judges:
        value = _value(record, name)
        if value is None:
            return _missing(record, plan.id, name)
        values.append(value)
    if plan.panel:
        rule: PanelRule = "mean" if plan.rule == "mean" else "majority"
        return pooled(values, rule, plan.max_level) / plan.max_level
    return values[0] / plan.max_level


def _criterion_row(plan: CriterionPlan, record: GradeRecord) -> Row:
    judged = None
    if plan.judge is not None:
        got = _judged(plan, record)
        if isinstance(got, tuple):
            return got
        judged = got
    clipped = any(name in record.clipped for name in plan.judges)
    note = CLIPPED_SCORED if clipped else None
    if plan.check is None:
        assert judged is not None  # a criterion without a check is judged
        return (plan.id, float(judged), True, note)
    check = _value(record, plan.check)
    if check is None:
        return _missing(record, plan.id, plan.check)
    return (plan.id, check if judged is None else check * judged, True, note)


def _checks_score(rubric: Rubric, values: dict[str, float | None]) -> Row:
    """The checks-only score from each check's value (None: errored)."""
    if any(v is None for v in values.values()):
        return (CHECKS, math.nan, False, "a check failed to run")
    scores = {k: v for k, v in values.items() if v is not None}  # all of them

    def mean(nodes: list[Criterion], where: str) -> float | None:
        pairs = []
        for node in nodes:
            if node.children is not None:
                inner = mean(node.children, f"group '{node.id}'")
                if inner is not None:
                    pairs.append((node.weight, min(1.0, max(0.0, inner))))
            elif node.id in scores:
                pairs.append((node.weight, float(scores[node.id])))
        if not any(w > 0 for w, _ in pairs):
            return None
        return weighted_mean(pairs, where)

    raw = mean(rubric.criteria, "checks")
    if raw is None:
        return (CHECKS, math.nan, False, "no check with a positive weight")
    return (CHECKS, to_range(rubric, raw), True, None)


def _total_row(record: GradeRecord) -> Row:
    if record.scored:
        return (TOTAL, float(record.reward), True, CLIPPED_SCORED if record.clipped else None)
    errors = set(record.sub_errors.values())
    details = record.metadata.errors.model_grader_server_error_details
    if (errors and errors <= {NOT_CONFIGURED}) or (not errors and details == "not_configured"):
        return (TOTAL, math.nan, False, NOT_RUN_ERROR)
    return (TOTAL, math.nan, False, record.error or "unscored")


def record_rows(plan: GraderPlan, record: GradeRecord, only: set[str] | None = None) -> list[Row]:
    """The rows of one record.

    Args:
        plan: the grader's plan.
        record: a full grade, or a partial one (``only``).
        only: for a partial grade (adaptive repeats), the criterion ids it graded: only their
            rows are made, and no ``__checks__`` or ``__total__`` row.
    """
    rows: list[Row] = []
    checks: dict[str, float | None] = {}
    for criterion in plan.criteria:
        if only is not None and criterion.id not in only:
            continue
        rows.append(_criterion_row(criterion, record))
        if criterion.check is not None:
            value = _value(record, criterion.check)
            checks[criterion.id] = value
            if criterion.kind == "both":
                if value is None:
                    rows.append(_missing(record, criterion.id + CHECK_SUFFIX, criterion.check))
                else:
                    rows.append((criterion.id + CHECK_SUFFIX, value, True, None))
    if only is None:
        if plan.checks_score and plan._rubric is not None:
            rows.append(_checks_score(plan._rubric, checks))
        rows.append(_total_row(record))
    return rows


def is_not_run(grades: pd.DataFrame) -> pd.Series:
    """Rows that were never attempted (no model endpoint), by their ``error``."""
    error = grades["error"].astype("string").fillna("")
    return (~grades["scored"].astype(bool)) & error.str.startswith(NOT_RUN)


def subgraders_for(plan: GraderPlan, criteria: set[str]) -> list[str]:
    """The sub-graders that grade ``criteria`` (judge and check of each), in grader order.

    Raises:
        InputError: a criterion the plan does not have.
    """
    names = []
    for cid in criteria:
        if cid not in {c.id for c in plan.criteria}:
            raise InputError(f"no criterion {cid!r} in the grader")
    for criterion in plan.criteria:
        if criterion.id in criteria:
            names += [n for n in (criterion.check,) if n is not None] + list(criterion.judges)
    return names
