"""Every statistic of a calibration run in one JSON-ready structure: what the reports print.

:func:`build_report_data` takes the tidy grades table and returns the typed report
(:class:`~rubricate.calibration.report.schema.CalibrationReport`; NaN turned into None) with
these sections, each computed on the rows that were graded: rows *not run* (no
model endpoint; :func:`rubricate.calibration.verdicts.is_not_run`) are left out of everything
and listed under ``coverage.not_run``; *unscored* rows (judge errors) are left out of every
statistic and counted under ``unscored``.

- ``headline``: the score the run-level sections use: the grader's reward (``__total__``) when
  it ran; else, for a rubric mixing checks and judged criteria run without a judge, the
  checks-only score (``__checks__``); else none.
- ``stability``: the headline's pooled within-answer SD, ICC of repeats and distinct levels;
  every answer's mean, SD, min, max and spread over repeats (least stable first); per criterion
  the flip rate (share of answers whose verdict changes, Wilson interval), the per-call flip
  probability ``flip_p`` (bootstrap interval), distinct levels, pooled SD and ICC.
- ``discrimination``: for the headline, mean per tier with cluster-bootstrap intervals, the share
  of items ordered great > fair > poor, margins, AUC great vs poor, and every adversarial answer
  against its item's fair answers (``outscores`` = a reward-hacking risk); per criterion and per
  gating check, tier means and AUC (for a penalty, AUC of poor over great: higher still means
  the criterion separates the tiers the right way).
- ``probes``: ``{"adversarial": ...}`` for a run with ``--probe adversarial``: per probe kind
  and criterion, which generated probes outscore their item's fair answers, and what was not
  generated (:mod:`rubricate.calibration.probes.summary`); None otherwise.
- ``agreement``: see :mod:`.agreement` (None without expert grades).
- ``bias_correction``: the judge's sensitivity / specificity against the expert majority and
  its mean score corrected with the expert labels (prediction-powered inference, Rogan-Gladen),
  overall and per tier, per judged criterion and the reward; see :mod:`.bias` (``assessed``
  false, with the reason, without expert grades on what the judge scores).
- ``unscored``: per criterion rows, unscored rows and share, most frequent error; ``flag`` when
  more than :data:`UNSCORED_LIMIT` of the graded rows are unscored.
- ``clipped``: judge results outside their range (which the platform clips): ``assessed``
  is false (and the counts null) when the judge did not run; how many
  (``replies``), how many rewards they touched (``totals``), per criterion, and whether the run
  counted them as scored (``--score-clipped``) or left them out (unscored, the default).
- ``readiness``: saturation and headroom of the headline, the variance study (per answer: mean,
  max, min, SD, headroom over repeats, sorted by mean), the plain-language verdict and the
  criteria to rewrite first (:mod:`.verdict`).
- ``cost``: judge calls, replays, tokens, estimated cost, wall time.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from rubricate.calibration.grades_table import (
    TIERS,
    TOTAL,
    clipped_counts,
    scored_rows,
    unscored_counts,
)
from rubricate.calibration.report.agreement import agreement_section
from rubricate.calibration.report.bias import bias_section, judged_targets
from rubricate.calibration.report.schema import CalibrationReport
from rubricate.calibration.report.verdict import (
    UNSCORED_MAX,
    readiness_checks,
    rewrite_first,
    verdict,
)
from rubricate.calibration.stats.discrimination import (
    adversarial_risks,
    auc,
    item_tier_means,
    tier_auc,
    tier_margins,
    tier_means,
    tier_order,
)
from rubricate.calibration.stats.readiness import readiness, variance_study
from rubricate.calibration.stats.stability import answer_stability, flip_rates, stability_summary
from rubricate.calibration.verdicts import CHECK_SUFFIX, CHECKS, GraderPlan, is_not_run
from rubricate.rubrics.model import Rubric

_PENDING = {"status": "incomplete", "summary": "", "problems": [], "not_assessed": []}
"""The verdict until :func:`build_report_data` computes it from the typed sections."""
UNSCORED_LIMIT = UNSCORED_MAX
"""Share of unscored graded rows above which the report flags the run."""
QUALITY_TIERS = ("great", "fair", "poor")


def plain(value: Any) -> Any:
    """``value`` made JSON-ready: NaN/inf -> None, numpy scalars -> Python, recursively."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame (index reset) as a list of plain row dicts."""
    return plain(frame.reset_index().to_dict("records"))


