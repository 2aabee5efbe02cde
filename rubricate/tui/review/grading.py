"""# Expert grading: criterion by criterion, single keys, every grade saved at once.

The expert sees the answer and one criterion at a time, and answers with one key: ``y`` /
``n`` (or ``1`` / ``0``) for met / not met (for a penalty: the answer does / does not do the
undesirable thing), the level ``0``-``9`` for a levelled criterion; ``s`` skips, ``b`` goes
back (a new grade for a criterion replaces the old one: the file is append-only and the last
row wins). Each grade is appended to the run's ``experts.csv`` and fsynced *before* the next
criterion shows, so a grade that was accepted is never lost; a grade that could not be saved
says so and stays on the same criterion.

Grading is blind: the answer's tier and id, the judge's verdicts and the other experts'
grades are not shown here. After the last criterion of an answer the next answer of the queue
comes up (the review's current order and filter, starting at the chosen answer); ``pagedown``
/ ``pageup`` move between answers, escape ends the session. The screen returns the last
answer graded.
"""

from __future__ import annotations

from typing import cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TextArea

from rubricate.calibration.run.directory import AnswerKey, append_expert_grade
from rubricate.errors import GraderError, InputError
from rubricate.tui.common.viewer import viewer
from rubricate.tui.review.data import Criterion, ReviewData, answer_text


def _digit_bindings() -> list[Binding]:
    """``0``-``9``: a level, or 1 / 0 for met / not met (listed on the card, not the footer)."""
    return [Binding(str(d), f"digit({d})", f"grade {d}", show=False) for d in range(10)]


