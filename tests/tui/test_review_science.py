"""The review of a comparison and of an invariance probe, driven with the keyboard: the
Comparison screen (the recommended arm first under the cursor, its figures below, enter opens
an arm's run and escape comes back) and the Invariance tab (opened first for a probe, the
cursor on the first flagged row, the row in words below the table, the paraphrases to
review); a missing report file is one line and the rest still works."""

from __future__ import annotations

import json
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TabbedContent, TextArea

from rubricate.tui.review.app import ReviewApp
from rubricate.tui.review.comparison_screen import ComparisonScreen
from rubricate.tui.review.invariance_tab import InvariancePanel
from rubricate.tui.review.screen import ReviewScreen
from rubricate.tui.review.table_common import cursor_row_key
from tests.calibration.run_fixture import make_run
from tests.tui.conftest import SIZE
from tests.tui.helpers import region_lines, review_ready, screen_lines, settle


async def comparison_ready(pilot: Pilot) -> ComparisonScreen:
    """Wait until the comparison is shown."""
    for _ in range(200):
        await settle(pilot)
        if isinstance(pilot.app.screen, ComparisonScreen):
            return pilot.app.screen
        await pilot.pause(0.02)
    raise AssertionError("the comparison did not load")


async def run_opened(pilot: Pilot) -> ReviewScreen:
    """Wait until an arm's run is shown above the comparison."""
    for _ in range(200):
        await settle(pilot)
        screen = pilot.app.screen
        if isinstance(screen, ReviewScreen) and screen.figures is not None:
            return screen
        await pilot.pause(0.02)
    raise AssertionError("the arm's run did not open")


def _details(screen: ComparisonScreen) -> str:
    return screen.query_one("#arm-details", TextArea).text


