"""Dataset rows in the reinforcement fine-tuning (RFT) format.

An RFT row is one JSON line: ``messages``, the prompt the trained model answers, in the chat
completions format, an optional ``tools`` list, plus any other fields, which the grader reads
as ``{{ item.<field> }}`` (API reference, "Training format for reasoning models using the
reinforcement method": *``messages`` and ``tools`` are the only reserved keywords; any other
arbitrary key-value data ... will be available to reference during grading under the
``{{ item.XXX }}`` template variable*; Azure OpenAI "Reinforcement fine-tuning",
"Requirements": *the final message must be assigned a user role*). RFT takes no ``system``
message (Azure OpenAI RFT guide, "Process": *system messages aren't supported*); the
instructions go in a ``developer`` message.

How a row is built from a dataset item (everything here is pure):

- an item that carries ``messages`` keeps them verbatim (they are checked: roles ``developer``,
  ``user`` or ``assistant``, no ``system``, text or content-part content, the last one from the
  ``user``);
- otherwise the messages are built: an optional ``developer`` message (``--developer``), then
  one ``user`` message, the rubric's ``task`` rendered for the item with the platform's
  ``{{ item.x }}`` semantics (:func:`rubricate.judge.template.render`: strings as they are,
  anything else as JSON text), or the item's own ``task`` string when the rubric has none;
- an item's ``tools`` are kept as they are (the functions the model may call);
- the row also gets the item's ``id`` (when it has one: it names the row in messages and
  manifests; the platform ignores fields no grader reads) and every item field the grader
  reads: the top-level field of each ``{{ item.* }}`` reference in the rubric's texts and
  checks (per-item criteria and the implicit ``item.task`` included,
  :func:`rubricate.rubrics.lint.templates.required_item_references`) and in the compiled
  grader's template strings. Nothing else of the item is copied.

A missing item field is not reported here: the dataset checks (:mod:`.checks`) report
every missing template variable once, with the lines that lack it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rubricate.judge.template import (
    MissingVariableError,
    TemplateError,
    parse_template,
    render,
)
from rubricate.rubrics.items import ItemsFile
from rubricate.rubrics.loader import LoadedRubric
from rubricate.rubrics.problems import Problem

MESSAGE_ROLES = ("developer", "user", "assistant")
"""Roles an RFT prompt may use (no ``system``: use ``developer``)."""
ID_FIELD = "id"
TASK_MISMATCH = (
    "the rows' own messages do not contain the rubric's task rendered for the row; the judge "
    "is shown the rubric's task while the trained model sees these messages"
)
"""The warning (one per file) for rows whose own prompt differs from the rubric's task."""


def _grader_strings(grader: Mapping[str, Any]) -> Iterator[str]:
    """Every string of ``grader`` that the platform substitutes templates in."""
    kind = grader.get("type")
    if kind == "multi":
        for sub in (grader.get("graders") or {}).values():
            if isinstance(sub, Mapping):
                yield from _grader_strings(sub)
        return
    for key in ("input", "reference"):
        value = grader.get(key)
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):  # model graders: a list of messages
            for message in value:
                content = message.get("content") if isinstance(message, Mapping) else None
                if isinstance(content, str):
                    yield content
                elif isinstance(content, Mapping) and isinstance(content.get("text"), str):
                    yield content["text"]


def grader_item_fields(grader: Mapping[str, Any]) -> set[str]:
    """Top-level item fields the grader's template strings read (``{{ item.labels[0] }}`` ->
    ``labels``). A python grader's ``source`` is not a template and is not read; a malformed
    reference is skipped (validation reports it)."""
    fields: set[str] = set()
    for text in _grader_strings(grader):
        try:
            references = parse_template(text)
        except TemplateError:
            continue
        for ref in references:
            if ref.namespace == "item" and ref.path:
                fields.add(str(ref.path[0]))
    return fields


def rubric_item_fields(loaded: LoadedRubric) -> set[str]:
    """Top-level item fields the rubric makes its graders read (texts, checks, the implicit
    ``item.task`` when the rubric has no task, the ``item_criteria`` field)."""
    from rubricate.rubrics.lint.context import LintContext
    from rubricate.rubrics.lint.templates import required_item_references

    return {
        str(ref.path[0]) for _, ref, _ in required_item_references(LintContext(loaded)) if ref.path
    }


