"""The editor's main screen: criteria table, detail and preview tabs, problems, footer.

Edits run synchronously on the UI thread (each takes a few tens of ms: parse, splice,
verify); lint and the compiled previews run in thread workers, debounced, and their results
are dropped when the text has moved on. File actions (save, quit, conflicts) are in
:mod:`.files`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, TabbedContent, TabPane

from rubricate.rubrics.edit import (
    Edit,
    EditError,
    Field,
    IndexPath,
    NewKind,
    add_criterion,
    delete_criterion,
    duplicate_criterion,
    indent_criterion,
    move_criterion,
    normalise_weights,
    outdent_criterion,
    problem_target,
    set_field,
)
from rubricate.rubrics.problems import Problem, summary
from rubricate.tui.common.help import HelpScreen
from rubricate.tui.editor.checking import CheckingActions
from rubricate.tui.editor.detail import FIELD_IDS, DetailPane, FieldEdited
from rubricate.tui.editor.document import (
    EditorDocument,
    LintResult,
)
from rubricate.tui.editor.files import FileActions
from rubricate.tui.editor.panes import PreviewPane, ProblemList, WeightLine
from rubricate.tui.editor.table import SEVERITY_RANK, CriteriaTable

HELP = """
# rubricate edit

Edit a rubric's criteria. The table on the left lists them (children indented under their
group); the pane on the right edits the selected one. What you type is applied when you
pause, press enter, or leave the field. Problems appear under the field they concern and in
the list at the bottom; choose one there to jump to it.

**Weights** are normalised by the sum of the positive weights, so they need not add up to 1;
`n` scales every list to 1. When the shares have short decimals no score changes; otherwise
they are rounded to 4 decimals, equal weights stay equal, and the message says by how much at
most a score can move. A negative weight is a penalty; 0 tracks a criterion without scoring
it.

**Preview**: the *Grader* tab shows the compiled grader JSON (`t` switches between `multi`
and `score_model`); the *Prompt* tab shows what the judge is asked about the selected
criterion.

**Undo**: `ctrl+z` in a text box undoes your typing there; elsewhere it undoes the last
change to the rubric (`ctrl+y` redoes).

