"""Pydantic validation errors retold in YAML's vocabulary, at the node they concern.

Pydantic reports ``('criteria', 2, 'check', 'regex', 'regex')`` and "Input should be a valid
string"; a rubric author needs ``rubric.yaml:14:9: criteria[2].check.regex: must be text, got
3``. This module does that translation for every error at once:

- the error's location is followed through the YAML data; segments that are not in the data
  are pydantic's own labels (a check's kind tag, a union member such as ``list[str]``) and are
  dropped, so the path names only what the author wrote;
- the errors of one union (``contains: 5`` fails as text *and* as a list) become one message,
  "must be text or a list, got 5"; when one member went deeper (a list whose item 1 is wrong)
  only the deeper errors are kept, because they say what to fix;
- wording: "must be a number, got "high"", "unknown key "chek"; did you mean "check"?"
  (:func:`difflib.get_close_matches` over the keys allowed there), "missing required key
  "weight"", "must be one of "great", "fair", "poor", got "good"";
- positions: an unknown key points at the key, a missing key at the mapping that lacks it,
  a wrong value at the value.

Rule ids: ``unknown-key``, ``missing-key``, ``wrong-type``, ``invalid-value``, ``check-kind``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from rubricate.rubrics import yamlio
from rubricate.rubrics.model import CHECK_KINDS, SLUG_PATTERN, Rubric
from rubricate.rubrics.problems import NodePath, Problem, format_path
from rubricate.rubrics.schema import allowed_keys
from rubricate.rubrics.validation_words import (
    BOUNDS,
    describe,
    did_you_mean,
    expected,
    literal_choices,
    slugify,
)

_CHECK_OPTIONS = sorted({name for model in CHECK_KINDS.values() for name in model.model_fields})

# --------------------------------------------------------------------------- locations


@dataclass
class _Located:
    error: ErrorDetails
    node: NodePath
    mapping_ints: tuple[int, ...]
    value: Any
    union_at: NodePath | None
    deeper: bool
    missing: str | int | None
    key_error: bool


def _strip_check_tags(loc: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    for i, part in enumerate(loc):
        after_check = i > 0 and loc[i - 1] == "check" and part in CHECK_KINDS
        if after_check and i + 1 < len(loc):
            continue
        out.append(part)
    return out


def _locate_error(error: ErrorDetails, data: Any) -> _Located:
    loc = _strip_check_tags(tuple(error["loc"]))
    node: list[str | int] = []
    mapping_ints: list[int] = []
    current = data
    union_at: NodePath | None = None
    deeper = key_error = False
    missing: str | int | None = None
    for i, part in enumerate(loc):
        if part == "[key]":
            key_error = True
            break
        if error["type"] == "missing" and i == len(loc) - 1:
            missing = part
            break
        found, child = yamlio.child_of(current, part)
        if found:
            real = yamlio.real_key(current, part)
            if isinstance(real, int) and isinstance(current, dict):
                mapping_ints.append(len(node))
            node.append(real)
            current = child
            deeper = deeper or union_at is not None
        elif union_at is None:
            union_at = tuple(node)
    return _Located(
        error, tuple(node), tuple(mapping_ints), current, union_at, deeper, missing, key_error
    )


# --------------------------------------------------------------------------- messages


def _type_message(found: _Located, wanted: str) -> str:
    value = found.value if not found.key_error else found.node[-1]
    if found.key_error:
        return f"key {describe(value)} must be {wanted}"
    message = f"must be {wanted}, got {describe(value)}"
    if wanted == "text" and isinstance(value, int | float | date):
        written = describe(value) if isinstance(value, bool | int | float) else str(value)
        message += f'; put it in quotes ("{written}")'
    if found.error["type"] == "literal_error" and isinstance(value, str):
        message += did_you_mean(value, literal_choices(found.error))
    return message


def _check_kind_message(data: Any, found: _Located) -> tuple[str, NodePath]:
    value = found.value
    kinds = ", ".join(CHECK_KINDS)
    if not isinstance(value, dict):
        return (
            f'a check must be a mapping with one kind key such as {{regex: "..."}}, got '
            f"{describe(value)}; kinds: {kinds}",
            found.node,
        )
    present = [k for k in value if k in CHECK_KINDS]
    if len(present) > 1:
        names = " and ".join(f'"{k}"' for k in present)
        return (
            f"a check has exactly one kind, this one has {names}; split it into one criterion "
            "per check",
            (*found.node, present[1]),
        )
    unknown = [k for k in value if k not in _CHECK_OPTIONS]
    if unknown:
        return (
            f'unknown check kind "{unknown[0]}"'
            + did_you_mean(unknown[0], list(CHECK_KINDS))
            + f" A check needs exactly one of: {kinds}",
            (*found.node, unknown[0]),
        )
    return f"a check needs exactly one of the keys: {kinds}", found.node


def _message(data: Any, found: _Located, root: Any) -> tuple[str, str, NodePath]:
    """(message, rule, node to point at) for one located error."""
    error = found.error
    kind = error["type"]
    if kind == "extra_forbidden":
        key = found.node[-1]
        allowed = allowed_keys(data, found.node[:-1], root) or []
        hint = did_you_mean(key, allowed)
        if not hint and allowed:
            hint = f"; allowed keys: {', '.join(allowed)}"
        return f'unknown key "{key}"{hint}', "unknown-key", found.node
    if kind == "missing":
        if isinstance(found.missing, int):
            size = len(found.value) if isinstance(found.value, list) else 0
            return f"needs {found.missing + 1} items, got {size}", "invalid-value", found.node
        return f'missing required key "{found.missing}"', "missing-key", found.node
    if kind == "check_kind":
        message, node = _check_kind_message(data, found)
        return message, "check-kind", node
    if kind in ("value_error", "assertion_error"):
        return str(error["ctx"]["error"]), "invalid-value", found.node
    if kind in BOUNDS:
        name, words = BOUNDS[kind]
        bound = error["ctx"][name]
        return (
            f"must be {words} {bound:g}, got {describe(found.value)}",
            "invalid-value",
            found.node,
        )
    if kind == "string_pattern_mismatch" and error["ctx"]["pattern"] == SLUG_PATTERN:
        return (
            "must be a slug: lowercase letters, digits, - and _, starting with a letter or "
            f'digit, got {describe(found.value)}; e.g. "{slugify(found.value)}"',
            "invalid-value",
            found.node,
        )
    if kind in ("string_too_long", "too_long"):
        limit = error["ctx"].get("max_length")
        return f"is too long (at most {limit})", "invalid-value", found.node
    if kind in ("string_too_short", "too_short"):
        limit = error["ctx"].get("min_length")
        return f"is too short (at least {limit})", "invalid-value", found.node
    wanted = expected(error)
    if wanted is not None:
        rule = "invalid-value" if kind == "literal_error" else "wrong-type"
        return _type_message(found, wanted), rule, found.node
    text = error["msg"].replace("Input should be", "must be")
    return f"{text}, got {describe(found.value)}", "invalid-value", found.node


def _merge_union(group: list[_Located]) -> list[_Located | tuple[str, _Located]]:
    deeper = [f for f in group if f.deeper]
    if deeper:
        return list(deeper)
    if any(expected(found.error) is None for found in group):
        return list(group)
    expectations: list[str] = []
    for found in group:
        wanted = expected(found.error)
        if wanted and wanted not in expectations:
            expectations.append(wanted)
    first = group[0]
    merged = _Located(
        first.error,
        first.union_at or (),
        first.mapping_ints,
        first.value,
        None,
        False,
        None,
        first.key_error,
    )
    return [(f"must be {' or '.join(expectations)}, got {describe(first.value)}", merged)]


@dataclass(frozen=True)
class Explained:
    """One validation error retold: where (a node path) and what, in YAML's words."""

    node: NodePath
    """The node the message concerns."""
    path: str
    """``node`` in dotted form (``criteria[2].weight``; level keys as ``levels.2``)."""
    message: str
    """What is wrong and how to fix it."""
    rule: str
    """``unknown-key``, ``missing-key``, ``wrong-type``, ``invalid-value`` or ``check-kind``."""
    at_value: bool
    """Point at the node's value (a wrong value) rather than its key."""


