"""Both apps at 80 x 24, for real: every screen and tab driven by keys, and what a grader
needs is on the screen in full (not cut to an ellipsis, not covered by another widget).

The calibration runs are made by the real ``rubricate calibrate`` on the shipped tax example
(five adversarial answers whose ids differ only after ``adversarial-``, three experts): once
offline as the README's first command does (the judge does not run), once against the
loopback judge. The baseline run is the real ``rubricate baseline`` on the tax rubric; the
editor opens the shipped rubric.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from rubricate.cli import run as cli
from rubricate.rubrics.compile.describe import describe_check
from rubricate.testing import FakeOpenAI
from rubricate.testing.pytest_plugin import FAKE_API_KEY
from rubricate.tui.common.help import HelpScreen
from rubricate.tui.editor.app import EditorApp
from rubricate.tui.editor.document import EditorDocument
from rubricate.tui.review.app import ReviewApp
from rubricate.tui.review.grading import GradingScreen
from tests.tui.baseline_fixture import TAX, TAX_SCRIPT, baseline_run
from tests.tui.helpers import (
    SMALL,
    baseline_ready,
    idle,
    region_lines,
    review_ready,
    screen_lines,
    settle,
    shown_whole,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def _environ() -> Iterator[pytest.MonkeyPatch]:
    """No OpenAI variable from the developer's shell (the autouse cleaner is per test)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(("OPENAI_", "AZURE_OPENAI_")):
                patch.delenv(name)
        yield patch


def _calibrate(folder: Path, *extra: str) -> Path:
    argv = ["calibrate", str(TAX / "rubric.yaml"), "--set", str(TAX / "calibration.jsonl"),
            "--experts", str(TAX / "experts.csv"), "--out", str(folder / "run"),
            "--store", str(folder / "calls.sqlite"), "--no-figures", *extra]  # fmt: skip
    assert cli(argv) == 0
    return folder / "run"


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory: pytest.TempPathFactory, _environ: pytest.MonkeyPatch) -> Path:
    """The README's first command: no key, so the judge does not run."""
    return _calibrate(tmp_path_factory.mktemp("offline"))


@pytest.fixture(scope="module")
def judged_run(tmp_path_factory: pytest.TempPathFactory, _environ: pytest.MonkeyPatch) -> Path:
    with FakeOpenAI() as fake:
        _environ.setenv("OPENAI_BASE_URL", fake.base_url)
        _environ.setenv("OPENAI_API_KEY", FAKE_API_KEY)
        try:
            return _calibrate(tmp_path_factory.mktemp("judged"), "--repeats", "1")
        finally:
            _environ.delenv("OPENAI_BASE_URL")
            _environ.delenv("OPENAI_API_KEY")


def copy(run: Path, tmp_path: Path) -> Path:
    """A private copy (grading appends to its experts.csv)."""
    return Path(shutil.copytree(run, tmp_path / "run"))


ADVERSARIAL = [
    "adversarial-confident-wrong",
    "adversarial-number-dump",
    "adversarial-parrot",
    "adversarial-grader-note",
    "adversarial-empty",
]

JUDGE_NOT_RUN = re.compile(r"judge not run|judge did not run|no judge")


def judge_claims(lines: list[str]) -> list[str]:
    """Lines that use the word "judge" other than to say it did not run."""
    return [line for line in lines if "judge" in JUDGE_NOT_RUN.sub("", line.lower())]


async def walk_answers(pilot: Pilot, screen: object) -> list[str]:
    """Every screen row seen while the cursor goes down the whole answers list."""
    seen: list[str] = []
    table = screen.answers  # type: ignore[attr-defined]
    for _ in range(table.row_count):
        seen += screen_lines(pilot.app)
        await pilot.press("down")
    return seen


async def move_to(pilot: Pilot, screen: object, key: tuple[str, str]) -> None:
    """Move the cursor up the answers list (by key presses) to ``key``."""
    table = screen.answers  # type: ignore[attr-defined]
    for _ in range(table.row_count):
        if table.selected() == key:
            return
        await pilot.press("up")
    raise AssertionError(f"{key} is not above the cursor")


async def test_review_of_an_offline_run_at_80_by_24(offline_run: Path, tmp_path: Path) -> None:
    app = ReviewApp(copy(offline_run, tmp_path))
    async with app.run_test(size=SMALL) as pilot:
        screen = await review_ready(pilot)
        summary = region_lines(app, screen.query_one("#summary"))
        assert "judge not run" in summary[0]  # the run's status, whole, on the first line
        seen = await walk_answers(pilot, screen)
        for answer in ADVERSARIAL:
            assert any(answer in line for line in seen), answer
        for item in dict.fromkeys(key[0] for key in screen.data.run.answers):
            assert any(item in line for line in seen), item
        assert judge_claims(seen) == []  # no checks-only figure called the judge's
        status = " ".join(region_lines(app, screen.query_one("#status")))
        assert "F1" in status and "checks" in status

        # the verdicts of one adversarial answer, full width: every expert column whole
        await move_to(pilot, screen, ("preparer-workpaper", "adversarial-number-dump"))
        await pilot.press("enter")
        await idle(pilot)
        shown = screen_lines(app)
        header = next(line for line in shown if "criterion" in line)
        assert re.search(r"E1\s+E2\s+E3\s+experts\s*$", header.rstrip("▏ ")), header
        assert any("answer adversarial-number-dump" in line for line in shown)
        legend = region_lines(app, screen.query_one("#legend"))
        assert shown_whole("E1 r.lee, E2 m.ortiz, E3 s.kim", legend)
        assert judge_claims(shown) == []

        await pilot.press("r")  # reasoning: why there is none, whole
        await idle(pilot)
        reasoning = region_lines(app, screen.query_one("#reasoning"))
        assert shown_whole("The judge did not run in this calibration", reasoning)

        await pilot.press("a")  # agreement: every column of the table
        await idle(pilot)
        shown = screen_lines(app)
        header = next(line for line in shown if "criterion" in line and "α" in line)
        assert "stand in" in header
        assert any("barbara-remaining-basis " in line for line in shown)
        assert judge_claims(shown) == []

        await pilot.press("t")  # the answer's text
        await idle(pilot)
        text = screen.data.run.answers[("preparer-workpaper", "adversarial-number-dump")].text
        opening = " ".join(text.split()[:5])
        assert shown_whole(opening, region_lines(app, screen.query_one("#answer-text")))
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("escape")
        await idle(pilot)
        assert screen.answers.display


