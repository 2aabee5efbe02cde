"""Stability of a grader over repeats: per-answer spread, pooled SD, ICC, verdict flip rates.

Every function takes the tidy grades table (:mod:`rubricate.calibration.grades_table`) and
ignores unscored rows (counting them). An *answer* is ``(item_id, answer_id)``; its repeats are
the grades of the same answer by the same grader.

Definitions:

- per answer: mean, SD (``ddof=1``; NaN with one scored repeat), min, max, spread = max - min,
  and the number of distinct scores among its repeats;
- pooled within-answer SD: ``sqrt(sum_a (n_a - 1) s_a^2 / sum_a (n_a - 1))`` over answers with
  at least two scored repeats (the root of the one-way ANOVA within mean square);
- ICC of the repeats: one-way random ICC(1,1) with answers as groups
  (:func:`rubricate.calibration.stats.icc.icc_oneway`); near 1 when repeats agree and answers
  differ;
- verdict flip: an answer *flips* on a criterion when its scored repeats do not all give the
  same score (for a binary criterion, the verdict changed; for a graded one, the level
  changed). Flip rate = flipped answers / answers with at least two scored repeats, with a
  Wilson (default) or exact Clopper-Pearson interval (:mod:`.proportion`). Answers are taken
  as independent trials. The per-call flip probability ``flip_p`` is estimated from the share
  of repeat pairs that disagree (:func:`flip_probability`);
- distinct score levels: how many different values the scored grades take (values are rounded
  to 9 decimals first, so floating-point noise does not count as a level).

Degenerate cases: no scored grade -> NaN statistics and 0 counts; no answer with two scored
repeats -> NaN pooled SD, flip rate and ICC; every grade equal -> pooled SD 0, flip rate 0 and
ICC NaN (0/0).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from rubricate.calibration.grades_table import ANSWER_KEY, TOTAL, check_grades, is_scored
from rubricate.calibration.stats.bootstrap import BootstrapCI, Seed, bootstrap_ratio_ci, rng_from
from rubricate.calibration.stats.icc import ICCEstimate, icc_oneway
from rubricate.calibration.stats.proportion import IntervalMethod, proportion_ci

_LEVEL_DECIMALS = 9


def distinct_levels(scores: pd.Series | np.ndarray) -> int:
    """How many different values ``scores`` takes (NaN ignored, rounded to 9 decimals)."""
    values = np.asarray(scores, dtype=float)
    values = values[~np.isnan(values)]
    return int(np.unique(np.round(values, _LEVEL_DECIMALS)).size)


def _criterion_rows(grades: pd.DataFrame, criterion: str) -> tuple[pd.DataFrame, pd.Series]:
    check_grades(grades)
    rows = grades[grades["criterion"] == criterion]
    return rows, is_scored(rows)


def answer_stability(grades: pd.DataFrame, criterion: str = TOTAL) -> pd.DataFrame:
    """Per answer: scored and unscored repeats, mean, SD, min, max, spread, distinct scores.

    Args:
        grades: the tidy grades table.
        criterion: which criterion (default the total reward).

    Returns:
        A DataFrame indexed by ``(item_id, answer_id)`` with columns ``tier``, ``kind``,
        ``n_scored``, ``n_unscored``, ``mean``, ``sd``, ``min``, ``max``, ``spread``,
        ``n_levels``, sorted by spread (least stable first), then by id. Answers whose every
        repeat is unscored are kept, with NaN statistics.
    """
    rows, scored = _criterion_rows(grades, criterion)
    rows = rows.assign(
        _score=rows["score"].astype(float).where(scored),
        _rounded=rows["score"].astype(float).where(scored).round(_LEVEL_DECIMALS),
        _unscored=~scored,
    )
    grouped = rows.groupby(ANSWER_KEY, sort=True, dropna=False)
    table = pd.DataFrame(
        {
            "tier": grouped["tier"].first(),
            "kind": grouped["kind"].first(),
            "n_scored": grouped["_score"].count().astype(int),
            "n_unscored": grouped["_unscored"].sum().astype(int),
            "mean": grouped["_score"].mean(),
            "sd": grouped["_score"].std(ddof=1),
            "min": grouped["_score"].min(),
            "max": grouped["_score"].max(),
            "n_levels": grouped["_rounded"].nunique().astype(int),
        }
    )
    table["spread"] = table["max"] - table["min"]
    columns = ["tier", "kind", "n_scored", "n_unscored", "mean", "sd", "min", "max", "spread"]
    table = table[[*columns, "n_levels"]]
    return table.sort_values("spread", ascending=False, kind="stable", na_position="last")


@dataclass(frozen=True)
class StabilitySummary:
    """Stability of one criterion (or the total) over all answers.

    Attributes:
        criterion: the criterion id, or ``"__total__"``.
        n_answers: answers with at least one scored repeat.
        n_scored, n_unscored: grades counted and excluded.
        pooled_within_sd: pooled SD of the repeats around each answer's mean.
        mean_spread: mean of the answers' max - min (answers with two scored repeats).
        icc: one-way ICC(1,1) of the repeats, answers as groups.
        distinct_levels: how many different scores occur.
    """

    criterion: str
    n_answers: int
    n_scored: int
    n_unscored: int
    pooled_within_sd: float
    mean_spread: float
    icc: ICCEstimate
    distinct_levels: int

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for JSON reports."""
        data = asdict(self)
        data["icc"] = self.icc.as_dict()
        return data


