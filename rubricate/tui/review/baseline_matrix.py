"""The samples of one item side by side: criteria down, samples across (model by model).

Cells are the verdict matrix's (:func:`rubricate.tui.review.matrix.cell`): ✓ / ✗ for met / not
met (for a penalty, ✓ = the behaviour is present), the level for a levelled criterion, the score
for a check or the overall score, ``–`` for a grade that did not run; a grade that is unscored
(a failed generation, a judge error) is ``err``, never 0. A gating check gets its own row when
it failed somewhere or its judge has no score. The first row is the reward (what the variance
study is about, so it is in sight on any terminal), then the criteria. After the samples, each
model's mean over its scored samples (on the criterion's scale). No UI here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rubricate.calibration.grades_table import TOTAL
from rubricate.tui.review.baseline_data import BaselineData, answer_id, sample_label
from rubricate.tui.review.data import Criterion
from rubricate.tui.review.matrix import cell, shown_criteria

ERROR_CELL = "err"


@dataclass(frozen=True)
class SampleColumn:
    """One sample's column."""

    model: str
    sample: int
    label: str

    @property
    def answer_id(self) -> str:
        return answer_id(self.model, self.sample)

    @property
    def key(self) -> str:
        return f"s:{self.answer_id}"


@dataclass(frozen=True)
class SampleRow:
    """One criterion across the samples, then each model's mean."""

    criterion: Criterion
    cells: tuple[str, ...]
    means: tuple[float | None, ...]
    """Per model (the data's order), over its scored samples; None when none is scored."""
    errors: tuple[str, ...]
    """``label: reason`` of each unscored cell."""


def sample_columns(data: BaselineData) -> list[SampleColumn]:
    """Every sample column, model by model, by sample index."""
    return [
        SampleColumn(model, index, sample_label(data, model, index))
        for model in data.models
        for index in range(data.run.samples)
    ]


def _cell(criterion: Criterion, score: float | None, scored: bool, error: str | None) -> str:
    shown = cell(criterion, score, scored, error)
    return ERROR_CELL if shown == "?" else shown


def sample_matrix(data: BaselineData, item_id: str) -> tuple[list[SampleColumn], list[SampleRow]]:
    """The samples of ``item_id`` side by side (see the module docstring)."""
    grades = data.run.grades
    mine = grades[grades["item_id"] == item_id]
    columns = sample_columns(data)
    shown = shown_criteria(data.criteria, mine)
    overall = Criterion(data.headline, "the reward", "total", None, None, 1)
    by_key: dict[tuple[str, str], Any] = {  # rows: pandas types their fields as any scalar
        (str(r.answer_id), str(r.criterion)): r for r in mine.itertuples(index=False)
    }  # one grade per sample and criterion
    out = []
    for criterion in [overall, *shown]:
        cells, errors = [], []
        values: dict[str, list[float]] = {m: [] for m in data.models}
        for column in columns:
            row = by_key.get((column.answer_id, criterion.id))
            if row is None:
                cells.append(" ")
                continue
            scored = bool(row.scored) and not math.isnan(float(row.score))
            score = float(row.score) if scored else None
            cells.append(_cell(criterion, score, scored, row.error))
            if scored and score is not None:
                values[column.model].append(score)
            elif row.error:
                errors.append(f"{column.label}: {row.error}")
        means = tuple(float(np.mean(values[m])) if values[m] else None for m in data.models)
        out.append(SampleRow(criterion, tuple(cells), means, tuple(errors)))
    return columns, out


def criterion_label(criterion: Criterion) -> str:
    """How a matrix row names its criterion."""
    if criterion.kind == "total":
        return "reward" if criterion.id == TOTAL else "checks-only score"
    if criterion.kind == "gate":
        return "  └ its check"
    return criterion.id
