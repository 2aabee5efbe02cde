"""The review's status line carries the reward's mean corrected with the expert grades."""

from __future__ import annotations

from pathlib import Path

from rubricate.calibration.run.directory import open_run
from rubricate.tui.review.agreement import compute_agreement, corrected_reward, headline
from rubricate.tui.review.data import build_review
from tests.calibration.run_fixture import make_run


def test_status_line_shows_the_corrected_reward(tmp_path: Path) -> None:
    figures = compute_agreement(build_review(open_run(make_run(tmp_path / "run"))))
    assert figures.bias is not None and figures.bias["assessed"], figures.bias
    total = next(t for t in figures.bias["targets"] if t["target"] == "__total__")
    ppi = total["all"]["ppi"]
    line = headline(figures)
    assert f"corrected {ppi['estimate']:.2f}" in line and "(PPI)" in line


def test_no_corrected_reward_without_experts(tmp_path: Path) -> None:
    data = build_review(open_run(make_run(tmp_path / "run", experts=False)))
    figures = compute_agreement(data)
    assert figures.bias is None  # nothing computed without expert grades
    assert corrected_reward(figures.bias) == "" and "PPI" not in headline(figures)
