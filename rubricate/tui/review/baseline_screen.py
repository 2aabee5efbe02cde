"""The review of a baseline run: items by headroom on the left; the chosen item's samples side
by side, the chosen sample's text, the grader's reasoning and the variance study on the right.

The sample lines of an item (texts, generation calls, grade records) are read in a thread
worker when the item is chosen; a result for an item the user has left is kept for later but
not shown. On a narrow terminal the list and the tabs take turns
(:class:`~rubricate.tui.review.run_screen.RunScreen`).
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane, TextArea
from textual.worker import get_current_worker

from rubricate.calibration.baseline.run_dir import SampleLine
from rubricate.tui.common.help import KeySection
from rubricate.tui.common.viewer import viewer
from rubricate.tui.messages import SampleLinesReady
from rubricate.tui.review.baseline_data import (
    BASELINE_FILTER_NAMES,
    BASELINE_FILTERS,
    BASELINE_ORDER_NAMES,
    BASELINE_ORDERS,
    BaselineData,
    BaselineFilter,
    BaselineOrder,
    answer_id,
    filter_items,
    models_legend,
    order_items,
    signal_line,
    study_text,
    summary_line,
)
from rubricate.tui.review.baseline_matrix import SampleColumn, sample_matrix
from rubricate.tui.review.baseline_sample import sample_header, sample_reasoning, sample_text
from rubricate.tui.review.baseline_tables import ItemsTable, SampleMatrix, row_key_of
from rubricate.tui.review.run_screen import (
    BACK_KEYS,
    HELP_KEY,
    PROMPTS_KEY,
    SORT_KEYS,
    STEP_KEYS,
    RunScreen,
)

NO_GRADING = (
    "Expert grading is for calibration runs: baseline samples have no tier to grade against "
    "(grade a calibration set with `rubricate calibrate`, then review that run)"
)
HINT = "enter: samples side by side · ←/→ in the matrix picks a sample · t its text · r reasoning"

HELP = """
# rubricate review: a baseline run

A baseline run: each candidate model sampled several times on every item, every sample graded
with the exact grader (`rubricate baseline`). The figures are over the *scored* samples of the
reward; an unscored sample (a failed generation, a grader error) is left out and shown as an
error (`×` in the bars, `err` in the matrix), never as 0.

**Items** (left), highest headroom first (the best sample minus the mean: what RFT can pull
the mean towards), with the mean, maximum, minimum, standard deviation, one bar per sample and
the unscored count. With several models each item has a header row (its headroom is the mean
over the models) and one row per model. `s` changes the order (spread, mean, items file), `f`
filters (items with an unscored sample, items with no spread).

**Samples**: the item's samples side by side, criteria down, samples across (`A#0` is model A's
first sample), then each model's mean; the first row is the reward. `←`/`→` pick a sample,
`↑`/`↓` a criterion. **Text**: the chosen sample's reply (`m` shows the prompt too).
**Reasoning**: the grader's calls on that sample about the criterion under the cursor.
**Study**: each model's variance study and learning-signal verdict, as in the report.