def rubric_summary(rubric: Rubric, plan: GraderPlan) -> dict[str, Any]:
    """The rubric's id, title, range and leaf criteria as the report lists them."""
    graded = {c.id: c for c in plan.criteria}
    criteria = []
    for node in rubric.leaves():
        criteria.append(
            {
                "id": node.id,
                "text": node.text,
                "weight": node.weight,
                "kind": node.kind,
                "levels": {str(k): v for k, v in (node.levels or {}).items()} or None,
                "penalty": node.weight < 0,
                "tracked": node.weight == 0,
                "judged": node.id in graded and graded[node.id].judge is not None,
            }
        )
    return {
        "id": rubric.id,
        "title": rubric.title,
        "score_range": list(rubric.score.range),
        "pass_threshold": rubric.pass_threshold,
        "criteria": criteria,
    }


def scored_by(plan: GraderPlan) -> dict[str, str]:
    """Who scores each row of the grades table: ``judge``, ``check``, ``check+judge`` (a check
    gating a judge), or for the reward ``judge``, ``checks`` or ``judge+checks``; the
    checks-only score is ``checks``. A figure is the judge's only when this says ``judge`` and
    the judge ran."""
    kinds = {"judged": "judge", "check": "check", "both": "check+judge"}
    sources = {c.id: kinds.get(c.kind, "check") for c in plan.criteria}
    sources.update({c.id + CHECK_SUFFIX: "check" for c in plan.criteria if c.kind == "both"})
    if not plan.calls_per_grade:
        total = "checks"
    elif plan.criteria and any(c.kind != "judged" for c in plan.criteria):
        total = "judge+checks"
    else:
        total = "judge"
    sources[TOTAL] = total
    if plan.checks_score:
        sources[CHECKS] = "checks"
    return sources


def _headline(graded: pd.DataFrame) -> str | None:
    for criterion in (TOTAL, CHECKS):
        if len(scored_rows(graded, criterion)):
            return criterion
    return None


def _criterion_discrimination(graded: pd.DataFrame, criterion: str, penalty: bool) -> dict:
    means = item_tier_means(graded, criterion)
    rows = scored_rows(graded, criterion)
    by_tier = rows.groupby("tier")["score"]
    high, low = ("poor", "great") if penalty else ("great", "poor")
    return {
        "criterion": criterion,
        "penalty": penalty,
        "n_scores": int(len(rows)),
        "tier_means": {t: float(by_tier.mean()[t]) for t in TIERS if t in by_tier.groups},
        "auc": auc(
            rows.loc[rows["tier"] == high, "score"].to_numpy(),
            rows.loc[rows["tier"] == low, "score"].to_numpy(),
        ),
        "items": int(len(means)),
    }


def _headline_discrimination(graded: pd.DataFrame, criterion: str, seed: int) -> dict[str, Any]:
    risks = adversarial_risks(graded, criterion)
    return {
        "criterion": criterion,
        "tier_means": records(tier_means(graded, criterion, seed=seed)),
        "order": tier_order(graded, criterion).as_dict(),
        "margins": records(tier_margins(graded, criterion, seed=seed)),
        "auc": tier_auc(graded, criterion, seed=seed, n_resamples=1000).as_dict(),
        "adversarial": records(risks),
        "n_risks": int(risks["outscores"].sum()),
    }