def stability_summary(
    grades: pd.DataFrame, criterion: str = TOTAL, *, confidence: float = 0.95
) -> StabilitySummary:
    """Pooled within-answer SD, ICC of the repeats and distinct levels of one criterion.

    Args:
        grades: the tidy grades table.
        criterion: which criterion (default the total reward).
        confidence: level of the ICC interval.

    Returns:
        A :class:`StabilitySummary`; see the module docstring for degenerate cases.
    """
    rows, scored = _criterion_rows(grades, criterion)
    ok = rows[scored]
    per_answer = answer_stability(grades, criterion)
    repeated = per_answer[per_answer["n_scored"] >= 2]
    dof = float((repeated["n_scored"] - 1).sum())
    pooled = (
        float(np.sqrt(((repeated["n_scored"] - 1) * repeated["sd"] ** 2).sum() / dof))
        if dof > 0
        else float("nan")
    )
    groups = ok["item_id"].astype(str) + "\x1f" + ok["answer_id"].astype(str)
    return StabilitySummary(
        criterion=criterion,
        n_answers=int((per_answer["n_scored"] > 0).sum()),
        n_scored=int(scored.sum()),
        n_unscored=int((~scored).sum()),
        pooled_within_sd=pooled,
        mean_spread=float(repeated["spread"].mean()) if len(repeated) else float("nan"),
        icc=icc_oneway(
            ok["score"].astype(float).to_numpy(), groups.to_numpy(), confidence=confidence
        ),
        distinct_levels=distinct_levels(ok["score"]),
    )


def flip_probability(disagreement: npt.ArrayLike) -> np.ndarray:
    """Per-call flip probability p from the pairwise disagreement rate D of repeats.

    A binary verdict reported with its true value flipped independently with probability p
    makes two repeats differ with probability ``D = 2 p (1 - p)``, so
    ``p = (1 - sqrt(1 - 2 D)) / 2`` (the root below 0.5; D above 0.5 is capped at p = 0.5).
    """
    d = np.clip(np.asarray(disagreement, dtype=float), 0.0, 0.5)
    return (1.0 - np.sqrt(1.0 - 2.0 * d)) / 2.0


