"""The editor's smaller panes: the compiled previews, the problem list, the weight line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from rubricate.rubrics.edit import CriterionRow, IndexPath, positive_sum
from rubricate.rubrics.edit.normalise import is_normalised
from rubricate.rubrics.problems import Problem, summary
from rubricate.tui.common.theme import SEVERITY_MARK, SEVERITY_VARIABLE, styled
from rubricate.tui.common.viewer import viewer


class PreviewPane(Vertical):
    """A read-only text (compiled grader JSON, or a judge prompt) under a one-line header."""

    def __init__(self, header: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._header = header

    def compose(self) -> ComposeResult:
        yield Static(self._header, classes="preview-header")
        yield viewer(classes="preview-text")

    def show(self, header: str, content: str) -> None:
        """Replace the header and the text (scrolled to the top)."""
        self.query_one(".preview-header", Static).update(header)
        area = self.query_one(TextArea)
        if area.text != content:
            area.load_text(content)
            area.scroll_home(animate=False)


@dataclass
class ProblemChosen(Message):
    """The expert chose a problem in the list: jump to it."""

    problem: Problem


class ProblemList(OptionList):
    """Every problem of the rubric, one line each; enter jumps to the criterion and field."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._problems: list[Problem] = []

    def show(self, problems: list[Problem], pending: bool) -> None:
        """List ``problems``; ``pending``: a newer text is being linted."""
        self._problems = list(problems)
        highlighted = self.highlighted
        self.clear_options()
        for problem in problems:
            line = Text(no_wrap=True, overflow="ellipsis", end="")
            line.append_text(
                styled(
                    self.app,
                    SEVERITY_MARK[problem.severity] + " ",
                    SEVERITY_VARIABLE[problem.severity],
                    bold=True,
                )
            )
            where = f"{problem.line}:{problem.col} " if problem.line else ""
            path = f"{problem.path}: " if problem.path else ""
            line.append(f"{where}{path}{problem.message}")
            self.add_option(Option(line))
        self.set_class(bool(problems), "-shown")
        if problems:
            self.highlighted = min(highlighted or 0, len(problems) - 1)
        self.border_title = f"Problems · {summary(problems, 1).removesuffix(' in 1 file')}"
        self.border_subtitle = "linting…" if pending else ""

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._problems):
            self.post_message(ProblemChosen(self._problems[event.option_index]))


class WeightLine(Static):
    """What lint says, then the sum of the positive weights (top level, and the selected
    criterion's group)."""

    lint_status = ""
    """What lint says, appended to the line (set by the screen)."""

    def show(self, rows: list[CriterionRow], selected: IndexPath | None) -> None:
        lists: list[tuple[str, IndexPath]] = [("Σ weights", ())]
        if selected is not None and len(selected) > 1:
            group = next((r for r in rows if r.path == selected[:-1]), None)
            lists.append((f"in {group.id if group else 'group'}", selected[:-1]))
        sums = [(label, positive_sum(rows, parent)) for label, parent in lists]
        off = [not _normalised(rows, parent) for _, parent in lists]
        parts = [
            f"{label} {value:.4g}" + (" ≠ 1" if bad else "" if value == 1 else " ≈ 1")
            for (label, value), bad in zip(sums, off, strict=True)
        ]
        if any(off):
            parts[0] += " (n: make it 1)"
        if self.lint_status:  # first: a narrow terminal cuts the end of the line
            parts.insert(0, self.lint_status)
        self.update(" · ".join(parts))
        self.set_class(any(off), "-off")


def _normalised(rows: list[CriterionRow], parent: IndexPath) -> bool:
    """Whether ``n`` would leave the list under ``parent`` as it is: it sums to 1, or as near
    as its equal weights allow (weights that are not numbers left out, as in the sum)."""
    depth = len(parent) + 1
    weights = [r.weight for r in rows if r.path[:-1] == parent and len(r.path) == depth]
    return is_normalised([w for w in weights if w is not None])
