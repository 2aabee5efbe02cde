"""From grade records to grade rows: criteria, gating checks, the checks-only score, the total."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from rubricate.calibration.verdicts import (
    NOT_RUN_ERROR,
    is_not_run,
    plan_grader,
    record_rows,
    subgraders_for,
)
from rubricate.judge.graders.base import NOT_CONFIGURED
from rubricate.judge.records import GradeMetadata, GradeRecord
from rubricate.rubrics.compile import compile_rubric
from rubricate.rubrics.loader import parse_rubric

RUBRIC = """\
rubric: 1
id: rows
title: Rows
criteria:
  - {id: fig, text: States the figure., weight: 0.4, check: {numbers: ["$100"]}}
  - {id: calc, weight: 0.2, check: {numbers: ["$5"]}}
  - id: depth
    text: Explains it.
    weight: 0.4
    levels: {0: no, 1: some, 2: fully}
  - {id: wrong, text: Asserts something false., weight: -0.2}
"""


@pytest.fixture(scope="module")
def plan():  # noqa: ANN201
    rubric = parse_rubric(RUBRIC).rubric
    return plan_grader(rubric, compile_rubric(rubric, "multi"), "multi")


def _record(rewards: dict[str, float], errors: dict[str, str] | None = None, **kw) -> GradeRecord:  # noqa: ANN003
    record = GradeRecord(reward=kw.pop("reward", 0.0), sub_rewards=rewards,
                         metadata=GradeMetadata(name="rows", type="multi"),
                         sub_errors=errors or {}, **kw)  # fmt: skip
    return record


def _rows(plan, record, only=None) -> dict:  # noqa: ANN001
    return {c: (s, ok, e) for c, s, ok, e in record_rows(plan, record, only)}


def test_plan_maps_sub_graders_to_criteria(plan) -> None:  # noqa: ANN001
    assert [(c.id, c.kind, c.judge, c.check) for c in plan.criteria] == [
        ("fig", "both", "fig", "fig__gate"), ("calc", "check", None, "calc"),
        ("depth", "judged", "depth", None), ("wrong", "judged", "wrong", None),
    ]  # fmt: skip
    assert plan.calls_per_grade == 3 and plan.checks_score
    assert subgraders_for(plan, {"fig", "depth"}) == ["fig__gate", "fig", "depth"]


def test_a_full_grade(plan) -> None:  # noqa: ANN001
    rewards = {"fig__gate": 1.0, "fig": 1.0, "calc": 0.0, "depth": 1.0, "wrong": 1.0}
    rows = _rows(plan, _record(rewards, reward=0.4))
    assert rows["fig"] == (1.0, True, None) and rows["fig:check"] == (1.0, True, None)
    assert rows["depth"] == (0.5, True, None)  # level 1 of 2
    assert rows["wrong"] == (1.0, True, None)  # a penalty: 1 = present
    # checks only: fig's gate (0.4) and calc (0.2): (0.4 * 1 + 0.2 * 0) / 0.6
    assert rows["__checks__"][0] == pytest.approx(2 / 3)
    assert rows["__total__"] == (0.4, True, None)


def test_a_failed_gate_scores_the_criterion_zero(plan) -> None:  # noqa: ANN001
    rewards = {"fig__gate": 0.0, "fig": 1.0, "calc": 1.0, "depth": 2.0, "wrong": 0.0}
    rows = _rows(plan, _record(rewards, reward=0.8))
    assert rows["fig"][0] == 0.0 and rows["fig:check"][0] == 0.0


def test_without_an_endpoint_judged_rows_are_not_run_and_checks_are_kept(plan) -> None:  # noqa: ANN001
    errors = {name: NOT_CONFIGURED for name in ("fig", "depth", "wrong")}
    record = _record({"fig__gate": 0.0, "calc": 1.0}, errors, scored=False, error="failed")
    rows = _rows(plan, record)
    for criterion in ("fig", "depth", "wrong", "__total__"):  # a failed gate too: not run
        score, scored, error = rows[criterion]
        assert math.isnan(score) and not scored and error == NOT_RUN_ERROR
    assert rows["fig:check"] == (0.0, True, None) and rows["calc"] == (1.0, True, None)
    assert rows["__checks__"] == (pytest.approx(1 / 3), True, None)


def test_a_judge_error_is_unscored_not_not_run(plan) -> None:  # noqa: ANN001
    errors = {"depth": "the judge's reply holds no JSON object", "wrong": NOT_CONFIGURED}
    rewards = {"fig__gate": 1.0, "fig": 1.0, "calc": 1.0}
    rows = _rows(plan, _record(rewards, errors, scored=False, error="sub-grader failed: depth"))
    assert rows["depth"][1:] == (False, "the judge's reply holds no JSON object")
    assert rows["__total__"][1:] == (False, "sub-grader failed: depth")  # a real error wins
    frame = pd.DataFrame([{"scored": r[1], "error": r[2]} for r in rows.values()])
    assert is_not_run(frame).sum() == 1  # only `wrong`


def test_a_partial_grade_makes_only_its_criteria(plan) -> None:  # noqa: ANN001
    record = _record({"fig__gate": 1.0, "fig": 0.0}, scored=False, error="partial")
    assert set(_rows(plan, record, {"fig"})) == {"fig", "fig:check"}


def test_other_targets_report_the_total_only() -> None:
    rubric = parse_rubric(RUBRIC).rubric
    plan = plan_grader(rubric, compile_rubric(rubric, "score_model"), "score_model")
    assert plan.criteria == () and plan.calls_per_grade == 1
    assert [r[0] for r in record_rows(plan, _record({}, reward=0.7))] == ["__total__"]


def test_a_records_line_is_the_json_of_the_record_nan_and_infinity_included() -> None:
    """records.jsonl lines are written with pydantic's serialiser (issue 20): they must read
    back exactly as ``json.dumps(record.model_dump(mode="json"))`` did, non-finite floats too."""
    import json

    from rubricate.judge.records import ModelCallRecord

    record = GradeRecord(
        reward=math.nan,
        sub_rewards={"a": math.inf, "b": 0.25},
        metadata=GradeMetadata(name="m", type="multi", scores={"s": -math.inf}),
        calls=[ModelCallRecord(grader="m.a", key="k", model="j", messages=[{"role": "user",
               "content": "caf\u00e9 \u2014 \U0001f600"}], result=math.nan,
               steps=[{"p": math.nan}])],  # fmt: skip
    )
    text = record.model_dump_json()
    old = json.dumps(record.model_dump(mode="json"), ensure_ascii=False)
    assert json.dumps(json.loads(text), ensure_ascii=False) == old
    assert "NaN" in text and "-Infinity" in text
    assert GradeRecord.model_validate_json(text).model_dump_json() == text
