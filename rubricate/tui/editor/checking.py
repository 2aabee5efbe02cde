"""Lint and previews, for the editor screen (a mixin).

Lint runs :func:`~rubricate.tui.editor.document.lint_text` in a thread worker
:data:`LINT_DELAY` s after the last change; the compiled-grader and judge-prompt previews
compile in another worker when their tab is shown. Results carry the text they were computed
for and are dropped when the text has moved on. Handlers are named (``on_<message>``) rather
than decorated, as Textual collects ``@on`` handlers only from widget classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from textual import work
from textual.timer import Timer
from textual.widgets import TabbedContent
from textual.worker import get_current_worker

from rubricate.rubrics.edit import problem_target
from rubricate.rubrics.problems import Problem
from rubricate.tui.editor.document import grader_preview, lint_text, prompt_preview
from rubricate.tui.editor.panes import PreviewPane, ProblemChosen
from rubricate.tui.messages import LintFinished, PreviewReady

if TYPE_CHECKING:
    from textual.screen import Screen

    from rubricate.rubrics.edit import IndexPath
    from rubricate.tui.editor.detail import DetailPane
    from rubricate.tui.editor.document import EditorDocument, LintResult
    from rubricate.tui.editor.table import CriteriaTable

    _Screen = Screen[None]  # for the type checker: the editor screen this is mixed into
else:
    _Screen = object

LINT_DELAY = 0.25
"""Seconds after the last change before lint runs."""


class CheckingActions(_Screen):
    """Live lint, jumping to problems, and the previews; mixed into the editor screen."""

    doc: EditorDocument
    lint: LintResult | None
    target: Literal["multi", "score_model"]
    _lint_timer: Timer | None
    _problem_cursor: int

    if TYPE_CHECKING:  # the editor screen's own (rubricate.tui.editor.screen)

        @property
        def table(self) -> CriteriaTable: ...
        @property
        def detail(self) -> DetailPane: ...
        def selected(self) -> IndexPath | None: ...
        def _problems(self) -> list[Problem]: ...
        def _worst(self) -> dict[IndexPath, str]: ...
        def _show_selection(self, reload_detail: bool = True) -> None: ...
        def _show_problem_list(self) -> None: ...

    def schedule_lint(self, now: bool = False) -> None:
        """Lint the current text after :data:`LINT_DELAY` s without changes (or now)."""
        if self._lint_timer is not None:
            self._lint_timer.stop()
        self._show_problem_list()
        if now:
            self._run_lint(self.doc.text)
        else:
            text = self.doc.text
            self._lint_timer = self.set_timer(LINT_DELAY, lambda: self._run_lint(text))

    @work(exclusive=True, group="lint", thread=True)
    def _run_lint(self, text: str) -> None:
        result = lint_text(text, str(self.doc.path))
        if not get_current_worker().is_cancelled:
            self.post_message(LintFinished(result))

    def on_lint_finished(self, message: LintFinished) -> None:
        if message.result.text != self.doc.text:
            return  # stale: a newer text is being linted
        self.lint = message.result
        self.table.show_rows(self.doc.rows(), self._worst(), self.selected())
        self._show_selection(reload_detail=False)
        self._show_problem_list()

    def on_problem_chosen(self, message: ProblemChosen) -> None:
        self.jump_to(message.problem)

    def jump_to(self, problem: Problem) -> None:
        """Select the criterion a problem concerns and focus its field."""
        path, field = problem_target(problem)
        if path is None:
            where = f"line {problem.line}" if problem.line else "the file"
            self.notify(f"This problem is at {where}, outside the criteria: {problem.message}")
            return
        self.table.select_path(path)
        self._show_selection()
        self.query_one(TabbedContent).active = "tab-detail"
        self.detail.focus_field(field)

    def action_next_problem(self) -> None:
        problems = self._problems()
        if not problems:
            self.notify("No problems.")
            return
        self._problem_cursor = (self._problem_cursor + 1) % len(problems)
        self.jump_to(problems[self._problem_cursor])

    def action_next_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        order = ["tab-detail", "tab-grader", "tab-prompt"]
        tabs.active = order[(order.index(tabs.active) + 1) % len(order)]
        self.refresh_preview()

    def action_toggle_target(self) -> None:
        self.target = "score_model" if self.target == "multi" else "multi"
        self.query_one(TabbedContent).active = "tab-grader"
        self.refresh_preview()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_preview()

    def refresh_preview(self) -> None:
        """Fill the active preview tab (compiling in a worker)."""
        active = self.query_one(TabbedContent).active
        if active == "tab-detail":
            return
        kind = "grader" if active == "tab-grader" else "prompt"
        pane = self.query_one(f"#{kind}", PreviewPane)
        row = self.doc.row(self.selected())
        header = (
            f"grader · {self.target} · t: {'score_model' if self.target == 'multi' else 'multi'}"
            if kind == "grader"
            else f"judge prompt for {row.id if row else '—'}"
        )
        if self.lint is None or self.lint.text != self.doc.text:
            pane.show(header, "Checking the rubric…")
            return
        if self.lint.loaded is None:
            errors = sum(1 for p in self.lint.problems if p.severity == "error")
            pane.show(header, f"The rubric does not load ({errors} errors); fix them to see this.")
            return
        subject = self.target if kind == "grader" else (row.id if row else None)
        self._run_preview((kind, self.doc.text, subject), header)

    @work(exclusive=True, group="preview", thread=True)
    def _run_preview(self, key: tuple, header: str) -> None:
        kind, text, subject = key
        loaded = self.lint.loaded if self.lint is not None and self.lint.text == text else None
        if loaded is None:
            return
        content = (
            grader_preview(loaded, subject) if kind == "grader" else prompt_preview(loaded, subject)
        )
        if not get_current_worker().is_cancelled:
            self.post_message(PreviewReady((*key, header), content))

    def on_preview_ready(self, message: PreviewReady) -> None:
        kind, text, _subject, header = message.key
        if text != self.doc.text:
            return
        self.query_one(f"#{kind}", PreviewPane).show(header, message.content)
