"""The criteria table: one row per criterion, children indented under their group.

Columns: a problem mark (✗ error, ! warning), the id, the weight (penalties in the error
colour, tracked weight-0 criteria muted), the kind (judged / check / both / group) and the
first line of the text. Ids are shown whole first (up to :data:`ID_WIDTH`); the text gets
what is left, or nothing on a narrow terminal. The keys that change the rubric's structure
live here, so the footer shows them while the table has focus (and typing in a field never
triggers them).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowDoesNotExist

from rubricate.rubrics.edit import CriterionRow, IndexPath
from rubricate.tui.common.theme import SEVERITY_MARK, SEVERITY_VARIABLE, muted, styled

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
ID_WIDTH = 32
"""Widest the id column gets (longer ids end in an ellipsis)."""
MIN_TEXT = 8
"""Narrowest text column worth showing: with less room the ids take it and the text column
is left empty (the detail pane shows the text whole)."""


def path_key(path: IndexPath) -> str:
    """A row key for a criterion path: ``(2, 0)`` -> ``"2.0"``."""
    return ".".join(str(i) for i in path)


class CriteriaTable(DataTable):
    """The rubric's criteria. Its actions run on the editor screen."""

    BINDINGS = [
        Binding("question_mark", "screen.help", "Help"),
        Binding("a", "screen.add('judged')", "Add"),
        Binding("g", "screen.add('group')", "Add group", show=False),
        Binding("c", "screen.add('check')", "Add check", show=False),
        Binding("d", "screen.duplicate", "Duplicate", show=False),
        Binding("x,delete", "screen.delete", "Del", key_display="x"),
        Binding("shift+up,K", "screen.move(-1)", "Move", key_display="⇧↑↓"),
        Binding("shift+down,J", "screen.move(1)", "Move down", show=False),
        Binding("greater_than_sign", "screen.indent", "In/out", key_display="> <"),
        Binding("less_than_sign", "screen.outdent", "Outdent", show=False),
        Binding("n", "screen.normalise", "Normalise"),
        Binding("p", "screen.next_tab", "Preview"),
        Binding("t", "screen.toggle_target", "Target", show=False),
        Binding("e", "screen.next_problem", "Next problem", show=False),
        Binding("q", "screen.quit", "Quit"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._rows_shown: list[CriterionRow] = []

    def on_mount(self) -> None:
        self.add_column(" ", key="mark", width=1)
        self.add_column("id", key="id")
        self.add_column("weight", key="weight")
        self.add_column("kind", key="kind")
        self.add_column("text", key="text")

    def _weight_cell(self, row: CriterionRow) -> Text:
        if row.weight is None:
            return styled(self.app, row.weight_text or "—", "text-error")
        if row.weight < 0:
            return styled(self.app, row.weight_text, "text-error")
        if row.weight == 0:
            return muted(self.app, f"{row.weight_text} tracked")
        return Text(row.weight_text, no_wrap=True, end="")

    def show_rows(
        self,
        rows: list[CriterionRow],
        worst: dict[IndexPath, str],
        select: IndexPath | None,
    ) -> None:
        """Replace the rows; ``worst`` maps a path to its worst problem severity."""
        self.clear()
        self._rows_shown = list(rows)
        for row in rows:
            severity = worst.get(row.path)
            mark = (
                styled(self.app, SEVERITY_MARK[severity], SEVERITY_VARIABLE[severity], bold=True)
                if severity
                else Text("")
            )
            indent = "  " * row.depth + ("└ " if row.depth else "")
            ident = Text(indent + (row.id or "?"), no_wrap=True, overflow="ellipsis", end="")
            if row.kind == "group":
                ident.stylize("bold")
            if row.text.strip():
                text = Text(row.text.strip().splitlines()[0], no_wrap=True, end="")
            else:
                text = muted(self.app, row.check.replace("\n", " "))
            text.overflow = "ellipsis"
            kind = (
                muted(self.app, row.kind)
                if row.kind != "?"
                else styled(self.app, "?", "text-error")
            )
            self.add_row(
                mark,
                ident,
                self._weight_cell(row),
                kind,
                text,
                key=path_key(row.path),
            )
        self.select_path(select)
        self._fit_text_column()

    def on_resize(self) -> None:
        self._fit_text_column()

    def _fit_text_column(self) -> None:
        """Give the text column what is left of the width, so the table never scrolls
        sideways (long texts end in an ellipsis; the detail pane shows them whole)."""
        if "text" not in self.columns or not self.size.width:
            return
        pad = 2 * self.cell_padding
        available = self.scrollable_content_region.width
        fixed = sum(
            c.get_render_width(self)
            for k, c in self.columns.items()
            if k in ("mark", "weight", "kind")
        )
        ids = max(
            (len(r.id) + 2 * r.depth + 2 * bool(r.depth) for r in self._rows_shown), default=4
        )
        id_width = max(10, min(ids, ID_WIDTH, available - fixed - pad))
        text_width = available - fixed - pad - id_width - pad
        if text_width < MIN_TEXT:  # ids first; a text of a few letters says nothing
            text_width = 0
        changed = False
        for key, width in (("id", id_width), ("text", text_width)):
            column = self.columns[ColumnKey(key)]
            if column.auto_width or column.width != width:
                column.auto_width = False
                column.width = width
                changed = True
        if changed:
            self._require_update_dimensions = True  # Textual has no public way to resize
            self.refresh()

    def select_path(self, path: IndexPath | None) -> None:
        """Put the cursor on ``path`` (the first row when it is absent)."""
        if not self.row_count:
            return
        index = 0
        if path is not None:
            try:
                index = self.get_row_index(path_key(path))
            except RowDoesNotExist:  # a vanished row: stay where the cursor was
                index = min(self.cursor_row, self.row_count - 1)
        self.move_cursor(row=index, animate=False)

    def selected_path(self) -> IndexPath | None:
        """The path of the row under the cursor (None for an empty table)."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value or ""
        return tuple(int(p) for p in key.split(".")) if key else None