Expert grading (`g`) is for calibration runs only: baseline samples have no tier.
"""


class BaselineScreen(RunScreen):
    """Browse one baseline run."""

    BINDINGS = [
        HELP_KEY,
        *SORT_KEYS,
        Binding("v", "show_tab('tab-samples')", "Samples"),
        Binding("t", "show_tab('tab-text')", "Text"),
        Binding("r", "show_tab('tab-reasoning')", "Reasoning"),
        Binding("a", "show_tab('tab-study')", "Study"),
        *STEP_KEYS,
        PROMPTS_KEY,
        Binding("g", "grade", "Grade (calibration only)", show=False),
        *BACK_KEYS,
    ]

    ORDERS = BASELINE_ORDERS
    ORDER_NAMES = BASELINE_ORDER_NAMES
    FILTERS = BASELINE_FILTERS
    FILTER_NAMES = BASELINE_FILTER_NAMES
    TAB_FOCUS = {
        "tab-samples": "#samples",
        "tab-text": "#sample-text",
        "tab-reasoning": "#reasoning",
        "tab-study": "#study",
    }
    HELP_TEXT = HELP

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("cycle_order", "cycle_filter"):
            return not self.full_tab  # they order the list, which a full-width tab hides
        return super().check_action(action, parameters)

    def __init__(self, data: BaselineData) -> None:
        super().__init__(data)
        self.data: BaselineData = data
        self.order: BaselineOrder = "headroom"
        self.which: BaselineFilter = "all"
        self.item_id: str | None = None
        """The item whose samples are shown."""
        self.column: SampleColumn | None = None
        """The sample whose text and reasoning are shown."""
        self.lines: dict[str, dict[str, SampleLine]] = {}
        """Sample lines read so far, by item."""
        self._loading: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="summary")
        with Horizontal(id="main"):
            yield ItemsTable(id="items")
            with TabbedContent(id="tabs"):
                with TabPane("Samples", id="tab-samples"):
                    with Vertical():
                        yield Static("", id="legend")
                        yield SampleMatrix(id="samples")
                with TabPane("Text", id="tab-text"):
                    yield Static("", id="sample-header")
                    yield viewer(id="sample-text")
                with TabPane("Reasoning", id="tab-reasoning"):
                    yield Static("", id="reasoning-header")
                    yield viewer(id="reasoning")
                with TabPane("Study", id="tab-study"):
                    yield viewer(study_text(self.data), id="study")
        yield Static(HINT, id="status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.show_title()
        self.lay_out(self.size.width)
        self.show_rows()
        self.items.focus()

    # -- layout -------------------------------------------------------------------------

    @property
    def items(self) -> ItemsTable:
        return self.query_one(ItemsTable)

    @property
    def list_table(self) -> ItemsTable:
        return self.items

    @property
    def matrix(self) -> SampleMatrix:
        return self.query_one(SampleMatrix)

    # -- items --------------------------------------------------------------------------

    def visible_rows(self) -> list:
        rows = order_items(self.data.rows, self.order, self.data.run.items)
        return filter_items(rows, self.which)

    def show_rows(self) -> None:
        rows = self.visible_rows()
        self.items.show(self.data, rows, self.items.current_key())
        self.lay_out()  # the ids shown decide the list's width
        notes = " · ".join(self.data.run.notes)
        self.show_summary(summary_line(self.data), len(rows), signal_line(self.data), notes)
        self.show_item()

    @on(DataTable.RowHighlighted, "#items")
    def _item_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_item()

    def show_item(self) -> None:
        """Show the samples of the item under the cursor (at the row's model's first sample)."""
        current = self.items.current()
        if current is None:
            self.item_id, self.column = None, None
            self.matrix.clear(columns=True)
            self.query_one("#legend", Static).update("No item to show (change the filter: f).")
            self._fill_sample()
            return
        item_id, model = current
        if item_id != self.item_id:
            self.item_id = item_id
            columns, rows = sample_matrix(self.data, item_id)
            self.matrix.show(self.data, columns, rows)
            legend = models_legend(self.data)
            penalty = " · − penalty" if any(c.is_penalty for c in self.data.criteria) else ""
            self.query_one("#legend", Static).update(
                f"item {item_id}"
                + (f" · {legend}" if legend else "")
                + f" · err: unscored{penalty}"
            )
            if model is None:
                model = self.column.model if self.column else self.data.models[0]
        if model is not None:
            self.matrix.show_sample(answer_id(model or self.data.models[0], 0))
        self.show_sample()

    # -- the chosen sample --------------------------------------------------------------

    @on(DataTable.CellHighlighted, "#samples")
    def _cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        self.show_sample()

    def show_sample(self) -> None:
        """Fill the Text and Reasoning tabs for the sample (and criterion) under the cursor."""
        column = self.matrix.cursor_sample()
        if column is not None:
            self.column = column
        elif self.column is None and self.matrix.sample_columns:
            self.column = self.matrix.sample_columns[0]
        status = HINT
        criterion = self.matrix.selected_criterion()
        if column is not None and criterion is not None:
            grade = self._grade_error(column, criterion)
            status = f"{column.label}: {grade}" if grade else HINT
        self.query_one("#status", Static).update(status)
        if self.item_id is not None and self.item_id not in self.lines:
            if self._loading != self.item_id:
                self._loading = self.item_id
                self.query_one("#sample-text", TextArea).load_text("Reading the samples…")
                self.query_one("#reasoning", TextArea).load_text("Reading the samples…")
                self._load_lines(self.item_id)
            return
        self._fill_sample()

    def _grade_error(self, column: SampleColumn, criterion: str) -> str | None:
        grades = self.data.run.grades
        rows = grades[
            (grades["item_id"] == self.item_id)
            & (grades["answer_id"] == column.answer_id)
            & (grades["criterion"] == criterion)
        ]
        if len(rows) and not bool(rows["scored"].iloc[0]):
            return f"unscored (not 0): {rows['error'].iloc[0] or 'no reason recorded'}"
        return None

    @work(exclusive=True, group="samples", thread=True, exit_on_error=False)
    def _load_lines(self, item_id: str) -> None:
        lines = self.data.run.sample_lines(item_id)
        if not get_current_worker().is_cancelled:
            self.post_message(SampleLinesReady(item_id, lines))

    @on(SampleLinesReady)
    def _lines_ready(self, message: SampleLinesReady) -> None:
        message.stop()
        self.lines[message.item_id] = message.lines
        if self._loading == message.item_id:
            self._loading = None
        if message.item_id == self.item_id:
            self._fill_sample()

    def _fill_sample(self) -> None:
        header = self.query_one("#sample-header", Static)
        text = self.query_one("#sample-text", TextArea)
        reasoning = self.query_one("#reasoning", TextArea)
        column, item_id = self.column, self.item_id
        if column is None or item_id is None:
            header.update("")
            text.load_text("")
            reasoning.load_text("")
            self.query_one("#reasoning-header", Static).update("")
            return
        line = self.lines.get(item_id, {}).get(column.answer_id)
        criterion = self.matrix.selected_criterion()
        header.update(sample_header(self.data, item_id, column, line))
        text.load_text(sample_text(line, prompt=self.show_prompts))
        about = criterion if criterion and not criterion.startswith("__") else "the reward"
        self.query_one("#reasoning-header", Static).update(
            f"grader calls on {column.model} sample #{column.sample} about {about} · "
            f"{self.prompts_note()}"
        )
        reasoning.load_text(
            sample_reasoning(line, self._names, criterion, prompt=self.show_prompts)
        )
        reasoning.scroll_home(animate=False)

    def show_prompted(self) -> None:
        self._fill_sample()

    # -- the list and the tabs ----------------------------------------------------------

    @on(DataTable.RowSelected, "#items")
    def _item_chosen(self, event: DataTable.RowSelected) -> None:
        self.action_show_tab("tab-samples")

    def action_step(self, delta: int) -> None:
        """Go to the next (or previous) item."""
        table = self.items
        current = table.current()
        row = table.cursor_row
        while current is not None and 0 <= row + delta < table.row_count:
            row += delta
            table.move_cursor(row=row, animate=False)
            moved = table.current()
            if moved is not None and moved[0] != current[0]:
                if delta < 0 and len(self.data.models) > 1:
                    header = table.get_row_index(row_key_of(moved[0], None))
                    table.move_cursor(row=header, animate=False)
                return

    def action_grade(self) -> None:
        self.query_one("#status", Static).update(NO_GRADING)
        self.notify(NO_GRADING, title="baseline run", severity="warning")

    def help_sections(self) -> list[KeySection]:
        return [
            ("Baseline review", BaselineScreen.BINDINGS),
            ("Items", [("enter", "", "show the item's samples side by side, full width")]),
            ("Samples", [("←/→, ↑/↓", "", "pick a sample, pick a criterion")]),
        ]
