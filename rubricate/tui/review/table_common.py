"""What the review's tables share: a list whose first column takes the width the others
leave, the row key under the cursor, and a matrix row's criterion name."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.widgets import DataTable

from rubricate.tui.review.data import Criterion


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

    def _fit(self) -> None:
        """Give the :attr:`FILL` column the width the other columns leave."""
        if self.FILL not in self.columns or not self.size.width:
            return
        others = sum(c.get_render_width(self) for k, c in self.columns.items() if k != self.FILL)
        scrollbar = self.styles.scrollbar_size_vertical  # room for it, shown or not
        width = max(10, self.size.width - scrollbar - others - 2 * self.cell_padding)
        column = self.columns[self.FILL]  # type: ignore[index]
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
