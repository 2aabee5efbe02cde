"""The report's bias-correction section: the judge's mean score corrected with the expert labels.

Units are answers (``item_id/answer_id``), as in :mod:`.agreement`. For each *target* a judge
scores (every judged criterion, and the reward when a judge computes it):

- the judge's score of an answer ``f`` is the mean of its scored repeats (all answers the
  judge scored);
- the experts' score ``Y`` of the answers they graded: on a met / not-met criterion the
  *expert majority* (met when at least half the experts say met: a tie counts as met, as the
  judge's repeats do in :mod:`.agreement`); on a levelled criterion (``level / max``) and the
  overall score, the experts' mean;
- on a met / not-met criterion, the judge's *sensitivity* and *specificity* against that
  majority, the judge's verdict being met when its mean over repeats is at least 0.5;
- the mean score, overall (all answers) and per tier, clipped to the target's scale: the judge's
  alone (uncorrected, normal interval), corrected by prediction-powered inference (the main
  method) and, on met / not-met criteria, by Rogan-Gladen
  (:mod:`rubricate.calibration.stats.bias_correction`, which cites both). Levelled criteria and
  the overall score have no sensitivity / specificity and no Rogan-Gladen figure (both need met
  / not-met verdicts; thresholding levels would change the quantity estimated): their ``binary``
  is false and those fields are null, with the reason.

Both corrections assume the expert-graded answers are a random sample of the answers (within a
tier, for the tier's figure); the report says so. A target or tier with fewer than
:data:`MIN_LABELS` expert-graded answers is ``not assessed`` with the reason: never a number
made up. The whole section is ``assessed: false`` with the reason when no judge ran or no
expert graded a judged target.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rubricate.calibration.grades_table import TIERS, TOTAL, scored_rows
from rubricate.calibration.report.agreement import judge_means, unit_ids
from rubricate.calibration.stats.bias_correction import (
    mean_ci,
    ppi_mean,
    rogan_gladen,
    sensitivity_specificity,
)
from rubricate.calibration.verdicts import GraderPlan

MIN_LABELS = 2
"""Fewest expert-graded answers a corrected mean needs (its variance needs two)."""
CONFIDENCE = 0.95
METHOD = (
    "prediction-powered inference (Angelopoulos et al. 2023, Science 382:669), mean estimator, "
    "Student-t interval with n - 1 degrees of freedom"
)
SECOND_METHOD = (
    "Rogan-Gladen sensitivity/specificity correction (Rogan & Gladen 1978, Am J Epidemiol "
    "107:71), delta-method interval with Agresti-Coull-adjusted sensitivity and specificity; "
    "met / not-met criteria only"
)
ASSUMPTION = (
    "The expert-graded answers are taken as a random sample of the answers (of each tier, for "
    "a tier's figure); if the experts picked them, the corrected figures can be biased."
)
NOT_BINARY = (
    "levelled or overall score: sensitivity, specificity and Rogan-Gladen need met / not-met "
    "verdicts"
)


def _not_assessed(reason: str) -> dict[str, Any]:
    return {"assessed": False, "reason": reason, "method": METHOD, "second_method": SECOND_METHOD,
            "confidence": CONFIDENCE, "assumption": ASSUMPTION, "targets": []}  # fmt: skip


def _expert_scores(experts: pd.DataFrame, target: str, binary: bool) -> pd.Series:
    rows = experts[experts["criterion"] == target]
    consensus = rows.groupby(unit_ids(rows))["score"].mean()
    return (consensus >= 0.5).astype(float) if binary else consensus


def _estimates(
    judge: pd.Series, expert: pd.Series, binary: bool, scale: tuple[float, float]
) -> dict[str, Any]:
    """Uncorrected, PPI and (binary) Rogan-Gladen means of one target over one set of units,
    clipped to the target's ``scale``."""
    labeled = expert.index.intersection(judge.index)
    uncorrected = mean_ci(judge.to_numpy(dtype=float), confidence=CONFIDENCE)
    out: dict[str, Any] = {
        "n_units": int(len(judge)),
        "n_labeled": int(len(labeled)),
        "uncorrected": uncorrected.clipped(*scale).as_dict(),
        "ppi": None,
        "rogan_gladen": None,
        "reason": None,
    }
    if len(labeled) < MIN_LABELS:
        out["reason"] = (
            f"not assessed: {len(labeled)} expert-graded answer(s); a corrected mean needs at "
            f"least {MIN_LABELS}"
        )
        return out
    f_all = judge.to_numpy(dtype=float)
    y, f = expert.reindex(labeled).to_numpy(dtype=float), judge.reindex(labeled).to_numpy(float)
    ppi = ppi_mean(y, f, f_all, labeled_in_unlabeled=True, confidence=CONFIDENCE)
    out["ppi"] = ppi.clipped(*scale).as_dict()
    if binary:
        verdict = (judge >= 0.5).astype(float)
        accuracy = sensitivity_specificity(verdict.reindex(labeled).to_numpy(float), y)
        rg = rogan_gladen(float(verdict.mean()), int(len(verdict)), accuracy, confidence=CONFIDENCE)
        out["rogan_gladen"] = rg.as_dict()
        if np.isnan(rg.estimate):
            out["rogan_gladen_reason"] = (
                "not assessed: the experts' labels hold only one class, or sensitivity + "
                "specificity <= 1 (the judge no better than chance)"
            )
    return out