def flip_rates(
    grades: pd.DataFrame,
    *,
    confidence: float = 0.95,
    method: IntervalMethod = "wilson",
    include_total: bool = False,
    n_resamples: int = 2000,
    seed: Seed = 0,
) -> pd.DataFrame:
    """Per criterion: the share of answers whose score changes across repeats, with its CI,
    and the per-call flip probability behind it.

    Two figures answer two questions. ``flip_rate`` (the report's headline, with a Wilson or
    exact interval over answers) is the share of answers whose verdict is not the same on
    every repeat; it grows with the number of repeats. ``flip_p`` is the probability that one
    call flips a binary verdict, estimated from the pooled share of disagreeing repeat pairs
    ``pair_disagreement`` (see :func:`flip_probability`), with a percentile cluster-bootstrap
    interval (answers resampled whole); it does not depend on the number of repeats, so it is
    what a scripted judge that flips with probability p recovers.

    Args:
        grades: the tidy grades table.
        confidence: level of the intervals.
        method: ``"wilson"`` or ``"exact"`` (Clopper-Pearson) for ``flip_rate``.
        include_total: also report the total reward as a row (any change of the total counts).
        n_resamples: bootstrap replicates for the ``flip_p`` interval.
        seed: int seed or Generator for that bootstrap.

    Returns:
        A DataFrame indexed by criterion with columns ``n_answers`` (answers with two or more
        scored repeats), ``n_flipped``, ``flip_rate``, ``ci_low``, ``ci_high``,
        ``pair_disagreement``, ``flip_p``, ``flip_p_low``, ``flip_p_high``, ``n_unscored``,
        ``distinct_levels`` and ``pooled_within_sd``, sorted by flip rate (highest first).
    """
    check_grades(grades)
    rows = grades if include_total else grades[grades["criterion"] != TOTAL]
    scored = is_scored(rows)
    ok = rows[scored].assign(_rounded=rows["score"].astype(float).round(_LEVEL_DECIMALS))
    keys = ["criterion", *ANSWER_KEY]
    per_answer = ok.groupby(keys, sort=False)["_rounded"].agg(["count", "nunique", "var"])
    level_counts = ok.groupby([*keys, "_rounded"], sort=False).size()
    squares = (level_counts.astype(float) ** 2).groupby(level=keys, sort=False).sum()
    per_answer["pairs"] = per_answer["count"] * (per_answer["count"] - 1) / 2.0
    per_answer["differing"] = (per_answer["count"] ** 2 - squares.reindex(per_answer.index)) / 2.0
    repeated = per_answer[per_answer["count"] >= 2]
    by_criterion = repeated.groupby(level="criterion")
    criteria = sorted(rows["criterion"].unique())
    table = pd.DataFrame(index=pd.Index(criteria, name="criterion"))
    table["n_answers"] = by_criterion.size().reindex(criteria).fillna(0).astype(int)
    flipped = (repeated["nunique"] > 1).groupby(level="criterion").sum()
    table["n_flipped"] = flipped.reindex(criteria).fillna(0).astype(int)
    n_answers = table["n_answers"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        table["flip_rate"] = table["n_flipped"] / np.where(n_answers > 0, n_answers, np.nan)
        table["ci_low"], table["ci_high"] = proportion_ci(
            table["n_flipped"].to_numpy(), n_answers, confidence=confidence, method=method
        )
        within = (repeated["var"] * (repeated["count"] - 1)).groupby(level="criterion").sum()
        dof = (repeated["count"] - 1).groupby(level="criterion").sum()
        pooled = cast(pd.Series, np.sqrt(within / dof.where(dof > 0)))  # a ufunc keeps the Series
    rng = rng_from(seed)
    disagreement = {}
    for criterion, part in repeated.groupby(level="criterion"):  # one bootstrap per criterion
        disagreement[criterion] = bootstrap_ratio_ci(
            part["differing"].to_numpy(),
            part["pairs"].to_numpy(),
            confidence=confidence,
            n_resamples=n_resamples,
            method="percentile",
            seed=rng,
        )
    nan_ci = BootstrapCI(np.nan, np.nan, np.nan, confidence, "percentile", 0, 0)
    cis = [disagreement.get(c, nan_ci) for c in criteria]
    table["pair_disagreement"] = [ci.estimate for ci in cis]
    table["flip_p"] = flip_probability([ci.estimate for ci in cis])
    table["flip_p_low"] = flip_probability([ci.low for ci in cis])
    table["flip_p_high"] = flip_probability([ci.high for ci in cis])
    table["n_unscored"] = (~scored).groupby(rows["criterion"]).sum().reindex(criteria).astype(int)
    levels = ok.groupby("criterion")["_rounded"].nunique()
    table["distinct_levels"] = levels.reindex(criteria).fillna(0).astype(int)
    table["pooled_within_sd"] = pooled.reindex(criteria)
    return table.sort_values("flip_rate", ascending=False, kind="stable", na_position="last")