**Saving** (`ctrl+s`) keeps your comments and formatting. If the file was changed by someone
else since you opened it, it is not overwritten: reload it or save under another name.
"""


class EditorScreen(CheckingActions, FileActions, Screen[None]):
    """Edit one rubric file."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+z", "undo", "Undo"),
        Binding("ctrl+y", "redo", "Redo", show=False),
        Binding("escape", "focus_table", "Table"),
        Binding("f1", "help", "Help", show=False),
        Binding("f8", "next_problem", "Next problem", show=False),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_table":
            return self.focused is not self.query_one(CriteriaTable)
        return True

    def __init__(self, document: EditorDocument) -> None:
        super().__init__()
        self.doc = document
        self.lint: LintResult | None = None
        self.target: Literal["multi", "score_model"] = "multi"
        self._lint_timer: Timer | None = None
        self._problem_cursor = -1

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield CriteriaTable(id="criteria")
                yield WeightLine(id="weights")
            with TabbedContent(id="right"):
                with TabPane("Detail", id="tab-detail"):
                    yield DetailPane(id="detail")
                with TabPane("Grader", id="tab-grader"):
                    yield PreviewPane("compiling…", id="grader")
                with TabPane("Prompt", id="tab-prompt"):
                    yield PreviewPane("…", id="prompt")
        yield ProblemList(id="problems")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.refresh_all(select=(0,))
        self.query_one(CriteriaTable).focus()
        self.schedule_lint(now=True)

    # -- showing the document -----------------------------------------------------------

    @property
    def table(self) -> CriteriaTable:
        return self.query_one(CriteriaTable)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    def selected(self) -> IndexPath | None:
        return self.table.selected_path()

    def _problems(self) -> list[Problem]:
        return self.lint.problems if self.lint is not None else []

    def _worst(self) -> dict[IndexPath, str]:
        worst: dict[IndexPath, str] = {}
        for problem in self._problems():
            path, _ = problem_target(problem)
            if path is None:
                continue
            current = worst.get(path)
            if current is None or SEVERITY_RANK[problem.severity] < SEVERITY_RANK[current]:
                worst[path] = problem.severity
        return worst

    def update_title(self) -> None:
        self.title = "rubricate edit"
        self.sub_title = f"{self.doc.path}{' · modified' if self.doc.dirty else ''}"

    def refresh_all(self, select: IndexPath | None = None, reload_detail: bool = True) -> None:
        """Redraw everything from the document (after an edit, undo, reload)."""
        keep = select if select is not None else self.selected()
        with self.app.batch_update():
            self.table.show_rows(self.doc.rows(), self._worst(), keep)
            self._show_selection(reload_detail)
            self._show_problem_list()
            self.update_title()

    def _show_selection(self, reload_detail: bool = True) -> None:
        path = self.selected()
        row = self.doc.row(path)
        if reload_detail:
            parent = self.doc.row(path[:-1]) if path and len(path) > 1 else None
            self.detail.show(row, parent.id if parent else None)
        else:
            self.detail.update_row(row)
        by_field: dict[str | None, list[Problem]] = {}
        for problem in self._problems():
            target, field = problem_target(problem)
            if target == path:
                by_field.setdefault(field if field in FIELD_IDS else None, []).append(problem)
        self.detail.show_problems(by_field)
        self.query_one(WeightLine).show(self.doc.rows(), path)
        self.refresh_preview()

    def _show_problem_list(self) -> None:
        pending = self.lint is None or self.lint.text != self.doc.text
        problems = self._problems()
        self.query_one(ProblemList).show(problems, pending)
        weights = self.query_one(WeightLine)
        if pending:
            weights.lint_status = "checking…"
        elif problems:
            weights.lint_status = summary(problems, 1).removesuffix(" in 1 file")
        else:
            weights.lint_status = "✓ no problems"
        weights.show(self.doc.rows(), self.selected())

    @on(DataTable.RowHighlighted, "#criteria")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.detail.row is None or self.detail.row.path != self.selected():
            for pending in self.detail.take_pending():  # typed into the previous criterion
                self.apply_field(pending)
            self._show_selection()

    @on(DataTable.RowSelected, "#criteria")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.query_one(TabbedContent).active = "tab-detail"
        self.detail.focus_field("text")

    # -- editing ------------------------------------------------------------------------

    def run_edit(self, make: Callable[[], Edit], group: object = None) -> Edit | None:
        """Run one edit; show its error, or record it and redraw."""
        try:
            edit = make()
        except EditError as error:
            self.notify(error.msg, title="cannot edit", severity="warning")
            return None
        if self.doc.apply(edit, group):
            self.after_change(edit.selection)
            if not edit.exact:
                self.notify(
                    "The file had to be rewritten in ruamel's style in places you did not "
                    "touch (the data is exact).",
                    severity="warning",
                )
        return edit

    def after_change(self, select: IndexPath | None, reload_detail: bool = True) -> None:
        self.refresh_all(select, reload_detail)
        self.schedule_lint()

    def action_add(self, kind: NewKind) -> None:
        self.flush_fields()
        self.run_edit(lambda: add_criterion(self.doc.text, self.selected(), kind))

    def _on_selected(self, op: Callable[[str, IndexPath], Edit]) -> None:
        self.flush_fields()
        path = self.selected()
        if path is None:
            self.notify("No criterion selected; press a to add one.", severity="warning")
            return
        self.run_edit(lambda: op(self.doc.text, path))

    def action_duplicate(self) -> None:
        self._on_selected(duplicate_criterion)

    def action_delete(self) -> None:
        self._on_selected(delete_criterion)

    def action_move(self, delta: int) -> None:
        self._on_selected(lambda text, path: move_criterion(text, path, delta))

    def action_indent(self) -> None:
        self._on_selected(indent_criterion)

    def action_outdent(self) -> None:
        self._on_selected(outdent_criterion)

    def action_normalise(self) -> None:
        self.flush_fields()
        edit = self.run_edit(lambda: normalise_weights(self.doc.text))
        if edit is None:
            return
        said = f"{edit.label}: {edit.note}" if edit.label else edit.note
        self.notify(said[:1].upper() + said[1:] + ".", timeout=8)

    @on(FieldEdited)
    def _field_edited(self, event: FieldEdited) -> None:
        self.apply_field(event)

    def apply_field(self, event: FieldEdited) -> bool:
        """Apply one typed value; True when the document changed."""
        try:
            field = cast(Field, event.field)  # a field id of the detail pane (FIELD_IDS)
            edit = set_field(self.doc.text, event.path, field, event.typed)
        except EditError as error:
            if self.detail.row is not None and self.detail.row.path == event.path:
                self.detail.show_error(event.field, error.msg)
            return False
        changed = self.doc.apply(edit, group=(event.field, event.path))
        if changed:
            self.after_change(self.selected(), reload_detail=False)
        else:  # the value was accepted: a refusal shown under the field goes
            self._show_selection(reload_detail=False)
        if event.final:
            self.doc.history.seal()
        return changed

    def flush_fields(self) -> None:
        """Apply what was typed and not applied yet, now."""
        for event in self.detail.take_pending():
            self.apply_field(event)

    def action_undo(self) -> None:
        self.flush_fields()
        done = self.doc.history.undo()
        if done is None:
            self.notify("Nothing to undo.")
            return
        _, label, selection = done
        self.after_change(selection)
        self.notify(f"Undid: {label}")

    def action_redo(self) -> None:
        done = self.doc.history.redo()
        if done is None:
            self.notify("Nothing to redo.")
            return
        _, label, selection = done
        self.after_change(selection)
        self.notify(f"Redid: {label}")

    # -- misc ---------------------------------------------------------------------------

    def action_focus_table(self) -> None:
        self.flush_fields()
        self.table.focus()

    def action_help(self) -> None:
        self.app.push_screen(
            HelpScreen(
                HELP,
                [
                    ("Criteria table", CriteriaTable.BINDINGS),
                    ("Everywhere", EditorScreen.BINDINGS),
                    ("Fields", [("tab", "", "next field"), ("escape", "", "back to the table")]),
                ],
            )
        )
