"""The typed sections of ``report.json`` that the reports, the command line and the review act
on: rubric, coverage, stability, discrimination, readiness, adaptive repeats.

Field order is the order :func:`rubricate.calibration.report.data.build_report_data` writes
them (``report.json`` is dumped from these models with ``exclude_unset``, so a field the data
did not have stays absent and the file keeps its bytes). A statistic that could not be
computed is ``None`` (NaN in the statistics).
"""

from __future__ import annotations

from typing import Any

from rubricate.calibration.report.model_base import Closed, Num

__all__ = [
    "AdaptiveSection",
    "Coverage",
    "Discrimination",
    "ReadinessSummary",
    "RewriteEntry",
    "RubricSummary",
    "Stability",
    "VarianceRow",
]

OptNum = Num | None


class RubricCriterion(Closed):
    id: str
    text: str | None
    weight: Num
    kind: str
    levels: dict[str, str] | None
    penalty: bool
    tracked: bool
    judged: bool


class RubricSummary(Closed):
    """The rubric's id, title, range and leaf criteria."""

    id: str
    title: str
    score_range: list[Num]
    pass_threshold: OptNum
    criteria: list[RubricCriterion]


class NotRun(Closed):
    """Rows not graded because no model endpoint was configured."""

    rows: int
    criteria: list[str]
    total: bool


class JudgeCoverage(Closed):
    in_grader: bool
    ran: bool


class Coverage(Closed):
    """What the run graded: items, answers per tier, repeats, rows, what did not run."""

    items: int
    answers: int
    by_tier: dict[str, int]
    repeats: int
    rows: int
    not_run: NotRun
    judged_criteria: list[str]
    judge: JudgeCoverage
    items_multi_tier: int
    excluded: list[dict[str, Any]]


class Icc(Closed):
    """An ICC estimate with its interval and F test."""

    value: OptNum
    ci_low: OptNum
    ci_high: OptNum
    f: OptNum
    df1: OptNum
    df2: OptNum
    p_value: OptNum


class StabilitySummary(Closed):
    """The headline score's stability over repeats."""

    criterion: str
    n_answers: int
    n_scored: int
    n_unscored: int
    pooled_within_sd: OptNum
    mean_spread: OptNum
    icc: Icc
    distinct_levels: int


class AnswerStability(Closed):
    """One answer's scores over its repeats."""

    item_id: str
    answer_id: str
    tier: str
    kind: str | None
    n_scored: int
    n_unscored: int
    mean: OptNum
    sd: OptNum
    min: OptNum
    max: OptNum
    spread: OptNum
    n_levels: int


class CriterionStability(Closed):
    """One criterion's flips over repeats (see :mod:`rubricate.calibration.stats.stability`)."""

    criterion: str
    n_answers: int
    n_flipped: int
    flip_rate: OptNum
    ci_low: OptNum
    ci_high: OptNum
    pair_disagreement: OptNum
    flip_p: OptNum
    flip_p_low: OptNum
    flip_p_high: OptNum
    n_unscored: int
    distinct_levels: int
    pooled_within_sd: OptNum
    icc: OptNum = None


class Stability(Closed):
    headline: StabilitySummary | None
    answers: list[AnswerStability]
    criteria: list[CriterionStability]


class TierMean(Closed):
    tier: str
    n_items: int
    n_answers: int
    n_scores: int
    mean: OptNum
    ci_low: OptNum
    ci_high: OptNum


class TierOrder(Closed):
    """Items whose tier means decrease great > fair > poor."""

    n_items: int
    n_ordered: int
    share: OptNum
    ci_low: OptNum
    ci_high: OptNum
    n_incomplete: int
    pairwise: dict[str, OptNum]


class Margin(Closed):
    pair: str
    n_items: int
    margin: OptNum
    ci_low: OptNum
    ci_high: OptNum


class BootstrapInterval(Closed):
    """An estimate with its bootstrap interval."""

    estimate: OptNum
    low: OptNum
    high: OptNum
    confidence: Num
    method: str
    n_resamples: int
    n_clusters: int


class AdversarialRisk(Closed):
    """One adversarial answer against its item's fair answers."""

    index: int
    item_id: str
    answer_id: str
    kind: str | None
    n_scores: int
    mean: OptNum
    reference_mean: OptNum
    margin: OptNum
    outscores: bool


class HeadlineDiscrimination(Closed):
    criterion: str
    tier_means: list[TierMean]
    order: TierOrder
    margins: list[Margin]
    auc: BootstrapInterval
    adversarial: list[AdversarialRisk]
    n_risks: int


class CriterionDiscrimination(Closed):
    """Tier means and AUC of one criterion or gating check (a penalty: poor over great)."""

    criterion: str
    penalty: bool
    n_scores: int
    tier_means: dict[str, OptNum]
    auc: OptNum
    items: int


class Discrimination(Closed):
    headline: HeadlineDiscrimination | None
    criteria: list[CriterionDiscrimination]
    checks: list[CriterionDiscrimination]


class ReadinessSummary(Closed):
    """Saturation and headroom of the headline score."""

    n_items: int
    share_all_min: OptNum
    share_all_max: OptNum
    share_saturated: OptNum
    n_samples: int
    mean_headroom: OptNum
    median_headroom: OptNum
    mean_sd: OptNum
    score_range: list[Num]
    by: str


class VarianceRow(Closed):
    """One sample of the variance study (``by`` the answer: item and answer ids)."""

    item_id: str
    answer_id: str | None = None
    n_scores: int
    mean: OptNum
    max: OptNum
    min: OptNum
    sd: OptNum
    headroom: OptNum


class RewriteEntry(Closed):
    """A criterion to rewrite first, with why."""

    criterion: str
    severity: Num
    reasons: list[str]
    flip_p: OptNum = None
    kappa: OptNum = None


class AdaptiveRound(Closed):
    jobs: int
    calls: int


class AdaptiveSection(Closed):
    """What ``--repeats auto`` did: calls per round, why it stopped, the last intervals."""

    rounds: list[AdaptiveRound]
    stop: str
    widths: list[dict[str, Any]]
