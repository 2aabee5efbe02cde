"""The review's figures, worked out by hand from the fixture run (tests/calibration/run_fixture.py).

Weights: facts 0.5, steps 0.3 (levels 0-2), amount 0.2, blames -0.2; positive sum 1.
refund-1/great repeats: 0.5 + 0.3 + 0.2 = 1.0, 1.0, then steps 1 of 2: 0.5 + 0.15 + 0.2 = 0.85.
refund-1/fair: facts no/yes/no: 0.15 + 0.2 = 0.35, 0.85, 0.35.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from rubricate.calibration.run.directory import append_expert_grade, open_run
from rubricate.tui.review.agreement import agreement_lines, compute_agreement, headline
from rubricate.tui.review.data import (
    build_review,
    filter_rows,
    item_order,
    order_rows,
    spark,
    with_experts,
)
from rubricate.tui.review.matrix import cell, verdict_matrix
from rubricate.tui.review.reasoning import reasoning_text, subgrader_criteria
from tests.calibration.run_fixture import make_run


@pytest.fixture
def data(tmp_path: Path):  # noqa: ANN201
    return build_review(open_run(make_run(tmp_path / "run")))


def test_answer_rows_mean_sd_and_flags(data) -> None:  # noqa: ANN001
    great = data.row(("refund-1", "great"))
    assert great.scores == pytest.approx((1.0, 1.0, 0.85))
    assert great.mean == pytest.approx(0.95)
    assert great.sd == pytest.approx(math.sqrt((0.05**2 * 2 + 0.1**2) / 2))
    assert great.unstable  # spread 0.15 > 0.1 of the range
    fair = data.row(("refund-1", "fair"))
    assert fair.mean == pytest.approx((0.35 + 0.85 + 0.35) / 3)
    assert fair.disagreements == ("facts",)  # judge 1/3 met, ann and bob: met
    adversarial = data.row(("refund-1", "adv"))
    assert adversarial.beats_fair and not adversarial.unstable  # 1.0 > fair's 0.517
    assert not data.row(("refund-2", "great")).unstable
    assert fair.graded_by == frozenset({"ann", "bob"})


def test_orders_and_filters(data) -> None:  # noqa: ANN001
    items = item_order(data)
    by_item = [r.key for r in order_rows(data.rows, "item", items)]
    assert by_item[:4] == [
        ("refund-1", "great"),
        ("refund-1", "fair"),
        ("refund-1", "poor"),
        ("refund-1", "adv"),
    ]
    unstable = [r.key for r in order_rows(data.rows, "unstable", items)]
    assert unstable[:2] == [("refund-1", "fair"), ("refund-1", "great")]  # spread 0.5, 0.15
    assert [r.key for r in filter_rows(data.rows, "beats_fair", None)] == [("refund-1", "adv")]
    assert [r.key for r in filter_rows(data.rows, "disagree", None)] == [("refund-1", "fair")]
    assert len(filter_rows(data.rows, "ungraded", "ann")) == 4  # ann graded 3 of 7
    assert [r.key for r in order_rows(data.rows, "disagree", items)][0] == ("refund-1", "fair")


def test_spark_has_one_bar_per_repeat() -> None:
    assert spark((0.0, 0.5, 1.0, math.nan), 0.0, 1.0) == "▁▅█·"
    assert spark((5.0,), 0.0, 10.0) == "▅"


def test_verdict_matrix_cells_and_experts(data) -> None:  # noqa: ANN001
    repeats, experts, rows = verdict_matrix(data, ("refund-1", "fair"))
    assert repeats == [0, 1, 2] and experts == ["ann", "bob"]
    by_id = {row.criterion.id: row for row in rows}
    assert by_id["facts"].cells == ("✗", "✓", "✗")
    assert by_id["facts"].expert_cells == ("✓", "✓") and by_id["facts"].disagrees
    assert by_id["steps"].cells == ("1", "1", "1")  # level 1 of 2
    assert by_id["amount"].cells == ("1", "1", "1")  # a check's score
    assert by_id["blames"].criterion.is_penalty
    assert by_id["steps"].judge_mean == pytest.approx(0.5)
    overall = rows[-1]
    assert overall.criterion.kind == "total"
    assert overall.cells == ("0.35", "0.85", "0.35")
    assert overall.expert_cells == ("0.60", "0.50") and not overall.disagrees


@pytest.mark.parametrize(
    ("score", "scored", "error", "shown"),
    [(None, False, "not run: no model endpoint configured", "–"), (None, False, "bad", "?")],
)
def test_cells_of_grades_without_a_score(data, score, scored, error, shown) -> None:  # noqa: ANN001
    assert cell(data.criteria[0], score, scored, error) == shown


def test_reasoning_lists_each_call_of_a_criterion(data) -> None:  # noqa: ANN001
    records = data.run.records.answer_records("refund-1", "fair")
    names = subgrader_criteria(data.run.rubric)
    text = reasoning_text(records, names, "facts")
    assert text.count("── repeat") == 3
    assert "── repeat 1 · facts → 1" in text and "Read the answer for facts (repeat 1): met" in text
    assert "[system]" in reasoning_text(records, names, "facts", prompt=True)
    assert "deterministic check" in reasoning_text(records, names, "amount")


def test_agreement_updates_with_new_grades(data) -> None:  # noqa: ANN001
    before = compute_agreement(data)
    assert before.experts == ("ann", "bob")
    append_expert_grade(data.run.experts_path, "refund-2", "great", "cy", "", 1.0)
    append_expert_grade(data.run.experts_path, "refund-2", "fair", "cy", "facts", 0.0)
    after = with_experts(data)
    figures = compute_agreement(after)
    assert figures.experts == ("ann", "bob", "cy")
    assert figures.n_grades == before.n_grades + 2
    assert "3 experts" in headline(figures)
    assert any("The grader (overall score) vs the experts' mean" in line
               for line in agreement_lines(figures))  # fmt: skip


def test_without_experts_the_review_says_how_to_start(tmp_path: Path) -> None:
    data = build_review(open_run(make_run(tmp_path / "run", experts=False)))
    figures = compute_agreement(data)
    assert figures.section is None
    assert "press g" in headline(figures)


def test_a_prompt_missing_from_prompts_jsonl_is_said_not_shown_empty() -> None:
    from rubricate.judge.records import GradeMetadata, GradeRecord, ModelCallRecord

    call = ModelCallRecord(grader="refund.facts", key="k", model="j", request_sha256="ab" * 32,
                           raw='{"result": 1}', result=1.0)  # fmt: skip
    record = GradeRecord(reward=1.0, metadata=GradeMetadata(name="refund", type="multi"),
                         calls=[call])  # fmt: skip
    text = reasoning_text([(0, record)], {"refund.facts": "facts"}, "facts", prompt=True)
    assert "prompt not available: prompts.jsonl has no line abababababab" in text
