"""Turning what an expert typed into YAML values, and YAML values back into editable text.

- Criterion text keeps the style it had: a folded block (``>-``) stays folded and is re-folded
  at :data:`WIDTH` columns; a literal block (``|``) stays literal; plain text that grows past
  the line, or gains line breaks, becomes a folded (one paragraph) or literal (several)
  block. Short plain text stays plain (quoted by ruamel only when YAML needs it).
- Weights are numbers as typed: ``0.10`` stays ``0.10`` in the file.
- Levels are edited as lines ``N: description``; a check as YAML (``{numbers: ["$300"]}`` or
  the block form).
"""

from __future__ import annotations

import math
import re
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from rubricate.rubrics import yamlio
from rubricate.rubrics.edit.base import EditError

WIDTH = 92
"""Column at which folded text is wrapped (the examples' line length)."""

_LEVEL_LINE = re.compile(r"^\s*(-?\d+)\s*[:=.)-]\s*(.*?)\s*$")


def fold_positions(text: str, first_col: int, width: int = WIDTH) -> list[int]:
    """Where a folded block scalar breaks ``text`` (indexes of single spaces).

    Lines start at ``first_col`` and end by ``width`` where a break is possible; a word
    longer than the line is left whole. Only single spaces between non-space characters can
    be folded (YAML would otherwise change the text).
    """
    budget = max(20, width - first_col)
    positions: list[int] = []
    line_start = 0
    last_space = -1
    for i, char in enumerate(text):
        if char == " " and 0 < i < len(text) - 1 and text[i - 1] != " " and text[i + 1] != " ":
            if i - line_start > budget and last_space > line_start:
                positions.append(last_space)
                line_start = last_space + 1
            last_space = i
    if len(text) - line_start > budget and last_space > line_start:
        positions.append(last_space)
    return positions


def text_value(new: str, old: Any, key_col: int, indent: int = 2) -> Any:
    """The YAML value for criterion text ``new``, in the style of ``old``.

    Args:
        new: the text as typed (surrounding blank lines and trailing spaces dropped).
        old: the current value (its scalar style is kept), or None.
        key_col: the column of the ``text:`` key (0-based), for wrapping.
        indent: the document's mapping indent.
    """
    value = "\n".join(line.rstrip() for line in new.strip("\n").splitlines())
    first_col = key_col + indent
    if "\n" in value or isinstance(old, LiteralScalarString):
        return LiteralScalarString(value)
    if isinstance(old, FoldedScalarString) or len(value) + key_col + len("text: ") > WIDTH:
        folded = FoldedScalarString(value)
        folded.fold_pos = fold_positions(value, first_col)
        return folded
    return value


def parse_number(typed: str, what: str = "weight") -> int | float:
    """A number as typed (``0.1``, ``-0.2``, ``1``, ``1e-2``).

    Raises:
        EditError: not a finite number.
    """
    cleaned = typed.strip()
    number: int | float
    try:
        number = int(cleaned)
    except ValueError:
        try:
            number = float(cleaned)
        except ValueError:
            raise EditError(f"{what} must be a number such as 0.1 or -0.2, got {typed!r}") from None
    if isinstance(number, float) and not math.isfinite(number):
        raise EditError(f"{what} must be a finite number, got {typed!r}")
    return number


def scalar_text(value: Any) -> str:
    """A scalar as it is written in the file (``0.10`` stays ``0.10``; "" for None)."""
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        holder = CommentedMap([("v", value)])
        written = yamlio.dump_yaml(holder).split(":", 1)[1].strip()
        if written:
            return written
    return str(yamlio.to_plain(value))


def levels_text(levels: Any) -> str:
    """Levels as the editable lines ``N: description``."""
    if not isinstance(levels, dict):
        return ""
    return "\n".join(f"{key}: {value}" for key, value in levels.items())


def parse_levels(typed: str) -> CommentedMap | None:
    """Levels from lines ``N: description`` (blank input: no levels).

    Raises:
        EditError: a line that is not ``N: description``, or a level given twice.
    """
    levels = CommentedMap()
    for number, line in enumerate(typed.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LEVEL_LINE.match(line)
        if match is None:
            raise EditError(
                f"levels line {number}: write one level per line as `N: what it means` "
                f"(e.g. `0: absent`), got {line.strip()!r}"
            )
        level = int(match.group(1))
        if level in levels:
            raise EditError(f"levels line {number}: level {level} is given twice")
        levels[level] = match.group(2)
    return levels or None


def check_text(check: Any) -> str:
    """A check as editable YAML: one flow line for a flow mapping, else the block form."""
    if check is None:
        return ""
    if isinstance(check, CommentedMap) and check.fa.flow_style():
        holder = CommentedMap([("check", check)])
        return yamlio.dump_yaml(holder).split(":", 1)[1].strip()
    text = yamlio.dump_yaml(check) if isinstance(check, dict) else str(check)
    return text.rstrip("\n")


def parse_check(typed: str) -> CommentedMap | None:
    """A check from YAML text (blank: no check). One line is kept as a flow mapping.

    Raises:
        EditError: not YAML, or not a mapping.
    """
    if not typed.strip():
        return None
    text = typed.strip("\n")
    one_line = "\n" not in text.strip()
    if one_line and not text.strip().startswith("{"):
        text = "{" + text.strip() + "}"
    try:
        value = yamlio.parse_yaml(text)
    except yamlio.YamlSyntaxError as error:
        raise EditError(f"check: not valid YAML ({error.message})") from None
    if not isinstance(value, CommentedMap):
        raise EditError(
            "check: write a mapping with one kind key, such as "
            '{numbers: ["$300,000"]} or {contains: "section 1368"}'
        )
    if one_line:
        value.fa.set_flow_style()
    return value
