"""Modal dialogs: a choice between buttons, a one-line prompt. Both return via ``dismiss``."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.widgets.button import ButtonVariant


class ChoiceScreen(ModalScreen[str]):
    """A question with buttons; returns the id of the button pressed (``cancel`` on escape).

    Args:
        title: the question, one line.
        message: more detail (may be empty).
        choices: ``(id, label, variant)`` per button, the first one focused.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, message: str, choices: list[tuple[str, str, ButtonVariant]]
    ) -> None:
        super().__init__(classes="dialog")
        self._title = title
        self._message = message
        self._choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self._title, classes="dialog-title")
            if self._message:
                yield Static(self._message, classes="dialog-message")
            with Horizontal(classes="dialog-buttons"):
                for choice_id, label, variant in self._choices:
                    yield Button(label, id=f"choice-{choice_id}", variant=variant)

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def action_cancel(self) -> None:
        self.dismiss("cancel")


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text; returns it (stripped), or None on escape or when empty.

    Args:
        title: what to type.
        value: the initial text.
        placeholder: shown when empty.
        message: more detail under the title.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, value: str = "", placeholder: str = "", message: str = ""
    ) -> None:
        super().__init__(classes="dialog")
        self._title = title
        self._value = value
        self._placeholder = placeholder
        self._message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self._title, classes="dialog-title")
            if self._message:
                yield Static(self._message, classes="dialog-message")
            yield Input(self._value, placeholder=self._placeholder, id="prompt-input")
            yield Static("enter: OK · escape: cancel", classes="dialog-hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
