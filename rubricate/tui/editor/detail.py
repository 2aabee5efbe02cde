"""The detail pane: the selected criterion's id, weight, text, levels and check.

What the expert types is applied to the document when they pause (after
:data:`APPLY_DELAY` s), press enter in a one-line field, or leave the field: the pane posts
:class:`FieldEdited` and the screen does the edit. Problems that concern a field are shown
right under it (lint's own words); a value that cannot be read (a weight that is not a
number) is shown there too and the document keeps its old value.

Groups have no levels and no check; their text is a title.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, Static, TextArea

from rubricate.rubrics.edit import CriterionRow, IndexPath
from rubricate.rubrics.problems import Problem
from rubricate.tui.common.theme import SEVERITY_MARK

APPLY_DELAY = 0.6
"""Seconds of no typing after which a field's value is applied."""

FIELD_IDS = ("id", "weight", "text", "levels", "check")


@dataclass
class FieldEdited(Message):
    """The expert changed ``field`` of the criterion at ``path`` to ``typed``.

    ``final`` is True when they left the field or pressed enter (ends an undo group)."""

    path: IndexPath
    field: str
    typed: str
    final: bool


class DetailPane(VerticalScroll):
    """Fields of the selected criterion, each with its problems under it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.row: CriterionRow | None = None
        self._group: str | None = None
        self._pending: dict[str, Timer] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-title")
        with Horizontal(classes="field-row"):
            yield Label("id", classes="field-label")
            yield Input(id="f-id", compact=True)
        yield Static("", id="p-id", classes="field-problems")
        with Horizontal(classes="field-row"):
            yield Label("weight", classes="field-label")
            yield Input(id="f-weight", compact=True)
            yield Static("", id="weight-hint")
        yield Static("", id="p-weight", classes="field-problems")
        yield Label("text", id="l-text", classes="field-label")
        yield TextArea(
            id="f-text", soft_wrap=True, compact=True, placeholder="What the judge decides"
        )
        yield Static("", id="p-text", classes="field-problems")
        yield Label("check · YAML; empty: judged only", id="l-check", classes="field-label")
        yield TextArea(
            id="f-check", soft_wrap=True, compact=True, placeholder='{numbers: ["$300,000"]}'
        )
        yield Static("", id="p-check", classes="field-problems")
        yield Label("levels · empty: met or not met", id="l-levels", classes="field-label")
        yield TextArea(
            id="f-levels",
            soft_wrap=True,
            compact=True,
            placeholder="0: absent\n1: partly\n2: fully",
        )
        yield Static("", id="p-levels", classes="field-problems")
        yield Static("", id="p-other", classes="field-problems")

    def on_mount(self) -> None:
        for area in self.query(TextArea):
            area.match_cursor_bracket = False

    def _widget(self, field: str) -> Input | TextArea:
        # compose() makes each #f-<field> an Input or a TextArea
        return cast("Input | TextArea", self.query_one(f"#f-{field}"))

    def _value(self, field: str) -> str:
        widget = self._widget(field)
        return widget.value if isinstance(widget, Input) else widget.text

    def show(self, row: CriterionRow | None, group: str | None = None) -> None:
        """Load ``row``'s values into the fields (None: nothing selected); pending changes
        are dropped, so take them first (:meth:`take_pending`)."""
        for timer in self._pending.values():
            timer.stop()
        self._pending.clear()
        self.row = row
        for field in FIELD_IDS:
            widget = self._widget(field)
            value = self._row_value(field)
            if isinstance(widget, Input):
                widget.value = value
                widget.cursor_position = 0
            else:
                widget.load_text(value)
            widget.disabled = row is None
        is_group = row is not None and row.kind == "group"
        for field in ("levels", "check"):
            self.query_one(f"#l-{field}").display = not is_group
            self._widget(field).display = not is_group
            self.query_one(f"#p-{field}").display = not is_group
        self.query_one("#l-text", Label).update("title" if is_group else "text")
        self._group = group
        self._show_title(row)
        self._show_weight_hint(row)

    def update_row(self, row: CriterionRow | None) -> None:
        """Take ``row`` as the selected criterion's new state without reloading the fields
        (the expert may be typing in one)."""
        self.row = row
        self._show_title(row)
        self._show_weight_hint(row)

    def _row_value(self, field: str) -> str:
        row = self.row
        if row is None:
            return ""
        values = {
            "id": row.id,
            "weight": row.weight_text,
            "text": row.text.strip("\n"),
            "levels": row.levels,
            "check": row.check,
        }
        return values[field]

    def _show_title(self, row: CriterionRow | None) -> None:
        title = self.query_one("#detail-title", Static)
        if row is None:
            title.update("No criterion selected. Press a to add one.")
            return
        where = "top level" if row.depth == 0 else f"in group {self._group or '?'}"
        text = Text(row.id or "?", style="bold")
        text.append(f" · {row.kind} · {where}")
        title.update(text)

    def _show_weight_hint(self, row: CriterionRow | None) -> None:
        hint = ""
        if row is not None and row.weight is not None:
            if row.weight < 0:
                hint = "penalty: subtracts when present"
            elif row.weight == 0:
                hint = "tracked: reported, not scored"
        self.query_one("#weight-hint", Static).update(hint)

    def show_problems(self, by_field: dict[str | None, list[Problem]]) -> None:
        """Show problems under their field (key None: about the criterion as a whole)."""
        for field in (*FIELD_IDS, None):
            target = self.query_one(f"#p-{field or 'other'}", Static)
            problems = by_field.get(field, [])
            target.update("\n".join(f"{SEVERITY_MARK[p.severity]} {p.message}" for p in problems))
            target.set_class(bool(problems), "-shown")
            target.set_class(any(p.severity == "error" for p in problems), "-error")
            target.set_class(
                bool(problems) and all(p.severity != "error" for p in problems), "-warning"
            )

    def show_error(self, field: str, message: str) -> None:
        """Show why a typed value was not applied, under its field."""
        target = self.query_one(f"#p-{field}", Static)
        target.update(f"✗ {message} (not applied)")
        target.set_class(True, "-shown", "-error")

    def focus_field(self, field: str | None) -> None:
        """Focus a field (the text, when ``field`` is None or not shown)."""
        widget = self._widget(field) if field in FIELD_IDS else self._widget("text")
        if not widget.display or widget.disabled:
            widget = self._widget("text")
        widget.focus()

    # -- applying what was typed ------------------------------------------------------

    def _schedule(self, field: str) -> None:
        if field in self._pending:
            self._pending.pop(field).stop()
        if self.row is None or self._value(field) == self._row_value(field):
            return
        self._pending[field] = self.set_timer(APPLY_DELAY, lambda: self._emit(field, False))

    def _emit(self, field: str, final: bool) -> None:
        timer = self._pending.pop(field, None)
        if timer is not None:
            timer.stop()
        if self.row is None:
            return
        self.post_message(FieldEdited(self.row.path, field, self._value(field), final))

    def take_pending(self) -> list[FieldEdited]:
        """The changes typed but not applied yet (their timers stopped), for the screen to
        apply right now (before a save, a structural edit, or a change of selection)."""
        pending = []
        for field in list(self._pending):
            self._pending.pop(field).stop()
            if self.row is not None:
                pending.append(FieldEdited(self.row.path, field, self._value(field), True))
        return pending

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _changed(self, event: Input.Changed | TextArea.Changed) -> None:
        event.stop()
        widget = event.input if isinstance(event, Input.Changed) else event.text_area
        self._schedule((widget.id or "").removeprefix("f-"))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._emit((event.input.id or "").removeprefix("f-"), True)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        widget: Widget = event.widget
        field = (widget.id or "").removeprefix("f-")
        if field in FIELD_IDS and field in self._pending:
            self._emit(field, True)
