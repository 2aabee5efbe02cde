"""Tuning-data rows in Gemini's format, converted from the RFT rows rubricate builds.

One JSONL line per prompt, a ``ReinforcementTuningExample`` (REST reference; the same keys in
camel case as the Cloud Run and code scorers receive it): ``systemInstruction`` (a
``Content``), ``contents`` (the prompt's turns) and ``references`` (string to string).

From an RFT row (:mod:`rubricate.datasets.rft_rows`):

- leading ``developer`` messages become ``systemInstruction`` (their texts joined by a blank
  line; RFT's developer message is Gemini's system instruction);
- ``user`` turns keep role ``user``, ``assistant`` turns become role ``model`` (``Content.role``:
  "Must be either 'user' or 'model'"); a string content is one text part, a list of
  ``{"type": "text", "text"}`` parts one text part each;
- every other field of the row the grader reads, and the row's ``id``, become references
  (:mod:`.references`);
- what has no equivalent here is refused with the row's line: a ``developer`` message after
  the first user turn, a non-text content part, ``tools`` (Gemini's function declarations
  differ from chat-completions tools; not converted).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rubricate.datasets.rft_rows import Rows
from rubricate.export.gemini.references import references_from_item
from rubricate.rubrics.problems import Problem


def _parts(content: Any) -> list[dict[str, str]] | None:
    if isinstance(content, str):
        return [{"text": content}]
    parts = []
    for part in content:
        if not (isinstance(part, Mapping) and part.get("type") == "text"):
            return None
        parts.append({"text": str(part.get("text", ""))})
    return parts


def gemini_row(row: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The Gemini example of one RFT row, or ``(None, why)``."""
    if "tools" in row:
        return None, "the row has tools; Gemini function declarations are not converted"
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    for message in row["messages"]:
        role = message.get("role")
        parts = _parts(message.get("content", ""))
        if parts is None:
            return None, f"a {role} message has a non-text content part; only text is converted"
        if role == "developer":
            if contents:
                return None, "a developer message after the first turn has no Gemini equivalent"
            system.append("".join(p["text"] for p in parts))
            continue
        contents.append({"role": "model" if role == "assistant" else "user", "parts": parts})
    out: dict[str, Any] = {}
    if system:
        out["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
    out["contents"] = contents
    fields = {k: v for k, v in row.items() if k not in ("messages", "tools")}
    if fields:
        out["references"] = references_from_item(fields)
    return out, None


def gemini_rows(rows: Rows) -> tuple[Rows, list[Problem]]:
    """Every row of ``rows`` converted; problems carry the file and line."""
    out = Rows(rows.path)
    problems: list[Problem] = []
    for row, line in zip(rows.rows, rows.lines, strict=True):
        converted, why = gemini_row(row)
        if converted is None:
            problems.append(Problem(rows.path, line, None, "", str(why), "error", "gemini-row"))
            continue
        out.rows.append(converted)
        out.lines.append(line)
    return out, problems
