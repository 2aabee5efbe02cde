"""The report's agreement section: experts with each other, and the judge with the experts.

Units are answers (``item_id/answer_id``). The judge's score of a unit is the mean of its
scored repeats; on a met / not-met criterion its *verdict* is met when that mean is at least
0.5 (the majority of repeats; a tie counts as met).

- Inter-expert: :func:`rubricate.calibration.stats.expert_agreement.summarize_agreement` on the
  overall scores (alpha at every level, the six ICC forms, kappas, Spearman) and, per
  criterion, alpha (nominal for met / not met, interval otherwise) and ICC(2,1).
- Judge vs the experts' mean on the overall score: MAE, bias, Spearman, ICC(2,1)
  (:func:`~rubricate.calibration.stats.judge_experts.score_agreement`), and the leave-one-out
  stand-in test (:func:`~rubricate.calibration.stats.judge_experts.expert_comparison`): can the
  judge stand in for an expert? yes when the MAE gap's interval lies at or below 0, no when
  above, undecided when it straddles 0.
- Per met / not-met criterion, as HealthBench measures it
(:mod:`~rubricate.calibration.stats.binary_agreement`): the
  judge's balanced (macro) F1 and Cohen's kappa over every judge-expert pair, each expert's
  against the other experts, the judge's percentile among the experts, the random baseline 0.5,
  and the *F1 gap* (judge F1 - mean expert F1) with a percentile bootstrap interval over
  answers (:func:`f1_gap_ci`); stand-in verdict as above with the sign reversed (a gap at or
  above 0 is good). Other criteria (levels, check scores) get MAE and Spearman.

Fewer than two experts: no inter-expert figure and no stand-in test (the judge is compared with
the one expert). Degenerate figures are NaN, turned into null in JSON.
"""

from __future__ import annotations

from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from rubricate.calibration.grades_table import TOTAL, scored_rows
from rubricate.calibration.stats.binary_agreement import (
    RANDOM_BASELINE_F1,
    judge_agreement,
    judge_percentile,
    per_rater_agreement,
)
from rubricate.calibration.stats.bootstrap import rng_from
from rubricate.calibration.stats.expert_agreement import summarize_agreement
from rubricate.calibration.stats.icc import icc
from rubricate.calibration.stats.judge_experts import expert_comparison, score_agreement
from rubricate.calibration.stats.krippendorff import krippendorff_alpha


def unit_ids(frame: pd.DataFrame) -> pd.Series:
    """``item_id/answer_id`` per row: the unit of the agreement statistics."""
    return frame["item_id"].astype(str) + "/" + frame["answer_id"].astype(str)


def judge_means(grades: pd.DataFrame, criterion: str) -> pd.Series:
    """The judge's mean scored grade per unit for one criterion."""
    rows = scored_rows(grades, criterion)
    return rows.groupby(unit_ids(rows))["score"].mean()


def _is_binary(values: np.ndarray) -> bool:
    values = values[~np.isnan(values)]
    return values.size > 0 and bool(np.isin(values, (0.0, 1.0)).all())


def _cells(own: np.ndarray, pos: np.ndarray, neg: np.ndarray, self_in: bool) -> np.ndarray:
    """Per-unit 2x2 contributions (tp, fp, fn, tn) of one rater against the labels present."""
    if self_in:  # the rater's own label is among pos/neg: compare with the others only
        pos, neg = pos - own, neg - (1 - own)
    return np.stack([own * pos, own * neg, (1 - own) * pos, (1 - own) * neg], axis=-1)


