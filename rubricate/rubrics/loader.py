"""Loading rubric files: path -> text -> YAML tree -> plain data -> :class:`Rubric`.

Each layer is a function, so everything after the first is tested without files:

- :func:`read_text` turns a path into text, refusing what is not a UTF-8 text file;
- :func:`parse_rubric` parses YAML with positions (:mod:`.yamlio`), checks duplicate keys,
  validates against the format (:mod:`.model`) and retells every validation error in YAML's
  words at its line and column (:mod:`.validation`);
- :func:`load_rubric` is the two together.

Two kinds of failure, both :class:`~rubricate.errors.RubricFormatError` carrying *every*
problem found as :class:`~rubricate.rubrics.problems.Problem`:

- :class:`UnreadableRubricError` (``.unreadable`` is True; see :func:`is_unreadable`): not a
  rubric file at all (missing, a directory, binary, not UTF-8, empty, not YAML: a tab, bad
  indentation), or one past the loading bounds (rule ``too-large``: over
  :data:`MAX_RUBRIC_BYTES`, nested deeper than :data:`~.yamlio.MAX_DEPTH`, aliases expanding
  to more than :data:`~.yamlio.MAX_NODES` values, an alias of its own container).
  ``rubricate check`` exits 2 on these; there is only ever one problem, as nothing past it
  can be read.
- a plain ``RubricFormatError``: YAML that does not follow the
  format (wrong types, unknown or missing keys, duplicate keys). ``check`` exits 1.

The error's one-line ``msg`` is the first problem plus how many more there are, so commands
other than ``check`` can print it as ``rubricate: error: ...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from rubricate.errors import RubricFormatError
from rubricate.rubrics import yamlio
from rubricate.rubrics.model import Rubric
from rubricate.rubrics.problems import NodePath, Problem, Severity, format_path
from rubricate.rubrics.validation import schema_problems

_EMPTY_HINT = (
    "a rubric needs at least `rubric: 1`, `id`, `title` and `criteria`; "
    "`rubricate init DIR` writes a commented one to start from"
)


MAX_RUBRIC_BYTES = 2 * 1024 * 1024
"""Largest rubric file read (2 MiB; the shipped examples are under 20 kB). Long texts belong
in the items file."""


class UnreadableRubricError(RubricFormatError):
    """Input that is not a readable YAML file: missing, binary, not UTF-8, empty, bad YAML."""

    unreadable = True


UNREADABLE_RULES = frozenset({"unreadable", "empty-file", "yaml-syntax", "too-large"})
"""Rules of problems that mean the input could not be read at all (``check`` exits 2)."""


def is_unreadable(error: RubricFormatError) -> bool:
    """True for unreadable input (exit 2), False for schema problems (exit 1)."""
    return bool(getattr(error, "unreadable", False))


def summary_message(problems: list[Problem]) -> str:
    """The first problem on one line, plus how many more there are."""
    first = problems[0].format()
    if len(problems) == 1:
        return first
    more = len(problems) - 1
    noun = "problem" if more == 1 else "problems"
    return f"{first} (and {more} more {noun}: `rubricate check {problems[0].file}` lists all)"


def _unreadable(
    filename: str, message: str, rule: str, line: int | None = None, col: int | None = None
) -> NoReturn:
    problem = Problem(filename, line, col, "", message, "error", rule)
    raise UnreadableRubricError(problem.format(), problems=[problem])


@dataclass(eq=False)
class LoadedRubric:
    """A rubric with the YAML it came from, so every node can be found again.

    Attributes:
        rubric: the validated model.
        path: the file name as given (``"<string>"`` for text).
        text: the YAML text.
        doc: the ruamel round-trip document (comments kept; ``yamlio.dump_yaml`` saves it).
    """

    rubric: Rubric
    path: str
    text: str
    doc: Any = field(repr=False)

    def locate(self, node: NodePath) -> tuple[int, int] | None:
        """1-based (line, column) of a node: a mapping entry's key, a sequence item's start.

        ``locate(("criteria", 2, "weight"))`` is where ``weight:`` is written in the third
        criterion. None when there is no such node.
        """
        return yamlio.locate(self.doc, node, exact=True)

    def locate_value(self, node: NodePath) -> tuple[int, int] | None:
        """Like :meth:`locate`, but at the value when it is a scalar (``high`` in
        ``weight: high``; the ``|`` of a block scalar)."""
        return yamlio.locate(self.doc, node, value=True, exact=True)

    def value(self, node: NodePath) -> Any:
        """The node's value in the YAML document (ruamel types), or None when absent."""
        _, current, _, depth = yamlio.resolve(self.doc, node)
        return current if depth == len(node) else None

    def dumps(self) -> str:
        """The document as YAML text, with its comments, key order, quoting and indentation
        kept (after edits to :attr:`doc`, the edited text)."""
        return yamlio.dump_yaml(self.doc, like=self.text)

    @staticmethod
    def criterion_node(index_path: tuple[int, ...]) -> NodePath:
        """A :meth:`Rubric.walk` index path as a node: ``(2, 0)`` ->
        ``("criteria", 2, "children", 0)``."""
        node: list[str | int] = ["criteria", index_path[0]]
        for index in index_path[1:]:
            node += ["children", index]
        return tuple(node)

    def problem(
        self,
        node: NodePath,
        message: str,
        *,
        rule: str,
        severity: Severity = "error",
        at_value: bool = True,
        mapping_ints: tuple[int, ...] = (),
    ) -> Problem:
        """A problem positioned at ``node`` (at its scalar value unless ``at_value=False``;
        at the nearest existing ancestor when the node is absent)."""
        position = yamlio.locate(self.doc, node, value=at_value)
        line, col = position if position else (None, None)
        path = format_path(node, mapping_ints)
        return Problem(self.path, line, col, path, message, severity, rule, node)


