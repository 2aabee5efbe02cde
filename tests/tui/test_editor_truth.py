"""The editor says what it does: a problem's message leaves the screen when its cause is
fixed, and normalising weights says truly whether scores moved."""

from __future__ import annotations

import re
from pathlib import Path

from textual.widgets import Input

from rubricate.rubrics.loader import parse_rubric
from rubricate.tui.editor.app import EditorApp
from rubricate.tui.editor.document import EditorDocument
from tests.rubrics.edit_fixtures import COMMENTED
from tests.tui.conftest import SIZE
from tests.tui.helpers import region_lines, screen_lines, settle

TAX = Path(__file__).parents[2] / "examples" / "accordance_tax" / "rubric.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rubric.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def type_weight(pilot, screen, value: str) -> None:  # noqa: ANN001
    weight = screen.query_one("#f-weight", Input)
    weight.focus()
    weight.value = value
    await pilot.press("enter")
    await settle(pilot)


async def test_a_refused_value_s_message_goes_when_the_field_is_put_right(
    tmp_path: Path,
) -> None:
    """A weight typed as "heavy" is refused with a message under the field; typing the old
    value back changes nothing in the document, and the message must go with the cause (it
    stayed, beside a status bar saying "no problems")."""
    app = EditorApp(EditorDocument.open(write(tmp_path, COMMENTED)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("down", "down", "down", "down", "enter")  # tone: weight 0.2
        await type_weight(pilot, screen, "heavy")
        problems = screen.query_one("#p-weight")
        assert "not applied" in str(problems.render()) and problems.display
        await type_weight(pilot, screen, "0.2")
        assert screen.doc.text == COMMENTED
        assert not problems.display
        assert not any("not applied" in line for line in screen_lines(app))
        assert "✓ no problems" in " ".join(region_lines(app, screen.query_one("#weights")))


async def test_a_lint_message_goes_when_its_cause_is_fixed(tmp_path: Path) -> None:
    """A weight that is no number in the file: lint's message under the field, the problem
    list and the status bar agree before the fix, and all say nothing after it."""
    text = COMMENTED.replace("weight: 0.2", "weight: heavy")
    app = EditorApp(EditorDocument.open(write(tmp_path, text)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("down", "down", "down", "down", "enter")
        assert "must be a number" in str(screen.query_one("#p-weight").render())
        await type_weight(pilot, screen, "0.2")
        assert screen.doc.text == COMMENTED
        shown = "\n".join(screen_lines(app))
        assert "must be a number" not in shown
        assert "✓ no problems" in shown
        assert not screen.query_one("#p-weight").display
        assert not screen.query_one("#problems").display


async def test_normalise_says_truly_whether_scores_moved(tmp_path: Path) -> None:
    """Two equal weights of 0.15 (sum 1.05: shares of 1/21 that never end): n keeps them
    equal and the message gives the bound scores can move by, not "scores are unchanged"."""
    text = TAX.read_text(encoding="utf-8")
    at = text.index("weight: 0.10", text.index("id: annual-allocation"))
    text = text[:at] + "weight: 0.15" + text[at + len("weight: 0.10") :]
    app = EditorApp(EditorDocument.open(write(tmp_path, text)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("n")
        await settle(pilot)
        said = " ".join(str(n.message) for n in app._notifications)
        assert "unchanged" not in said
        assert re.search(r"scores can move by at most 0\.000\d+", said), said
        weights = {c.id: c.weight for c in parse_rubric(screen.doc.text).rubric.criteria}
        assert weights["annual-allocation"] == weights["ordinary-income"]
        assert "≠ 1" not in str(screen.query_one("#weights").render())
