"""Experts in the review: numbers that never change, the disagreement rule at its edge, an
experts file that is not UTF-8, and what a run whose judge failed is called.

The fixture run (tests/calibration/run_fixture.py) has experts ann then bob in experts.csv;
its judge gives ``steps`` (levels 0-2) level 0 on refund-1/poor in every repeat.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from textual.widgets import Static

from rubricate.calibration.run.directory import append_expert_grade, open_run
from rubricate.tui.review.app import ReviewApp
from rubricate.tui.review.data import build_review, with_experts
from rubricate.tui.review.matrix import verdict_matrix
from rubricate.tui.review.tables import VerdictMatrix
from tests.calibration.run_fixture import make_run
from tests.tui.conftest import SIZE
from tests.tui.helpers import idle, review_ready


@pytest.fixture
def run_path(tmp_path: Path) -> Path:
    return make_run(tmp_path / "run")


def labels(data, key: tuple[str, str]) -> list[str]:  # noqa: ANN001
    _, names, _ = verdict_matrix(data, key)
    return [f"{data.expert_label(name)} {name}" for name in names]


def test_expert_numbers_follow_the_file_and_never_change(run_path: Path) -> None:
    """E1, E2 … in the order experts first appear in experts.csv: a new expert whose name
    sorts first (aaron) gets the next number instead of taking E1 from ann; ann re-grading
    (her row moves to the end of the file) keeps E1; an answer only bob graded shows E2."""
    experts = run_path / "experts.csv"
    data = build_review(open_run(run_path))
    assert labels(data, ("refund-1", "fair")) == ["E1 ann", "E2 bob"]
    append_expert_grade(experts, "refund-1", "fair", "aaron", "facts", 1.0)
    append_expert_grade(experts, "refund-1", "fair", "ann", "facts", 0.0)
    append_expert_grade(experts, "refund-2", "great", "bob", "facts", 1.0)
    for fresh in (with_experts(data), build_review(open_run(run_path))):
        assert labels(fresh, ("refund-1", "fair")) == ["E1 ann", "E2 bob", "E3 aaron"]
        assert labels(fresh, ("refund-2", "great")) == ["E2 bob"]
        assert fresh.expert_names == ["ann", "bob", "aaron"]


async def test_the_matrix_and_its_legend_use_the_run_wide_numbers(run_path: Path) -> None:
    append_expert_grade(run_path / "experts.csv", "refund-2", "great", "bob", "facts", 1.0)
    app = ReviewApp(run_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await review_ready(pilot)
        screen.answers.select(("refund-2", "great"))
        await pilot.press("enter")
        await idle(pilot)
        matrix = screen.query_one(VerdictMatrix)
        headers = [str(column.label) for column in matrix.columns.values()]
        assert headers[-2:] == ["E2", "experts"]
        assert "experts: E2 bob" in str(screen.query_one("#legend", Static).render())


def test_judge_at_0_and_every_expert_at_1_of_2_disagree(run_path: Path) -> None:
    """Levels 0-2: the judge's level 0 in every repeat against both experts' level 1 is half
    the scale apart, which is a disagreement (it was not flagged: the rule wanted more)."""
    experts = run_path / "experts.csv"
    append_expert_grade(experts, "refund-1", "poor", "ann", "steps", 1.0)
    append_expert_grade(experts, "refund-1", "poor", "bob", "steps", 1.0)
    data = build_review(open_run(run_path))
    _, _, rows = verdict_matrix(data, ("refund-1", "poor"))
    steps = next(row for row in rows if row.criterion.id == "steps")
    assert steps.cells == ("0", "0", "0") and steps.expert_cells == ("1", "1")
    assert steps.judge_mean == 0.0 and steps.expert_mean == 0.5
    assert steps.disagrees
    assert "steps" in data.row(("refund-1", "poor")).disagreements


def test_less_than_half_the_scale_apart_is_no_disagreement(run_path: Path) -> None:
    """refund-1/great: the judge's steps are 2, 2, 1 (mean 5/6); ann's 2 (1.0) is 1/6 away."""
    data = build_review(open_run(run_path))
    _, _, rows = verdict_matrix(data, ("refund-1", "great"))
    steps = next(row for row in rows if row.criterion.id == "steps")
    assert steps.expert_mean == 1.0 and not steps.disagrees


async def test_grading_into_an_experts_file_that_is_not_utf8(run_path: Path) -> None:
    """A UTF-16 experts.csv: the review says why the grades are left out, and a grade is
    refused with the reason, nothing appended, the app still running (it was an unhandled
    UnicodeDecodeError)."""
    path = run_path / "experts.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    before = path.read_bytes()
    app = ReviewApp(run_path, expert="dee")
    async with app.run_test(size=SIZE) as pilot:
        screen = await review_ready(pilot)
        assert "not UTF-8" in str(screen.query_one("#summary", Static).render())
        await pilot.press("g")
        await idle(pilot)
        await pilot.press("y")
        await idle(pilot)
        said = [str(n.message) for n in app._notifications]
        assert any("not UTF-8" in message and "not saved" in message for message in said)
        assert app.is_running and app.screen.criterion.id == "facts"  # type: ignore[attr-defined]
    assert path.read_bytes() == before


def test_a_run_whose_judge_failed_on_every_call_is_called_checks_only(run_path: Path) -> None:
    """Every judged grade unscored (an error each): the judge ran but gave nothing, so the
    review says so first and calls its figures the checks'."""
    grades = run_path / "grades.csv"
    with grades.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["criterion"] in ("facts", "steps", "blames", "__total__"):
            row.update(score="nan", scored="False", error="APIConnectionError: refused")
    with grades.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    data = build_review(open_run(run_path))
    assert not data.judge.ran and data.judge.grader == "checks"
    assert data.judge.notice == "judge judge-model failed on every call: checks-only scores"
