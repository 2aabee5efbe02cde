"""Saving, quitting and file conflicts, for the editor screen.

- ``ctrl+s`` saves (atomically, see :mod:`rubricate.rubrics.edit.savefile`). A file changed
  on disk since it was opened is never overwritten: a dialog offers *Reload* (take the file
  as it is now; the edits stay in the undo history, one ``ctrl+z`` brings them back), *Save
  as* (write this version to a new file and edit that one from now on) or *Cancel*.
- Quitting with unsaved changes asks: *Save and quit*, *Quit without saving*, *Cancel*.
- Saving a rubric that has errors is allowed (work in progress), with a warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rubricate.errors import InputError
from rubricate.rubrics.edit import FileChangedError
from rubricate.tui.common.dialogs import ChoiceScreen, PromptScreen

if TYPE_CHECKING:
    from textual.screen import Screen

    from rubricate.rubrics.edit import IndexPath
    from rubricate.tui.editor.document import EditorDocument, LintResult

    _Screen = Screen[None]  # for the type checker: the editor screen this is mixed into
else:
    _Screen = object


class FileActions(_Screen):
    """Save / quit / conflict actions; mixed into the editor screen."""

    doc: EditorDocument
    lint: LintResult | None

    if TYPE_CHECKING:  # the editor screen's own (rubricate.tui.editor.screen)

        def flush_fields(self) -> None: ...
        def update_title(self) -> None: ...
        def after_change(self, select: IndexPath | None, reload_detail: bool = True) -> None: ...

    def action_save(self, then_quit: bool = False) -> None:
        self.flush_fields()
        try:
            self.doc.save()
        except FileChangedError:
            self._conflict(then_quit)
            return
        except InputError as error:
            self.notify(error.msg, title="not saved", severity="error")
            return
        self._saved(then_quit)

    def _saved(self, then_quit: bool) -> None:
        errors = 0
        if self.lint is not None and self.lint.text == self.doc.text:
            errors = sum(1 for p in self.lint.problems if p.severity == "error")
        note = f" (with {errors} errors: `rubricate check` will fail)" if errors else ""
        self.notify(f"Saved {self.doc.path}{note}", severity="warning" if errors else "information")
        self.update_title()
        if then_quit:
            self.app.exit(return_code=0)

    def _conflict(self, then_quit: bool) -> None:
        def chosen(choice: str | None) -> None:
            if choice == "reload":
                self._reload()
            elif choice == "saveas":
                self._ask_save_as(then_quit)

        self.app.push_screen(
            ChoiceScreen(
                f"{self.doc.path.name} changed on disk since you opened it",
                "It was not saved, so nothing is overwritten. Reload takes the file as it is "
                "now (your edits stay in the undo history: ctrl+z brings them back). Save as "
                "writes your version to a new file.",
                [
                    ("reload", "Reload", "warning"),
                    ("saveas", "Save as…", "primary"),
                    ("cancel", "Cancel", "default"),
                ],
            ),
            chosen,
        )

    def _reload(self) -> None:
        try:
            self.doc.reload()
        except InputError as error:
            self.notify(error.msg, title="cannot reload", severity="error")
            return
        self.after_change(None)
        self.notify("Reloaded from disk; ctrl+z brings your edits back.")

    def _ask_save_as(self, then_quit: bool) -> None:
        path = self.doc.path
        suggestion = path.with_name(f"{path.stem}.edited{path.suffix}")

        def chosen(answer: str | None) -> None:
            if answer is None:
                return
            target = Path(answer).expanduser()
            try:
                self.doc.save_as(target)
            except FileChangedError:
                self.notify(f"{target} already exists; choose another name", severity="error")
                self._ask_save_as(then_quit)
                return
            except InputError as error:
                self.notify(error.msg, title="not saved", severity="error")
                return
            self._saved(then_quit)

        self.app.push_screen(
            PromptScreen(
                "Save as",
                str(suggestion),
                message="A new file; an existing file is never overwritten.",
            ),
            chosen,
        )

    def action_quit(self) -> None:
        self.flush_fields()
        if not self.doc.dirty:
            self.app.exit(return_code=0)
            return

        def chosen(choice: str | None) -> None:
            if choice == "save":
                self.action_save(then_quit=True)
            elif choice == "discard":
                self.app.exit(return_code=0)

        self.app.push_screen(
            ChoiceScreen(
                f"Save changes to {self.doc.path.name}?",
                "You have unsaved changes.",
                [
                    ("save", "Save and quit", "primary"),
                    ("discard", "Quit without saving", "error"),
                    ("cancel", "Cancel", "default"),
                ],
            ),
            chosen,
        )
