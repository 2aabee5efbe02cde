"""The inputs of ``rubricate grade``: the grader (JSON or rubric) and the (item, sample) pairs.

Grader file (``GRADER_OR_RUBRIC``):

- ``.yaml``/``.yml``: a rubric, loaded and compiled on the fly with its default target
  (exactly what ``rubricate compile`` writes);
- anything else is read as JSON: a grader config (it has ``type``), or a wrapper holding one:
  ``{"grader": {...}}`` (the graders-run/validate request body) or an RFT job's
  ``{"method": {"reinforcement": {"grader": {...}}}}``. A file that is not JSON and has no
  ``.json`` suffix is tried as a rubric.

Samples (``--samples``, JSONL): one object per line with ``output_text`` (a string, required)
and optionally ``output_tools`` (a list of chat-completions tool calls) and ``item_id``.
They are matched to items (``--items``, JSONL objects) in one of two ways:

- by id, when every sample has ``item_id``: the item whose ``id`` (else ``item_id``) equals it;
  several samples may share an item (several answers to one question);
- by order, when no sample has ``item_id``: the n-th sample with the n-th item, and the two
  files must have as many lines.

Mixing the two, an unknown id, a duplicated item id or a count mismatch is an input error
naming the file, line and field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rubricate.errors import InputError
from rubricate.files import read_text
from rubricate.jsonl import jsonl_objects

RUBRIC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Pair:
    """One (item, sample) to grade, and where it came from."""

    item: dict[str, Any]
    sample_text: str
    sample_tools: list | None
    item_id: Any
    sample_line: int


def _extract_grader(data: Any, name: str) -> dict[str, Any]:
    if isinstance(data, dict) and "type" in data:
        return data
    if isinstance(data, dict) and isinstance(data.get("grader"), dict):
        return data["grader"]
    method = data.get("method") if isinstance(data, dict) else None
    reinforcement = method.get("reinforcement") if isinstance(method, dict) else None
    if isinstance(reinforcement, dict) and isinstance(reinforcement.get("grader"), dict):
        return reinforcement["grader"]
    raise InputError(
        f'{name}: not a grader config: expected a JSON object with "type" (or '
        '{"grader": {...}}, or an RFT job with method.reinforcement.grader)'
    )


def _compile_rubric(path: Path) -> dict[str, Any]:
    # Deferred: the rubric loader and compiler (ruamel, Jinja) are only needed for rubrics.
    from rubricate.rubrics.compile import compile_rubric
    from rubricate.rubrics.lint import load_checked_rubric

    return compile_rubric(load_checked_rubric(path).rubric)


def load_grader(path: Path) -> tuple[dict[str, Any], str]:
    """The grader config in ``path`` and how it was read (``"grader JSON"`` or ``"rubric"``).

    Raises:
        InputError: unreadable file, invalid JSON, no grader in it (or a rubric error).
    """
    name = str(path)
    if path.suffix.lower() in RUBRIC_SUFFIXES:
        return _compile_rubric(path), "rubric"
    text = read_text(path, "grader or rubric file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        if path.suffix.lower() != ".json":
            return _compile_rubric(path), "rubric"
        raise InputError(
            f"{name}:{error.lineno}:{error.colno}: not valid JSON ({error.msg}); a grader file "
            "is one JSON object"
        ) from None
    from rubricate.judge.validate import duplicate_keys

    repeated = duplicate_keys(text)
    if repeated:
        more = f" (and {len(repeated) - 1} more)" if len(repeated) > 1 else ""
        raise InputError(f"{name}: {repeated[0]}{more}")
    return _extract_grader(data, name), "grader JSON"


def read_jsonl(path: Path, what: str) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for every non-blank line of a JSONL file.

    Raises:
        InputError: unreadable, a line that is not a JSON object, or no lines at all.
    """
    name = str(path)
    text = read_text(path, f"{what} file")
    rows = list(jsonl_objects(text, name, each_line_of=f"a {what} file", line_name=what))
    if not rows:
        raise InputError(f"{name}: has no {what}; write one JSON object per line")
    return rows


def _sample_fields(row: dict[str, Any], name: str, line: int) -> tuple[str, list | None]:
    text = row.get("output_text")
    if not isinstance(text, str):
        found = "missing" if text is None else json_kind(text)
        raise InputError(
            f"{name}:{line}: field output_text is {found}; each sample needs "
            '"output_text": "<the model\'s answer>"'
        )
    tools = row.get("output_tools")
    if tools is not None and not isinstance(tools, list):
        raise InputError(f"{name}:{line}: field output_tools must be a list of tool calls")
    return text, tools


def json_kind(value: Any) -> str:
    """A JSON value's kind in the words of JSON: a number, true/false, a list, an object."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    kinds: dict[type, str] = {list: "a list", dict: "an object", str: "text"}
    return kinds.get(type(value), "null")


def _item_id(item: dict[str, Any]) -> Any:
    return item.get("id", item.get("item_id"))


def pair_up(items_path: Path, samples_path: Path) -> list[Pair]:
    """Read both files and match samples to items (see the module docstring).

    Raises:
        InputError: unreadable files, bad lines, or samples that cannot be matched.
    """
    items = read_jsonl(items_path, "items")
    samples = read_jsonl(samples_path, "samples")
    with_id = [line for line, row in samples if "item_id" in row]
    if with_id and len(with_id) != len(samples):
        missing = next(line for line, row in samples if "item_id" not in row)
        raise InputError(
            f"{samples_path}:{missing}: no item_id, but other samples have one; give every "
            "sample an item_id, or none (then samples match items by line order)"
        )
    if not with_id:
        if len(items) != len(samples):
            raise InputError(
                f"{samples_path}: {len(samples)} samples for {len(items)} items in "
                f"{items_path}; matching by line order needs as many, or give each sample "
                "an item_id"
            )
        return [
            Pair(item, *_sample_fields(row, str(samples_path), line), _item_id(item), line)
            for (_, item), (line, row) in zip(items, samples, strict=True)
        ]
    by_id: dict[Any, dict[str, Any]] = {}
    for line, item in items:
        key = _item_id(item)
        if key is None:
            raise InputError(
                f"{items_path}:{line}: item has no id; samples name items by item_id, so "
                'every item needs "id"'
            )
        hashable = json.dumps(key, sort_keys=True)
        if hashable in by_id:
            raise InputError(f"{items_path}:{line}: duplicate item id {key!r}")
        by_id[hashable] = item
    pairs = []
    for line, row in samples:
        key = json.dumps(row["item_id"], sort_keys=True)
        if key not in by_id:
            raise InputError(
                f"{samples_path}:{line}: item_id {row['item_id']!r} is not the id of any item "
                f"in {items_path}"
            )
        text, tools = _sample_fields(row, str(samples_path), line)
        pairs.append(Pair(by_id[key], text, tools, row["item_id"], line))
    return pairs