async def test_grading_at_80_by_24_shows_each_criterion_and_its_check_whole(
    offline_run: Path, tmp_path: Path
) -> None:
    """Every criterion of the tax rubric in turn: its text, what the machine checks and the
    keys to answer are all on the card at once (the check was hidden behind the y/n box)."""
    app = ReviewApp(copy(offline_run, tmp_path), expert="tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await review_ready(pilot)
        await pilot.press("g")
        await idle(pilot)
        grading = app.screen
        assert isinstance(grading, GradingScreen)
        rubric = screen.data.run.rubric
        for leaf in rubric.leaves():
            assert grading.criterion.id == leaf.id
            card = region_lines(app, grading.query_one("#card"))
            assert shown_whole(leaf.id, card), leaf.id
            if leaf.text:
                assert shown_whole(leaf.text, card), leaf.id
            if leaf.check is not None:  # capitalised when it is the whole criterion
                assert shown_whole(describe_check(leaf)[1:], card), leaf.id
            keys = flowed_keys(card)
            assert ("y" in keys and "n" in keys) or leaf.levels, leaf.id
            assert judge_claims(screen_lines(app)) == []
            await pilot.press("s")
            await pilot.pause()


def flowed_keys(card: list[str]) -> set[str]:
    """The single keys the card offers (``y  met``, ``0  absent`` ...)."""
    return set(re.findall(r"(?:^|\s)([a-z0-9])  \w", "  ".join(card)))


async def test_review_of_a_judged_run_at_80_by_24(judged_run: Path, tmp_path: Path) -> None:
    app = ReviewApp(copy(judged_run, tmp_path))
    async with app.run_test(size=SMALL) as pilot:
        screen = await review_ready(pilot)
        summary = region_lines(app, screen.query_one("#summary"))
        assert summary[0].lstrip().startswith("judged by o4-mini-2025-04-16")
        shown = screen_lines(app)
        for answer in ADVERSARIAL[:3]:  # the ones on the first screen
            assert any(answer in line for line in shown), answer
        await move_to(pilot, screen, ("memo-to-shareholders", "great"))
        await pilot.press("enter")
        await idle(pilot)
        header = next(line for line in screen_lines(app) if "criterion" in line)
        assert re.search(r"E1\s+E2\s+E3\s+experts\s*$", header.rstrip("▏ ")), header
        await pilot.press("r")
        await idle(pilot)
        reasoning = region_lines(app, screen.query_one("#reasoning"))
        assert any("── repeat 0 · ownership → 0" in line for line in reasoning)


@pytest.fixture
def tax_baseline(tmp_path: Path, fake_openai_env: FakeOpenAI) -> Path:
    return baseline_run(
        fake_openai_env, TAX / "rubric.yaml", TAX / "items.jsonl", tmp_path / "run", TAX_SCRIPT
    )


async def test_baseline_review_at_80_by_24(tax_baseline: Path) -> None:
    app = ReviewApp(tax_baseline)
    async with app.run_test(size=SMALL) as pilot:
        screen = await baseline_ready(pilot)
        shown = screen_lines(app)
        for item in TAX_SCRIPT["cand-a"]:
            assert any(item in line for line in shown), item
        for model in TAX_SCRIPT:
            assert any(model in line for line in shown), model
        summary = region_lines(app, screen.query_one("#summary"))
        assert "judged by" in summary[0]
        await pilot.press("enter")
        await baseline_ready(pilot)
        header = next(line for line in screen_lines(app) if "criterion" in line)
        assert "A#0" in header
        for key in ("t", "r", "a"):
            await pilot.press(key)
            await baseline_ready(pilot)
        await pilot.press("escape")
        await baseline_ready(pilot)
        assert screen.items.display


async def test_editor_at_80_by_24(tmp_path: Path) -> None:
    path = tmp_path / "rubric.yaml"
    shutil.copy(TAX / "rubric.yaml", path)
    app = EditorApp(EditorDocument.open(path))
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        table = region_lines(app, screen.query_one("#criteria"))
        rows = screen.doc.rows()
        for row in rows[: len(table) - 1]:  # every id the table has room for, whole
            assert any(f" {row.id} " in line for line in table), row.id
        for _ in rows:  # and the rest as the cursor goes down
            await pilot.press("down")
        table = region_lines(app, screen.query_one("#criteria"))
        assert any(" invents-position " in line for line in table)
        status = " ".join(region_lines(app, screen.query_one("#weights")))
        assert "Σ weights 1" in status and "✓ no problems" in status
        for tab in ("grader", "prompt"):
            await pilot.press("p")
            await settle(pilot)
            header = " ".join(region_lines(app, screen.query_one(f"#{tab} .preview-header")))
            assert ("multi" if tab == "grader" else "invents-position") in header
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
