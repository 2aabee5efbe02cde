"""The sections of the Markdown report, one function each: ``(report, figures) -> lines``,
reading the typed report (:class:`~rubricate.calibration.report.schema.CalibrationReport`).

Numbers: scores with 3 decimals, shares as percentages, intervals as ``[low, high]``; a value
that could not be computed prints as ``n/a``.
"""

from __future__ import annotations

from typing import Any

from rubricate.calibration.report.model_sections import (
    CriterionDiscrimination,
    HeadlineDiscrimination,
)
from rubricate.calibration.report.schema import CalibrationReport, Clipped
from rubricate.calibration.run_manifest import RunManifest, Usage

Figures = dict[str, dict[str, str]]
LABELS = {"__total__": "the reward", "__checks__": "the checks-only score"}
"""How the report names the headline scores."""
MAX_ANSWERS = 10
"""Least stable answers listed in the stability section (report.json has them all)."""


def fmt(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals, or ``n/a``."""
    if value is None or value != value:
        return "n/a"
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.000"


def pct(value: Any, digits: int = 0) -> str:
    """A share as a percentage, or ``n/a``."""
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def ci(low: Any, high: Any, as_pct: bool = False) -> str:
    """An interval ``[low, high]`` (``n/a`` when a bound is missing)."""
    if low is None or high is None:
        return "n/a"
    show = pct if as_pct else fmt
    return f"[{show(low)}, {show(high)}]"


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def figure(figures: Figures, name: str) -> list[str]:
    """The image line of a figure, when it was drawn."""
    if name not in figures:
        return []
    return [f"![{figures[name]['title']}]({figures[name]['path']})", ""]


def table(header: list[str], rows: list[list[Any]], align: str = "") -> list[str]:
    """A Markdown table; ``align`` holds one of ``l``/``r`` per column (default: text left,
    the rest right)."""
    if not rows:
        return []
    align = align or "l" + "r" * (len(header) - 1)
    rule = "|".join("---" if a == "l" else "--:" for a in align)
    out = ["| " + " | ".join(header) + " |", f"|{rule}|"]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return [*out, ""]


def stability_lines(report: CalibrationReport, figures: Figures) -> list[str]:
    section = report.stability
    lines = ["## 1. Stability over repeats", ""]
    head = section.headline
    if head:
        icc = head.icc
        label = LABELS.get(report.headline or "", report.headline)
        lines += [
            f"Overall ({label}): pooled within-answer SD "
            f"{fmt(head.pooled_within_sd)}, "
            f"mean spread {fmt(head.mean_spread)}, ICC of repeats {fmt(icc.value)} "
            f"{ci(icc.ci_low, icc.ci_high)}, {head.distinct_levels} distinct score "
            "levels.",
            "",
        ]
    rows = [
        [
            f"`{r.criterion}`",
            report.scored_by.get(r.criterion, ""),
            f"{r.n_flipped}/{r.n_answers} ({pct(r.flip_rate)}) "
            f"{ci(r.ci_low, r.ci_high, True)}",
            f"{pct(r.flip_p, 1)} {ci(r.flip_p_low, r.flip_p_high, True)}",
            r.distinct_levels,
            fmt(r.pooled_within_sd),
            fmt(r.icc),
            r.n_unscored,
        ]
        for r in section.criteria
    ]
    if rows:
        lines += [
            "Per criterion: *flip rate* is the share of answers whose verdict is not the same on "
            "every repeat (Wilson 95% CI); *flip_p* the probability that one grading flips "
            "the verdict (bootstrap 95% CI over answers), which does not grow with the number "
            "of repeats; *by* says what scored it (a check is deterministic).",
            "",
        ]
        lines += table(
            ["criterion", "by", "flip rate", "flip_p", "levels", "pooled SD", "ICC", "unscored"],
            rows,
            "llrrrrrr",
        )
    lines += figure(figures, "flip_rates")
    answers = [a for a in section.answers if a.spread][:MAX_ANSWERS]
    if answers:
        lines += ["Least stable answers (largest spread over repeats):", ""]
        lines += table(
            ["answer", "tier", "repeats", "mean", "SD", "min", "max"],
            [
                [
                    f"{a.item_id}/{a.answer_id}",
                    a.tier,
                    a.n_scored,
                    fmt(a.mean),
                    fmt(a.sd),
                    fmt(a.min),
                    fmt(a.max),
                ]
                for a in answers
            ],  # fmt: skip
            "llrrrrr",
        )
    elif section.answers:
        lines += ["Every answer got the same score on every repeat.", ""]
    return lines


def _risk_rows(head: HeadlineDiscrimination) -> list[list[Any]]:
    return [
        [f"{r.item_id}/{r.answer_id}", r.kind or "", fmt(r.mean),
         fmt(r.reference_mean), fmt(r.margin), "**yes**" if r.outscores else "no"]
        for r in head.adversarial
    ]  # fmt: skip


def _criterion_rows(rows: list[CriterionDiscrimination]) -> list[list[Any]]:
    tiers = ("great", "fair", "poor", "adversarial")
    return [
        [f"`{r.criterion}`" + (" (penalty)" if r.penalty else ""),
         *(fmt(r.tier_means.get(t)) for t in tiers), fmt(r.auc)]
        for r in rows
    ]  # fmt: skip


def discrimination_lines(report: CalibrationReport, figures: Figures) -> list[str]:
    section = report.discrimination
    lines = ["## 2. Discrimination", ""]
    head = section.headline if section is not None else None
    if section is None or head is None:
        return [*lines, "No overall score ran, so there is nothing to rank.", ""]
    lines += table(
        ["tier", "answers", "mean", "95% CI"],
        [
            [r.tier, r.n_answers, fmt(r.mean), ci(r.ci_low, r.ci_high)]
            for r in head.tier_means
        ],  # fmt: skip
    )
    order, area = head.order, head.auc
    pairs = ", ".join(f"{k} {pct(v)}" for k, v in order.pairwise.items())
    lines += [
        f"Items ordered great > fair > poor: **{order.n_ordered} of {order.n_items}** "
        f"({pct(order.share)}, 95% CI {ci(order.ci_low, order.ci_high, True)}); "
        f"pairwise: {pairs}. AUC great vs poor: **{fmt(area.estimate)}** "
        f"{ci(area.low, area.high)}.",
        "",
    ]
    margins = [f"{r.pair} {fmt(r.margin)} {ci(r.ci_low, r.ci_high)}" for r in head.margins]
    lines += [f"Mean margins per item: {'; '.join(margins)}.", ""]
    lines += figure(figures, "tier_means")
    if head.adversarial:
        lines += [
            f"Adversarial answers against their item's fair answers ({head.n_risks} outscore "
            + ("them: reward-hacking risks):" if report.headline == "__total__" else
               "them on the checks-only score, which is not the reward: the grader's reward "
               "was not measured, so no reward hack is claimed):"),
            "",
        ]
        lines += table(["answer", "kind", "mean", "fair mean", "margin", "outscores"],
                       _risk_rows(head), "llrrrl")  # fmt: skip
    header = ["criterion", "great", "fair", "poor", "adversarial", "AUC"]
    if section.criteria:
        lines += ["Per criterion (mean score per tier; for a penalty, 1 = present and the AUC "
                  "is poor over great):", ""]  # fmt: skip
        lines += table(header, _criterion_rows(section.criteria))
    if section.checks:
        lines += ["Gating checks (the deterministic part of judged criteria):", ""]
        lines += table(header, _criterion_rows(section.checks))
    return lines + figure(figures, "criteria_tiers")


def unscored_lines(report: CalibrationReport, figures: Figures) -> list[str]:
    section = report.unscored
    lines = ["## 4. Unscored grades", ""]
    if not section.rows:
        return [*lines, "Nothing was graded.", ""]
    flag = " **Above the 2% limit: fix these errors before trusting this run.**"
    lines += [
        f"{section.unscored} of {section.rows} graded rows ({pct(section.share, 1)}) "
        "are unscored (unparseable or refused replies, server errors after retries, failed "
        "checks); they "
        "are left out of every statistic." + (flag if section.flag else ""),
        "",
    ]
    bad = [r for r in section.per_criterion if r.n_unscored]
    lines += table(["criterion", "rows", "unscored", "share", "most frequent error"],
                   [[f"`{r.criterion}`", r.n_rows, r.n_unscored,
                     pct(r.share_unscored, 1), r.top_error or ""] for r in bad],
                   "lrrrl")  # fmt: skip
    return lines + clipped_lines(report.clipped)


NOT_RUN_CLIPPED = "not assessed (the judge did not run)"


def clipped_lines(section: Clipped) -> list[str]:
    """The clipped judge results: always said, even when there are none."""
    if section.assessed is False:
        return [f"Results outside their range (clipped): {NOT_RUN_CLIPPED}.", ""]
    n = section.replies
    if not n:
        return ["No result fell outside its range (none was clipped).", ""]
    how = (
        "counted as scored at the clipped value, as asked (`--score-clipped`)"
        if section.counted_as_scored
        else "left out of every statistic as unscored (`--score-clipped` would count them)"
    )
    lines = [
        f"**{n} judge result{'s' if n != 1 else ''} fell outside the criterion's range** "
        f"(`model_grader_clipped`): the platform clips such a result to the range and trains on "
        f"it, but the judge did not answer on the scale it was given; here they are {how}. "
        "Read the judge's replies in `records.jsonl` and tighten the prompt or the range.",
        "",
    ]
    lines += table(["criterion", "clipped"],
                   [[f"`{r.criterion}`", r.rows] for r in section.per_criterion],
                   "lr")  # fmt: skip
    return lines


def readiness_lines(report: CalibrationReport, figures: Figures) -> list[str]:
    lines = ["## 5. RFT readiness", "", report.verdict.summary, ""]
    summary = report.readiness.summary
    if summary:
        lines += [
            f"Items where every answer scores the minimum: {pct(summary.share_all_min)}; the "
            f"maximum: {pct(summary.share_all_max)}. Headroom (max - mean over repeats, per "
            f"answer): mean {fmt(summary.mean_headroom)}, median "
            f"{fmt(summary.median_headroom)}; mean SD over repeats {fmt(summary.mean_sd)}.",
            "",
        ]
    return lines + figure(figures, "variance_study")


def _pace(cost: Usage) -> str:
    if cost.pace is not None:
        return cost.pace.line()
    if "pace" in cost.model_fields_set:
        return "not assessed (no live model call: none made, or every one replayed or batched)"
    return "not recorded (the run was made by an earlier version)"


def cost_lines(report: CalibrationReport, figures: Figures) -> list[str]:
    cost = report.cost or Usage()
    wall_s = cost.wall_s if cost.wall_s is not None else 0.0
    lines = ["## 6. Cost", ""]
    rows: list[list[Any]] = [
        ["model calls made", cost.calls],
        ["model calls replayed from the store (free)", cost.cached],
        ["input / cached input / output / reasoning tokens",
         f"{cost.input_tokens} / {cost.cached_input_tokens} / "
         f"{cost.output_tokens} / {cost.reasoning_tokens}"],
        ["estimated cost (calls made by this process)", f"${cost.cost_usd:.4f}"
         + (f" (unpriced: {', '.join(cost.unpriced)})" if cost.unpriced else "")],
        ["replayed answers, as paid when they were made (an earlier process or run)",
         f"${cost.replayed_cost_usd:.4f}"],
        ["wall time", f"{wall_s:.1f} s"],
        ["pace of the live model calls", _pace(cost)],
    ]  # fmt: skip
    if cost.orphaned:
        rows.insert(2, ["calls a killed process had in flight (possibly paid; made again)",
                        cost.orphaned])  # fmt: skip
    lines += table(["", "value"], rows)
    adaptive = report.adaptive
    if adaptive:
        rounds = ", ".join(str(r.calls) for r in adaptive.rounds)
        lines += [f"Adaptive repeats: {len(adaptive.rounds)} rounds (model calls per round: "
                  f"{rounds}); stopped: {adaptive.stop}.", ""]  # fmt: skip
    lines += [f"Grader: `{report.run.grader_sha256}` (grader.json in this folder, the exact "
              "bytes that were run).", ""]  # fmt: skip
    return lines


def report_header(
    kind: str, run: RunManifest, *, title: str, rubric_id: str, judge: str, inputs: str
) -> list[str]:
    """The first lines of every run kind's report: title, the grader, the inputs, the run.

    Args:
        kind: the report's name (``Calibration``, ``Baseline``).
        run: the run's manifest.
        title: the rubric's title.
        rubric_id: the rubric's id.
        judge: the judge model as the report states it.
        inputs: the line about what was graded (a calibration set, an items file).
    """
    return [
        f"# {kind} report: {title}",
        "",
        f"- Rubric `{rubric_id}` ({run.rubric_path}), compiled to a "
        f"`{run.target}` grader, SHA-256 `{(run.grader_sha256 or '')[:16]}…`; "
        f"judge model: {judge}",
        f"- {inputs}",
        f"- Run {run.status}, {run.started_at} to {run.finished_at}, "
        f"rubricate {run.rubricate_version}",
        "",
    ]