@dataclass
class Rows:
    """The RFT rows of one dataset file.

    Attributes:
        path: the source file, as named.
        rows: one row per item that could be built (same order as the items).
        lines: the 1-based source line of each row.
        problems: rows that could not be built (file and line of each).
    """

    path: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _message_problem(messages: Any) -> str | None:
    """Why ``messages`` is not an RFT prompt (None when it is one)."""
    if not isinstance(messages, list) or not messages:
        return "`messages` must be a non-empty list of {role, content}"
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, Mapping):
            return f"{where} must be an object {{role, content}}"
        role = message.get("role")
        if role == "system":
            return (
                f"{where}: RFT takes no system message; give the instructions the role "
                '"developer" instead'
            )
        if role not in MESSAGE_ROLES:
            return f"{where}.role must be one of {', '.join(MESSAGE_ROLES)}, got {role!r}"
        content = message.get("content")
        if not isinstance(content, str | list) or not content:
            return f"{where}.content must be non-empty text (or a list of content parts)"
    if messages[-1].get("role") != "user":
        return (
            f"the last message is from the {messages[-1].get('role')!r}; RFT samples an answer "
            "to a final user message, so end the prompt with a user message"
        )
    return None


def _user_texts(messages: Sequence[Mapping[str, Any]]) -> Iterator[str]:
    for message in messages:
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            yield content
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                    yield part["text"]


def build_row(
    item: Mapping[str, Any],
    *,
    task: str | None,
    developer: str | None,
    fields: set[str],
) -> tuple[dict[str, Any] | None, str | None, bool]:
    """The RFT row of one item.

    Args:
        item: the dataset item.
        task: the rubric's task template (None: the item's ``task`` string is the prompt).
        developer: a developer message put before built prompts (None: none).
        fields: item fields the grader reads; copied into the row when the item has them.

    Returns:
        ``(row, problem, mismatch)``: the row (None when it cannot be built), why not (None
        when the reason is a missing item field, which the dataset checks report), and whether
        the row's own messages lack the rubric's task rendered for it (then the trained model
        and the judge see different prompts).
    """
    mismatch = False
    if "messages" in item:
        problem = _message_problem(item["messages"])
        if problem is not None:
            return None, problem, False
        messages = [dict(m) for m in item["messages"]]
        if task is not None:
            try:
                rendered = render(task, item, {}).strip()
            except TemplateError:
                rendered = None
            if rendered and not any(rendered in text for text in _user_texts(messages)):
                mismatch = True
    else:
        if task is not None:
            try:
                prompt = render(task, item, {}).strip()
            except MissingVariableError:
                return None, None, False  # reported once for all rows by the dataset checks
            except TemplateError as error:
                return None, f"the rubric's task cannot be rendered: {error.msg}", False
        elif isinstance(item.get("task"), str) and item["task"].strip():
            prompt = item["task"].strip()
        else:
            return None, None, False  # the missing item.task is a template-variable problem
        messages = [{"role": "user", "content": prompt}]
        if developer:
            messages.insert(0, {"role": "developer", "content": developer})
    row: dict[str, Any] = {"messages": messages}
    if "tools" in item:
        row["tools"] = item["tools"]
    if ID_FIELD in item:
        row[ID_FIELD] = item[ID_FIELD]
    for name in sorted(fields):
        if name in item and name not in row:
            row[name] = item[name]
    return row, None, mismatch


def build_rows(
    items: ItemsFile, *, task: str | None, developer: str | None, fields: set[str]
) -> Rows:
    """:func:`build_row` for every item of a file; problems and warnings carry file and line."""
    out = Rows(items.path)
    warned: list[int] = []
    for item, line in zip(items.items, items.lines, strict=True):
        row, problem, mismatch = build_row(item, task=task, developer=developer, fields=fields)
        if problem is not None:
            out.problems.append(Problem(items.path, line, None, "", problem, "error", "rft-row"))
        if row is not None:
            out.rows.append(row)
            out.lines.append(line)
        if mismatch:
            warned.append(line)
    if warned:
        shown = ", ".join(str(n) for n in warned[:5]) + (", ..." if len(warned) > 5 else "")
        noun = "line" if len(warned) == 1 else "lines"
        message = f"{noun} {shown}: {TASK_MISMATCH}"
        out.problems.append(
            Problem(items.path, warned[0], None, "", message, "warning", "rft-task-mismatch")
        )
    return out


def row_json(row: Mapping[str, Any]) -> str:
    """A row as one JSONL line (no newline): compact, non-ASCII kept."""
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def content_hash(row: Mapping[str, Any]) -> str:
    """SHA-256 of the row without its ``id``, keys sorted: two rows with this hash are the same
    prompt with the same grading data, whatever their ids."""
    body = {k: v for k, v in row.items() if k != ID_FIELD}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
