"""The help screen (``?`` / F1): what the app is for, then every key, generated from the
bindings so it never drifts from what the keys do.

Each screen passes its own introduction and key sections: the editor, the run review (with an
Invariance section for a run of an invariance probe, and how to go back for an arm opened from
a comparison), the baseline review and the comparison."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

KeySection = tuple[str, Iterable[BindingType]]
"""A titled group of bindings (or ``(key, action[, description])`` tuples, as in BINDINGS)."""


def _key_name(key: str) -> str:
    names = {
        "greater_than_sign": ">",
        "less_than_sign": "<",
        "question_mark": "?",
        "full_stop": ".",
        "space": "space",
        "up": "↑",
        "down": "↓",
        "left": "←",
        "right": "→",
    }
    parts = []
    for one in key.split(","):
        one = one.strip()
        parts.append(names.get(one, one))
    return " / ".join(parts)


def keys_markdown(sections: Iterable[KeySection]) -> str:
    """A Markdown table of keys per section (bindings without a description are left out)."""
    out = []
    for title, bindings in sections:
        rows = []
        for binding in bindings:
            if isinstance(binding, Binding):
                key, description = binding.key, binding.description
            else:  # (key, action) has no description
                key, description = binding[0], binding[2] if len(binding) > 2 else ""
            if description:
                rows.append(f"| `{_key_name(key)}` | {description} |")
        if rows:
            out.append(f"### {title}\n\n| key | does |\n|---|---|\n" + "\n".join(rows))
    return "\n\n".join(out)


class HelpScreen(ModalScreen[None]):
    """Help text and keys; any of escape, q, ? or F1 closes it."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def __init__(self, intro: str, sections: Iterable[KeySection]) -> None:
        super().__init__(classes="dialog help")
        self._markdown = intro.strip() + "\n\n" + keys_markdown(sections)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box help-box"):
            yield Markdown(self._markdown)

    def action_close(self) -> None:
        self.dismiss(None)