def _stability(graded: pd.DataFrame, headline: str | None, criteria: list[str], seed: int):
    section: dict[str, Any] = {"headline": None, "answers": [], "criteria": []}
    if headline is not None:
        section["headline"] = stability_summary(graded, headline).as_dict()
        section["answers"] = records(answer_stability(graded, headline))
    rows = graded[graded["criterion"].isin(criteria)]
    if len(rows):
        table = flip_rates(rows, include_total=TOTAL in criteria, seed=seed)
        table["icc"] = [stability_summary(rows, c).icc.value for c in table.index]
        section["criteria"] = records(table)
    return section


def _probes(graded: pd.DataFrame, manifest: dict[str, Any], headline: str | None,
            criteria: list[str], penalties: set[str], sources: dict[str, str]) -> Any:  # fmt: skip
    """``{"adversarial": section}`` of the generated probes, or None when the run generated
    none (:mod:`rubricate.calibration.probes.summary`)."""
    record = (manifest.get("probes") or {}).get("adversarial")
    if not record:
        return None
    from rubricate.calibration.probes.summary import probe_section

    targets = [(c, c in penalties) for c in criteria if len(scored_rows(graded, c))]
    section = probe_section(graded, record, headline=headline, criteria=targets,
                            scored_by=sources)  # fmt: skip
    return {"adversarial": section}


def _unscored(graded: pd.DataFrame, criteria: list[str]) -> dict[str, Any]:
    rows = graded[graded["criterion"].isin(criteria)]
    if rows.empty:
        return {"rows": 0, "unscored": 0, "share": None, "flag": False, "per_criterion": []}
    table = unscored_counts(rows)
    total, bad = int(table["n_rows"].sum()), int(table["n_unscored"].sum())
    share = bad / total if total else float("nan")
    return plain(
        {
            "rows": total,
            "unscored": bad,
            "share": share,
            "limit": UNSCORED_LIMIT,
            "flag": bool(share > UNSCORED_LIMIT),
            "per_criterion": records(table.sort_values("n_unscored", ascending=False)),
        }
    )


def _clipped(graded: pd.DataFrame, criteria: list[str], counted: bool) -> dict[str, Any]:
    """Judge results outside their range, clipped by the platform: each is one criterion row
    (a holistic grader's: its total row); ``totals`` are the rewards they touched."""
    rows = graded[graded["criterion"].isin([*criteria, TOTAL])]
    per = clipped_counts(rows) if len(rows) else pd.Series(dtype=int)
    replies = per.get(TOTAL, 0) if criteria == [TOTAL] else per.drop(TOTAL, errors="ignore").sum()
    return {
        "assessed": True,
        "replies": int(replies),
        "totals": int(per.get(TOTAL, 0)),
        "counted_as_scored": counted,
        "per_criterion": [
            {"criterion": str(c), "rows": int(n)} for c, n in per.items() if c != TOTAL
        ],
    }


def _coverage(grades: pd.DataFrame, plan: GraderPlan, leaks: list[dict[str, Any]]) -> dict:
    answers = grades.drop_duplicates(["item_id", "answer_id"])
    not_run = grades[is_not_run(grades)]
    skipped = sorted(
        c for c in not_run["criterion"].unique() if c not in (TOTAL, CHECKS)
    )  # fmt: skip
    quality = answers[answers["tier"].isin(QUALITY_TIERS)]
    tiers_per_item = quality.groupby("item_id")["tier"].nunique()
    return {
        "items": int(answers["item_id"].nunique()),
        "answers": int(len(answers)),
        "by_tier": {t: int((answers["tier"] == t).sum()) for t in TIERS},
        "repeats": int(grades["repeat"].max() + 1) if len(grades) else 0,
        "rows": int(len(grades)),
        "not_run": {
            "rows": int(len(not_run)),
            "criteria": skipped,
            "total": bool((not_run["criterion"] == TOTAL).any()),
        },
        "judged_criteria": plan.judged_criteria,
        "judge": {"in_grader": bool(plan.calls_per_grade), "ran": not len(not_run)},
        "items_multi_tier": int((tiers_per_item >= 2).sum()),
        "excluded": leaks,
    }


