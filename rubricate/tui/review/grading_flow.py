"""Expert grading and the agreement figures, for the review screen (a mixin).

``g`` asks for the expert's name once (a modal), then opens the grading screen on the
answers in the review's current order and filter, starting at the chosen one. Each grade
saved there calls :meth:`ExpertActions.grade_added`; once the expert pauses
(:data:`AGREEMENT_DELAY` s) the grades are re-read and the agreement figures recomputed in a
thread worker, and the figures reach the grading screen as well. Results carry the version of
the grades they were computed for; older ones are dropped. Handlers are named
(``on_<message>``): Textual collects ``@on`` handlers only from widget classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.timer import Timer
from textual.widgets import DataTable, Static, TabbedContent
from textual.worker import get_current_worker

from rubricate.calibration.run.directory import AnswerKey
from rubricate.tui.common.dialogs import PromptScreen
from rubricate.tui.messages import AgreementReady, ExpertsReloaded
from rubricate.tui.review.agreement import (
    AgreementFigures,
    agreement_lines,
    compute_agreement,
    criterion_rows,
    headline,
)
from rubricate.tui.review.data import ReviewData, with_experts
from rubricate.tui.review.grading import GradingScreen

if TYPE_CHECKING:
    from textual import getters

    from rubricate.tui.review.app import ReviewApp
    from rubricate.tui.review.run_screen import RunScreen
    from rubricate.tui.review.tables import AnswersTable

    _Screen = RunScreen  # for the type checker: the review screen this is mixed into
else:
    _Screen = object

AGREEMENT_DELAY = 0.5
"""Seconds after the last grade before the agreement figures are recomputed."""


class ExpertActions(_Screen):
    """Grading and agreement; mixed into the review screen."""

    data: ReviewData
    figures: AgreementFigures | None
    figures_version: int
    version: int
    _agreement_timer: Timer | None

    if TYPE_CHECKING:  # the review screen's own (rubricate.tui.review.screen), and its app
        app = getters.app(ReviewApp)

        @property
        def answers(self) -> AnswersTable: ...
        def visible_rows(self) -> list: ...
        def show_rows(self, select: AnswerKey | None = None) -> None: ...

    def refresh_agreement(self) -> None:
        """Recompute the agreement figures in a worker."""
        self.query_one("#status", Static).update(headline(None))
        self._compute_agreement(self.data, self.version)

    @work(exclusive=True, group="agreement", thread=True)
    def _compute_agreement(self, data: ReviewData, version: int) -> None:
        figures = compute_agreement(data)
        if not get_current_worker().is_cancelled:
            self.post_message(AgreementReady(figures, version))

    def on_agreement_ready(self, message: AgreementReady) -> None:
        message.stop()
        if message.version != self.version:
            return
        self.figures = message.figures
        self.figures_version = message.version
        line = headline(self.figures)
        self.query_one("#status", Static).update(line)
        self.query_one("#agreement-text", Static).update("\n".join(agreement_lines(self.figures)))
        table = self.query_one("#agreement-table", DataTable)
        table.clear()
        for row in criterion_rows(self.figures):
            table.add_row(*row)
        for screen in self.app.screen_stack:
            if isinstance(screen, GradingScreen):
                screen.show_agreement(line)

    def action_grade(self) -> None:
        if self.data.run.rubric is None:
            self.notify("The run's rubric is not available, so there is nothing to grade "
                        "against.", severity="error")  # fmt: skip
            return
        if self.app.expert is None:
            self.app.push_screen(
                PromptScreen(
                    "Your name, as it goes into experts.csv",
                    placeholder="e.g. r.lee",
                    message="You enter it once; every grade you give is saved under it.",
                ),
                self._named,
            )
            return
        self._start_grading(self.app.expert)

    def _named(self, name: str | None) -> None:
        if not name:
            return
        self.app.expert = name
        self._start_grading(name)

    def _start_grading(self, expert: str) -> None:
        rows = [r.key for r in self.visible_rows()]
        start = self.answers.selected()
        if start in rows:
            rows = rows[rows.index(start) :] + rows[: rows.index(start)]
        if not rows:
            self.notify("No answer to grade in this view.", severity="warning")
            return
        self.app.push_screen(
            GradingScreen(
                self.data,
                rows,
                expert,
                status=headline(self.figures),
            ),
            self._grading_done,
        )

    def grade_added(self) -> None:
        """An expert grade was appended: re-read the grades and recompute agreement once
        the expert pauses (:data:`AGREEMENT_DELAY` s), not after every key."""
        self.version += 1
        if self._agreement_timer is not None:
            self._agreement_timer.stop()
        version = self.version
        self._agreement_timer = self.set_timer(
            AGREEMENT_DELAY, lambda: self._reload_experts(version)
        )

    @work(exclusive=True, group="agreement", thread=True)
    def _reload_experts(self, version: int) -> None:
        data = with_experts(self.data)
        if get_current_worker().is_cancelled:
            return
        self.post_message(ExpertsReloaded(data))
        figures = compute_agreement(data)
        if not get_current_worker().is_cancelled:
            self.post_message(AgreementReady(figures, version))

    def on_experts_reloaded(self, message: ExpertsReloaded) -> None:
        message.stop()
        self.data = message.review
        self.show_rows()

    def _grading_done(self, last: AnswerKey | None) -> None:
        self.show_rows(select=last)
        self.query_one(TabbedContent).active = "tab-verdicts"
