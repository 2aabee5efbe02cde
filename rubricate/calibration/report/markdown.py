"""The Markdown report: the typed report (:class:`~.schema.CalibrationReport`, built by
:mod:`.data`) as a document a reviewer reads.

Order: the verdict first (what to do), then the figures that back it: stability,
discrimination, agreement with the experts, unscored calls, RFT readiness, cost. Every number
carries its interval where it has one. Figures are referenced as ``figures/<name>.png``
(relative to the run directory); the HTML report (:mod:`.html`) embeds the same text and
the same figures. User text (ids, criterion texts) is escaped for Markdown tables.
"""

from __future__ import annotations

from typing import Any

from rubricate.calibration.report.md_agreement import agreement_lines
from rubricate.calibration.report.md_bias import bias_lines
from rubricate.calibration.report.md_probes import probe_lines
from rubricate.calibration.report.md_sections import (
    NOT_RUN_CLIPPED,
    cell,
    ci,
    cost_lines,
    discrimination_lines,
    fmt,
    pct,
    readiness_lines,
    report_header,
    stability_lines,
    unscored_lines,
)
from rubricate.calibration.report.schema import CalibrationReport
from rubricate.calibration.report.verdict import OUTCOME_WORDS

HOW_TO_ENABLE = (
    "`export OPENAI_API_KEY=...` (OpenAI), or `--base-url http://localhost:8000/v1` "
    "(or `OPENAI_BASE_URL`) for a local OpenAI-compatible server such as vLLM or Ollama"
)
"""How to give calibrate a judge, as the report and the CLI say it."""

_STATUS = {"ready": "Ready", "not_ready": "Not ready", "incomplete": "Incomplete"}


def _header(report: CalibrationReport) -> list[str]:
    run, coverage = report.run, report.coverage
    tiers = ", ".join(f"{n} {t}" for t, n in coverage.by_tier.items() if n)
    judge = run.judge_model or "none (checks only)"
    if run.judge_model and not coverage.judge.ran:
        judge += " (not run: no model endpoint)"
    repeats: Any = run.repeats
    if run.repeats_mode == "auto":
        repeats = f"auto (up to {repeats})"
    inputs = (
        f"Calibration set {run.set_path}: {coverage.items} items, "
        f"{coverage.answers} answers ({tiers}); repeats: {repeats}"
    )
    return report_header("Calibration", run, title=report.rubric.title,
                         rubric_id=report.rubric.id, judge=judge, inputs=inputs)  # fmt: skip


def _verdict(report: CalibrationReport) -> list[str]:
    verdict = report.verdict
    summary = verdict.summary
    for prefix in ("Not ready for fine-tuning: ", "Incomplete: ", "Ready: "):
        summary = summary.removeprefix(prefix)
    lines = [f"> **{_STATUS[verdict.status]}.** {summary[0].upper()}{summary[1:]}", ""]
    not_run = report.coverage.not_run
    if not_run.criteria or not_run.total:
        skipped = ", ".join(f"`{c}`" for c in not_run.criteria) or "the holistic judge"
        lines += [
            f"> **The judge did not run**: no model endpoint was configured, so {skipped} "
            f"{'were' if len(not_run.criteria) != 1 else 'was'} not graded ({not_run.rows} "
            "grades marked *not run*; they are not errors and are left out of every figure). "
            f"To run them: {HOW_TO_ENABLE}, then rerun the same command.",
            "",
        ]
    if report.headline == "__checks__":
        lines += [
            "> The run-level figures below use the **checks-only score**: the rubric's "
            "scoring over its deterministic checks alone (judged criteria left out, weights "
            "renormalised). It is not the grader's reward.",
            "",
        ]
    excluded = report.coverage.excluded
    if excluded:
        lines += [
            f"> {len(excluded)} answer(s) were left out because they are few-shot examples in "
            "the rubric (leakage): " + "; ".join(e["describe"] for e in excluded),
            "",
        ]
    return lines