def read_text(path: str | Path) -> str:
    """A rubric file's text (through :mod:`rubricate.files`: BOM dropped, every OSError a
    one-line problem).

    Raises:
        UnreadableRubricError: no such file, a directory, unreadable, a link loop, a binary
            file, not UTF-8.
    """
    from rubricate.files import UnreadableFile
    from rubricate.files import read_text as read_file

    try:
        size = Path(path).stat().st_size
    except OSError:
        size = 0  # the files layer names the problem below
    if size > MAX_RUBRIC_BYTES:
        _too_large(str(path), size)
    try:
        return read_file(path, "rubric file")
    except UnreadableFile as error:
        reason = error.reason
        if reason.startswith("is a directory"):
            reason += " (give DIR/rubric.yaml)"
        _unreadable(str(path), reason, "unreadable", error.line, error.col)


def _too_large(filename: str, size: int) -> NoReturn:
    _unreadable(
        filename,
        f"is {size / 1024 / 1024:.1f} MiB; rubric files are limited to "
        f"{MAX_RUBRIC_BYTES // 1024 // 1024} MiB: move long texts (answers, references) into "
        "the items file",
        "too-large",
        1,
        1,
    )


def _parse_tree(text: str, filename: str) -> tuple[Any, list[yamlio.DuplicateKey]]:
    if not text.strip():
        _unreadable(filename, f"is empty; {_EMPTY_HINT}", "empty-file", 1, 1)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_RUBRIC_BYTES:
        _too_large(filename, size)
    try:
        doc, duplicates = yamlio.parse_document(text)
    except yamlio.YamlLimitError as error:
        _unreadable(filename, error.message, "too-large", error.line, error.col)
    except yamlio.YamlSyntaxError as error:
        _unreadable(filename, error.message, "yaml-syntax", error.line, error.col)
    if doc is None:
        _unreadable(filename, f"has no content, only comments; {_EMPTY_HINT}", "empty-file", 1, 1)
    return doc, duplicates


def _duplicate_problems(duplicates: list[yamlio.DuplicateKey], filename: str) -> list[Problem]:
    return [
        Problem(
            filename,
            dup.line,
            dup.col,
            "",
            f'duplicate key "{dup.key}" (first at line {dup.first_line}); '
            "a key may appear once per mapping: remove or rename one",
            "error",
            "duplicate-key",
        )
        for dup in duplicates
    ]


def parse_rubric(text: str, filename: str = "<string>") -> LoadedRubric:
    """Parse and validate rubric YAML text.

    Args:
        text: the YAML.
        filename: the name problems report.

    Raises:
        UnreadableRubricError: empty text or a YAML syntax error.
        RubricFormatError: the YAML does not follow the format; ``problems`` lists every
            problem, each at its line and column.
    """
    doc, duplicates = _parse_tree(text, filename)
    problems = _duplicate_problems(duplicates, filename)
    if not isinstance(doc, dict):
        found = "a list" if isinstance(doc, list) else f"{yamlio.to_plain(doc)!r}"
        problems.append(
            Problem(
                filename,
                1,
                1,
                "",
                f"the top level must be a mapping (key: value) such as `rubric: 1`, got {found}",
                "error",
                "wrong-type",
            )
        )
        raise RubricFormatError(summary_message(problems), problems=problems)
    data = yamlio.to_plain(doc)
    rubric: Rubric | None = None
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as error:
        problems += schema_problems(error, data, doc, filename)
    if problems or rubric is None:
        problems.sort(key=lambda p: (p.line or 0, p.col or 0))
        raise RubricFormatError(summary_message(problems), problems=problems)
    return LoadedRubric(rubric=rubric, path=filename, text=text, doc=doc)


def load_rubric(path: str | Path) -> LoadedRubric:
    """Read, parse and validate a rubric file (see :func:`parse_rubric`).

    Raises:
        UnreadableRubricError: see :func:`read_text` and :func:`parse_rubric`.
        RubricFormatError: the file does not follow the format.
    """
    return parse_rubric(read_text(path), str(path))
