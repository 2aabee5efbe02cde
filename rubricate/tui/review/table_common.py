"""What the review's tables share: a list whose first column takes the width the others
leave, the row key under the cursor, and a matrix row's criterion name."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import Column, ColumnKey

from rubricate.tui.review.data import Criterion

MIN_FILL = 10
"""Narrowest the filling column gets."""


def cursor_row_key(table: DataTable) -> str | None:
    """The key of the row under the cursor (None in an empty table)."""
    if not table.row_count:
        return None
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


class FillTable(DataTable):
    """A table whose :attr:`FILL` column takes the width the other columns leave."""

    FILL: ClassVar[str]
    """The key of the column that fills the width."""

    def on_resize(self) -> None:
        self._fit()

    def _content_width(self, key: ColumnKey | str, column: Column) -> int:
        """A column's content width measured from its cells (Textual updates its own only at
        the next refresh, after rows were just added); a fixed width as set."""
        if not column.auto_width and key != self.FILL:
            return column.width
        cells = (cell_len(getattr(c, "plain", str(c))) for c in self.get_column(key))
        return max(cell_len(column.label.plain), max(cells, default=0))

    def _others_width(self) -> int:
        """The other columns' width with their padding."""
        return sum(
            self._content_width(k, c) + 2 * self.cell_padding
            for k, c in self.columns.items()
            if k != self.FILL
        )

    def needed_width(self) -> int:
        """The width that shows every cell whole, the :attr:`FILL` column's included (with
        its padding and room for the scrollbar)."""
        if self.FILL not in self.columns:
            return 0
        column = self.columns[ColumnKey(self.FILL)]
        fill = max(MIN_FILL, self._content_width(self.FILL, column)) + 2 * self.cell_padding
        return self._others_width() + fill + self.styles.scrollbar_size_vertical

    def _fit(self) -> None:
        """Give the :attr:`FILL` column the width the other columns leave."""
        if self.FILL not in self.columns or not self.size.width:
            return
        scrollbar = self.styles.scrollbar_size_vertical  # room for it, shown or not
        others = self._others_width()
        width = max(MIN_FILL, self.size.width - scrollbar - others - 2 * self.cell_padding)
        column = self.columns[ColumnKey(self.FILL)]
        if column.auto_width or column.width != width:
            column.auto_width = False
            column.width = width
            self._require_update_dimensions = True  # Textual has no public way to resize
            self.refresh()


def criterion_name(criterion: Criterion, label: str) -> Text:
    """A matrix row's name: a gating check dim, the overall score bold, a penalty after −."""
    name = Text(label, no_wrap=True, overflow="ellipsis", end="")
    if criterion.kind == "gate":
        name.stylize("dim")
    if criterion.kind == "total":
        name.stylize("bold")
    if criterion.is_penalty:
        name = Text("−", no_wrap=True, end="") + name
    return name
