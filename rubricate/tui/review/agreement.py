"""The agreement figures the review shows, from the calibration statistics (no UI here).

:func:`compute_agreement` runs the report's own agreement section
(:func:`rubricate.calibration.report.agreement.agreement_section`) on the run's grades and the
expert grades as they are now, so the figures the expert sees update as they grade and agree
with the report ``calibrate --report-only`` writes. It takes about a second (bootstrap
intervals), so the app runs it in a worker. The sections are the report's typed models
(:class:`~rubricate.calibration.report.model_agreement.Agreement`, NaN read as None);
:func:`agreement_lines` and :func:`criterion_rows` turn them into text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rubricate.calibration.report.model_agreement import Agreement
from rubricate.calibration.report.schema import BiasCorrection
from rubricate.calibration.verdicts import NOT_RUN
from rubricate.tui.review.data import ReviewData


@dataclass(frozen=True)
class AgreementFigures:
    """The agreement section and who it covers."""

    section: Agreement | None
    """The report's agreement section; None when there are no expert grades."""
    n_grades: int
    experts: tuple[str, ...]
    grader: str = "grader"
    """What the figures compare with the experts: "grader" (judge and checks), or "checks"
    when the judge did not run (:class:`~rubricate.tui.review.data.JudgeStatus`)."""
    judge_ran: bool = True
    bias: BiasCorrection | None = None
    """The report's bias-correction section (:mod:`rubricate.calibration.report.bias`)."""


def compute_agreement(data: ReviewData, seed: int = 0) -> AgreementFigures:
    """Agreement of judge and experts, and of experts with each other (see module docstring)."""
    from rubricate.calibration.report.agreement import agreement_section
    from rubricate.calibration.report.bias import bias_section
    from rubricate.calibration.report.data import plain
    from rubricate.tui.review.data import score_range

    experts = data.experts
    grader, judge_ran = data.judge.grader, data.judge.ran
    if not len(experts):
        return AgreementFigures(None, 0, (), grader, judge_ran)
    grades = data.run.grades
    ran = grades[~grades["error"].fillna("").astype(str).str.startswith(NOT_RUN)]
    total_available = data.headline == "__total__"
    section = agreement_section(
        ran,
        experts,
        [c.id for c in data.criteria],
        total_available=total_available,
        seed=seed,
    )
    judged = [(c.id, c.max_level == 1) for c in data.criteria if c.kind in ("judged", "both")]
    bias = bias_section(ran, experts, judged, has_judge=bool(judged) or total_available,
                        judge_ran=judge_ran, score_range=score_range(data.run.rubric))  # fmt: skip
    return AgreementFigures(
        Agreement.model_validate(plain(section)), len(experts), tuple(data.expert_names),
        grader, judge_ran, BiasCorrection.model_validate(plain(bias)),
    )


