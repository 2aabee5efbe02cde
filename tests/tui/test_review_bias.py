"""The review's Agreement tab carries the reward's mean corrected with the expert grades;
the one-line status bar keeps the figures that fit (CI: the corrected mean cut the stand-in
verdict to "ye…" at 100 columns)."""

from __future__ import annotations

from pathlib import Path

from rubricate.calibration.run.directory import open_run
from rubricate.tui.review.agreement import (
    agreement_lines,
    compute_agreement,
    corrected_reward,
    headline,
)
from rubricate.tui.review.data import build_review
from tests.calibration.run_fixture import make_run


def test_agreement_tab_shows_the_corrected_reward(tmp_path: Path) -> None:
    figures = compute_agreement(build_review(open_run(make_run(tmp_path / "run"))))
    assert figures.bias is not None and figures.bias.assessed, figures.bias
    total = next(t for t in figures.bias.targets if t["target"] == "__total__")
    ppi = total["all"]["ppi"]
    text = "\n".join(agreement_lines(figures))
    assert f"corrected {ppi['estimate']:.2f}" in text and "(PPI)" in text


def test_status_line_fits_the_review_at_100_columns(tmp_path: Path) -> None:
    """The status bar is one line (98 characters inside its padding at 100 columns): every
    figure it shows must fit, the stand-in verdict last."""
    figures = compute_agreement(build_review(open_run(make_run(tmp_path / "run"))))
    line = headline(figures)
    assert len(line) <= 98 and line.endswith("as good as an expert? yes"), line


def test_no_corrected_reward_without_experts(tmp_path: Path) -> None:
    data = build_review(open_run(make_run(tmp_path / "run", experts=False)))
    figures = compute_agreement(data)
    assert figures.bias is None  # nothing computed without expert grades
    assert corrected_reward(figures.bias) == ""
    assert "PPI" not in headline(figures) and "PPI" not in "\n".join(agreement_lines(figures))