def _discrimination_rows(report: CalibrationReport) -> list[tuple[str, str]]:
    head = report.discrimination.headline if report.discrimination else None
    if head is None:
        return []
    checks = {c.id: c for c in report.readiness.checks}
    rows = []
    means = ", ".join(f"{r.tier} {fmt(r.mean)}" for r in head.tier_means)
    if report.headline == "__checks__":
        rows.append(("Score the figures below use", "the checks-only score (not the reward)"))
    rows.append(("Mean score by tier", means))
    order = head.order
    shown = f"{order.n_ordered} of {order.n_items} ({pct(order.share)})"
    if order.share is None:
        shown = f"not assessed: {checks['order'].reason}"
    rows.append(("Items ordered great > fair > poor", shown))
    area = head.auc
    shown = f"{fmt(area.estimate)} {ci(area.low, area.high)}"
    if area.estimate is None:
        shown = f"not assessed: {checks['auc'].reason}"
    rows.append(("AUC great vs poor", shown))
    rows.append(("Adversarial answers above fair", str(head.n_risks)))
    return rows


def _key_figures(report: CalibrationReport) -> list[str]:
    rows = _discrimination_rows(report)
    noisy = [r for r in report.stability.criteria if r.flip_p]
    if noisy:
        top = max(noisy, key=lambda r: r.flip_p or 0.0)
        where = f"`{top.criterion}`: flip_p {pct(top.flip_p)}"
        rows.append(("Least stable criterion", where))
    unscored = report.unscored
    if unscored.share is not None:
        rows.append(("Unscored grades", f"{unscored.unscored} ({pct(unscored.share, 1)})"))
    clipped = report.clipped
    if clipped.assessed is False:
        rows.append(("Results outside their range (clipped)", NOT_RUN_CLIPPED))
    else:
        how = "counted as scored" if clipped.counted_as_scored else "left out"
        rows.append(("Results outside their range (clipped)",
                     f"{clipped.replies}" + (f" ({how})" if clipped.replies else "")))
    total = report.agreement.total if report.agreement else None
    if total is not None and total.stand_in:
        rows.append(("Grader can stand in for an expert", total.stand_in))
    summary = report.readiness.summary
    if summary:
        rows.append(("Items saturated (all min or all max)", pct(summary.share_saturated)))
    if not rows:
        return []
    out = ["## Key figures", "", "| figure | value |", "|---|---|"]
    out += [f"| {name} | {value} |" for name, value in rows]
    return [*out, ""]


def _checks(report: CalibrationReport) -> list[str]:
    """The readiness checks: met, not met or not assessed, each with its reason."""
    out = ["## Readiness checks", "",
           "Each check is *met*, *not met* or *not assessed* (not measured: never a pass).", "",
           "| check | outcome | why |", "|---|---|---|"]  # fmt: skip
    for check in report.readiness.checks:
        out.append(f"| {cell(check.label)} | **{OUTCOME_WORDS[check.outcome]}** | "
                   f"{cell(check.reason)} |")  # fmt: skip
    return [*out, ""]


def _rewrite(report: CalibrationReport) -> list[str]:
    rewrite = report.readiness.rewrite_first
    if not rewrite:
        return []
    lines = ["## Criteria to rewrite first", ""]
    for entry in rewrite:
        lines.append(f"1. `{entry.criterion}`: {'; '.join(entry.reasons)}.")
    return [*lines, ""]


def render_markdown(report: CalibrationReport, figures: dict[str, dict[str, str]]) -> str:
    """The whole Markdown report.

    Args:
        report: the typed report data.
        figures: ``{name: {"path", "title"}}`` of the figures written (may be empty).
    """
    lines = (_header(report) + _verdict(report) + _checks(report) + _key_figures(report)
             + _rewrite(report))  # fmt: skip
    for section in (
        stability_lines,
        discrimination_lines,
        probe_lines,
        agreement_lines,
        bias_lines,
        unscored_lines,
        readiness_lines,
        cost_lines,
    ):
        lines += section(report, figures)
    return "\n".join(lines).rstrip() + "\n"
