"""RFT readiness: is there a learning signal? Saturation, headroom and the variance study.

Reinforcement fine-tuning learns from the *differences* between grades of a prompt's samples:
an item whose every grade sits at the minimum (too hard or a broken grader) or at the maximum
(too easy) teaches nothing. OpenAI's RFT guide and build hour recommend a *variance study*:
grade several samples per prompt and look, per sample, at the mean, the max and the spread.

Definitions (tidy grades table, one criterion, default the total; unscored rows ignored):

- saturation: an item is *at the minimum* when every scored grade of every answer equals the
  range minimum (within 1e-9), *at the maximum* likewise; *saturated* = either;
- variance study, one row per *sample*: ``by="answer"`` (default) groups the repeats of one
  answer (the spread is grader noise over repeats); ``by="item"`` groups every grade of every
  answer of an item (the guide's per-prompt study, where samples of different quality share a
  prompt). Columns: n_scores, mean, max, min, SD (``ddof=1``), headroom = max - mean. Sorted by
  mean, ascending, as the build hour plots it;
- readiness summary: the saturation shares, and the mean and median headroom and SD over the
  variance study's samples.

Degenerate cases: no scored grade -> 0 items, NaN shares and headroom; a sample with one
scored grade has SD NaN and headroom 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from rubricate.calibration.grades_table import ANSWER_KEY, TOTAL, scored_rows

SampleUnit = Literal["answer", "item"]
_TOLERANCE = 1e-9


def _restrict(rows: pd.DataFrame, tiers: tuple[str, ...] | None) -> pd.DataFrame:
    return rows if tiers is None else rows[rows["tier"].isin(tiers)]


def variance_study(
    grades: pd.DataFrame,
    criterion: str = TOTAL,
    *,
    by: SampleUnit = "answer",
    tiers: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """The variance-study table: per sample mean, max, min, SD and headroom, sorted by mean.

    Args:
        grades: the tidy grades table.
        criterion: which criterion (default the total reward).
        by: ``"answer"`` (repeats of one answer) or ``"item"`` (all grades of an item).
        tiers: only these tiers (default all, adversarial included).

    Returns:
        A DataFrame indexed by the sample key (``(item_id, answer_id)`` or ``item_id``) with
        columns ``n_scores``, ``mean``, ``max``, ``min``, ``sd``, ``headroom``, ascending by
        mean (ties by key).
    """
    if by not in ("answer", "item"):
        raise ValueError(f"by must be 'answer' or 'item', got {by!r}")
    rows = _restrict(scored_rows(grades, criterion), tiers)
    key = ANSWER_KEY if by == "answer" else ["item_id"]
    grouped = rows.groupby(key, sort=True)["score"]
    # named aggregations make a DataFrame (pandas-stubs type SeriesGroupBy.agg as a Series)
    table = cast(
        pd.DataFrame,
        grouped.agg(n_scores="size", mean="mean", max="max", min="min", sd="std"),
    )
    table["headroom"] = table["max"] - table["mean"]
    table["n_scores"] = table["n_scores"].astype(int)
    return table.sort_values("mean", kind="stable")


@dataclass(frozen=True)
class Readiness:
    """RFT readiness figures of one criterion (or the total).

    Attributes:
        n_items: items with at least one scored grade.
        share_all_min, share_all_max: items whose every grade is at the range min / max.
        share_saturated: items at either extreme.
        n_samples: rows of the variance study.
        mean_headroom, median_headroom: of max - mean over the samples.
        mean_sd: mean of the samples' SDs (samples with two or more grades).
        score_range: the range the extremes refer to.
        by: the sample unit of the variance study.
    """

    n_items: int
    share_all_min: float
    share_all_max: float
    share_saturated: float
    n_samples: int
    mean_headroom: float
    median_headroom: float
    mean_sd: float
    score_range: tuple[float, float]
    by: str

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for JSON reports."""
        data = asdict(self)
        data["score_range"] = list(self.score_range)
        return data


def saturation(
    grades: pd.DataFrame,
    criterion: str = TOTAL,
    *,
    score_range: tuple[float, float] = (0.0, 1.0),
    tiers: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Per item: grades counted, and whether every one is at the range minimum or maximum.

    Returns:
        A DataFrame indexed by ``item_id`` with columns ``n_scores``, ``all_min``,
        ``all_max``, ``saturated``.
    """
    low, high = score_range
    rows = _restrict(scored_rows(grades, criterion), tiers)
    flags = rows.assign(
        _at_min=np.abs(rows["score"] - low) <= _TOLERANCE,
        _at_max=np.abs(rows["score"] - high) <= _TOLERANCE,
    )
    grouped = flags.groupby("item_id", sort=True)
    table = pd.DataFrame(
        {
            "n_scores": grouped.size().astype(int),
            "all_min": grouped["_at_min"].all().astype(bool),
            "all_max": grouped["_at_max"].all().astype(bool),
        }
    )
    table["saturated"] = table["all_min"] | table["all_max"]
    return table


def readiness(
    grades: pd.DataFrame,
    criterion: str = TOTAL,
    *,
    score_range: tuple[float, float] = (0.0, 1.0),
    by: SampleUnit = "answer",
    tiers: tuple[str, ...] | None = None,
) -> Readiness:
    """Saturation shares and headroom of one criterion.

    Args:
        grades: the tidy grades table.
        criterion: which criterion (default the total reward).
        score_range: the rubric's score range (``score.range``).
        by: the sample unit of the variance study (see :func:`variance_study`).
        tiers: only these tiers (default all).

    Returns:
        A :class:`Readiness`; see the module docstring for degenerate cases.
    """
    items = saturation(grades, criterion, score_range=score_range, tiers=tiers)
    study = variance_study(grades, criterion, by=by, tiers=tiers)
    n_items = len(items)

    def share(column: str) -> float:
        return float(items[column].mean()) if n_items else float("nan")

    sds = study["sd"].dropna()
    return Readiness(
        n_items=n_items,
        share_all_min=share("all_min"),
        share_all_max=share("all_max"),
        share_saturated=share("saturated"),
        n_samples=len(study),
        mean_headroom=float(study["headroom"].mean()) if len(study) else float("nan"),
        median_headroom=float(study["headroom"].median()) if len(study) else float("nan"),
        mean_sd=float(sds.mean()) if len(sds) else float("nan"),
        score_range=(float(score_range[0]), float(score_range[1])),
        by=by,
    )
