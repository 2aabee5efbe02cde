"""Snapshots of the comparison screen and the Invariance tab at 100 x 30, from folders the
real ``rubricate calibrate`` wrote against the loopback judge (``science_fixture``; relative
paths, so the headers never change). Update with ``pytest tests/tui/test_snapshots_science.py
--snapshot-update`` and look at the SVGs before committing them."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from rubricate.tui.review.app import ReviewApp
from tests.tui.conftest import SIZE
from tests.tui.helpers import review_ready, settle
from tests.tui.test_review_science import comparison_ready, run_opened


class TestScience:
    def test_comparison(self, science: Path, snap_compare) -> None:  # noqa: ANN001
        async def ready(pilot: Pilot) -> None:
            await comparison_ready(pilot)

        assert snap_compare(ReviewApp(Path("cmp")), terminal_size=SIZE, run_before=ready)

    def test_comparison_arm_opened(self, science: Path, snap_compare) -> None:  # noqa: ANN001
        async def ready(pilot: Pilot) -> None:
            await comparison_ready(pilot)
            await pilot.press("enter")
            await run_opened(pilot)

        assert snap_compare(ReviewApp(Path("cmp")), terminal_size=SIZE, run_before=ready)

    def test_invariance_tab(self, science: Path, snap_compare) -> None:  # noqa: ANN001
        async def ready(pilot: Pilot) -> None:
            await review_ready(pilot)
            await settle(pilot)

        assert snap_compare(ReviewApp(Path("inv")), terminal_size=SIZE, run_before=ready)

    def test_invariance_not_run(self, science: Path, snap_compare) -> None:  # noqa: ANN001
        (science / "inv" / "invariance.json").unlink()

        async def ready(pilot: Pilot) -> None:
            await review_ready(pilot)
            await settle(pilot)

        assert snap_compare(ReviewApp(Path("inv")), terminal_size=SIZE, run_before=ready)