def _balanced_f1(tables: np.ndarray) -> np.ndarray:
    tp, fp, fn, tn = np.moveaxis(tables, -1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1_met = 2 * tp / (2 * tp + fp + fn)
        f1_not = 2 * tn / (2 * tn + fp + fn)
    return (f1_met + f1_not) / 2


def f1_gap_ci(
    judge: np.ndarray,
    experts: np.ndarray,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Judge balanced F1 minus the mean expert balanced F1, with a bootstrap interval.

    Args:
        judge: the judge's 0/1 verdict per unit (NaN: none).
        experts: units x experts matrix of 0/1 labels (NaN: not graded).

    Returns:
        ``(gap, low, high)``; NaN when a figure is undefined.
    """
    keep = ~np.isnan(judge) & (np.sum(~np.isnan(experts), axis=1) >= 2)
    j, m = judge[keep], experts[keep]
    if j.size < 2:
        return float("nan"), float("nan"), float("nan")
    present = ~np.isnan(m)
    labels = np.where(present, m, 0.0)
    pos = labels.sum(axis=1)
    neg = present.sum(axis=1) - pos
    cells = [_cells(j, pos, neg, self_in=False)]
    for e in range(m.shape[1]):  # one expert at a time; missing grades contribute nothing
        own = labels[:, e]
        cells.append(_cells(own, pos, neg, self_in=True) * present[:, e][:, None])
    stacked = np.stack(cells, axis=1)  # units x raters x 4

    def gap(weights: np.ndarray) -> np.ndarray:
        tables = np.einsum("bn,nrk->brk", weights, stacked)
        f1 = _balanced_f1(tables)
        experts_f1 = f1[:, 1:]
        defined = ~np.isnan(experts_f1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(defined, experts_f1, 0.0).sum(axis=1) / defined.sum(axis=1)
        return f1[:, 0] - mean

    estimate = float(gap(np.ones((1, j.size)))[0])
    rng = rng_from(seed)
    draws = rng.integers(0, j.size, size=(n_resamples, j.size))
    weights = np.apply_along_axis(np.bincount, 1, draws, minlength=j.size).astype(float)
    replicates = gap(weights)
    replicates = replicates[~np.isnan(replicates)]
    if replicates.size < n_resamples / 2 or np.isnan(estimate):
        return estimate, float("nan"), float("nan")
    alpha = 1 - confidence
    low, high = np.quantile(replicates, [alpha / 2, 1 - alpha / 2])
    return estimate, float(low), float(high)


def _graders_words(comparison: dict[str, Any]) -> dict[str, Any]:
    """The stand-in comparison with the report's words: the rater compared with the experts is
    the *grader* (a judge, checks, or both), never called the judge's when no judge ran."""
    per_rater = [
        {**row, "rater": "grader" if row.get("rater") == "judge" else row.get("rater")}
        for row in comparison["per_rater"]
    ]
    return {
        "per_rater": per_rater,
        "mae_gap": comparison["mae_gap"],
        "grader_percentile": comparison["judge_percentile"],
    }


def stand_in(estimate: float, low: float, high: float, *, higher_is_better: bool) -> str:
    """``yes``, ``no`` or ``undecided`` from a gap and its interval (see module docstring)."""
    if np.isnan(low) or np.isnan(high):
        return "undecided"
    good, bad = (low >= 0, high < 0) if higher_is_better else (high <= 0, low > 0)
    return "yes" if good else "no" if bad else "undecided"


def _matrix(experts: pd.DataFrame, criterion: str) -> pd.DataFrame:
    rows = experts[experts["criterion"] == criterion]
    return rows.assign(unit=unit_ids(rows)).pivot(index="unit", columns="expert", values="score")


def _inter_expert(matrix: pd.DataFrame, binary: bool) -> dict[str, Any]:
    values = matrix.to_numpy(dtype=float)
    if matrix.shape[1] < 2:
        return {"n_units": int(len(matrix)), "alpha": None, "alpha_level": None, "icc2": None}
    level: Literal["nominal", "interval"] = "nominal" if binary else "interval"
    return {
        "n_units": int((np.sum(~np.isnan(values), axis=1) >= 2).sum()),
        "alpha": krippendorff_alpha(values, level),
        "alpha_level": level,
        "icc2": icc(values)["ICC2"].value,
    }


def _binary_criterion(judge: pd.Series, matrix: pd.DataFrame, seed: int) -> dict[str, Any]:
    # one column level (unit x expert), so stack() gives a Series
    long = cast(pd.Series, matrix.stack()).rename("label").reset_index()
    long.columns = ["unit", "rater", "label"]
    verdict = (judge >= 0.5).astype(float)
    figures = judge_agreement(verdict, long).as_dict()
    raters = per_rater_agreement(long)
    expert_f1 = raters["balanced_f1"].to_numpy(dtype=float)
    units = matrix.index.intersection(verdict.index)
    gap, low, high = f1_gap_ci(
        verdict.reindex(units).to_numpy(dtype=float),
        matrix.loc[units].to_numpy(dtype=float),
        seed=seed,
    )
    return {
        "binary": True,
        "grader_f1": figures["balanced_f1"],
        "grader_kappa": figures["cohen_kappa"],
        "grader_pairs": figures["n_pairs"],
        "expert_f1": {str(k): float(v) for k, v in raters["balanced_f1"].items()},
        "expert_kappa": {str(k): float(v) for k, v in raters["cohen_kappa"].items()},
        "mean_expert_f1": float(expert_f1[~np.isnan(expert_f1)].mean())
        if np.any(~np.isnan(expert_f1))
        else None,
        "grader_percentile": judge_percentile(figures["balanced_f1"], expert_f1),
        "random_baseline_f1": RANDOM_BASELINE_F1,
        "f1_gap": {"estimate": gap, "low": low, "high": high},
        "stand_in": stand_in(gap, low, high, higher_is_better=True),
    }


def _scored_criterion(judge: pd.Series, matrix: pd.DataFrame) -> dict[str, Any]:
    consensus = matrix.mean(axis=1)
    units = consensus.index.intersection(judge.index)
    figures = score_agreement(judge.reindex(units), consensus.reindex(units), n_resamples=500)
    return {
        "binary": False,
        "mae": figures.mae.estimate,
        "bias": figures.bias.estimate,
        "spearman": figures.spearman,
        "n_units": figures.n_units,
    }


def agreement_section(
    grades: pd.DataFrame,
    experts: pd.DataFrame,
    criteria: list[str],
    *,
    total_available: bool,
    seed: int = 0,
) -> dict[str, Any]:
    """The agreement section (see the module docstring).

    Args:
        grades: the graded rows (not-run rows already left out).
        experts: normalised expert grades (``item_id, answer_id, expert, criterion, score``).
        criteria: the criteria to compare (those the judge graded).
        total_available: whether the judge's overall score ran.
        seed: of the bootstrap intervals.
    """
    names = sorted(experts["expert"].unique())
    out: dict[str, Any] = {"experts": names, "n_grades": int(len(experts)), "total": None}
    totals = _matrix(experts, TOTAL)
    if len(totals):
        section: dict[str, Any] = {
            "inter_expert": summarize_agreement(totals.to_numpy(dtype=float))
            if totals.shape[1] >= 2
            else None
        }
        judge = judge_means(grades, TOTAL) if total_available else pd.Series(dtype=float)
        units = totals.index.intersection(judge.index)
        if len(units) >= 2:
            consensus = totals.loc[units].mean(axis=1)
            tiers = grades.assign(unit=unit_ids(grades)).groupby("unit")["tier"].first()
            section["units"] = [
                {"unit": u, "tier": tiers.get(u), "grader": judge[u], "experts": consensus[u]}
                for u in units
            ]
            section["grader_vs_mean"] = score_agreement(
                judge.reindex(units), consensus, seed=seed
            ).as_dict()
            long = cast(pd.Series, totals.loc[units].stack()).rename("score").reset_index()
            long.columns = ["unit", "rater", "score"]
            if totals.shape[1] >= 2:
                comparison = expert_comparison(judge.reindex(units), long, seed=seed)
                gap = comparison.mae_gap
                section["comparison"] = _graders_words(comparison.as_dict())
                section["stand_in"] = stand_in(
                    gap.estimate, gap.low, gap.high, higher_is_better=False
                )
        out["total"] = section
    rows = []
    for criterion in criteria:  # one rubric's criteria: a handful to a few dozen
        matrix = _matrix(experts, criterion)
        judge = judge_means(grades, criterion)
        if matrix.empty:
            continue
        raw = scored_rows(grades, criterion)["score"].to_numpy(dtype=float)  # every repeat
        binary = _is_binary(matrix.to_numpy(dtype=float)) and _is_binary(raw)
        row: dict[str, Any] = {"criterion": criterion, **_inter_expert(matrix, binary)}
        if len(matrix.index.intersection(judge.index)) >= 2:
            row.update(
                _binary_criterion(judge, matrix, seed)
                if binary and matrix.shape[1] >= 1
                else _scored_criterion(judge, matrix)
            )
        rows.append(row)
    out["criteria"] = rows
    return out
