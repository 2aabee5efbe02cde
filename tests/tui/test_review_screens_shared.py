"""What both review screens do alike (:mod:`rubricate.tui.review.run_screen`): ``?`` opens the
help with the screen's keys, ``m`` shows and hides the prompts, ``f`` cycles the filters,
``s`` the orders, a tab's key shows it full width and ``escape`` brings the list back."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from rubricate.testing import FakeOpenAI
from rubricate.tui.common.help import HelpScreen
from rubricate.tui.review.app import ReviewApp
from rubricate.tui.review.baseline_screen import BaselineScreen
from rubricate.tui.review.screen import ReviewScreen
from tests.calibration.run_fixture import make_run
from tests.tui.baseline_fixture import REFUND_SCRIPT, baseline_run, refund_files
from tests.tui.conftest import SIZE
from tests.tui.helpers import baseline_ready, idle, review_ready


def text_of(screen: object, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())  # type: ignore[attr-defined]


async def help_markdown(pilot: Pilot, key: str) -> str:
    """Open the help with ``key``, close it with escape; the help's text."""
    screen = pilot.app.screen
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(pilot.app.screen, HelpScreen)
    markdown = pilot.app.screen._markdown
    await pilot.press("escape")
    await pilot.pause()
    assert pilot.app.screen is screen
    return markdown


@pytest.fixture
def calibration_run(tmp_path: Path) -> Path:
    return make_run(tmp_path / "run")


@pytest.fixture
def refund_run(tmp_path: Path, fake_openai_env: FakeOpenAI) -> Path:
    rubric, items = refund_files(tmp_path)
    return baseline_run(fake_openai_env, rubric, items, tmp_path / "run", REFUND_SCRIPT)


async def test_calibration_review_help_prompts_filters_and_back(calibration_run: Path) -> None:
    app = ReviewApp(calibration_run)
    async with app.run_test(size=SIZE) as pilot:
        screen = await review_ready(pilot)
        assert isinstance(screen, ReviewScreen)
        assert screen.title == "rubricate review"
        assert screen.sub_title == str(calibration_run)
        markdown = await help_markdown(pilot, "question_mark")
        assert markdown.startswith("# rubricate review\n\nA calibration run")
        assert "### Review" in markdown and "| `escape` | Back |" in markdown
        assert "### Answers" in markdown and "### Grading" in markdown

        await pilot.press("r")  # reasoning, full width
        await idle(pilot)
        assert not screen.answers.display
        assert text_of(screen, "#reasoning-header").endswith("m shows the prompts")
        await pilot.press("m")
        await idle(pilot)
        assert text_of(screen, "#reasoning-header").endswith("m hides the prompts")
        await pilot.press("escape")
        await pilot.pause()
        assert screen.answers.display and screen.answers.has_focus

        seen = []
        for _ in range(4):  # no expert name: "not graded by you" is skipped
            await pilot.press("f")
            await pilot.pause()
            seen.append(screen.which)
        assert seen == ["unstable", "beats_fair", "disagree", "all"]
        assert "all answers:" in text_of(screen, "#summary")
        await pilot.press("s")
        await pilot.pause()
        assert screen.order == "unstable"
        assert "unstable first · all answers:" in text_of(screen, "#summary")


async def test_baseline_review_help_prompts_filters_and_back(refund_run: Path) -> None:
    app = ReviewApp(refund_run)
    async with app.run_test(size=SIZE) as pilot:
        screen = await baseline_ready(pilot)
        assert isinstance(screen, BaselineScreen)
        assert screen.sub_title == str(refund_run)
        markdown = await help_markdown(pilot, "f1")
        assert markdown.startswith("# rubricate review: a baseline run")
        assert "### Baseline review" in markdown and "| `escape` | Back |" in markdown
        assert "### Items" in markdown and "### Samples" in markdown

        await pilot.press("r")
        await baseline_ready(pilot)
        assert screen.full_tab and not screen.items.display
        assert text_of(screen, "#reasoning-header").endswith("m shows the prompts")
        await pilot.press("m")
        await pilot.pause()
        assert text_of(screen, "#reasoning-header").endswith("m hides the prompts")
        await pilot.press("f")  # the list is hidden: f does nothing
        await pilot.pause()
        assert screen.which == "all"
        await pilot.press("escape")
        await pilot.pause()
        assert not screen.full_tab and screen.items.has_focus

        seen = []
        for _ in range(3):
            await pilot.press("f")
            await pilot.pause()
            seen.append(screen.which)
        assert seen == ["unscored", "flat", "all"]
        orders = []
        for _ in range(4):
            await pilot.press("s")
            await pilot.pause()
            orders.append(screen.order)
        assert orders == ["spread", "mean", "item", "headroom"]
        assert "highest headroom first · all items: 3 of 3" in text_of(screen, "#summary")
