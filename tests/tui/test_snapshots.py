"""Snapshots of the main screens at 100 x 30, one class per feature.

Deterministic: files are opened by relative path from a temporary working directory (the
paths in the header never change), the fixtures are this repository's own (not the shipped
examples, which evolve), cursors do not blink (conftest), and every screenshot is taken once
workers and debounce timers are done. Update with ``pytest tests/tui --snapshot-update`` and
look at the SVGs before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from rubricate.testing import FakeOpenAI
from rubricate.tui.editor.app import EditorApp
from rubricate.tui.editor.document import EditorDocument
from rubricate.tui.review.app import ReviewApp
from tests.calibration.run_fixture import make_run
from tests.rubrics.edit_fixtures import COMMENTED
from tests.tui.baseline_fixture import REFUND_SCRIPT, baseline_run, refund_files
from tests.tui.conftest import SIZE
from tests.tui.helpers import baseline_ready, idle, review_ready, settle

WITH_PROBLEMS = COMMENTED.replace("weight: 0.2", "weight: heavy").replace(
    "levels: {0: absent, 1: partial, 2: complete}", "levels: {0: absent, 2: complete}"
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def editor(text: str) -> EditorApp:
    Path("rubric.yaml").write_text(text, encoding="utf-8")
    return EditorApp(EditorDocument.open("rubric.yaml"))


class TestEditor:
    def test_main_screen(self, workdir: Path, snap_compare) -> None:  # noqa: ANN001
        async def ready(pilot: Pilot) -> None:
            await settle(pilot)

        assert snap_compare(editor(COMMENTED), terminal_size=SIZE, run_before=ready)

    def test_problems_beside_fields(self, workdir: Path, snap_compare) -> None:  # noqa: ANN001
        async def ready(pilot: Pilot) -> None:
            await settle(pilot)
            await pilot.press("down", "down", "down", "down")  # tone: a weight that is no number
            await settle(pilot)

        assert snap_compare(editor(WITH_PROBLEMS), terminal_size=SIZE, run_before=ready)

    def test_grader_preview(self, workdir: Path, snap_compare) -> None:  # noqa: ANN001
        async def ready(pilot: Pilot) -> None:
            await settle(pilot)
            await pilot.press("p")
            await settle(pilot)

        assert snap_compare(editor(COMMENTED), terminal_size=SIZE, run_before=ready)


class TestReview:
    @pytest.fixture
    def run(self, workdir: Path) -> Path:
        make_run(workdir / "run")
        return Path("run")

    def test_answers(self, run: Path, snap_compare) -> None:  # noqa: ANN001
        async def ready(pilot: Pilot) -> None:
            await review_ready(pilot)

        assert snap_compare(ReviewApp(run), terminal_size=SIZE, run_before=ready)

    def test_verdicts_full_width(self, run: Path, snap_compare) -> None:  # noqa: ANN001
        async def ready(pilot: Pilot) -> None:
            await review_ready(pilot)
            await pilot.press("down", "enter")
            await idle(pilot)

        assert snap_compare(ReviewApp(run), terminal_size=SIZE, run_before=ready)

    def test_expert_grading(self, run: Path, snap_compare) -> None:  # noqa: ANN001
        async def ready(pilot: Pilot) -> None:
            await review_ready(pilot)
            await pilot.press("g")
            await idle(pilot)

        app = ReviewApp(run, expert="dee")
        assert snap_compare(app, terminal_size=SIZE, run_before=ready)


class TestBaselineReview:
    @pytest.fixture
    def run(self, workdir: Path, fake_openai_env: FakeOpenAI) -> Path:
        rubric, items = refund_files(Path("."))
        return baseline_run(fake_openai_env, rubric, items, Path("run"), REFUND_SCRIPT)

    def test_items_by_headroom_and_samples(self, run: Path, snap_compare) -> None:  # noqa: ANN001
        async def ready(pilot: Pilot) -> None:
            await baseline_ready(pilot)

        assert snap_compare(ReviewApp(run), terminal_size=SIZE, run_before=ready)


class TestLightTheme:
    def test_review_answers_light(self, workdir: Path, snap_compare) -> None:  # noqa: ANN001
        make_run(workdir / "run")

        async def ready(pilot: Pilot) -> None:
            pilot.app.theme = "textual-light"
            await review_ready(pilot)

        assert snap_compare(ReviewApp(Path("run")), terminal_size=SIZE, run_before=ready)
