"""The Invariance tab of the run review, for a run that is part of ``calibrate --probe
invariance`` (its baseline or one of its changes).

Per criterion, one row per harmless change: the rerun flip rate (plain reruns of the unchanged
grader), the flip rate across the change, the changed grader's own rerun flips, the
Holm-adjusted p-value of the test of whether the change flips verdicts beyond rerun noise, and
the verdict; flagged rows in the error colour. Above: the probe's headline, the baseline, the
test, and each change that did not run. Below, for ``invariance:paraphrase``: the paraphrased
criterion texts beside the originals, for an expert to read.

Everything comes from :func:`~rubricate.tui.review.science.describe`; a missing or unreadable
``invariance.json`` is the tab's one line.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from rubricate.tui.common.theme import muted, styled
from rubricate.tui.common.viewer import viewer
from rubricate.tui.review.science import (
    INVARIANCE_HEADERS,
    InvarianceLine,
    InvarianceView,
    describe,
)
from rubricate.tui.review.table_common import cursor_row_key

INVARIANCE_KEYS = [
    ("up,down", "", "move between rows (criterion × change); the row in words below the table"),
    ("left,right", "", "scroll the table sideways (the criterion stays)"),
    ("tab", "", "to the paraphrases to review (invariance:paraphrase), and back"),
    ("escape", "", "back to the answer list"),
]
"""The tab's keys, for the help screen."""


class InvariancePanel(Vertical):
    """The probe's table and, when it paraphrased, the texts to review."""

    def __init__(self, view: InvarianceView, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.view = view
        self.texts = describe(view)

    def compose(self) -> ComposeResult:
        yield Static("", id="invariance-headline")
        yield Static("", id="invariance-notes")
        yield DataTable(id="invariance-table", cursor_type="row", fixed_columns=1)
        yield Static("", id="invariance-row")
        if self.texts.paraphrases is not None:
            yield Static("Paraphrases to review (tab to scroll them)", id="paraphrase-title")
            yield viewer(self.texts.paraphrases, id="paraphrases")

    def on_mount(self) -> None:
        texts = self.texts
        flagged = self.view.file is not None and bool(self.view.file.flagged)
        problem = self.view.file is None
        variable = "text-error" if flagged or problem else "text-success"
        self.query_one("#invariance-headline", Static).update(
            styled(self.app, texts.headline, variable, bold=True)
        )
        notes = self.query_one("#invariance-notes", Static)
        notes.update(Text("\n".join(texts.notes)))
        notes.display = bool(texts.notes)
        table = self.query_one("#invariance-table", DataTable)
        table.display = bool(texts.lines)
        table.add_columns(*INVARIANCE_HEADERS)
        for line in texts.lines:
            table.add_row(*self._cells(line), key=line.key)
        first = next((i for i, line in enumerate(texts.lines) if line.flagged), 0)
        if texts.lines:
            table.move_cursor(row=first, animate=False)
        self.show_row()

    @on(DataTable.RowHighlighted, "#invariance-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.show_row()

    def show_row(self) -> None:
        """The row under the cursor in words, under the table."""
        key = cursor_row_key(self.query_one("#invariance-table", DataTable))
        line = next((x for x in self.texts.lines if x.key == key), None)
        below = self.query_one("#invariance-row", Static)
        below.display = line is not None
        if line is not None:
            below.update(Text(line.sentence))

    def _cells(self, line: InvarianceLine) -> list[Text]:
        if line.flagged:
            cells = [line.criterion, line.change, *line.cells]
            return [styled(self.app, c, "text-error", bold=True) for c in cells]
        name = (Text(line.criterion, style="bold", no_wrap=True, end="") if line.first
                else muted(self.app, line.criterion))  # fmt: skip
        out = [name, Text(line.change, no_wrap=True, end="")]
        for cell in line.cells:
            out.append(Text(cell, no_wrap=True, end="") if line.measured else muted(self.app, cell))
        return out
