"""The review's tables: answers (grouped by item in the set's order) and an answer's verdict
matrix (criteria x repeats, then the experts' grades). The first column of each takes the
width the others leave, so ids are cut last."""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual.widgets.data_table import RowDoesNotExist

from rubricate.calibration.run.directory import AnswerKey
from rubricate.tui.common.theme import muted, styled
from rubricate.tui.review.data import AnswerRow, ReviewData, fmt, spark
from rubricate.tui.review.matrix import MatrixRow, glyph
from rubricate.tui.review.table_common import FillTable, criterion_name, cursor_row_key

TIER_SHORT = {"great": "great", "fair": "fair", "poor": "poor", "adversarial": "adv"}
TIER_VARIABLE = {
    "great": "text-success",
    "fair": "text-warning",
    "poor": "text-error",
    "adversarial": "text-accent",
}
ITEM_PREFIX = "item:"


def answer_key_of(row_key: str) -> AnswerKey | None:
    """The answer of a table row key (None for an item header row)."""
    if row_key.startswith(ITEM_PREFIX):
        return None
    item, _, answer = row_key.partition("\x1f")
    return item, answer


def row_key_of(key: AnswerKey) -> str:
    return f"{key[0]}\x1f{key[1]}"


class AnswersTable(FillTable):
    """Answers with mean, SD, one spark per repeat and flags; group header rows per item."""

    FILL = "answer"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", **kwargs)

    def on_mount(self) -> None:
        self.add_column("answer", key="answer")
        self.add_column("tier", key="tier")
        self.add_column("mean", key="mean")
        self.add_column("sd", key="sd")
        self.add_column("reps", key="spark")
        self.add_column("!", key="flags")

    def _flags(self, row: AnswerRow) -> Text:
        text = Text(no_wrap=True, end="")
        if row.unstable:
            text.append_text(styled(self.app, "~", "text-warning", bold=True))
        if row.beats_fair:
            text.append_text(styled(self.app, "!", "text-error", bold=True))
        if row.disagrees:
            text.append_text(styled(self.app, "≠", "text-accent", bold=True))
        return text

    def show(
        self, data: ReviewData, rows: list[AnswerRow], grouped: bool, select: AnswerKey | None
    ) -> None:
        """Show ``rows``; ``grouped`` adds an item header row before each item's answers."""
        self.clear()
        current_item = None
        for row in rows:
            if grouped and row.key[0] != current_item:
                current_item = row.key[0]
                header = Text(current_item, style="bold", no_wrap=True, overflow="ellipsis")
                self.add_row(header, "", "", "", "", "", key=ITEM_PREFIX + current_item)
            label = f"  {row.key[1]}" if grouped else f"{row.key[0]} · {row.key[1]}"
            tier = styled(self.app, TIER_SHORT.get(row.tier, row.tier), TIER_VARIABLE.get(row.tier))
            sd = fmt(row.sd) if not math.isnan(row.sd) else "—"
            self.add_row(
                Text(label, no_wrap=True, overflow="ellipsis", end=""),
                tier,
                fmt(row.mean),
                muted(self.app, sd),
                Text(spark(row.scores, data.low, data.high), no_wrap=True, end=""),
                self._flags(row),
                key=row_key_of(row.key),
            )
        self.select(select)
        self._fit()

    def select(self, key: AnswerKey | None) -> None:
        """Put the cursor on ``key``'s row (else on the first answer)."""
        if not self.row_count:
            return
        index = None
        if key is not None:
            try:
                index = self.get_row_index(row_key_of(key))
            except RowDoesNotExist:
                index = None
        if index is None:
            index = 1 if self.row_count > 1 and self.selected() is None else 0
            index = min(index, self.row_count - 1)
        self.move_cursor(row=index, animate=False)

    def selected(self) -> AnswerKey | None:
        """The answer under the cursor (None on an item header)."""
        if not self.row_count:
            return None
        return answer_key_of(cursor_row_key(self) or "")

    def row_key_at_cursor(self) -> str:
        return cursor_row_key(self) or ""


class VerdictMatrix(FillTable):
    """Criteria down; the repeats side by side (one character each), the grader's mean over
    them, then each expert's grade (E1, E2 … as numbered for the whole run) and the experts'
    mean. The criterion column takes the width the others leave."""

    FILL = "criterion"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", **kwargs)

    def show(
        self,
        repeats: list[int],
        experts: list[str],
        rows: list[MatrixRow],
        scale: tuple[float, float] = (0.0, 1.0),
    ) -> None:
        """Replace the columns and rows (keeps the cursor's row index); ``experts`` are the
        column labels (``E1`` …), ``scale`` the overall score's range."""
        cursor = self.cursor_row
        self.clear(columns=True)
        self.add_column(" ", key="mark", width=1)
        self.add_column("criterion (− penalty)", key="criterion")
        reps = f"r{repeats[0]}–{repeats[-1]}" if len(repeats) > 1 else "rep"
        self.add_column(reps, key="repeats")
        self.add_column("mean", key="mean")
        for index, label in enumerate(experts):
            self.add_column(label, key=f"e{index}")
        if experts:
            self.add_column("experts", key="experts")
        for row in rows:
            criterion = row.criterion
            if criterion.kind == "total":
                label = "checks-only score" if criterion.id == "__checks__" else "overall score"
            elif criterion.kind == "gate":
                label = "  └ its check"
            else:
                label = criterion.id
            name = criterion_name(criterion, label)
            mark = styled(self.app, "≠", "text-accent", bold=True) if row.disagrees else Text("")
            low, high = scale if criterion.kind == "total" else (0.0, 1.0)
            cells = Text(no_wrap=True, end="")
            for value in row.cells:
                cells.append_text(self._cell(glyph(criterion, value, low, high)))
            expert_cells = [self._cell(c) for c in row.expert_cells]
            level = criterion.max_level if criterion.levels else 1
            mean = fmt(row.judge_mean * level) if row.judge_mean is not None else "—"
            tail = []
            if experts:
                tail = [fmt(row.expert_mean * level) if row.expert_mean is not None else "—"]
            self.add_row(mark, name, cells, mean, *expert_cells, *tail, key=criterion.id)
        if self.row_count:
            self.move_cursor(row=min(cursor, self.row_count - 1), animate=False)
        self._fit()

    def _cell(self, value: str) -> Text:
        if value == "✓":
            return styled(self.app, value, "text-success")
        if value == "✗":
            return styled(self.app, value, "text-error")
        if value in ("?", "–"):
            return styled(self.app, value, "text-warning")
        return Text(value, no_wrap=True, end="")

    def selected_criterion(self) -> str | None:
        return cursor_row_key(self)