def _target(
    grades: pd.DataFrame,
    experts: pd.DataFrame,
    target: str,
    binary: bool,
    score_range: tuple[float, float],
) -> dict[str, Any]:
    judge = judge_means(grades, target)
    expert = _expert_scores(experts, target, binary)
    labeled = expert.index.intersection(judge.index)
    row: dict[str, Any] = {"target": target, "binary": binary, "n_units": int(len(judge)),
                           "n_labeled": int(len(labeled)), "accuracy": None,
                           "accuracy_reason": None if binary else NOT_BINARY}  # fmt: skip
    if binary and len(labeled):
        verdict = (judge.reindex(labeled) >= 0.5).astype(float).to_numpy()
        accuracy = sensitivity_specificity(verdict, expert.reindex(labeled).to_numpy(float))
        row["accuracy"] = accuracy.as_dict()
    rows = scored_rows(grades, target)
    tiers = rows.groupby(unit_ids(rows))["tier"].first()
    scale = score_range if target == TOTAL else (0.0, 1.0)
    row["scale"] = list(scale)
    row["all"] = _estimates(judge, expert, binary, scale)
    row["tiers"] = {}
    for tier in TIERS:
        units = tiers.index[tiers == tier]
        if len(units):
            row["tiers"][tier] = _estimates(judge.reindex(units), expert, binary, scale)
    return row


def judged_targets(plan: GraderPlan) -> list[tuple[str, bool]]:
    """``(criterion id, met / not met?)`` of every criterion a judge scores in ``plan``."""
    return [(c.id, c.max_level == 1) for c in plan.criteria if c.judge is not None]


def bias_section(
    grades: pd.DataFrame,
    experts: pd.DataFrame | None,
    criteria: list[tuple[str, bool]],
    *,
    has_judge: bool,
    judge_ran: bool,
    score_range: tuple[float, float],
) -> dict[str, Any]:
    """The bias-correction section (see the module docstring).

    Args:
        grades: the graded rows (not-run rows already left out).
        experts: normalised expert grades, or None.
        criteria: the judged criteria, each with whether it is met / not met
            (:func:`judged_targets`); the reward is always a candidate target.
        has_judge: whether the grader calls a judge at all.
        judge_ran: whether the judge ran in this run.
        score_range: the rubric's score range (the reward's scale; criteria score in [0, 1]).
    """
    if not has_judge:
        return _not_assessed(
            "the grader is checks only (no model call): there is no model bias to correct"
        )
    if not judge_ran:
        return _not_assessed("the judge did not run (no model endpoint)")
    if experts is None or not len(experts):
        return _not_assessed(
            "no expert grades were given (`--experts FILE`, inline `experts`, or "
            "`rubricate review`)"
        )
    targets = [(TOTAL, False), *criteria]
    graded = set(experts["criterion"])
    rows = [
        _target(grades, experts, target, binary, score_range)
        for target, binary in targets
        if target in graded and len(scored_rows(grades, target))
    ]
    if not rows:
        return _not_assessed("no expert graded a criterion the judge scores (or the overall score)")
    section = _not_assessed("")
    section.update(assessed=True, reason=None, targets=rows)
    return section
