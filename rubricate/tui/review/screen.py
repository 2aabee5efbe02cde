"""The review's main screen: answers on the left; the chosen answer's text, verdict matrix,
the judge's reasoning and the agreement figures on the right.

Reading an answer's records (its judge calls) and recomputing agreement run in thread
workers; their results carry what they were computed for and stale ones are dropped.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.worker import get_current_worker

from rubricate.calibration.run.directory import AnswerKey
from rubricate.tui.common.help import KeySection
from rubricate.tui.common.viewer import viewer
from rubricate.tui.messages import ReasoningReady
from rubricate.tui.review.agreement import (
    AgreementFigures,
)
from rubricate.tui.review.data import (
    FILTER_NAMES,
    FILTERS,
    ORDER_NAMES,
    ORDERS,
    Filter,
    Order,
    ReviewData,
    answer_text,
    filter_rows,
    item_order,
    order_rows,
    summary_line,
)
from rubricate.tui.review.grading import GradingScreen
from rubricate.tui.review.grading_flow import ExpertActions
from rubricate.tui.review.invariance_tab import INVARIANCE_KEYS, InvariancePanel
from rubricate.tui.review.matrix import verdict_matrix
from rubricate.tui.review.reasoning import reasoning_criterion, reasoning_text
from rubricate.tui.review.run_screen import (
    BACK_KEYS,
    HELP_KEY,
    PROMPTS_KEY,
    SORT_KEYS,
    STEP_KEYS,
    RunScreen,
)
from rubricate.tui.review.science import InvarianceView
from rubricate.tui.review.tables import AnswersTable, VerdictMatrix

HELP = """
# rubricate review

A calibration run: every answer of the calibration set, graded several times by the judge.

The first line says whether the judge ran. Without one (no model endpoint) every score and
figure comes from the rubric's deterministic checks and is called the checks', never the
judge's.

**Answers** (left; the whole width below 96 columns, where `enter` and the tab keys show a
tab full width) are grouped by item, best tier first, with the mean score over the
repeats, its standard deviation, one bar per repeat, and flags: `~` unstable (the repeats
spread over more than a tenth of the score range), `!` an adversarial answer that scored
above its item's fair answers, `≠` the grader and the experts disagree: their means are at
least half the criterion's scale apart (on levels 0-2, one level), or a quarter of the range
on the overall score. `s` changes the order (unstable or disagreeing answers first), `f`
filters.

