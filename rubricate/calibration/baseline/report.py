"""The baseline report: every statistic in one JSON-ready dict, and the files written from it.

:func:`build_baseline_data` returns (NaN turned into None, one entry per model in every
per-model section, in the order the models were given):

- ``variance_study``: per model ``summary`` (items, scored samples, overall mean, mean of
  maxima, mean variance) and ``items`` (per item n, mean, max, min, sd, var, headroom, sorted
  by mean); :mod:`.stats`;
- ``learning_signal``: per model the zero-variance / always-min / always-max shares, headroom,
  status, plain-language verdict and the items to drop, fix or look at;
- ``criteria``: every criterion row of the grades (leaf criteria, gating checks, the checks-only
  score, the reward) with each model's mean over scored samples, n and unscored count;
- ``labels``: per label task (:mod:`.labels`) each model's per-sample, micro and macro
  precision, recall and F1;
- ``usage``: per model reasoning tokens, latency and cost per sample; ``unscored``: per model
  the unscored samples, counted and listed; ``cost``: what this run paid (calls made, replayed);
- ``bias_correction``: per model, the report's bias-correction section
  (:mod:`rubricate.calibration.report.bias`) on that model's samples and the expert grades of
  them (the run's ``experts.csv``, which ``rubricate review`` appends to): the judge's
  sensitivity / specificity and its mean score corrected by prediction-powered inference and
  Rogan-Gladen; ``assessed`` false, with the reason, when no expert graded the model's samples
  or the grader has no judge;
- ``verdict``: ``status`` (the best model's learning-signal status) and ``summary``.

:func:`write_baseline_reports` writes ``report.json``, ``report.md`` (:mod:`.report_md`)
and the self-contained ``report.html`` (:func:`rubricate.calibration.report.html.render_html`,
figures embedded), plus the figures unless asked not to.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from rubricate.calibration.baseline.labels import averages, label_tasks, sample_labels
from rubricate.calibration.baseline.stats import (
    criterion_means,
    item_study,
    learning_signal,
    study_summary,
    unscored_samples,
    usage_summary,
)
from rubricate.calibration.grades_table import TOTAL
from rubricate.calibration.report.bias import bias_section, judged_targets
from rubricate.calibration.report.data import plain, records, rubric_summary
from rubricate.calibration.report.files import ReportStyle, write_styled_reports
from rubricate.calibration.verdicts import CHECK_SUFFIX, CHECKS, GraderPlan
from rubricate.rubrics.model import Rubric

STATUS_ORDER = ("likely", "limited", "unlikely", "unknown")
"""Learning-signal statuses, best first."""
HTML_STATUS = {
    "likely": "ready",
    "limited": "incomplete",
    "unlikely": "not_ready",
    "unknown": "incomplete",
}
"""The HTML verdict style of each status."""


def _criteria_order(plan: GraderPlan) -> list[tuple[str, bool]]:
    """``(criterion, is_leaf)`` in report order: leaves (with their gates), checks, reward."""
    out: list[tuple[str, bool]] = []
    for criterion in plan.criteria:
        out.append((criterion.id, True))
        if criterion.kind == "both":
            out.append((criterion.id + CHECK_SUFFIX, False))
    if plan.checks_score:
        out.append((CHECKS, False))
    return [*out, (TOTAL, False)]


def _criteria(grades: pd.DataFrame, plan: GraderPlan, models: list[str]) -> list[dict]:
    order = _criteria_order(plan)
    leaf = dict(order)
    weights = {c.id: c.weight for c in plan.criteria}
    rows = criterion_means(grades, models, [c for c, _ in order])
    for row in rows:
        row["leaf"] = leaf[row["criterion"]]
        row["weight"] = weights.get(row["criterion"])
    return rows


def _labels(
    rubric: Rubric, samples: pd.DataFrame, rows: Mapping[str, dict[str, Any]], models: list[str]
) -> list[dict[str, Any]]:
    out = []
    scored = samples[samples["scored"] & samples["text"].notna()]
    for task in label_tasks(rubric):
        per = {}
        for model in models:
            mine = scored[scored["model"] == model]
            pairs = [
                (*sample_labels(task, text, rows[item_id]), item_id)
                for item_id, text in zip(mine["item_id"], mine["text"], strict=True)
            ]
            per[model] = averages(pairs, task.config.get("fuzzy_threshold"))
        out.append({"criteria": list(task.criteria), "kind": task.kind, "models": per})
    return out


def _bias(
    grades: pd.DataFrame,
    experts: pd.DataFrame | None,
    plan: GraderPlan,
    models: list[str],
    score_range: tuple[float, float],
) -> dict[str, Any]:
    out = {}
    for model in models:
        mine = grades[grades["model"] == model]
        graded = None
        if experts is not None and len(experts):
            answers = set(zip(mine["item_id"], mine["answer_id"], strict=True))
            keep = [key in answers for key in zip(experts["item_id"], experts["answer_id"],
                                                  strict=True)]  # fmt: skip
            graded = experts[keep]
        out[model] = bias_section(mine, graded, judged_targets(plan),
                                  has_judge=bool(plan.calls_per_grade), judge_ran=True,
                                  score_range=score_range)  # fmt: skip
    return out


def _verdict(signal: dict[str, dict[str, Any]], models: list[str]) -> dict[str, Any]:
    statuses = [signal[m]["status"] for m in models]
    best = min(statuses, key=STATUS_ORDER.index) if statuses else "unknown"
    if len(models) == 1:
        summary = signal[models[0]]["verdict"]
    else:
        summary = "; ".join(f"{m}: {signal[m]['status']}" for m in models)
    return {"status": best, "summary": summary}


def build_baseline_data(
    grades: pd.DataFrame,
    samples: pd.DataFrame,
    *,
    rubric: Rubric,
    plan: GraderPlan,
    manifest: dict[str, Any],
    rows: Mapping[str, dict[str, Any]],
    experts: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Every section of the report (see the module docstring), JSON-ready.

    Args:
        grades: the baseline grades table (with ``model`` and ``sample``).
        samples: the sample table (with ``text``).
        rubric: the rubric; plan: its compiled grader's plan.
        manifest: ``run.json`` (its ``models`` give the column order).
        rows: each item's RFT row by item id (the ``item`` the grader saw).
        experts: normalised expert grades of the samples (``answer_id`` ``<model>#<i>``), or
            None.
    """
    # Samples complete in any order; sorting first makes every sum, and so every figure to
    # the last bit, the same on a rerun.
    grades = grades.sort_values(["model", "item_id", "sample", "criterion"], kind="stable")
    models = list(manifest["models"])
    score_range = (float(rubric.score.range[0]), float(rubric.score.range[1]))
    study, signal = {}, {}
    for model in models:
        table = item_study(grades, model)
        study[model] = {"summary": study_summary(table), "items": records(table)}
        signal[model] = learning_signal(grades, model, score_range)
    data: dict[str, Any] = {
        "report_version": 1,
        "kind": "baseline",
        "run": manifest,
        "rubric": rubric_summary(rubric, plan),
        "models": models,
        "items": list(rows),
        "samples_per_item": manifest.get("samples"),
        "score_range": list(score_range),
        "variance_study": study,
        "learning_signal": signal,
        "criteria": _criteria(grades, plan, models),
        "labels": _labels(rubric, samples, rows, models),
        "usage": {m: usage_summary(samples, m) for m in models},
        "unscored": {m: unscored_samples(samples, m) for m in models},
        "cost": manifest.get("usage"),
        "bias_correction": _bias(grades, experts, plan, models, score_range),
    }
    data = plain(data)
    data["verdict"] = _verdict(data["learning_signal"], models)
    return data


BASELINE_REPORTS = ReportStyle(
    name="Baseline",
    figures="rubricate.calibration.baseline.figures:write_baseline_figures",
    markdown="rubricate.calibration.baseline.report_md:render_baseline_markdown",
    html_status=HTML_STATUS,
)


def write_baseline_reports(out: Path, data: dict[str, Any], *, figures: bool = True) -> list[Path]:
    """Write the figures (unless ``figures`` is False) and the three reports into ``out``."""
    return write_styled_reports(out, data, figures=figures, style=BASELINE_REPORTS)