class GradingScreen(Screen[AnswerKey | None]):
    """Grade answers criterion by criterion (see the module docstring)."""

    BINDINGS = [
        Binding("y", "grade(1)", "Met"),
        Binding("n", "grade(0)", "Not met"),
        *_digit_bindings(),
        Binding("s,right", "skip", "Skip"),
        Binding("b,left,backspace", "back", "Back"),
        Binding("pagedown", "next_answer", "Next answer", show=False),
        Binding("pageup", "previous_answer", "Previous answer", show=False),
        Binding("escape,q", "done", "Done"),
        Binding("question_mark,f1", "help", "Help"),
    ]

    def __init__(
        self, data: ReviewData, queue: list[AnswerKey], expert: str, status: str = ""
    ) -> None:
        super().__init__()
        self._status = status
        self.data = data
        self.queue = queue
        self.expert = expert
        self.criteria: list[Criterion] = data.criteria
        self.answer_index = 0
        self.criterion_index = 0
        self.given: dict[tuple[AnswerKey, str], float] = {}
        self.saved = 0
        try:
            rows = data.run.expert_rows()  # on the expert's own scale (1/0, levels)
        except InputError:
            rows = []  # the review already says why the file cannot be read
        for row in rows:
            if row["expert"] == expert:
                self.given[((row["item_id"], row["answer_id"]), row["criterion"])] = row["score"]
        self._last: AnswerKey | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="grading-where")
        with Horizontal(id="grading-main"):
            yield viewer(id="grading-answer")
            with Vertical(id="card"):
                yield Static("", id="card-progress")
                with VerticalScroll(id="card-body"):
                    yield Static("", id="card-title")
                    yield Static("", id="card-text")
                yield Static("", id="card-keys")
                yield Static("", id="card-given")
        yield Static("", id="grading-status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.title = "rubricate review"
        self.sub_title = f"grading as {self.expert} · grades go to {self.data.run.experts_path}"
        self.query_one("#grading-status", Static).update(self._status)
        self._open_answer(0)

    # -- where we are -------------------------------------------------------------------

    @property
    def key(self) -> AnswerKey:
        return self.queue[self.answer_index]

    @property
    def criterion(self) -> Criterion:
        return self.criteria[self.criterion_index]

    def _open_answer(self, index: int) -> None:
        self.answer_index = index
        graded = [c for c in self.criteria if (self.key, c.id) in self.given]
        first = next(
            (i for i, c in enumerate(self.criteria) if (self.key, c.id) not in self.given), 0
        )
        self.criterion_index = first if len(graded) < len(self.criteria) else 0
        area = self.query_one("#grading-answer", TextArea)
        area.load_text(answer_text(self.data, self.key) or "(the answer's text is not available)")
        area.scroll_home(animate=False)
        self.query_one("#grading-where", Static).update(
            Text(
                f"answer {index + 1} of {len(self.queue)} · item {self.key[0]} · blind: its "
                "tier, scores and the other experts' grades are hidden"
            )
        )
        self._show_criterion()

    def _describe_check(self, criterion: Criterion) -> str:
        rubric = self.data.run.rubric
        node = next((c for c in rubric.leaves() if c.id == criterion.id), None) if rubric else None
        if node is None or node.check is None:
            return ""
        from rubricate.rubrics.compile.describe import describe_check

        try:
            return describe_check(node)
        except GraderError:
            return "a python check (code the grader runs)"

    def _show_criterion(self) -> None:
        criterion = self.criterion
        self.query_one("#card-progress", Static).update(
            f"criterion {self.criterion_index + 1} of {len(self.criteria)}"
        )
        title = Text(criterion.id, style="bold")
        if criterion.is_penalty:
            title.append(" · penalty")
        self.query_one("#card-title", Static).update(title)
        text = criterion.text
        check = self._describe_check(criterion)
        if not text and check:
            text = f"Check: {check[0].upper()}{check[1:]}."
        elif check:
            text += f"\n\n(also checked by machine: {check})"
        self.query_one("#card-text", Static).update(Text(text))  # as written: no markup
        self.query_one("#card-keys", Static).update(self._keys_text(criterion))
        self._show_given()
        self.refresh_bindings()

    def _keys_text(self, criterion: Criterion) -> Text:
        """The question and its keys, compact (the criterion's text needs the room)."""
        previous = self.given.get((self.key, criterion.id))
        if criterion.levels:
            lines = [f" {k}  {v}" for k, v in sorted(criterion.levels.items())]
            keys = "Press the level:\n" + "\n".join(lines)
        elif criterion.is_penalty:
            keys = "Does the answer do this?\n y  yes (penalised)   n  no"
        else:
            keys = "Does the answer meet this?\n y  met   n  not met"
        keys += "\n s  skip   b  back"
        if previous is not None:
            keys += f"\nyour grade: {previous:g} (a key changes it)"
        return Text(keys)

    def _show_given(self) -> None:
        marks = []
        for criterion in self.criteria:
            value = self.given.get((self.key, criterion.id))
            if value is None:
                continue
            if criterion.levels:
                marks.append(f"{criterion.id} {value:g}")
            else:
                marks.append(f"{criterion.id} {'✓' if value == 1 else '✗'}")
        done = len(marks)
        text = f"graded {done} of {len(self.criteria)} here"
        self.query_one("#card-given", Static).update(
            text + (": " + " · ".join(marks) if marks else "")
        )

    def show_agreement(self, line: str) -> None:
        """Show the latest agreement figures (the review screen calls this)."""
        status = self.query_one("#grading-status", Static)
        status.update(f"{line}")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "grade":
            return not self.criterion.levels
        if action == "digit" and parameters:
            digit = cast(int, parameters[0])  # digit(0) .. digit(9) (_digit_bindings)
            levels = self.criterion.levels
            return digit in levels if levels else digit in (0, 1)
        return True

    # -- grading ------------------------------------------------------------------------

    def action_grade(self, value: int) -> None:
        self._save(float(value))

    def action_digit(self, digit: int) -> None:
        self._save(float(digit))

    def _save(self, value: float) -> None:
        criterion = self.criterion
        key = self.key
        try:
            append_expert_grade(
                self.data.run.experts_path, key[0], key[1], self.expert, criterion.id, value
            )
        except InputError as error:
            self.notify(error.msg, title="grade NOT saved", severity="error", timeout=10)
            return
        self.given[(key, criterion.id)] = value
        self.saved += 1
        self._last = key
        self.query_one("#grading-status", Static).update(
            f"saved {criterion.id} = {value:g} · updating agreement…"
        )
        review = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
        if review is not None and hasattr(review, "grade_added"):
            review.grade_added()
        self._advance()

    def _advance(self) -> None:
        if self.criterion_index + 1 < len(self.criteria):
            self.criterion_index += 1
            self._show_criterion()
            return
        if self.answer_index + 1 < len(self.queue):
            self._open_answer(self.answer_index + 1)
            self.notify(f"Next answer ({self.answer_index + 1} of {len(self.queue)}).")
            return
        self.notify(f"Every answer in the queue is graded ({self.saved} grades saved).")
        self.dismiss(self._last)

    def action_skip(self) -> None:
        self._advance()

    def action_back(self) -> None:
        if self.criterion_index > 0:
            self.criterion_index -= 1
            self._show_criterion()
        elif self.answer_index > 0:
            self._open_answer(self.answer_index - 1)
            self.criterion_index = len(self.criteria) - 1
            self._show_criterion()

    def action_next_answer(self) -> None:
        if self.answer_index + 1 < len(self.queue):
            self._open_answer(self.answer_index + 1)

    def action_previous_answer(self) -> None:
        if self.answer_index > 0:
            self._open_answer(self.answer_index - 1)

    def action_help(self) -> None:
        from rubricate.tui.common.help import HelpScreen

        self.app.push_screen(HelpScreen(__doc__ or "", [("Grading", GradingScreen.BINDINGS)]))

    def action_done(self) -> None:
        if self.saved:
            self.notify(f"{self.saved} grades saved to {self.data.run.experts_path.name}.")
        self.dismiss(self._last or self.key)