**Verdicts**: each criterion across the repeats, one character per repeat (✓ met, ✗ not
met, a level, a bar for a check's score, `?` an error, `–` not run), the grader's mean over
them, then each expert's grade. Experts are numbered E1, E2 … in the order they first appear
in the run's `experts.csv`, for the whole run: a new expert gets the next number and nobody's
changes. **Reasoning**: what the judge wrote for each call about the criterion highlighted in
the matrix (`m` shows the prompts too).

**Grading** (`g`): enter your name once, then grade the answer criterion by criterion with
single keys (`y`/`n`, or the level `0`-`9`; `s` skips, `b` goes back). Every grade is saved to
the run's `experts.csv` at once; the agreement figures update as you go. You grade blind:
the judge's verdicts are hidden until you are done.

**Invariance** (`i`; only for a run of `calibrate --probe invariance`): per criterion, one row
per harmless change (criteria reversed or shuffled, examples reversed, ids renamed, weights
rescaled, criteria paraphrased): the *rerun flip* (share of pairs of the unchanged grader's
repeats of one answer that disagree), the *change flip* (pairs across the change), the changed
grader's own rerun flips, the Holm-adjusted p-value of the exact permutation test of whether
the change flips verdicts beyond rerun noise, and the verdict. Flagged rows are in the error
colour. *Prompt unchanged* rows were not measured (not a pass); deterministic rows (checks,
computed scores) cannot flip by chance. With `invariance:paraphrase`, the paraphrased
criterion texts are listed beside the originals below the table: read each before trusting
the paraphrase rows.

A run opened from a comparison (`rubricate review OUT` of `calibrate --compare`): `escape` on
the answer list goes back to the comparison.
"""


class ReviewScreen(ExpertActions, RunScreen):
    """Browse one calibration run and grade its answers."""

    BINDINGS = [
        HELP_KEY,
        Binding("g", "grade", "Grade"),
        *SORT_KEYS,
        Binding("v", "show_tab('tab-verdicts')", "Verdicts"),
        Binding("r", "show_tab('tab-reasoning')", "Reasoning"),
        Binding("a", "show_tab('tab-agreement')", "Agreement"),
        Binding("t", "show_tab('tab-answer')", "Text"),
        Binding("i", "show_tab('tab-invariance')", "Invariance"),
        *STEP_KEYS,
        PROMPTS_KEY,
        *BACK_KEYS,
    ]

    ORDERS = ORDERS
    ORDER_NAMES = ORDER_NAMES
    FILTERS = FILTERS
    FILTER_NAMES = FILTER_NAMES
    TAB_FOCUS = {
        "tab-answer": "#answer-text",
        "tab-verdicts": "#matrix",
        "tab-reasoning": "#reasoning",
        "tab-agreement": "#agreement-table",
        "tab-invariance": "#invariance-table",
    }
    HELP_TEXT = HELP

    def __init__(
        self, data: ReviewData, *, invariance: InvarianceView | None = None, back: bool = False
    ) -> None:
        """``invariance``: the probe this run belongs to (adds the Invariance tab, shown
        first); ``back``: opened from a comparison (``escape`` on the list goes back)."""
        super().__init__(data, back=back)
        self.data: ReviewData = data
        self.invariance = invariance
        self.order: Order = "item"
        self.which: Filter = "all"
        self.figures: AgreementFigures | None = None
        self.version = 0
        """Bumped by every grade added; figures computed for an older version are dropped."""
        self.figures_version = -1
        self._records: tuple[AnswerKey, list] | None = None
        self._agreement_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="summary")
        with Horizontal(id="main"):
            yield AnswersTable(id="answers")
            with TabbedContent(id="tabs"):
                with TabPane("Answer", id="tab-answer"):
                    yield viewer(id="answer-text")
                with TabPane("Verdicts", id="tab-verdicts"):
                    with Vertical():
                        yield Static("", id="legend")
                        yield VerdictMatrix(id="matrix")
                with TabPane("Reasoning", id="tab-reasoning"):
                    yield Static("", id="reasoning-header")
                    yield viewer(id="reasoning")
                with TabPane("Agreement", id="tab-agreement"):
                    yield Static("", id="agreement-text")
                    yield DataTable(id="agreement-table", cursor_type="row")
                if self.invariance is not None:
                    with TabPane("Invariance", id="tab-invariance"):
                        yield InvariancePanel(self.invariance, id="invariance")
        yield Static("", id="status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.show_title()
        self.lay_out(self.size.width)
        table = self.query_one("#agreement-table", DataTable)
        grader = self.data.judge.grader
        table.add_columns(
            "criterion", "experts α", grader, "experts F1", f"{grader} κ", "stand in"
        )
        self.show_rows()
        self.query_one(AnswersTable).focus()
        self.refresh_agreement()
        if self.invariance is not None:
            self.call_after_refresh(self.action_show_tab, "tab-invariance")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_tab" and parameters == ("tab-invariance",):
            return self.invariance is not None  # hidden without a probe
        return super().check_action(action, parameters)

    # -- answers ------------------------------------------------------------------------

    @property
    def answers(self) -> AnswersTable:
        return self.query_one(AnswersTable)

    @property
    def list_table(self) -> AnswersTable:
        return self.answers

    def visible_rows(self) -> list:
        rows = order_rows(self.data.rows, self.order, item_order(self.data))
        return filter_rows(rows, self.which, self.app.expert)

    def show_rows(self, select: AnswerKey | None = None) -> None:
        keep = select or self.answers.selected()
        rows = self.visible_rows()
        self.answers.show(self.data, rows, self.order == "item", keep)
        self.lay_out()  # the ids shown decide the list's width
        notes = " · ".join(self.data.run.notes)
        if self.data.expert_problems:
            left_out = len(self.data.expert_problems)
            notes += f"{' · ' if notes else ''}{left_out} expert grade(s) left out: "
            notes += self.data.expert_problems[0]
        legend = f"~ unstable, ! beat fair, ≠ {self.data.judge.grader} and experts disagree"
        self.show_summary(summary_line(self.data), len(rows), legend, notes)
        self.show_answer()

    @on(DataTable.RowHighlighted, "#answers")
    def _answer_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_answer()

    def show_answer(self) -> None:
        """Fill the tabs for the answer under the cursor."""
        key = self.answers.selected()
        text_area = self.query_one("#answer-text", TextArea)
        matrix = self.query_one(VerdictMatrix)
        if key is None:
            item = self.answers.row_key_at_cursor().removeprefix("item:")
            hint = f"Item {item}: choose one of its answers in the list." if item else ""
            text_area.load_text(hint)
            matrix.clear(columns=True)
            self.query_one("#legend", Static).update(Text(hint))
            self.query_one("#reasoning", TextArea).load_text("")
            return
        text_area.load_text(answer_text(self.data, key) or "(the answer's text is not available)")
        repeats, experts, rows = verdict_matrix(self.data, key)
        labels = [self.data.expert_label(name) for name in experts]
        matrix.show(repeats, labels, rows, (self.data.low, self.data.high))
        row = self.data.row(key)
        tier = row.tier if row else "?"
        answer = key[1] if key[1] == tier else f"{key[1]} ({tier})"
        lines = [f"item {key[0]} · answer {answer}"]
        if experts:
            pairs = zip(labels, experts, strict=True)
            lines.append("experts: " + ", ".join(f"{label} {name}" for label, name in pairs))
        self.query_one("#legend", Static).update(Text("\n".join(lines)))
        self.show_reasoning()

    # -- reasoning ----------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#matrix")
    def _criterion_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_reasoning()

    def show_reasoning(self) -> None:
        key = self.answers.selected()
        if key is None:
            return
        criterion = self.query_one(VerdictMatrix).selected_criterion()
        calls = "judge calls" if self.data.judge.ran else "model calls"
        self.query_one("#reasoning-header", Static).update(
            Text(f"{calls} about {criterion or 'this answer'} · {self.prompts_note()}")
        )
        if self._records is not None and self._records[0] == key:
            self._fill_reasoning(criterion)
        else:
            self.query_one("#reasoning", TextArea).load_text("Reading the judge's calls…")
            self._load_records(key)

    @work(exclusive=True, group="records", thread=True)
    def _load_records(self, key: AnswerKey) -> None:
        calls = self.data.run.records.answer_records(*key)
        if not get_current_worker().is_cancelled:
            self.post_message(ReasoningReady(key, calls))

    @on(ReasoningReady)
    def _reasoning_ready(self, message: ReasoningReady) -> None:
        message.stop()
        self._records = (message.answer, message.calls)
        if self.answers.selected() == message.answer:
            self._fill_reasoning(self.query_one(VerdictMatrix).selected_criterion())

    def _fill_reasoning(self, criterion: str | None) -> None:
        assert self._records is not None
        text = reasoning_text(
            self._records[1],
            self._names,
            reasoning_criterion(criterion),
            prompt=self.show_prompts,
            judged_run=self.data.run.manifest.judged_run is not False,
        )
        area = self.query_one("#reasoning", TextArea)
        area.load_text(text)
        area.scroll_home(animate=False)

    def show_prompted(self) -> None:
        self.show_reasoning()

    # -- sort, filter, tabs -------------------------------------------------------------

    def filter_applies(self, which: str) -> bool:
        """``ungraded`` needs an expert's name."""
        return which != "ungraded" or self.app.expert is not None

    @on(DataTable.RowSelected, "#answers")
    def _answer_chosen(self, event: DataTable.RowSelected) -> None:
        if self.answers.selected() is not None:
            self.action_show_tab("tab-verdicts")

    def action_step(self, delta: int) -> None:
        """Go to the next (or previous) answer, skipping item headers."""
        table = self.answers
        row = table.cursor_row
        while 0 <= row + delta < table.row_count:
            row += delta
            table.move_cursor(row=row, animate=False)
            if table.selected() is not None:
                return

    def help_sections(self) -> list[KeySection]:
        sections: list[KeySection] = [
            ("Review", ReviewScreen.BINDINGS),
            ("Answers", [("enter", "", "open the answer's verdicts full width")]),
        ]
        if self.back:
            sections.append(("Comparison", [("escape", "", "on the answer list: back to the "
                                                           "comparison")]))  # fmt: skip
        if self.invariance is not None:
            sections.append(("Invariance", INVARIANCE_KEYS))
        return [*sections, ("Grading", GradingScreen.BINDINGS)]
