"""What the review shows for a baseline run, computed without any UI: per item and model the
samples' scores and their spread, the items in headroom order, the learning-signal summary.
Textual-free, so it is tested directly.

Definitions (the same as the baseline report's, :mod:`rubricate.calibration.baseline.stats`):
per model and item, over the *scored* samples of the headline score (``__total__``, the
reward): ``mean``, ``max``, ``min``, ``sd`` (``ddof=1``, NaN under 2 samples) and
``headroom`` = max - mean. An item's headroom is the mean of its models' headrooms (the models
with a scored sample). Unscored samples (a failed generation, a grader error) are left out of
every figure, counted on their own and shown as errors, never as 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from rubricate.calibration.baseline.run_dir import BaselineRun
from rubricate.calibration.baseline.stats import item_study, learning_signal, study_summary
from rubricate.calibration.grades_table import is_scored
from rubricate.tui.review.data import (
    Criterion,
    fmt,
    headline_criterion,
    high_first,
    rubric_criteria,
    score_range,
)

BaselineOrder = Literal["headroom", "spread", "mean", "item"]
BASELINE_ORDERS: tuple[BaselineOrder, ...] = ("headroom", "spread", "mean", "item")
BASELINE_ORDER_NAMES = {
    "headroom": "highest headroom first",
    "spread": "widest spread first",
    "mean": "lowest mean first",
    "item": "items file order",
}
BaselineFilter = Literal["all", "unscored", "flat"]
BASELINE_FILTERS: tuple[BaselineFilter, ...] = ("all", "unscored", "flat")
BASELINE_FILTER_NAMES = {
    "all": "all items",
    "unscored": "items with an unscored sample",
    "flat": "items with no spread",
}
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ModelStats:
    """One model's samples on one item."""

    model: str
    scores: tuple[float, ...]
    """Headline score per sample index, NaN when unscored (or missing)."""
    errors: tuple[str | None, ...]
    """Why each sample is unscored (None when scored)."""
    n: int
    mean: float
    max: float
    min: float
    sd: float
    headroom: float

    @property
    def unscored(self) -> int:
        return sum(1 for e in self.errors if e is not None)

    @property
    def flat(self) -> bool:
        """Two or more scored samples, all the same."""
        return self.n >= 2 and abs(self.max - self.min) <= _TOLERANCE


@dataclass(frozen=True)
class ItemRow:
    """One item: each model's samples."""

    item_id: str
    models: tuple[ModelStats, ...]

    @property
    def headroom(self) -> float:
        """The mean of the models' headrooms (NaN when no model has a scored sample)."""
        return _mean([m.headroom for m in self.models])

    @property
    def spread(self) -> float:
        """The mean of the models' standard deviations."""
        return _mean([m.sd for m in self.models])

    @property
    def mean(self) -> float:
        return _mean([m.mean for m in self.models])

    @property
    def unscored(self) -> int:
        return sum(m.unscored for m in self.models)

    @property
    def flat(self) -> bool:
        """Every model with two or more scored samples gave them all the same score."""
        measured = [m for m in self.models if m.n >= 2]
        return bool(measured) and all(m.flat for m in measured)

    def stats(self, model: str) -> ModelStats | None:
        return next((m for m in self.models if m.model == model), None)


@dataclass
class BaselineData:
    """Everything the baseline review shows for one run."""

    run: BaselineRun
    headline: str
    low: float
    high: float
    criteria: list[Criterion]
    rows: list[ItemRow]
    signals: dict[str, dict[str, Any]] = field(default_factory=dict)
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        return self.run.models

    def row(self, item_id: str) -> ItemRow | None:
        return next((r for r in self.rows if r.item_id == item_id), None)

    def letter(self, model: str) -> str:
        """The model's letter in column labels (A, B, ...; "" with a single model)."""
        if len(self.models) < 2:
            return ""
        return _letters(self.models.index(model))


