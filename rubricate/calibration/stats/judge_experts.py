"""Judge against experts on continuous scores: MAE, bias, correlations, ICC(2,1), stand-in test.

Inputs are per *unit* (for calibration, one answer, ``item_id`` + ``answer_id``, with the judge
score averaged over its scored repeats): the judge's score per unit, and the experts' scores in
long form (unit, rater, score), missing grades allowed.

- :func:`score_agreement`: two paired score vectors (e.g. judge vs the experts' mean): MAE
  (mean |judge - reference|) and bias (mean judge - reference), each with a bootstrap interval
  over units; Spearman and Pearson; ICC(2,1), absolute agreement with the two as raters
  (:func:`rubricate.calibration.stats.icc.icc`, Shrout & Fleiss 1979).
- :func:`expert_comparison`: can the judge stand in for an expert? Each expert is compared with
  the mean of the *other* experts on the units it graded (leave-one-out consensus), and the
  judge with that same consensus on the same units, so both face the same references. The
  *MAE gap* is the mean over experts of ``MAE(judge, consensus_e) - MAE(expert e,
  consensus_e)``, with a bootstrap interval over units: an upper bound at or below 0 says the
  judge is at least as close to the experts' consensus as a typical expert is; an interval
  above 0 says it is further off. The judge's percentile among the experts (by closeness,
  higher = closer) is given too.

Degenerate cases: no unit with both scores -> NaN figures (n_units 0); a unit enters an
expert's comparison only when at least one other expert graded it; fewer than two experts ->
no leave-one-out comparison (NaN gap, empty expert rows).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from rubricate.calibration.stats.binary_agreement import judge_percentile
from rubricate.calibration.stats.bootstrap import (
    BootstrapCI,
    CIMethod,
    Seed,
    bootstrap_ci,
    bootstrap_mean_ci,
    rng_from,
)
from rubricate.calibration.stats.correlation import pearson, spearman
from rubricate.calibration.stats.icc import ICCEstimate, icc


@dataclass(frozen=True)
class ScoreAgreement:
    """Agreement of paired scores (judge vs a reference).

    Attributes:
        n_units: pairs with both scores.
        mae, bias: mean absolute and mean signed difference (judge - reference), with
            bootstrap intervals over units.
        spearman, pearson: correlations (NaN when a side has no variance).
        icc2: ICC(2,1), absolute agreement, the two as raters.
    """

    n_units: int
    mae: BootstrapCI
    bias: BootstrapCI
    spearman: float
    pearson: float
    icc2: ICCEstimate

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for JSON reports."""
        data = asdict(self)
        data["mae"], data["bias"] = self.mae.as_dict(), self.bias.as_dict()
        data["icc2"] = self.icc2.as_dict()
        return data


def score_agreement(
    judge: npt.ArrayLike,
    reference: npt.ArrayLike,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    method: CIMethod = "bca",
    seed: Seed = 0,
) -> ScoreAgreement:
    """MAE, bias, correlations and ICC(2,1) of paired scores (NaN pairs dropped).

    Args:
        judge, reference: equal-length score vectors, one entry per unit.
        confidence, n_resamples, method, seed: of the bootstrap intervals.

    Returns:
        A :class:`ScoreAgreement`; see the module docstring for degenerate cases.
    """
    a, b = np.asarray(judge, dtype=float), np.asarray(reference, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"judge and reference must be 1-D and equal length: {a.shape}, {b.shape}")
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    rng = rng_from(seed)
    return ScoreAgreement(
        n_units=int(a.size),
        mae=bootstrap_mean_ci(
            np.abs(a - b),
            confidence=confidence,
            n_resamples=n_resamples,
            method=method,
            seed=rng,
        ),
        bias=bootstrap_mean_ci(
            a - b, confidence=confidence, n_resamples=n_resamples, method=method, seed=rng
        ),
        spearman=spearman(a, b),
        pearson=pearson(a, b),
        icc2=icc(np.column_stack([a, b]), confidence=confidence)["ICC2"],
    )


