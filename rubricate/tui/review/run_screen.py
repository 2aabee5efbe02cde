"""What the two review screens share (:class:`~rubricate.tui.review.screen.ReviewScreen` for
a calibration run, :class:`~rubricate.tui.review.baseline_screen.BaselineScreen` for a
baseline run): the title, the summary above the list, the sort and filter keys, a tab shown
full width and back to the list, the prompts toggle, help and quit.

A screen names its orders and filters (:attr:`RunScreen.ORDERS`, :attr:`RunScreen.FILTERS`
and their names), the widget each tab focuses (:attr:`RunScreen.TAB_FOCUS`), its list
(:attr:`RunScreen.list_table`) and its help text.

The list's ids are always shown whole. When the terminal is narrower than :data:`NARROW`, or
the list needs so much of it for its ids that the tabs would get less than :data:`TABS_MIN`
columns, the list and the tabs take turns: the list takes the whole width, ``enter`` or a
tab's key shows that tab full width, ``escape`` comes back. Otherwise the list takes the
width its ids need and the tabs sit beside it; a tab's key still shows it full width.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static, TabbedContent

from rubricate.tui.common.help import HelpScreen, KeySection
from rubricate.tui.review.reasoning import subgrader_criteria

T = TypeVar("T")

NARROW = 96
"""Below this many columns the list and the tabs are shown one at a time."""
TABS_MIN = 40
"""Narrowest the tabs get beside the list; when the list's ids need more of the width, the
list and the tabs take turns instead."""

HELP_KEY = Binding("question_mark,f1", "help", "Help")
SORT_KEYS = [Binding("s", "cycle_order", "Sort"), Binding("f", "cycle_filter", "Filter")]
STEP_KEYS = [
    Binding("right_square_bracket,pagedown", "step(1)", "Next", key_display="]"),
    Binding("left_square_bracket,pageup", "step(-1)", "Previous", show=False),
]
PROMPTS_KEY = Binding("m", "toggle_prompt", "Prompts", show=False)
BACK_KEYS = [Binding("escape", "focus_list", "Back"), Binding("q", "quit", "Quit")]
"""The keys of the shared actions, for the screens' ``BINDINGS`` (each in its own order)."""


def next_in(values: Sequence[T], current: T) -> T:
    """The value after ``current`` in ``values`` (the first after the last)."""
    return values[(values.index(current) + 1) % len(values)]


class RunScreen(Screen[None]):
    """The list of a run on the left, tabs on the right; see the module docstring."""

    ORDERS: ClassVar[Sequence[str]]
    ORDER_NAMES: ClassVar[dict[str, str]]
    FILTERS: ClassVar[Sequence[str]]
    FILTER_NAMES: ClassVar[dict[str, str]]
    TAB_FOCUS: ClassVar[dict[str, str]]
    """Tab id -> the selector of the widget it focuses when shown full width."""
    HELP_TEXT: ClassVar[str]
    """The help screen's introduction (Markdown)."""
    LIST_ACTIONS: ClassVar[tuple[str, ...]] = ("focus_list", "step")
    """Actions for when the list is hidden or not focused."""

    order: Any
    which: Any

    def __init__(self, data: Any, *, back: bool = False) -> None:
        super().__init__()
        self.data = data
        self.back = back
        """Opened from another screen (a comparison): ``escape`` on the list goes back."""
        self.show_prompts = False
        self.full_tab = False
        """A tab is shown full width (the list is hidden)."""
        self.narrow = False
        """The terminal is narrower than :data:`NARROW`: the list and the tabs take turns."""
        self._names = subgrader_criteria(data.run.rubric)

    # -- what a screen says ------------------------------------------------------------

    @property
    def list_table(self) -> DataTable:
        """The list on the left."""
        raise NotImplementedError

    def show_rows(self) -> None:
        """Fill the list in the current order and filter."""
        raise NotImplementedError

    def show_prompted(self) -> None:
        """Show again what the prompts toggle changes."""
        raise NotImplementedError

    def filter_applies(self, which: str) -> bool:
        """Whether ``f`` may stop at the filter ``which``."""
        return True

    def help_sections(self) -> list[KeySection]:
        raise NotImplementedError

    # -- layout ---------------------------------------------------------------------------

    def list_hidden(self) -> bool:
        """Whether a tab is shown full width (the list is hidden)."""
        return self.full_tab

    def show_list(self, shown: bool) -> None:
        """Show the list (beside the tabs, or alone when narrow), or a tab full width."""
        self.full_tab = not shown
        self.lay_out()

    def on_resize(self, event: events.Resize) -> None:
        self.lay_out(event.size.width)

    def lay_out(self, width: int | None = None) -> None:
        """Show the list and the tabs as the width allows (see the module docstring); call
        again when the list's rows change (their ids decide what it needs)."""
        width = self.size.width if width is None else width
        table = self.list_table
        needed = table.needed_width() if hasattr(table, "needed_width") else 0
        self.narrow = 0 < width < max(NARROW, needed + TABS_MIN)
        table.styles.width = "1fr" if self.narrow else needed
        table.display = not self.full_tab
        self.query_one("#tabs").display = self.full_tab or not self.narrow

    # -- shared ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_list" and self.back:
            return True
        if action in self.LIST_ACTIONS:
            return self.list_hidden() or self.focused is not self.list_table
        return True

    def show_title(self) -> None:
        self.title = "rubricate review"
        self.sub_title = str(self.data.run.path)

    def show_summary(self, summary: str, shown: int, legend: str, notes: str) -> None:
        """The run's summary line, then the order, the filter, how many rows it shows, the
        ``legend`` and the ``notes``."""
        self.query_one("#summary", Static).update(
            f"{summary}\n"
            f"{self.ORDER_NAMES[self.order]} · {self.FILTER_NAMES[self.which]}: "
            f"{shown} of {len(self.data.rows)} · {legend}" + (f" · {notes}" if notes else "")
        )

    def prompts_note(self) -> str:
        return f"{'m hides' if self.show_prompts else 'm shows'} the prompts"

    def action_toggle_prompt(self) -> None:
        self.show_prompts = not self.show_prompts
        self.show_prompted()

    def action_cycle_order(self) -> None:
        self.order = next_in(self.ORDERS, self.order)
        self.show_rows()
        self.notify(f"Sorted: {self.ORDER_NAMES[self.order]}")

    def action_cycle_filter(self) -> None:
        self.which = next_in(self.FILTERS, self.which)
        if not self.filter_applies(self.which):
            self.which = next_in(self.FILTERS, self.which)
        self.show_rows()
        self.notify(f"Showing: {self.FILTER_NAMES[self.which]}")

    def action_show_tab(self, tab: str) -> None:
        """Show one tab full width (the list hides; escape brings it back)."""
        self.query_one(TabbedContent).active = tab
        self.show_list(False)
        self.query_one(self.TAB_FOCUS[tab]).focus()
        self.refresh_bindings()

    def action_focus_list(self) -> None:
        if self.back and not self.list_hidden() and self.focused is self.list_table:
            self.dismiss()  # back to the screen that opened this run
            return
        self.show_list(True)
        self.list_table.focus()
        self.refresh_bindings()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.HELP_TEXT, self.help_sections()))

    def action_quit(self) -> None:
        self.app.exit(return_code=0)
