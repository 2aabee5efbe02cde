"""The report's figures: PNG files drawn with matplotlib's Agg backend from the typed report.

matplotlib is imported inside :func:`write_figures` (it takes a second to import), with the Agg
backend, so no display is needed (:mod:`.plotting`). Every figure has a title, labelled axes,
fonts of 11 pt or more, and the Okabe-Ito colour-blind-safe palette (:data:`TIER_COLOURS`);
tiers also differ by marker shape, so the figures read in grey too.

Figures (each drawn only when its data exists):

- ``tier_means.png``: mean score per tier with its 95 % interval, over every answer's mean;
- ``variance_study.png``: the RFT variance study: per answer, sorted by mean, a bar for the mean,
  a line from min to max over the repeats, and a marker at the max;
- ``flip_rates.png``: per criterion, the per-call probability that the verdict flips, with its
  interval;
- ``criteria_tiers.png``: mean score of each criterion (and gating check) per tier;
- ``grader_vs_experts.png``: the grader's overall score against the experts' mean, per answer;
- ``agreement_f1.png``: per met / not-met criterion, the grader's balanced F1 against the
  experts' own.

The figures speak of the *grader* (its judge where one scored and ran, its checks otherwise:
``scored_by`` in the report data), never of the judge for what no judge computed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rubricate.calibration.report.model_agreement import AgreementCriterion, Unit
from rubricate.calibration.report.model_sections import (
    AnswerStability,
    CriterionDiscrimination,
    HeadlineDiscrimination,
)
from rubricate.calibration.report.plotting import pyplot, save_figures
from rubricate.calibration.report.schema import CalibrationReport

TIER_COLOURS = {
    "great": "#009E73",
    "fair": "#E69F00",
    "poor": "#D55E00",
    "adversarial": "#CC79A7",
}
"""Okabe-Ito colours per tier (bluish green, orange, vermillion, reddish purple)."""
TIER_MARKERS = {"great": "o", "fair": "s", "poor": "v", "adversarial": "X"}
BLUE, GREY = "#0072B2", "#555555"


def _answers(report: CalibrationReport) -> list[AnswerStability]:
    return [a for a in report.stability.answers if a.mean is not None]


def _mean(answer: AnswerStability) -> float:
    return float(answer.mean if answer.mean is not None else math.nan)


def _range(report: CalibrationReport) -> tuple[float, float]:
    low, high = report.rubric.score_range
    return low, high


def _tier_means(plt: Any, report: CalibrationReport, head: HeadlineDiscrimination | None,
                label: str) -> Any:  # fmt: skip
    assert head is not None  # drawn only when there is a headline
    fig, ax = plt.subplots(figsize=(8, 4.6))
    tiers = [row.tier for row in head.tier_means]
    for x, row in enumerate(head.tier_means):
        tier = row.tier
        points = [a.mean for a in _answers(report) if a.tier == tier]
        jitter = [x - 0.18 + 0.36 * (i + 0.5) / max(1, len(points)) for i in range(len(points))]
        ax.scatter(jitter, points, s=34, alpha=0.8, color=TIER_COLOURS[tier],
                   marker=TIER_MARKERS[tier], edgecolors="none")  # fmt: skip
        low, high, mean = row.ci_low, row.ci_high, row.mean
        if low is not None and high is not None and mean is not None:
            ax.errorbar(x + 0.3, mean, yerr=[[mean - low], [high - mean]],
                        fmt="D", color="black", capsize=6, markersize=8, lw=2)  # fmt: skip
        else:
            ax.plot(x + 0.3, mean, "D", color="black", markersize=8)
    ax.set_xticks(range(len(tiers)), [f"{t}\n(n={r.n_answers})" for t, r in
                                      zip(tiers, head.tier_means, strict=True)])  # fmt: skip
    ax.set_ylabel(f"{label} (mean over repeats)")
    ax.set_title("Score by tier: answers (dots) and tier mean with 95% CI (diamond)")
    low, high = _range(report)
    ax.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low))
    return fig


def _variance_study(plt: Any, report: CalibrationReport, label: str) -> Any:
    rows = sorted(_answers(report), key=lambda a: (_mean(a), a.item_id, a.answer_id))
    fig, ax = plt.subplots(figsize=(max(8, 0.22 * len(rows) + 2), 5.4))
    xs = list(range(len(rows)))
    colours = [TIER_COLOURS.get(a.tier, GREY) for a in rows]
    ax.bar(xs, [a.mean for a in rows], color=colours, alpha=0.6, width=0.75)
    for tier, colour in TIER_COLOURS.items():  # the mean again as a marker: a 0 stays visible
        points = [(x, a.mean) for x, a in zip(xs, rows, strict=True) if a.tier == tier]
        if points:
            ax.scatter(
                *zip(*points, strict=True),
                color=colour,
                marker=TIER_MARKERS[tier],
                s=40,
                edgecolors="black",
                linewidths=0.6,
                zorder=3,
                label=f"mean, {tier}",
            )
    ax.vlines(xs, [a.min for a in rows], [a.max for a in rows], color="black", lw=1.6,
              label="spread over repeats (min to max)", zorder=2)  # fmt: skip
    ax.scatter(xs, [a.max for a in rows], marker="_", s=140, color="black", lw=2, label="max",
               zorder=4)  # fmt: skip
    ax.set_xticks([])
    ax.set_xlabel(f"answers, sorted by mean score ({len(rows)})")
    ax.set_ylabel(label)
    low, high = _range(report)
    ax.set_ylim(low - 0.04 * (high - low), high + 0.06 * (high - low))
    ax.set_title("Variance study: mean, max and spread over repeats per answer")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)
    return fig


def _flip_rates(plt: Any, report: CalibrationReport) -> Any:
    rows = sorted(((r.flip_p, r) for r in report.stability.criteria if r.flip_p is not None),
                  key=lambda pr: (pr[0], pr[1].criterion))  # fmt: skip
    fig, ax = plt.subplots(figsize=(8, max(3.2, 0.42 * len(rows) + 1.6)))
    ys = list(range(len(rows)))
    ps = [p for p, _ in rows]
    lows = [p - (r.flip_p_low if r.flip_p_low is not None else p) for p, r in rows]
    highs = [(r.flip_p_high if r.flip_p_high is not None else p) - p for p, r in rows]
    ax.errorbar(ps, ys, xerr=[lows, highs], fmt="o", color=BLUE, capsize=4, lw=1.8)
    ax.axvline(0.1, color="#D55E00", ls="--", lw=1.5, label="10% (noisy reward)")
    ax.set_yticks(ys, [r.criterion for _, r in rows])
    ax.set_xlabel("probability that one grading flips the verdict")
    ax.set_title("Verdict stability per criterion (95% CI)")
    ax.set_xlim(left=0)
    ax.legend(loc="lower right", frameon=False)
    return fig


def _criteria_tiers(plt: Any, rows: list[CriterionDiscrimination]) -> Any:
    tiers = [t for t in TIER_COLOURS if any(t in r.tier_means for r in rows)]
    fig, ax = plt.subplots(figsize=(1.6 * len(tiers) + 4.5, 0.38 * len(rows) + 1.8))
    values = [[r.tier_means.get(t, float("nan")) for t in tiers] for r in rows]
    image = ax.imshow(values, cmap="cividis", vmin=0, vmax=1, aspect="auto")
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            if value is not None and value == value:
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=11,
                        color="black" if value > 0.55 else "white")  # fmt: skip
    names = [r.criterion + (" (penalty)" if r.penalty else "") for r in rows]
    ax.set_yticks(range(len(rows)), names)
    ax.set_xticks(range(len(tiers)), tiers)
    ax.grid(False)
    ax.set_title("Mean criterion score per tier")
    fig.colorbar(image, ax=ax, label="mean score (0 to 1)")
    return fig


def _grader_vs_experts(plt: Any, report: CalibrationReport, units: list[Unit]) -> Any:
    fig, ax = plt.subplots(figsize=(6.4, 6))
    for tier, colour in TIER_COLOURS.items():
        points = [u for u in units if u.tier == tier]
        if points:
            ax.scatter([u.experts for u in points], [u.grader for u in points], s=46,
                       color=colour, marker=TIER_MARKERS[tier], label=tier, alpha=0.85)  # fmt: skip
    low, high = _range(report)
    ax.plot([low, high], [low, high], color=GREY, ls="--", lw=1.2, label="agreement")
    ax.set_xlabel("experts' mean overall score")
    ax.set_ylabel("grader's overall score (mean over repeats)")
    ax.set_title("Grader vs experts, per answer")
    ax.legend(frameon=False, loc="upper left")
    return fig


def _agreement_f1(plt: Any, rows: list[AgreementCriterion]) -> Any:
    fig, ax = plt.subplots(figsize=(8, max(3.2, 0.42 * len(rows) + 1.8)))
    for y, row in enumerate(rows):
        experts = [v for v in (row.expert_f1 or {}).values() if v is not None]
        ax.scatter(
            experts,
            [y] * len(experts),
            marker="o",
            s=50,
            facecolors="none",
            edgecolors=GREY,
            lw=1.5,
            label="an expert vs the others" if y == 0 else None,
        )
        ax.scatter([row.grader_f1], [y], marker="D", s=60, color=BLUE,
                   label="grader vs the experts" if y == 0 else None)  # fmt: skip
    ax.axvline(0.5, color="#D55E00", ls="--", lw=1.5, label="random baseline (0.5)")
    ax.set_yticks(range(len(rows)), [r.criterion for r in rows])
    ax.set_xlabel("balanced F1 (mean of F1 for met and not met)")
    ax.set_xlim(0, 1.02)
    ax.set_title("Agreement on verdicts, HealthBench-style")
    ax.legend(frameon=False, loc="lower left", fontsize=10)
    return fig


def write_figures(report: CalibrationReport, out: Path) -> dict[str, dict[str, str]]:
    """Draw every figure the report allows into ``out/figures``.

    Returns:
        ``{name: {"path": "figures/<name>.png", "title": ...}}`` in display order.
    """
    plt = pyplot()
    label = {"__total__": "score", "__checks__": "checks-only score"}.get(report.headline or "",
                                                                           "")  # fmt: skip
    section = report.discrimination
    head = section.headline if section is not None else None
    by_criterion = section.criteria + section.checks if section is not None else []
    agreement = report.agreement
    units = (agreement.total.units if agreement and agreement.total else None) or []
    f1_rows = [r for r in (agreement.criteria if agreement else []) if r.binary and r.grader_f1]
    plans = [
        ("tier_means", "Score by tier", head is not None,
         lambda: _tier_means(plt, report, head, label)),
        ("variance_study", "Variance study", bool(_answers(report)),
         lambda: _variance_study(plt, report, label)),
        ("flip_rates", "Verdict stability per criterion",
         any(r.flip_p is not None for r in report.stability.criteria),
         lambda: _flip_rates(plt, report)),
        ("criteria_tiers", "Criteria by tier", bool(by_criterion),
         lambda: _criteria_tiers(plt, by_criterion)),
        ("grader_vs_experts", "Grader vs experts", bool(units),
         lambda: _grader_vs_experts(plt, report, units)),
        ("agreement_f1", "Verdict agreement", bool(f1_rows), lambda: _agreement_f1(plt, f1_rows)),
    ]  # fmt: skip
    return save_figures(plt, plans, out)