def _letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def _mean(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def _model_stats(model: str, rows: pd.DataFrame, samples: int) -> ModelStats:
    """One model's headline rows on one item -> its statistics."""
    scores = [math.nan] * samples
    errors: list[str | None] = [None] * samples
    scored = is_scored(rows)
    for sample, score, ok, error in zip(
        rows["sample"], rows["score"], scored, rows["error"], strict=True
    ):
        index = int(sample)
        if index >= len(scores):
            scores.extend([math.nan] * (index + 1 - len(scores)))
            errors.extend([None] * (index + 1 - len(errors)))
        scores[index] = float(score) if ok else math.nan
        errors[index] = None if ok else (error or "unscored")
    values = np.array([s for s in scores if not math.isnan(s)], dtype=float)
    n = int(values.size)
    return ModelStats(
        model=model,
        scores=tuple(scores),
        errors=tuple(errors),
        n=n,
        mean=float(values.mean()) if n else math.nan,
        max=float(values.max()) if n else math.nan,
        min=float(values.min()) if n else math.nan,
        sd=float(values.std(ddof=1)) if n > 1 else math.nan,
        headroom=float(values.max() - values.mean()) if n else math.nan,
    )


def item_rows(run: BaselineRun, headline: str) -> list[ItemRow]:
    """One row per item (the items file's order), each model's samples in it."""
    grades = run.grades[run.grades["criterion"] == headline]
    groups = {key: frame for key, frame in grades.groupby(["item_id", "model"], sort=False)}
    empty = grades.iloc[0:0]
    items = [i for i in run.items if any((i, m) in groups for m in run.models)]
    return [
        ItemRow(
            item,
            tuple(
                _model_stats(model, groups.get((item, model), empty), run.samples)
                for model in run.models
            ),
        )
        for item in items
    ]


def build_baseline(run: BaselineRun) -> BaselineData:
    """The review of a baseline run."""
    headline = headline_criterion(run.grades)
    low, high = score_range(run.rubric)
    data = BaselineData(
        run, headline, low, high, rubric_criteria(run.rubric, run.grades), item_rows(run, headline)
    )
    for model in run.models:
        data.signals[model] = learning_signal(run.grades, model, (low, high), headline)
        data.summaries[model] = study_summary(item_study(run.grades, model, headline))
    return data


def order_items(rows: list[ItemRow], order: BaselineOrder, items: list[str]) -> list[ItemRow]:
    """``rows`` sorted: ``headroom`` and ``spread`` highest first, ``mean`` lowest first (the
    hardest items), NaN last; ``item`` (and every tie) in the items file's order."""
    position = {item: i for i, item in enumerate(items)}

    def place(row: ItemRow) -> int:
        return position.get(row.item_id, len(position))

    def low_first(value: float) -> float:
        return value if not math.isnan(value) else math.inf

    if order == "headroom":
        return sorted(rows, key=lambda r: (high_first(r.headroom), place(r)))
    if order == "spread":
        return sorted(rows, key=lambda r: (high_first(r.spread), place(r)))
    if order == "mean":
        return sorted(rows, key=lambda r: (low_first(r.mean), place(r)))
    return sorted(rows, key=place)


def filter_items(rows: list[ItemRow], which: BaselineFilter) -> list[ItemRow]:
    """The items that pass a filter."""
    if which == "unscored":
        return [r for r in rows if r.unscored]
    if which == "flat":
        return [r for r in rows if r.flat]
    return list(rows)


def answer_id(model: str, sample: int) -> str:
    """The ``answer_id`` of a sample in the grades (``<model>#<i>``, as ``baseline`` names it)."""
    return f"{model}#{sample}"


def sample_label(data: BaselineData, model: str, sample: int) -> str:
    """A sample's column label: ``#0`` with one model, ``A#0`` with several."""
    return f"{data.letter(model)}#{sample}"


def models_legend(data: BaselineData) -> str:
    """``A cand-a · B cand-b`` (empty with a single model)."""
    if len(data.models) < 2:
        return ""
    return " · ".join(f"{data.letter(m)} {m}" for m in data.models)


def summary_line(data: BaselineData) -> str:
    """The run in one line, what matters most first (a narrow terminal cuts the end): who
    graded (the judge, or the checks alone when the rubric has no judged criterion), the
    run's status, then rubric, items, samples and models."""
    manifest = data.run.manifest
    models = ", ".join(data.models) if len(data.models) < 4 else f"{len(data.models)} models"
    judge = manifest.judge_model
    grader = f"judged by {judge}" if judge else "checks only (no judged criterion)"
    return (
        f"{grader} · {manifest.status or '?'} · baseline · "
        f"{manifest.rubric_id or '?'} · {len(data.rows)} items × "
        f"{data.run.samples} samples of {models}"
    )


def signal_line(data: BaselineData) -> str:
    """The unscored samples (first: they are easy to miss), then each model's learning-signal
    status and headroom."""
    parts = []
    unscored = sum(r.unscored for r in data.rows)
    if unscored:
        parts.append(f"{unscored} unscored sample{'s' if unscored != 1 else ''} (not 0)")
    for model in data.models:
        signal = data.signals.get(model, {})
        parts.append(
            f"{model}: {signal.get('status', '?')}, headroom {fmt(signal.get('headroom'), 3)}"
        )
    return " · ".join(parts)


def _items(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def study_text(data: BaselineData) -> str:
    """The variance study and learning signal per model, as the Study tab shows them."""
    blocks = []
    for model in data.models:
        summary, signal = data.summaries.get(model, {}), data.signals.get(model, {})
        unscored = sum(m.unscored for r in data.rows for m in r.models if m.model == model)
        lines = [
            f"── {model}",
            f"  items {summary.get('items', 0)} · scored samples {summary.get('samples', 0)}"
            f" · unscored {unscored} (left out, not 0)",
            f"  overall mean {fmt(summary.get('overall_mean'), 3)} · mean of maxima "
            f"{fmt(summary.get('mean_max'), 3)} · mean variance "
            f"{fmt(summary.get('mean_variance'), 4)} · headroom {fmt(signal.get('headroom'), 3)}",
            f"  zero variance {_share(signal.get('share_zero_variance'))} · always min "
            f"{_share(signal.get('share_all_min'))} · always max "
            f"{_share(signal.get('share_all_max'))}",
            f"  {signal.get('status', '?')}: {signal.get('verdict', '')}",
            f"  drop (always max): {_items(signal.get('drop', []))}",
            f"  fix or drop (always min): {_items(signal.get('fix', []))}",
            f"  flat in between: {_items(signal.get('flat', []))}",
            f"  fewer than 2 scored samples: {_items(signal.get('too_few', []))}",
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _share(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{100 * value:.0f}%"
