"""The review of a comparison (``calibrate --compare``): one row per arm with its figures
(stability, ICC, AUC, tier order, agreement with the experts, adversarial answers above fair,
calls, tokens, cost, grader SHA-256), the recommended arm marked ★ and first in the cursor;
below, every figure of the arm under the cursor in the report's words and why the recommended
arm was chosen. ``enter`` opens the arm's run in the ordinary run review (``escape`` there
comes back here).

What it shows comes from :func:`~rubricate.tui.review.science.load_comparison_view`; a missing
or unreadable ``comparison.json`` is one line above the arms, which can still be opened.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TextArea

from rubricate.tui.common.help import HelpScreen, KeySection
from rubricate.tui.common.theme import muted, styled
from rubricate.tui.common.viewer import viewer
from rubricate.tui.review.science import (
    SHORT_HEADERS,
    TABLE_KEYS,
    ArmEntry,
    ComparisonView,
    arm_cells,
    arm_details,
    recommendation_line,
)
from rubricate.tui.review.table_common import cursor_row_key

HELP = """
# rubricate review: a comparison

`rubricate calibrate --compare` ran one full calibration per arm (aggregation mode, judge
model or panel) on the same answers with the same repeats. One row per arm:

- **flip mean / flip max**: the mean and highest per-criterion flip probability per grading
  (stability over repeats); **ICC**: the reward's agreement with itself over repeats;
- **AUC**: great answers above poor ones; **tier order**: share of items ordered
  great > fair > poor;
- **MAE exp / F1 exp**: agreement with the experts (the reward's mean absolute error against
  the expert mean; the mean F1 over met / not met criteria);
- **adv>fair**: adversarial answers that outscored their item's fair answers;
- **calls, tokens, cost $**: what the judge cost; **SHA-256**: the arm's grader.

`n/a` is *not assessed* (the run could not measure it), never 0. ★ marks the arm to export;
the text below the table says why and gives the rule. `enter` opens an arm's run in the run
review, where `escape` on the answer list comes back here.
"""


class ComparisonScreen(Screen[None]):
    """The arms of a comparison; enter opens one arm's run."""

    BINDINGS = [
        Binding("question_mark,f1", "help", "Help"),
        Binding("enter", "open_arm", "Open arm's run", priority=True),
        Binding("d", "focus_details", "Details"),
        Binding("escape", "focus_arms", "Back", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, view: ComparisonView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="recommendation")
        yield DataTable(id="arms", cursor_type="row", fixed_columns=1)
        yield viewer(id="arm-details")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.title = "rubricate review"
        self.sub_title = f"comparison {self.view.path}"
        rec = self.query_one("#recommendation", Static)
        line = recommendation_line(self.view)
        problem = self.view.file is None
        rec.update(styled(self.app, line, "text-error" if problem else "text-success",
                          bold=True))  # fmt: skip
        table = self.query_one("#arms", DataTable)
        table.add_columns(*("  " + SHORT_HEADERS[k] if k == "arm" else SHORT_HEADERS[k]
                            for k in TABLE_KEYS))  # fmt: skip
        best = 0
        for i, entry in enumerate(self.view.arms):
            table.add_row(*self._cells(entry), key=entry.name)
            if entry.recommended:
                best = i
        table.move_cursor(row=best, animate=False)
        table.focus()
        self.show_details()

    def _cells(self, entry: ArmEntry) -> list[Text]:
        cells = arm_cells(entry)
        name = ("★ " if entry.recommended else "  ") + cells[0]
        out = [styled(self.app, name, "text-success", bold=True) if entry.recommended
               else Text(name, no_wrap=True, end="")]  # fmt: skip
        for key, value in zip(TABLE_KEYS[1:], cells[1:], strict=True):
            if value in ("n/a", "no figures", ""):
                out.append(muted(self.app, value))
            elif key == "verdict":
                ready = "text-success" if value == "ready" else "text-warning"
                out.append(styled(self.app, value, ready))
            else:
                out.append(Text(value, no_wrap=True, end=""))
        return out

    def selected(self) -> ArmEntry | None:
        """The arm under the cursor."""
        key = cursor_row_key(self.query_one("#arms", DataTable))
        return self.view.arm(key) if key is not None else None

    @on(DataTable.RowHighlighted, "#arms")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_details()

    @on(DataTable.RowSelected, "#arms")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        self.action_open_arm()

    def show_details(self) -> None:
        entry = self.selected()
        area = self.query_one("#arm-details", TextArea)
        text = arm_details(self.view, entry) if entry is not None else "No arm to show."
        area.load_text(text)
        area.scroll_home(animate=False)

    def action_open_arm(self) -> None:
        """Open the arm under the cursor in the run review."""
        entry = self.selected()
        if entry is None:
            return
        if not entry.runnable:
            self.notify(f"{entry.path}: no run to open (no run.json and grades.csv)",
                        severity="warning")  # fmt: skip
            return
        self.app.open_run(entry.path)  # type: ignore[attr-defined]

    def action_focus_details(self) -> None:
        self.query_one("#arm-details").focus()

    def action_focus_arms(self) -> None:
        self.query_one("#arms", DataTable).focus()

    def help_sections(self) -> list[KeySection]:
        moves = [
            ("up,down", "", "choose an arm; its figures below"),
            ("left,right", "", "scroll the table sideways (the arm's name stays)"),
        ]
        return [("Comparison", [*moves, *ComparisonScreen.BINDINGS])]

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(HELP, self.help_sections()))

    def action_quit(self) -> None:
        self.app.exit(return_code=0)
