"""The baseline review's tables: items (headroom, mean, max, min, SD, one bar per sample, the
unscored count; with several models an item header row then one row per model) and one item's
samples side by side (criteria x samples, then each model's mean)."""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from rubricate.tui.common.theme import muted, styled
from rubricate.tui.review.baseline_data import BaselineData, ItemRow, ModelStats
from rubricate.tui.review.baseline_matrix import (
    ERROR_CELL,
    SampleColumn,
    SampleRow,
    criterion_label,
)
from rubricate.tui.review.data import fmt, spark
from rubricate.tui.review.table_common import FillTable, criterion_name, cursor_row_key

ITEM_PREFIX = "item:"
CRITERION_WIDTH = 18
"""At most this wide, the criterion column of the samples (longer ids end in an ellipsis),
so that the samples are in sight beside the items list."""
UNSCORED_MARK = "×"
"""An unscored sample's bar."""
SEP = "\x1f"


def row_key_of(item_id: str, model: str | None) -> str:
    """The key of an item's row (``model`` None: its header row, with several models)."""
    return ITEM_PREFIX + item_id if model is None else f"{item_id}{SEP}{model}"


def parse_row_key(key: str) -> tuple[str, str | None]:
    """``(item_id, model)`` of a row key (model None on an item header row)."""
    if key.startswith(ITEM_PREFIX):
        return key.removeprefix(ITEM_PREFIX), None
    item, _, model = key.partition(SEP)
    return item, model


class ItemsTable(FillTable):
    """Items with each model's headroom, mean, max, min, SD, bars and unscored count."""

    FILL = "item"

    NUMBERS = ("room", "mean", "max", "min", "sd")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", **kwargs)

    def on_mount(self) -> None:
        self.add_column("item", key="item")
        for name in self.NUMBERS:
            self.add_column(name, key=name)
        self.add_column("samples", key="spark")
        self.add_column("err", key="err")

    def _err(self, count: int) -> Text:
        if not count:
            return Text("")
        return styled(self.app, str(count), "text-error", bold=True)

    def _cells(self, data: BaselineData, stats: ModelStats) -> list[Text | str]:
        sd = fmt(stats.sd) if not math.isnan(stats.sd) else "—"
        bars = Text(no_wrap=True, end="")
        for char, error in zip(spark(stats.scores, data.low, data.high), stats.errors, strict=True):
            if error is not None:  # an unscored sample: an error mark, never a low bar
                bars.append_text(styled(self.app, UNSCORED_MARK, "text-error", bold=True))
            else:
                bars.append(char)
        return [
            fmt(stats.headroom),
            fmt(stats.mean),
            fmt(stats.max),
            fmt(stats.min),
            muted(self.app, sd),
            bars,
            self._err(stats.unscored),
        ]

    def show(self, data: BaselineData, rows: list[ItemRow], select: str | None) -> None:
        """Show ``rows``; with several models each item gets a header row (its headroom, the
        mean over models) before one row per model."""
        self.clear()
        several = len(data.models) > 1
        for row in rows:
            if not several:
                label = Text(row.item_id, no_wrap=True, overflow="ellipsis", end="")
                stats = row.models[0]
                self.add_row(label, *self._cells(data, stats), key=row_key_of(row.item_id, ""))
                continue
            header = Text(row.item_id, style="bold", no_wrap=True, overflow="ellipsis", end="")
            room = Text(fmt(row.headroom), style="bold", no_wrap=True, end="")
            blank = [""] * (len(self.NUMBERS) - 1)
            self.add_row(header, room, *blank, "", self._err(row.unscored),
                         key=row_key_of(row.item_id, None))  # fmt: skip
            for stats in row.models:
                label = Text(
                    f"  {data.letter(stats.model)} {stats.model}",
                    no_wrap=True,
                    overflow="ellipsis",
                    end="",
                )
                self.add_row(
                    label,
                    *self._cells(data, stats),
                    key=row_key_of(row.item_id, stats.model),
                )
        self.select(select)
        self._fit()

    def select(self, key: str | None) -> None:
        """Put the cursor on the row with ``key`` (else on the first row)."""
        if not self.row_count:
            return
        index = 0
        if key is not None:
            try:
                index = self.get_row_index(key)
            except RowDoesNotExist:
                index = 0
        self.move_cursor(row=index, animate=False)

    def current(self) -> tuple[str, str | None] | None:
        """``(item_id, model)`` under the cursor (model None on a header, "" with one model)."""
        if not self.row_count:
            return None
        return parse_row_key(cursor_row_key(self) or "")

    def current_key(self) -> str | None:
        return cursor_row_key(self)


class SampleMatrix(DataTable):
    """One item's samples side by side; the cell cursor picks a sample and a criterion."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="cell", **kwargs)
        self.sample_columns: list[SampleColumn] = []

    def show(self, data: BaselineData, columns: list[SampleColumn], rows: list[SampleRow]) -> None:
        """Replace the columns and rows (keeps the cursor where it was)."""
        cursor = self.cursor_coordinate
        self.clear(columns=True)
        self.sample_columns = columns
        longest = max((len(criterion_label(r.criterion)) + 1 for r in rows), default=9)
        self.add_column("criterion", key="criterion", width=min(max(9, longest), CRITERION_WIDTH))
        for column in columns:
            self.add_column(column.label, key=column.key)
        for model in data.models:
            letter = data.letter(model)
            self.add_column(f"{letter} mean" if letter else "mean", key=f"mean:{model}")
        for row in rows:
            criterion = row.criterion
            name = criterion_name(criterion, criterion_label(criterion))
            scale = criterion.max_level if criterion.levels else 1
            means = [fmt(m * scale) if m is not None else "—" for m in row.means]
            cells = [self._cell(c) for c in row.cells]
            self.add_row(name, *cells, *means, key=criterion.id)
        if self.row_count:
            self.move_cursor(
                row=min(cursor.row, self.row_count - 1),
                column=min(max(cursor.column, 1), len(self.columns) - 1),
                animate=False,
            )

    def _cell(self, value: str) -> Text:
        if value == "✓":
            return styled(self.app, value, "text-success")
        if value == "✗":
            return styled(self.app, value, "text-error")
        if value == ERROR_CELL:
            return styled(self.app, value, "text-error", bold=True)
        if value == "–":
            return styled(self.app, value, "text-warning")
        return Text(value, no_wrap=True, end="")

    def show_sample(self, answer_id: str) -> None:
        """Move the cursor to a sample's column (same criterion)."""
        for index, column in enumerate(self.sample_columns, start=1):
            if column.answer_id == answer_id and self.row_count:
                self.move_cursor(column=index, animate=False)
                return

    def cursor_sample(self) -> SampleColumn | None:
        """The sample of the cursor's column (None on the criterion or a mean column)."""
        index = self.cursor_column - 1
        if 0 <= index < len(self.sample_columns):
            return self.sample_columns[index]
        return None

    def selected_criterion(self) -> str | None:
        return cursor_row_key(self)
