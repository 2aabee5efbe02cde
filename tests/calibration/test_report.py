"""The report: data assembled from a grades table, the verdict, Markdown and self-contained HTML."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rubricate.calibration.report.data import build_report_data, plain
from rubricate.calibration.report.html import render_html
from rubricate.calibration.report.markdown import render_markdown
from rubricate.calibration.report.model_agreement import Agreement, AgreementCriterion
from rubricate.calibration.report.model_sections import CriterionStability
from rubricate.calibration.report.verdict import rewrite_first
from rubricate.calibration.verdicts import NOT_RUN_ERROR, plan_grader
from rubricate.rubrics.compile import compile_rubric
from rubricate.rubrics.loader import parse_rubric
from tests.calibration.stats_grades import simulated_grades

RUBRIC = """\
rubric: 1
id: sim
title: Simulated <b>judge</b> | pipes
criteria:
  - {id: a, text: Meets a., weight: 1}
  - {id: b, text: Meets b., weight: 1}
"""
MANIFEST = {"status": "complete", "target": "multi", "grader_sha256": "ab" * 32, "usage": {
    "calls": 10, "cached": 5, "cost_usd": 0.01, "wall_s": 1.5}}  # fmt: skip


@pytest.fixture(scope="module")
def rubric_plan():  # noqa: ANN201
    rubric = parse_rubric(RUBRIC).rubric
    return rubric, plan_grader(rubric, compile_rubric(rubric, "multi"), "multi")


def _experts(grades: pd.DataFrame, noise: float, seed: int = 0) -> pd.DataFrame:
    """Three experts who see each answer's true verdicts (the majority over repeats) with
    some noise, and grade the total as the mean of their verdicts."""
    rng = np.random.default_rng(seed)
    truth = grades[grades["criterion"].isin(["a", "b"])].groupby(
        ["item_id", "answer_id", "criterion"])["score"].mean().round()  # fmt: skip
    rows = []
    for expert in ("e1", "e2", "e3"):
        flipped = (truth + (rng.random(len(truth)) < noise)) % 2
        for (item, answer, criterion), value in flipped.items():
            rows.append((item, answer, expert, criterion, float(value)))
        for (item, answer), value in flipped.groupby(level=[0, 1]).mean().items():
            rows.append((item, answer, expert, "__total__", float(value)))
    return pd.DataFrame(rows, columns=["item_id", "answer_id", "expert", "criterion", "score"])


def test_report_data_is_json_ready_and_ranks_the_unstable_criterion(rubric_plan) -> None:  # noqa: ANN001
    rubric, plan = rubric_plan
    grades = simulated_grades(n_items=12, repeats=4, flip_p={"a": 0.02, "b": 0.3})
    report = build_report_data(grades, rubric=rubric, plan=plan, manifest=MANIFEST,
                               experts=_experts(grades, 0.1))  # fmt: skip
    data = report.to_json()
    json.dumps(data, allow_nan=False)  # no NaN anywhere
    assert data["headline"] == "__total__"
    assert [r["criterion"] for r in data["stability"]["criteria"]][0] == "b"
    assert data["readiness"]["rewrite_first"][0]["criterion"] == "b"
    head = data["discrimination"]["headline"]
    assert {r["tier"] for r in head["tier_means"]} == {"great", "fair", "poor"}
    agreement = data["agreement"]
    assert agreement["experts"] == ["e1", "e2", "e3"]
    assert agreement["total"]["stand_in"] in ("yes", "no", "undecided")
    rows = {r["criterion"]: r for r in agreement["criteria"]}
    assert rows["a"]["binary"] and 0.5 < rows["a"]["grader_f1"] <= 1.0
    assert rows["a"]["random_baseline_f1"] == 0.5 and len(rows["a"]["expert_f1"]) == 3
    assert rows["a"]["grader_kappa"] > rows["b"]["grader_kappa"]  # b's judge flips more
    assert data["verdict"]["status"] == "not_ready"
    assert data["cost"]["calls"] == 10


def test_not_run_rows_are_left_out_and_named(rubric_plan) -> None:  # noqa: ANN001
    rubric, plan = rubric_plan
    grades = simulated_grades(n_items=6, repeats=2, flip_p={"a": 0.0, "b": 0.0})
    judged = grades["criterion"].isin(["b", "__total__"])
    grades.loc[judged, ["score", "scored", "error"]] = [np.nan, False, NOT_RUN_ERROR]
    report = build_report_data(grades, rubric=rubric, plan=plan, manifest=MANIFEST)
    data = report.to_json()
    assert data["coverage"]["not_run"] == {"rows": int(judged.sum()), "criteria": ["b"],
                                           "total": True}  # fmt: skip
    assert data["unscored"]["unscored"] == 0  # not run is not unscored
    assert data["headline"] is None and data["verdict"]["status"] == "incomplete"
    assert [r["criterion"] for r in data["stability"]["criteria"]] == ["a"]
    markdown = render_markdown(report, {})
    assert "The judge did not run" in markdown and "`b`" in markdown
    assert "OPENAI_API_KEY" in markdown and "No overall score ran" in markdown


def _flips(criterion: str, p: float, low: float | None = None,
           high: float | None = None) -> CriterionStability:  # fmt: skip
    return CriterionStability(criterion=criterion, n_answers=10, n_flipped=1, flip_rate=0.1,
                              ci_low=None, ci_high=None, pair_disagreement=None, flip_p=p,
                              flip_p_low=low, flip_p_high=high, n_unscored=0, distinct_levels=2,
                              pooled_within_sd=None)  # fmt: skip


def _kappa(criterion: str, kappa: float) -> AgreementCriterion:
    return AgreementCriterion(criterion=criterion, n_units=10, alpha=None, alpha_level=None,
                              icc2=None, binary=True, grader_kappa=kappa)  # fmt: skip


def test_rewrite_first_orders_by_severity(rubric_plan) -> None:  # noqa: ANN001
    rubric, plan = rubric_plan
    report = build_report_data(simulated_grades(n_items=4, repeats=2), rubric=rubric, plan=plan,
                               manifest=MANIFEST)  # fmt: skip
    report.stability.criteria = [_flips("x", 0.3, 0.2, 0.4), _flips("y", 0.06, 0.02, 0.1),
                                 _flips("z", 0.01)]  # fmt: skip
    report.agreement = Agreement(experts=["e1", "e2"], n_grades=40, total=None,
                                 criteria=[_kappa("w", 0.2), _kappa("y", 0.55)])  # fmt: skip
    ranked = rewrite_first(report)
    # severities: x 3.0, w (0.6 - 0.2) / 0.3 = 1.33, y max(0.6, 0.17) = 0.6
    assert [r.criterion for r in ranked] == ["x", "w", "y"]
    assert len(ranked[2].reasons) == 2 and "kappa" in ranked[1].reasons[0]
    assert ranked[0].flip_p == 0.3 and ranked[1].kappa == 0.2


def test_markdown_escapes_and_html_embeds(rubric_plan, tmp_path: Path) -> None:  # noqa: ANN001
    rubric, plan = rubric_plan
    grades = simulated_grades(n_items=4, repeats=2)
    grades["answer_id"] = grades["answer_id"] + "|x"
    report = build_report_data(grades, rubric=rubric, plan=plan, manifest=MANIFEST)
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "tier_means.png").write_bytes(b"\x89PNG fake")
    figures = {"tier_means": {"path": "figures/tier_means.png", "title": "Score by tier"},
               "flip_rates": {"path": "figures/flip_rates.png", "title": "Flips"}}  # fmt: skip
    markdown = render_markdown(report, figures)
    assert "|x" not in markdown.replace("\\|x", "")  # pipes in ids are escaped in tables
    page = render_html(markdown, tmp_path, title="t <x>", status="not_ready")
    assert "data:image/png;base64,iVBORyBmYWtl" in page  # b"\x89PNG fake"
    assert "[figure figures/flip_rates.png is missing]" in page
    assert "<b>judge</b>" not in page and "&lt;b&gt;judge&lt;/b&gt;" in page
    assert '<blockquote class="status-not_ready">' in page and "<title>t &lt;x&gt;</title>" in page


def test_plain_turns_nan_and_numpy_into_json() -> None:
    value = {"a": np.float64("nan"), "b": [np.int64(3), np.bool_(True)], 4: float("inf")}
    assert plain(value) == {"a": None, "b": [3, True], "4": None}