def build_report_data(
    grades: pd.DataFrame,
    *,
    rubric: Rubric,
    plan: GraderPlan,
    manifest: dict[str, Any],
    experts: pd.DataFrame | None = None,
    leaks: list[dict[str, Any]] | None = None,
    adaptive: dict[str, Any] | None = None,
    seed: int = 0,
) -> CalibrationReport:
    """Every section of the report (see the module docstring), typed.

    The statistics are assembled as JSON-ready dicts and validated into the model once; the
    readiness checks, the criteria to rewrite first and the verdict (:mod:`.verdict`) are
    then computed from the typed sections and filled in (the verdict is a placeholder until
    then). ``report.json`` is the model's :meth:`~CalibrationReport.to_json`.
    """
    # Grades are written as calls complete, in any order; sorting first makes sums and the
    # seeded bootstrap draws, and so every figure, the same on a rerun or --report-only.
    grades = grades.sort_values(["item_id", "answer_id", "repeat", "criterion"], kind="stable")
    graded = grades[~is_not_run(grades)]
    headline = _headline(graded)
    criteria = [c.id for c in plan.criteria] or [TOTAL]
    checks = [c.id + CHECK_SUFFIX for c in plan.criteria if c.kind == "both"]
    penalties = {c.id for c in plan.criteria if c.weight < 0}
    data: dict[str, Any] = {
        "report_version": 1,
        "run": manifest,
        "rubric": rubric_summary(rubric, plan),
        "headline": headline,
        "scored_by": scored_by(plan),
        "coverage": _coverage(grades, plan, leaks or []),
        "stability": _stability(graded, headline, criteria, seed),
        "unscored": _unscored(graded, criteria),
        "clipped": _clipped(graded, criteria, bool(manifest.get("score_clipped"))),
        "adaptive": adaptive,
    }
    if not data["coverage"]["judge"]["ran"]:  # no judge reply: nothing could be clipped
        data["clipped"].update(assessed=False, replies=None, totals=None)
    discrimination: dict[str, Any] = {"headline": None, "criteria": [], "checks": []}
    if headline is not None:
        discrimination["headline"] = _headline_discrimination(graded, headline, seed)
    for name, targets in (("criteria", criteria if plan.criteria else []), ("checks", checks)):
        discrimination[name] = [
            _criterion_discrimination(graded, c, c in penalties)
            for c in targets
            if len(scored_rows(graded, c))
        ]
    data["discrimination"] = discrimination
    data["probes"] = _probes(graded, manifest, headline, criteria + checks, penalties,
                             data["scored_by"])
    data["agreement"] = None
    if experts is not None and len(experts):
        graded_criteria = [c for c in criteria if c != TOTAL and len(scored_rows(graded, c))]
        data["agreement"] = agreement_section(
            graded,
            experts,
            graded_criteria,
            total_available=bool(len(scored_rows(graded, TOTAL))),
            seed=seed,
        )
    data["bias_correction"] = bias_section(
        graded,
        experts,
        judged_targets(plan),
        has_judge=bool(plan.calls_per_grade),
        judge_ran=data["coverage"]["judge"]["ran"],
        score_range=rubric.score.range,
    )
    score_range = rubric.score.range
    ready: dict[str, Any] = {"summary": None, "variance_study": []}
    if headline is not None:
        ready["summary"] = readiness(graded, headline, score_range=score_range).as_dict()
        ready["variance_study"] = records(variance_study(graded, headline))
    data["readiness"] = {**ready, "rewrite_first": [], "checks": []}
    data["cost"] = manifest.get("usage")
    data["verdict"] = _PENDING
    report = CalibrationReport.model_validate(plain(data))
    # the checks, the criteria to rewrite and the verdict read the typed sections above
    report.readiness.rewrite_first = rewrite_first(report)
    report.readiness.checks = readiness_checks(report)
    report.verdict = verdict(report, report.readiness.checks)
    return report
