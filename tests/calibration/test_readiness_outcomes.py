"""Readiness checks have three outcomes: met, not met, not assessed (with the reason).

Issue 14, finding 1: a calibration set with only ``great`` answers got "The grader is stable,
ranks great > fair > poor, resists the adversarial answers and leaves a learning signal" and
status ``ready``, because every check whose figure was None was skipped. A figure that was not
measured is *not assessed*, never a pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rubricate.calibration.report.data import build_report_data
from rubricate.calibration.report.markdown import render_markdown
from rubricate.calibration.report.verdict import CHECK_IDS
from rubricate.calibration.verdicts import NOT_RUN_ERROR, plan_grader
from rubricate.rubrics.compile import compile_rubric
from rubricate.rubrics.loader import parse_rubric
from tests.calibration.stats_grades import simulated_grades

RUBRIC = """\
rubric: 1
id: sim
title: Simulated
criteria:
  - {id: a, text: Meets a., weight: 1}
  - {id: b, text: Meets b., weight: 1}
"""
MANIFEST = {"status": "complete", "target": "multi", "grader_sha256": "ab" * 32}


@pytest.fixture(scope="module")
def rubric_plan():  # noqa: ANN201
    rubric = parse_rubric(RUBRIC).rubric
    return rubric, plan_grader(rubric, compile_rubric(rubric, "multi"), "multi")


def _checks(data: dict) -> dict[str, dict]:
    return {c["id"]: c for c in data["readiness"]["checks"]}


def test_only_great_answers_is_not_assessed_never_ready(rubric_plan) -> None:  # noqa: ANN001
    rubric, plan = rubric_plan
    grades = simulated_grades(n_items=8, repeats=3, flip_p={"a": 0.0, "b": 0.0},
                              tier_p={"great": 0.9})  # fmt: skip
    report = build_report_data(grades, rubric=rubric, plan=plan, manifest=MANIFEST)
    data = report.to_json()
    checks = _checks(data)
    assert set(checks) == set(CHECK_IDS)
    for name in ("order", "auc", "adversarial"):
        assert checks[name]["outcome"] == "not_assessed", name
        assert checks[name]["reason"], name
    assert "fair" in checks["order"]["reason"] and "poor" in checks["auc"]["reason"]
    assert "adversarial" in checks["adversarial"]["reason"]
    assert checks["stability"]["outcome"] == "met"  # measured: 3 repeats, no flip
    verdict = data["verdict"]
    assert verdict["status"] == "incomplete"
    assert "ranks great > fair > poor" not in verdict["summary"]
    assert "not assessed" in verdict["summary"]
    markdown = render_markdown(report, {})
    assert "not assessed" in markdown and "| AUC great vs poor |" in markdown


def test_a_failed_check_makes_not_ready_even_beside_unassessed_ones(rubric_plan) -> None:  # noqa: ANN001
    rubric, plan = rubric_plan
    grades = simulated_grades(n_items=8, repeats=3, flip_p={"a": 0.4, "b": 0.0})
    report = build_report_data(grades, rubric=rubric, plan=plan, manifest=MANIFEST)
    data = report.to_json()
    checks = _checks(data)
    assert checks["stability"]["outcome"] == "not_met"
    assert checks["experts"]["outcome"] == "not_assessed"  # no expert grades given
    assert "expert" in checks["experts"]["reason"]
    assert data["verdict"]["status"] == "not_ready"


def test_one_repeat_cannot_assess_stability(rubric_plan) -> None:  # noqa: ANN001
    rubric, plan = rubric_plan
    grades = simulated_grades(n_items=8, repeats=1, flip_p={"a": 0.0, "b": 0.0})
    report = build_report_data(grades, rubric=rubric, plan=plan, manifest=MANIFEST)
    data = report.to_json()
    stability = _checks(data)["stability"]
    assert stability["outcome"] == "not_assessed" and "repeat" in stability["reason"]


def test_checks_only_figures_do_not_assess_the_reward(rubric_plan) -> None:  # noqa: ANN001
    gate = 'weight: 1, check: {contains: "x"}}\n  - {id: b'
    gated = RUBRIC.replace("weight: 1}\n  - {id: b", gate)
    rubric = parse_rubric(gated).rubric
    plan = plan_grader(rubric, compile_rubric(rubric, "multi"), "multi")
    grades = simulated_grades(n_items=6, repeats=2, flip_p={"a": 0.0, "b": 0.0})
    judged = grades["criterion"].isin(["b", "__total__"])
    grades.loc[judged, ["score", "scored", "error"]] = [np.nan, False, NOT_RUN_ERROR]
    checks_only = grades[grades["criterion"] == "a"].assign(criterion="__checks__")
    grades = pd.concat([grades, checks_only], ignore_index=True)
    report = build_report_data(grades, rubric=rubric, plan=plan, manifest=MANIFEST)
    data = report.to_json()
    assert data["headline"] == "__checks__"
    checks = _checks(data)
    for name in ("order", "auc", "adversarial", "signal", "stability"):
        assert checks[name]["outcome"] == "not_assessed", name
        assert "judge did not run" in checks[name]["reason"], name
    assert data["verdict"]["status"] == "incomplete"
    assert "reward hack" not in data["verdict"]["summary"]
