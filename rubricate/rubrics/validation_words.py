"""YAML's vocabulary for validation messages: how values, types and bounds are named.

Shared by the loader's schema errors (:mod:`.validation`) and anything else that tells a
rubric author what a value should be: ``must be a number, got "high"``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic_core import ErrorDetails

EXPECTED: dict[str, str] = {
    "string_type": "text",
    "string_unicode": "text",
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "none_required": "empty",
    "finite_number": "a finite number",
}
BOUNDS: dict[str, tuple[str, str]] = {
    "greater_than": ("gt", "greater than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}


def describe(value: Any) -> str:
    """A value as the author wrote it in YAML: ``"high"``, ``3``, ``true``, ``a list``."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return json.dumps(shown, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def quoted_list(names: Sequence[Any]) -> str:
    """``"a", "b", 1``: text quoted as YAML would, numbers bare."""
    return ", ".join(json.dumps(n) if isinstance(n, str) else str(n) for n in names)


def did_you_mean(word: Any, choices: Sequence[str]) -> str:
    """``; did you mean "check"?`` for the closest choice (difflib), or empty."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


def slugify(text: str) -> str:
    """The nearest valid id: lowercase, runs of other characters as ``-``."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", str(text).lower()).strip("-_")
    return slug[:64] or "criterion"


def expected(error: ErrorDetails) -> str | None:
    """What a pydantic type error wanted, in YAML words (``a number``), or None."""
    kind = error["type"]
    if kind in EXPECTED:
        return EXPECTED[kind]
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'|(\d+)", error["ctx"]["expected"])
        names: list[Any] = [a if a or not b else int(b) for a, b in options]
        return "one of " + quoted_list(names) if len(names) > 1 else quoted_list(names)
    return None


def literal_choices(error: ErrorDetails) -> list[str]:
    """The text choices of a ``literal_error``."""
    return [a for a, _ in re.findall(r"'([^']*)'|(\d+)", error["ctx"]["expected"]) if a]
