"""The typed agreement and probe sections of ``report.json``
(:mod:`rubricate.calibration.report.agreement`, :mod:`rubricate.calibration.probes.summary`).

The inter-expert summary keeps its own shape (its fields depend on the scale; see
:func:`rubricate.calibration.stats.expert_agreement.summarize_agreement`). A field a row
does not have (a binary criterion has no MAE, a scored one no F1) is absent, not null.
"""

from __future__ import annotations

from typing import Any

from rubricate.calibration.report.model_base import Closed, Num
from rubricate.calibration.report.model_sections import BootstrapInterval, Icc

__all__ = ["Agreement", "AgreementCriterion", "AgreementTotal", "Probes"]

OptNum = Num | None


class Gap(Closed):
    estimate: OptNum
    low: OptNum
    high: OptNum


class ScoreAgreement(Closed):
    """The grader's overall score against the experts' mean."""

    n_units: int
    mae: BootstrapInterval
    bias: BootstrapInterval
    spearman: OptNum
    pearson: OptNum
    icc2: Icc


class RaterRow(Closed):
    rater: str | None
    n_units: int
    mae: OptNum
    bias: OptNum
    spearman: OptNum


class ExpertComparison(Closed):
    """The grader's MAE to the other experts against each expert's (leave one out)."""

    per_rater: list[RaterRow]
    mae_gap: BootstrapInterval
    grader_percentile: OptNum


class Unit(Closed):
    unit: str
    tier: str | None
    grader: OptNum
    experts: OptNum


class AgreementTotal(Closed):
    """Agreement on the overall score: ``stand_in`` is ``yes``, ``no`` or ``undecided``."""

    inter_expert: dict[str, Any] | None
    units: list[Unit] | None = None
    grader_vs_mean: ScoreAgreement | None = None
    comparison: ExpertComparison | None = None
    stand_in: str | None = None


class AgreementCriterion(Closed):
    """One criterion: experts among themselves, then the grader (binary: F1 and kappa;
    scored: MAE, bias, Spearman)."""

    criterion: str
    n_units: int
    alpha: OptNum
    alpha_level: str | None
    icc2: OptNum
    binary: bool | None = None
    grader_f1: OptNum = None
    grader_kappa: OptNum = None
    grader_pairs: int | None = None
    expert_f1: dict[str, OptNum] | None = None
    expert_kappa: dict[str, OptNum] | None = None
    mean_expert_f1: OptNum = None
    grader_percentile: OptNum = None
    random_baseline_f1: OptNum = None
    f1_gap: Gap | None = None
    stand_in: str | None = None
    mae: OptNum = None
    bias: OptNum = None
    spearman: OptNum = None


class Agreement(Closed):
    """Agreement of the grader and the experts (None in the report without expert grades)."""

    experts: list[str]
    n_grades: int
    total: AgreementTotal | None
    criteria: list[AgreementCriterion]


class ProbeKind(Closed):
    probe: str
    description: str
    generated: int
    not_generated: int
    compared: int
    outscore: int
    items: list[str]
    above_half: int | None


class ProbeCriterion(Closed):
    probe: str
    criterion: str
    penalty: bool
    scored_by: str
    compared: int
    beat_fair: int
    items: list[str]


class ProbeNotGenerated(Closed):
    item_id: str
    probe: str
    source: str
    reason: str


class ProbeAnswer(Closed):
    item_id: str
    answer_id: str
    probe: str
    source: str
    n_scores: int
    mean: OptNum
    fair_mean: OptNum
    margin: OptNum
    outscores: bool | None
    half_mean: OptNum
    over_half: OptNum


class AdversarialProbes(Closed):
    """The generated reward-hacking probes against their items' fair answers."""

    score: str | None
    on_reward: bool
    pad_factor: OptNum
    kinds: list[ProbeKind]
    probes: list[ProbeAnswer]
    criteria: list[ProbeCriterion]
    not_generated: list[ProbeNotGenerated]
    outscore: int


class Probes(Closed):
    adversarial: AdversarialProbes
