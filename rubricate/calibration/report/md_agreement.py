"""The agreement section of the Markdown report (experts with each other, and the grader).

The figures compare the *grader* with the experts: its judge where a judge scored a criterion
and ran, its checks otherwise (``report.json`` ``scored_by`` says which). They are never
called the judge's.
"""

from __future__ import annotations

from rubricate.calibration.report.md_sections import Figures, ci, figure, fmt, pct, table
from rubricate.calibration.report.model_agreement import AgreementCriterion, AgreementTotal
from rubricate.calibration.report.schema import CalibrationReport


def _by(report: CalibrationReport) -> str:
    """What scored the reward, in words."""
    source = report.scored_by.get("__total__", "")
    words = {"judge": "its judge", "checks": "its checks", "judge+checks": "its judge and checks"}
    return words.get(source, "the grader")


def _total_agreement(report: CalibrationReport, total: AgreementTotal) -> list[str]:
    lines = []
    inter = total.inter_expert
    if inter:
        alpha = inter["krippendorff_alpha"]
        icc2 = inter["icc"]["ICC2"]
        lines += [
            f"Experts with each other on the overall score: Krippendorff's alpha (interval) "
            f"{fmt(alpha['interval'])}, (ordinal) {fmt(alpha['ordinal'])}; ICC(2,1) "
            f"{fmt(icc2['value'])} {ci(icc2['ci_low'], icc2['ci_high'])}; mean pairwise "
            f"Spearman {fmt(inter['mean_pairwise_spearman'])} ({inter['n_units']} answers).",
            "",
        ]
    vs = total.grader_vs_mean
    if vs:
        lines += [
            f"Grader ({_by(report)}) vs the experts' mean: MAE {fmt(vs.mae.estimate)} "
            f"{ci(vs.mae.low, vs.mae.high)}, bias {fmt(vs.bias.estimate)} "
            f"{ci(vs.bias.low, vs.bias.high)}, Spearman {fmt(vs.spearman)}, "
            f"ICC(2,1) {fmt(vs.icc2.value)} ({vs.n_units} answers).",
            "",
        ]
    comparison = total.comparison
    if comparison:
        gap = comparison.mae_gap
        lines += [
            f"**Can the grader stand in for an expert? {total.stand_in}.** Its distance to the "
            f"other experts' consensus minus a typical expert's (MAE gap, negative = closer): "
            f"{fmt(gap.estimate)} {ci(gap.low, gap.high)}; the grader is closer than "
            f"{pct((comparison.grader_percentile or 0) / 100)} of the experts.",
            "",
        ]
    return lines


def _gap(row: AgreementCriterion) -> str:
    gap = row.f1_gap
    if gap is None:
        return "n/a n/a"
    return f"{fmt(gap.estimate)} {ci(gap.low, gap.high)}"


def agreement_lines(report: CalibrationReport, figures: Figures) -> list[str]:
    section = report.agreement
    lines = ["## 3. Agreement with the experts", ""]
    if not section:
        return [*lines, "No expert grades were given (`--experts FILE` or inline `experts`).", ""]
    lines += [f"{len(section.experts)} experts ({', '.join(section.experts)}), "
              f"{section.n_grades} grades.", ""]  # fmt: skip
    if section.total:
        lines += _total_agreement(report, section.total)
        if not section.total.grader_vs_mean:
            lines += ["The grader's overall score (the reward) did not run on these answers, "
                      "so it is not compared with the experts' overall grades.", ""]  # fmt: skip
    lines += figure(figures, "grader_vs_experts")
    by = report.scored_by
    binary = [r for r in section.criteria if r.binary]
    if binary:
        lines += [
            "Per criterion, as HealthBench measures it: balanced F1 (mean of the F1 for met and "
            "for not met) over every grader-expert pair, each expert's against the others, the "
            "grader's percentile among the experts, and the F1 gap (grader - mean expert, "
            "bootstrap 95% CI). Random baseline: 0.5. *by*: what scores the criterion (check, "
            "judge, check+judge).",
            "",
        ]
        rows = [
            [f"`{r.criterion}`", by.get(r.criterion, ""), fmt(r.alpha),
             fmt(r.grader_f1), fmt(r.mean_expert_f1),
             fmt(r.grader_kappa), fmt(r.grader_percentile, 0), _gap(r), r.stand_in]
            for r in binary
        ]  # fmt: skip
        lines += table(["criterion", "by", "expert alpha", "grader F1", "experts' F1",
                        "grader kappa", "percentile", "F1 gap", "stand-in"], rows,
                       "llrrrrrrl")  # fmt: skip
    scored = [r for r in section.criteria if r.binary is False]
    if scored:
        lines += ["Graded criteria (levels, check scores): the grader vs the experts' mean.", ""]
        lines += table(["criterion", "by", "expert alpha", "MAE", "bias", "Spearman", "answers"],
                       [[f"`{r.criterion}`", by.get(r.criterion, ""), fmt(r.alpha),
                         fmt(r.mae), fmt(r.bias),
                         fmt(r.spearman), r.n_units] for r in scored])  # fmt: skip
    return lines + figure(figures, "agreement_f1")