@dataclass(frozen=True)
class ExpertComparison:
    """The judge among the experts, against leave-one-out consensus.

    Attributes:
        per_rater: one row per expert and a last row ``"judge"``: ``n_units``, ``mae`` (to the
            consensus), ``bias``, ``spearman``. Expert rows use the other experts' mean; the
            judge row uses the mean of all experts.
        mae_gap: mean over experts of MAE(judge) - MAE(expert) on the same references, with a
            bootstrap interval over units (negative = the judge is closer).
        judge_percentile: share (0-100) of experts farther from consensus than the judge is
            (ties half), on the per-expert MAEs.
    """

    per_rater: pd.DataFrame
    mae_gap: BootstrapCI
    judge_percentile: float

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for JSON reports (NaN left as float NaN)."""
        return {
            "per_rater": self.per_rater.reset_index().to_dict("records"),
            "mae_gap": self.mae_gap.as_dict(),
            "judge_percentile": self.judge_percentile,
        }


def _loo_mae(matrix: np.ndarray, judge: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per expert: units used, its MAE and the judge's MAE to the other experts' mean."""
    present = ~np.isnan(matrix)
    filled = np.where(present, matrix, 0.0)
    total, count = filled.sum(axis=1, keepdims=True), present.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        others = (total - filled) / (count - present)  # mean of the other experts
    usable = present & (count - present >= 1) & ~np.isnan(judge)[:, None]
    n = usable.sum(axis=0)
    expert_err = np.where(usable, np.abs(matrix - others), 0.0).sum(axis=0)
    judge_err = np.where(usable, np.abs(judge[:, None] - others), 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return n, expert_err / n, judge_err / n


def expert_comparison(
    judge: pd.Series,
    experts: pd.DataFrame,
    *,
    unit: str = "unit",
    rater: str = "rater",
    score: str = "score",
    confidence: float = 0.95,
    n_resamples: int = 2000,
    method: CIMethod = "percentile",
    seed: Seed = 0,
) -> ExpertComparison:
    """Is the judge as close to the experts' consensus as the experts are to each other?

    Args:
        judge: the judge's score per unit (index = unit id; NaN = not scored).
        experts: long table of expert scores, one row per (unit, rater).
        unit, rater, score: its column names.
        confidence, n_resamples, method, seed: of the MAE-gap bootstrap (over units).

    Returns:
        An :class:`ExpertComparison`.
    """
    matrix_frame = experts.pivot(index=unit, columns=rater, values=score)
    units = matrix_frame.index.intersection(judge.dropna().index)
    matrix_frame = matrix_frame.loc[units]
    matrix = matrix_frame.to_numpy(dtype=float)
    verdict = judge.reindex(units).to_numpy(dtype=float)
    n, expert_mae, judge_mae = _loo_mae(matrix, verdict)
    present = ~np.isnan(matrix)
    with np.errstate(invalid="ignore", divide="ignore"):
        others = (np.nansum(matrix, axis=1, keepdims=True) - np.nan_to_num(matrix)) / (
            present.sum(axis=1, keepdims=True) - present
        )
    rows = {}
    for e, name in enumerate(matrix_frame.columns):  # one summary row per expert
        mask = present[:, e] & ~np.isnan(others[:, e])
        diff = matrix[mask, e] - others[mask, e]
        rows[name] = {
            "n_units": int(n[e]),
            "mae": expert_mae[e],
            "bias": float(diff.mean()) if diff.size else np.nan,
            "spearman": spearman(matrix[mask, e], others[mask, e]),
        }
    rated = present.any(axis=1) & ~np.isnan(verdict)
    consensus = matrix[rated].copy()
    consensus = np.nanmean(consensus, axis=1) if consensus.size else np.array([])
    diff = verdict[rated] - consensus
    rows["judge"] = {
        "n_units": int(diff.size),
        "mae": float(np.abs(diff).mean()) if diff.size else np.nan,
        "bias": float(diff.mean()) if diff.size else np.nan,
        "spearman": spearman(verdict[rated], consensus),
    }
    per_rater = pd.DataFrame.from_dict(rows, orient="index")
    per_rater.index.name = "rater"
    stacked = np.column_stack([verdict, matrix]) if units.size else np.empty((0, 1))

    def gap(rows_: np.ndarray) -> float:
        _, e_mae, j_mae = _loo_mae(rows_[:, 1:], rows_[:, 0])
        defined = ~np.isnan(e_mae)
        return float(np.mean(j_mae[defined] - e_mae[defined])) if defined.any() else np.nan

    mae_gap = bootstrap_ci(
        stacked, gap, confidence=confidence, n_resamples=n_resamples, method=method, seed=seed
    )
    defined = expert_mae[~np.isnan(expert_mae)]
    judge_closeness = -float(np.nanmean(judge_mae)) if defined.size else np.nan
    return ExpertComparison(
        per_rater=per_rater,
        mae_gap=mae_gap,
        judge_percentile=judge_percentile(judge_closeness, -defined),
    )
