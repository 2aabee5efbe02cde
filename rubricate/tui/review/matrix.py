"""The verdict matrix of one answer: each criterion across the repeats, beside the experts.

Cells (:func:`cell`): ✓ / ✗ for met / not met (for a penalty, ✓ = the behaviour is present),
the level for a levelled criterion, the score for a check, ``?`` for an error, ``–`` for a
grade that did not run. A gating check gets its own row when it failed somewhere (it zeroed
the criterion) or when its judge has no score; the last row is the overall score (the
checks-only score when the judge did not run), with the experts' overall grades beside it.
Means are on the [0, 1] criterion scale. No UI here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rubricate.calibration.grades_table import is_scored
from rubricate.calibration.run_dir import AnswerKey
from rubricate.tui.review.data import DISAGREE, DISAGREE_TOTAL, Criterion, ReviewData

CHECK_SUFFIX = ":check"
"""How ``calibrate`` names the row of a check that gates a judged criterion."""


@dataclass(frozen=True)
class MatrixRow:
    """One criterion of the verdict matrix: the judge's cells per repeat, then the experts'."""

    criterion: Criterion
    cells: tuple[str, ...]
    judge_mean: float | None
    expert_cells: tuple[str, ...]
    expert_mean: float | None
    disagrees: bool
    errors: tuple[str, ...]


def cell(criterion: Criterion, score: float | None, scored: bool, error: str | None) -> str:
    """A grade as the matrix shows it: ✓ / ✗ for met / not met, the level for levels, the
    score for a check or the overall score, ``?`` for an error, ``–`` for not run."""
    if not scored or score is None or math.isnan(score):
        return "–" if error and error.startswith("not run") else "?"
    if criterion.kind == "total":
        return f"{score:.2f}"
    if criterion.kind == "gate" and score in (0.0, 1.0):
        return "✓" if score == 1.0 else "✗"
    if criterion.levels:
        return str(round(score * criterion.max_level))
    if score in (0.0, 1.0) and criterion.kind != "check":
        return "✓" if score == 1.0 else "✗"
    return f"{score:.2f}".rstrip("0").rstrip(".") if score not in (0.0, 1.0) else f"{score:g}"


def gate_matters(rows: pd.DataFrame, criterion: str, gate: str) -> bool:
    """Whether a gating check is worth its own row: it failed in some repeat (and so zeroed
    the criterion), or the judge's part has no score (its check is all that is known)."""
    gates = rows[rows["criterion"] == gate]
    judged = rows[rows["criterion"] == criterion]
    failed = bool((gates["score"].astype(float) < 1.0).any())
    return failed or not bool(is_scored(judged).any())


def shown_criteria(criteria: list[Criterion], grades: pd.DataFrame) -> list[Criterion]:
    """The rows of a matrix over ``grades`` (one answer's, or one item's): each criterion,
    followed by its gating check when the check is worth a row (:func:`gate_matters`)."""
    present = set(grades["criterion"])
    shown: list[Criterion] = []
    for criterion in criteria:
        shown.append(criterion)
        gate = criterion.id + CHECK_SUFFIX
        if gate in present and gate_matters(grades, criterion.id, gate):
            shown.append(Criterion(gate, "its check alone", "gate", None, None, 1))
    return shown


def verdict_matrix(
    data: ReviewData, key: AnswerKey
) -> tuple[list[int], list[str], list[MatrixRow]]:
    """The verdict matrix of one answer: repeats, expert names, one row per criterion (and
    one for a gating check when it failed somewhere or its judge has no score), and a last
    row for the overall score (the headline: ``__total__``, or ``__checks__`` when the
    judge did not run; the experts' overall grades sit beside it)."""
    grades = data.run.grades
    mine = grades[(grades["item_id"] == key[0]) & (grades["answer_id"] == key[1])]
    repeats = sorted(int(r) for r in mine["repeat"].unique())
    experts = data.experts
    answer_experts = (
        experts[(experts["item_id"] == key[0]) & (experts["answer_id"] == key[1])]
        if len(experts)
        else experts
    )
    names = sorted(answer_experts["expert"].unique()) if len(answer_experts) else []
    out = []
    overall = Criterion(data.headline, "the overall score", "total", None, None, 1)
    for criterion in [*shown_criteria(data.criteria, mine), overall]:
        rows = mine[mine["criterion"] == criterion.id].set_index("repeat")
        cells, errors, values = [], [], []
        for repeat in repeats:
            if repeat not in rows.index:
                cells.append(" ")
                continue
            row = rows.loc[repeat]
            scored = bool(row["scored"])
            score = float(row["score"]) if scored else None
            cells.append(cell(criterion, score, scored, row["error"]))
            if scored and score is not None and not math.isnan(score):
                values.append(score)
            elif row["error"]:
                errors.append(f"repeat {repeat}: {row['error']}")
        grades_here = answer_experts[answer_experts["criterion"] == criterion.id]
        by_expert = dict(zip(grades_here["expert"], grades_here["score"], strict=True))
        expert_cells = tuple(
            cell(criterion, by_expert[n], True, None) if n in by_expert else " " for n in names
        )
        judge_mean = float(np.mean(values)) if values else None
        expert_mean = float(np.mean(list(by_expert.values()))) if by_expert else None
        limit = DISAGREE_TOTAL * (data.high - data.low) if criterion is overall else DISAGREE
        disagrees = (
            judge_mean is not None
            and expert_mean is not None
            and abs(judge_mean - expert_mean) > limit
        )
        out.append(
            MatrixRow(
                criterion,
                tuple(cells),
                judge_mean,
                expert_cells,
                expert_mean,
                disagrees,
                tuple(errors),
            )  # fmt: skip
        )
    return repeats, names, out