def explain_errors(error: ValidationError, data: Any, root: Any = Rubric) -> list[Explained]:
    """Every error of a failed validation, retold, in the order pydantic found them.

    Args:
        error: what validating ``data`` raised.
        data: the plain data that was validated.
        root: the type ``data`` was validated as (for the keys allowed at each node).
    """
    located = [_locate_error(e, data) for e in error.errors(include_url=False)]
    unions: dict[NodePath, list[_Located]] = {}
    items: list[_Located | tuple[str, _Located]] = []
    for found in located:
        if found.union_at is not None:
            if found.union_at not in unions:
                unions[found.union_at] = []
                items.append(("union", found))  # placeholder keeps the order
            unions[found.union_at].append(found)
        else:
            items.append(found)
    out: list[Explained] = []
    seen: set[tuple[NodePath, str]] = set()
    for item in items:
        expanded = (
            _merge_union(unions[item[1].union_at or ()]) if isinstance(item, tuple) else [item]
        )
        for entry in expanded:
            if isinstance(entry, tuple):
                message, found = entry
                rule, node = "wrong-type", found.node
            else:
                found = entry
                message, rule, node = _message(data, found, root)
            if (node, message) in seen:
                continue
            seen.add((node, message))
            at_value = rule in ("wrong-type", "invalid-value") and not found.key_error
            at_value = at_value or (rule == "check-kind" and node == found.node)
            ints = [i for i in found.mapping_ints if i < len(node)]
            out.append(Explained(node, format_path(node, ints), message, rule, at_value))
    return out


def schema_problems(error: ValidationError, data: Any, doc: Any, filename: str) -> list[Problem]:
    """Every error of a failed ``Rubric`` validation as a positioned :class:`Problem`.

    Args:
        error: what ``Rubric.model_validate(data)`` raised.
        data: the plain data that was validated.
        doc: the ruamel document the data came from (for positions).
        filename: the file name to report.
    """
    problems: list[Problem] = []
    for explained in explain_errors(error, data):
        position = yamlio.locate(doc, explained.node, value=explained.at_value)
        line, col = position if position else (None, None)
        problems.append(
            Problem(
                filename,
                line,
                col,
                explained.path,
                explained.message,
                "error",
                explained.rule,
                explained.node,
            )
        )
    return problems
