"""The editor's document: the file, its text history and what lint and compile make of it.

No Textual here: the app drives it, tests call it directly.

- :class:`EditorDocument` owns the path, the undo history (:class:`History` of texts), the
  text last saved and the file's fingerprint. ``dirty`` compares the current text with the
  saved one, so undoing back to it is clean again.
- :func:`lint_text` is what the lint worker runs: load + lint, never an exception for bad
  content. A text that does not validate gives its load problems and no rubric.
- :func:`grader_preview` and :func:`prompt_preview` are what the preview worker runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rubricate.errors import RubricateError, RubricFormatError
from rubricate.rubrics import yamlio
from rubricate.rubrics.edit import (
    CriterionRow,
    Edit,
    Fingerprint,
    History,
    IndexPath,
    criterion_rows,
    open_for_edit,
    save_text,
)
from rubricate.rubrics.lint import lint_rubric
from rubricate.rubrics.loader import LoadedRubric, parse_rubric
from rubricate.rubrics.problems import Problem, sort_key


@dataclass(frozen=True)
class LintResult:
    """Load and lint problems of one text.

    Attributes:
        text: the text linted (results for an older text are dropped by the app).
        problems: every problem, sorted by position.
        loaded: the loaded rubric, or None when the text does not validate.
    """

    text: str
    problems: list[Problem]
    loaded: LoadedRubric | None


def lint_text(text: str, filename: str) -> LintResult:
    """Load problems, or lint problems when it loads (never raises for bad content)."""
    try:
        loaded = parse_rubric(text, filename)
    except RubricFormatError as error:
        return LintResult(text, sorted(error.problems, key=sort_key), None)
    return LintResult(text, lint_rubric(loaded), loaded)


def grader_preview(loaded: LoadedRubric, target: str) -> str:
    """The compiled grader for ``target`` described for reading (see :func:`describe_grader`),
    or why it cannot be compiled."""
    from rubricate.rubrics.compile import applicable_targets, compile_rubric

    if target not in applicable_targets(loaded.rubric):
        possible = ", ".join(applicable_targets(loaded.rubric))
        return f"This rubric cannot be compiled to {target}; it can be: {possible}."
    try:
        grader = compile_rubric(loaded.rubric, target)
    except RubricateError as error:
        return f"Cannot compile: {error.msg}"
    return describe_grader(grader)


MODEL_TYPES = ("score_model", "label_model")
_LONG = 240


def _shortened(value: Any) -> Any:
    """The grader with long texts cut (python sources, prompts), for the JSON view."""
    if isinstance(value, dict):
        return {k: _shortened(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shortened(v) for v in value]
    if isinstance(value, str) and len(value) > _LONG:
        return f"{value[:80]}… ({len(value)} characters)"
    return value


def _sub_detail(grader: dict[str, Any]) -> str:
    kind = grader.get("type")
    if kind in MODEL_TYPES:
        low, high = grader.get("range", [0, 1])
        return f"judge {grader.get('model', '?')}, range [{low}, {high}]"
    if kind == "python":
        return "deterministic check (python)"
    if kind == "string_check":
        return f"deterministic check ({grader.get('operation', '?')})"
    if kind == "text_similarity":
        return f"deterministic check ({grader.get('evaluation_metric', '?')})"
    return ""


def describe_grader(grader: dict[str, Any]) -> str:
    """A compiled grader for reading: what it runs, its formula or prompt, then its JSON with
    long texts cut (``rubricate compile`` prints it whole)."""
    kind = grader.get("type")
    lines: list[str] = []
    if kind == "multi":
        subs: dict[str, Any] = grader.get("graders", {})
        calls = sum(1 for g in subs.values() if g.get("type") in MODEL_TYPES)
        lines += [
            f"multi grader {grader.get('name')!r}: {len(subs)} sub-graders, "
            f"{calls} judge calls per answer",
            "",
            "score (calculate_output):",
            f"  {grader.get('calculate_output', '')}",
            "",
            "sub-graders:",
        ]
        for name, sub in subs.items():
            lines.append(f"  {name}: {_sub_detail(sub)}")
    elif kind in MODEL_TYPES:
        low, high = grader.get("range", [0, 1])
        lines.append(
            f"{kind} grader {grader.get('name')!r}: one judge call, "
            f"{grader.get('model', '?')}, range [{low}, {high}]"
        )
        for message in grader.get("input", []):
            content = message.get("content")
            text = content if isinstance(content, str) else json.dumps(content, indent=2)
            lines += ["", f"── {message.get('role')} ──", text]
    else:
        lines.append(f"{kind} grader {grader.get('name')!r}: deterministic, no judge call")
    lines += [
        "",
        "── grader JSON (long texts cut here; `rubricate compile` prints it whole) ──",
        json.dumps(_shortened(grader), indent=2, ensure_ascii=False),
    ]
    return "\n".join(lines)


def prompt_preview(loaded: LoadedRubric, criterion_id: str | None) -> str:
    """The judge prompt (system and user messages) one criterion produces, as text."""
    from rubricate.rubrics.compile.prompts import criterion_messages

    if criterion_id is None:
        return "Select a criterion to see the prompt its judge gets."
    criterion = next((c for _, c in loaded.rubric.walk() if c.id == criterion_id), None)
    if criterion is None:
        return f"No criterion '{criterion_id}'."
    if criterion.is_group:
        return f"'{criterion.id}' is a group: each of its children has its own judge prompt."
    if not criterion.is_judged:
        return f"'{criterion.id}' is a deterministic check: no model judges it, no prompt."
    parts = []
    for message in criterion_messages(loaded.rubric, criterion):
        parts.append(f"── {message['role']} ──\n{message['content']}")
    return "\n\n".join(parts)


@dataclass
class EditorDocument:
    """An open rubric file with its edit history.

    Attributes:
        path: the file edited (changes on save-as).
        history: the undo / redo history of texts.
        saved_text: the text on disk as of the last open, save or reload.
        fingerprint: the file's fingerprint then (None: the file did not exist).
    """

    path: Path
    history: History
    saved_text: str
    fingerprint: Fingerprint | None
    _rows: tuple[str, list[CriterionRow]] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, path: str | Path) -> EditorDocument:
        """Read ``path`` for editing.

        Raises:
            UnreadableRubricError: missing, a directory, binary or not UTF-8.
        """
        text, print_ = open_for_edit(path)
        return cls(Path(path), History(text), text, print_)

    @property
    def text(self) -> str:
        return self.history.text

    @property
    def dirty(self) -> bool:
        """True when the text differs from the file as last read or saved."""
        return self.text != self.saved_text

    def rows(self) -> list[CriterionRow]:
        """The criteria table's rows for the current text (cached per text)."""
        if self._rows is None or self._rows[0] != self.text:
            self._rows = (self.text, criterion_rows(yamlio.parse_yaml(self.text)))
        return self._rows[1]

    def row(self, path: IndexPath | None) -> CriterionRow | None:
        """The row at ``path``, or None."""
        return next((r for r in self.rows() if r.path == path), None)

    def apply(self, edit: Edit, group: object = None) -> bool:
        """Record ``edit``; True when it changed the text."""
        if edit.text == self.text:
            return False
        self.history.push(edit.text, edit.label, edit.selection, group)
        return True

    def save(self) -> None:
        """Write the current text to :attr:`path` unless the file changed on disk.

        Raises:
            FileChangedError: the file changed since it was opened or last saved.
        """
        self.fingerprint = save_text(self.path, self.text, self.fingerprint)
        self.saved_text = self.text

    def save_as(self, path: str | Path) -> None:
        """Write the current text to a new file (never over an existing one); edit it from now.

        Raises:
            FileChangedError: ``path`` exists.
        """
        self.fingerprint = save_text(path, self.text, None)
        self.path = Path(path)
        self.saved_text = self.text

    def reload(self) -> None:
        """Take the file as it is on disk now. The edits made here stay in the undo history
        (one undo brings them back)."""
        text, print_ = open_for_edit(self.path)
        self.history.push(text, "reload from disk")
        self.saved_text = text
        self.fingerprint = print_