def _num(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def _signed(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:+.2f}"


def headline(figures: AgreementFigures | None) -> str:
    """One line for the status bar."""
    if figures is None:
        return "agreement: computing…"
    if figures.section is None:
        return "no expert grades yet: press g to grade answers"
    grader = figures.grader
    parts = [f"{len(figures.experts)} experts"]
    total = figures.section.total
    judge = total.grader_vs_mean if total else None
    if judge:
        parts.append(
            f"{grader} vs experts MAE {_num(judge.mae.estimate)}, ρ {_num(judge.spearman)}"
        )
    inter = total.inter_expert if total else None
    if inter and inter.get("alpha") is not None:
        parts.append(f"experts α {_num(inter['alpha'])}")
    if total and total.stand_in:
        parts.append(f"{grader} as good as an expert? {total.stand_in}")
    f1 = [r.grader_f1 for r in figures.section.criteria if r.grader_f1 is not None]
    if f1 and not judge:
        what = "criteria" if figures.judge_ran else "checked criteria"
        parts.append(f"{grader} F1 {_num(sum(f1) / len(f1))} (mean over {len(f1)} {what})")
    return " · ".join(parts)


def corrected_reward(bias: BiasCorrection | None) -> str:
    """The reward's mean corrected with the expert grades (PPI), for the Agreement tab (the
    one-line status bar has no room for it at 100 columns, let alone 80); empty when it was
    not assessed."""
    if not bias or not bias.assessed:
        return ""
    total = next((t for t in bias.targets if t["target"] == "__total__"), None)
    if total is None:
        return ""
    ppi = total["all"].get("ppi")
    if not ppi or ppi.get("estimate") is None or math.isnan(ppi["estimate"]):
        return ""
    return (f"mean {_num(total['all']['uncorrected']['estimate'])} → corrected "
            f"{_num(ppi['estimate'])} [{_num(ppi['low'])}, {_num(ppi['high'])}] (PPI)")  # fmt: skip


def agreement_lines(figures: AgreementFigures | None) -> list[str]:
    """The overall figures, one per line (for the Agreement tab)."""
    if figures is None:
        return ["Computing…"]
    if figures.section is None:
        return ["No expert grades yet. Press g to grade answers; the figures update as you go."]
    lines = [f"Experts: {', '.join(figures.experts)} ({figures.n_grades} grades)."]
    if not figures.judge_ran:
        lines.append(
            "The judge did not run: the figures compare the deterministic checks with the "
            "experts, on the checked criteria only."
        )
    total = figures.section.total
    if not total:
        lines.append("No overall scores from the experts: per-criterion figures only.")
        return lines
    inter = total.inter_expert
    if inter:
        icc2 = (inter.get("icc") or {}).get("ICC2", {}).get("value")
        lines.append(
            f"Experts with each other (overall): Krippendorff α {_num(inter.get('alpha'))} "
            f"({inter.get('level')}), ICC(2,1) {_num(icc2)}, {inter['n_units']} answers."
        )
    judge = total.grader_vs_mean
    grader = "The grader" if figures.judge_ran else "The checks"
    if judge:
        mae = judge.mae
        lines.append(
            f"{grader} (overall score) vs the experts' mean: MAE {_num(mae.estimate)} "
            f"[{_num(mae.low)}, {_num(mae.high)}], bias {_signed(judge.bias.estimate)}, "
            f"Spearman {_num(judge.spearman)}, ICC(2,1) {_num(judge.icc2.value)}, "
            f"{judge.n_units} answers."
        )
    comparison = total.comparison
    if comparison:
        gap = comparison.mae_gap
        stand_in = total.stand_in if total.stand_in is not None else "—"
        lines.append(
            f"Can {grader.lower()} stand in for an expert? {stand_in} "
            f"(MAE gap {_signed(gap.estimate)} [{_signed(gap.low)}, "
            f"{_signed(gap.high)}]; at or below 0 means as close as an expert)."
        )
    corrected = corrected_reward(figures.bias)
    if corrected:
        lines.append(f"The reward's {corrected}, from the expert grades.")
    return lines


def criterion_rows(figures: AgreementFigures | None) -> list[tuple[str, ...]]:
    """Per criterion: ``(criterion, experts α, the grader's F1 or MAE, experts F1, the
    grader's κ, stand-in)``."""
    if figures is None or figures.section is None:
        return []
    rows: list[tuple[str, ...]] = []
    for row in figures.section.criteria:
        if row.binary:
            judge = f"F1 {_num(row.grader_f1)}"
            experts = _num(row.mean_expert_f1)
            kappa = _num(row.grader_kappa)
            verdict = row.stand_in if row.stand_in is not None else "—"
        elif row.binary is False:  # a scored criterion: MAE, bias, Spearman
            judge = f"MAE {_num(row.mae)}"
            experts, kappa, verdict = "—", "—", "—"
        else:
            judge, experts, kappa, verdict = "—", "—", "—", "—"
        rows.append((row.criterion, _num(row.alpha), judge, experts, kappa, verdict))
    return rows
