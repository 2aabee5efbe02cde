"""The verdict matrix of one answer: each criterion across the repeats, beside the experts.

Cells (:func:`cell`): ✓ / ✗ for met / not met (for a penalty, ✓ = the behaviour is present),
the level for a levelled criterion, the score for a check, ``?`` for an error, ``–`` for a
grade that did not run. A gating check gets its own row when it failed somewhere (it zeroed
the criterion) or when its judge has no score; the last row is the overall score (the
checks-only score when the judge did not run), with the experts' overall grades beside it.
Means are on the [0, 1] criterion scale. The table shows a row's repeats side by side, one
character each (:func:`glyph`), so the experts' columns fit beside them at 80 columns. No UI
here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rubricate.calibration.grades_table import is_scored
from rubricate.calibration.run.directory import AnswerKey
from rubricate.tui.review.data import (
    DISAGREE,
    DISAGREE_TOTAL,
    Criterion,
    ReviewData,
    disagree,
    spark,
)

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


def glyph(criterion: Criterion, value: str, low: float = 0.0, high: float = 1.0) -> str:
    """A matrix cell in one character, for the repeats side by side: ✓ ✗ ? – and a level as
    they are; a score (a check's, the overall one on [low, high]) as a bar like the answers'
    sparkline (the mean beside it gives the number), so a check's 1 is not read as level 1."""
    if value in ("✓", "✗", "?", "–", " ", ""):
        return value or " "
    if criterion.kind not in ("check", "total") and len(value) == 1:
        return value  # a level
    try:
        return spark([float(value)], low, high)
    except ValueError:
        return "?"


def gate_matters(gate_scores: list[float], judged_scored: bool) -> bool:
    """Whether a gating check is worth its own row: it failed in some repeat (a score below 1
    in ``gate_scores``: it zeroed the criterion), or the judge's part has no score
    (``judged_scored`` False: its check is all that is known)."""
    return any(score < 1.0 for score in gate_scores) or not judged_scored


def shown_criteria(criteria: list[Criterion], grades: pd.DataFrame) -> list[Criterion]:
    """The rows of a matrix over ``grades`` (one answer's, or one item's): each criterion,
    followed by its gating check when the check is worth a row (:func:`gate_matters`)."""
    names = grades["criterion"].astype(str).tolist()
    scores = grades["score"].astype(float).tolist()
    scored = {name for name, ok in zip(names, is_scored(grades).tolist(), strict=True) if ok}
    gates: dict[str, list[float]] = {}
    for name, score in zip(names, scores, strict=True):
        if name.endswith(CHECK_SUFFIX):
            gates.setdefault(name, []).append(score)
    shown: list[Criterion] = []
    for criterion in criteria:
        shown.append(criterion)
        gate = criterion.id + CHECK_SUFFIX
        if gate in gates and gate_matters(gates[gate], criterion.id in scored):
            shown.append(Criterion(gate, "its check alone", "gate", None, None, 1))
    return shown


def verdict_matrix(
    data: ReviewData, key: AnswerKey
) -> tuple[list[int], list[str], list[MatrixRow]]:
    """The verdict matrix of one answer: repeats, the names of the experts who graded it (in
    the order of their numbers, :meth:`ReviewData.expert_label`), one row per criterion (and
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
    graded = set(answer_experts["expert"]) if len(answer_experts) else set()
    names = [name for name in data.expert_names if name in graded]  # E1, E2 … order
    out = []
    overall = Criterion(data.headline, "the overall score", "total", None, None, 1)
    # plain dicts, built once: filtering the frame per criterion took a third of a second
    grid: dict[str, dict[int, dict]] = {}  # criterion -> repeat -> its grade
    for grade in mine[["criterion", "repeat", "score", "scored", "error"]].to_dict("records"):
        grid.setdefault(str(grade["criterion"]), {})[int(grade["repeat"])] = grade
    given: dict[str, dict[str, float]] = {}
    for grade in answer_experts[["criterion", "expert", "score"]].to_dict("records"):
        given.setdefault(str(grade["criterion"]), {})[grade["expert"]] = float(grade["score"])
    for criterion in [*shown_criteria(data.criteria, mine), overall]:
        rows = grid.get(criterion.id, {})
        cells, errors, values = [], [], []
        for repeat in repeats:
            row = rows.get(repeat)
            if row is None:
                cells.append(" ")
                continue
            scored = bool(row["scored"])
            score = float(row["score"]) if scored else None
            cells.append(cell(criterion, score, scored, row["error"]))
            if scored and score is not None and not math.isnan(score):
                values.append(score)
            elif row["error"]:
                errors.append(f"repeat {repeat}: {row['error']}")
        by_expert = given.get(criterion.id, {})
        expert_cells = tuple(
            cell(criterion, by_expert[n], True, None) if n in by_expert else " " for n in names
        )
        judge_mean = float(np.mean(values)) if values else None
        expert_mean = float(np.mean(list(by_expert.values()))) if by_expert else None
        limit = DISAGREE_TOTAL * (data.high - data.low) if criterion is overall else DISAGREE
        disagrees = disagree(judge_mean, expert_mean, limit)
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