async def test_the_comparison_opens_on_the_recommended_arm_and_each_arm_opens(
    science: Path,
) -> None:
    written = json.loads((science / "cmp" / "comparison.json").read_text())
    best = written["recommendation"]["arm"]
    other = next(r["arm"] for r in written["arms"] if r["arm"] != best)
    app = ReviewApp(Path("cmp"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await comparison_ready(pilot)
        table = screen.query_one("#arms", DataTable)
        assert table.row_count == 2 and screen.focused is table
        assert cursor_row_key(table) == best and _details(screen).startswith(f"{best}  ★")
        shown = "\n".join(screen_lines(app))
        assert f"Export {best} (grader SHA-256" in shown and "★ " + best in shown
        await pilot.press("down" if written["arms"][0]["arm"] == best else "up")
        await settle(pilot)
        assert cursor_row_key(table) == other and _details(screen).startswith(other + "\n")
        await pilot.press("enter")
        run = await run_opened(pilot)
        assert run.data.run.path == Path("cmp/arms") / other and run.back
        assert run.invariance is None
        await pilot.press("escape")  # on the answer list: back to the comparison
        await settle(pilot)
        assert app.screen is screen and cursor_row_key(table) == other
        await pilot.press(*["right"] * 30)  # the table scrolls sideways
        await settle(pilot)
        header = region_lines(app, table)[0]
        assert table.scroll_x > 0 and "cost $" in header and header.split()[0] == "arm"
        await pilot.press("d")
        assert screen.focused is screen.query_one("#arm-details")
        await pilot.press("escape", "q")
        await settle(pilot)
    assert app.return_code == 0 and app.error is None


async def test_escape_in_an_arms_tab_first_comes_back_to_its_list(science: Path) -> None:
    app = ReviewApp(Path("cmp"))
    async with app.run_test(size=SIZE) as pilot:
        comparison = await comparison_ready(pilot)
        await pilot.press("enter")
        run = await run_opened(pilot)
        await pilot.press("v")  # the verdicts full width
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is run and run.focused is run.list_table
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is comparison


async def test_a_comparison_without_its_json_says_so_and_its_arms_still_open(
    science: Path,
) -> None:
    (science / "cmp" / "comparison.json").write_text("{ broken", encoding="utf-8")
    app = ReviewApp(Path("cmp"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await comparison_ready(pilot)
        line = str(screen.query_one("#recommendation", Static).render())
        assert line.startswith("comparison.json: cannot read it: ")
        await pilot.press("enter")
        run = await run_opened(pilot)
        assert run.data.run.path.parent == Path("cmp/arms")


async def _invariance_shown(pilot: Pilot) -> ReviewScreen:
    screen = await review_ready(pilot)
    await settle(pilot)
    assert isinstance(screen, ReviewScreen)
    return screen


async def test_a_probe_opens_its_baseline_run_on_the_invariance_tab(science: Path) -> None:
    written = json.loads((science / "inv" / "invariance.json").read_text())
    flagged = [f"{f['change']}/{f['criterion']}" for f in written["flagged"]]
    app = ReviewApp(Path("inv"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _invariance_shown(pilot)
        assert screen.data.run.path == Path("inv/arms/baseline")
        assert screen.query_one(TabbedContent).active == "tab-invariance"
        table = screen.query_one("#invariance-table", DataTable)
        assert screen.full_tab and screen.focused is table
        assert table.row_count == len(written["rows"])
        assert cursor_row_key(table) in flagged  # the first flagged row under the cursor
        below = screen.query_one("#invariance-row", Static)
        assert "flips beyond rerun noise" in str(below.render())
        lines = screen.query_one(InvariancePanel).texts.lines
        start = cursor_row_key(table)
        await pilot.press("up")
        await settle(pilot)
        now = next(x for x in lines if x.key == cursor_row_key(table))
        assert now.key != start and str(below.render()) == now.sentence
        await pilot.press("tab")  # to the paraphrases
        assert screen.focused is screen.query_one("#paraphrases", TextArea)
        text = screen.query_one("#paraphrases", TextArea).text
        assert "States that the order is within the 30-day window." in text
        await pilot.press("escape")  # the answer list comes back
        await settle(pilot)
        assert not screen.full_tab and screen.focused is screen.list_table
        await pilot.press("i")
        await settle(pilot)
        assert screen.full_tab and screen.focused is table


async def test_a_change_arm_shows_its_probe_too(science: Path) -> None:
    app = ReviewApp(Path("inv/arms/rename"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _invariance_shown(pilot)
        assert screen.invariance is not None and screen.invariance.file is not None
        assert screen.query_one(TabbedContent).active == "tab-invariance"


async def test_a_probe_without_its_json_says_not_run_in_one_line(science: Path) -> None:
    (science / "inv" / "invariance.json").unlink()
    app = ReviewApp(Path("inv"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _invariance_shown(pilot)
        headline = str(screen.query_one("#invariance-headline", Static).render())
        assert headline.startswith("invariance.json: not run: no invariance.json in inv")
        assert not screen.query_one("#invariance-table", DataTable).display
        assert not screen.query("#paraphrases")


async def test_an_ordinary_run_has_no_invariance_tab(tmp_path: Path) -> None:
    app = ReviewApp(make_run(tmp_path / "run"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await review_ready(pilot)
        assert isinstance(screen, ReviewScreen) and not screen.query("#tab-invariance")
        await pilot.press("i")  # nothing happens
        await settle(pilot)
        assert not screen.full_tab and "Invariance" not in "\n".join(screen_lines(app))


async def test_the_help_says_what_each_view_shows_and_its_keys(science: Path) -> None:
    from rubricate.tui.common.help import HelpScreen

    app = ReviewApp(Path("cmp"))
    async with app.run_test(size=SIZE) as pilot:
        await comparison_ready(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = app.screen._markdown
        assert "# rubricate review: a comparison" in text and "*not assessed*" in text
        assert "| `enter` | Open arm's run |" in text
        await pilot.press("escape", "enter")
        run = await run_opened(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        text = app.screen._markdown
        assert "### Comparison" in text and "back to the comparison" in text
        assert "### Invariance" not in text and run.invariance is None
    app = ReviewApp(Path("inv"))
    async with app.run_test(size=SIZE) as pilot:
        await _invariance_shown(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        text = app.screen._markdown
        assert "**Invariance** (`i`" in text and "### Invariance" in text
        assert "| `↑ / ↓` | move between rows" in text and "### Comparison" not in text


async def test_an_arm_that_cannot_be_read_is_a_notice_and_the_comparison_stays(
    science: Path,
) -> None:
    written = json.loads((science / "cmp" / "comparison.json").read_text())
    best = written["recommendation"]["arm"]
    (science / "cmp" / "arms" / best / "run.json").write_text("{ broken")
    app = ReviewApp(Path("cmp"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await comparison_ready(pilot)
        await pilot.press("enter")  # the recommended arm, under the cursor
        await settle(pilot)
        assert app.screen is screen and app.error is None
        notices = [n.message for n in app._notifications]
        assert any("run.json" in n and "not valid JSON" in n for n in notices), notices
        await pilot.press("q")
    assert app.return_code == 0
