"""Dataset items: the JSONL rows a rubric's ``{{ item.* }}`` placeholders read.

``rubricate check --items`` lints a rubric against them (template variables every item must
provide, per-item criteria). One JSON object per line; blank lines are skipped; every other
line that is not a JSON object is an input error naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rubricate.errors import InputError
from rubricate.files import read_jsonl


@dataclass(frozen=True)
class ItemsFile:
    """Dataset items read from JSONL.

    Attributes:
        path: the file name as given.
        items: one dict per non-blank line.
        lines: the 1-based line number of each item.
    """

    path: str
    items: list[dict[str, Any]]
    lines: list[int]


def read_items(path: str | Path) -> ItemsFile:
    """Read dataset items: one JSON object per line; blank lines are skipped.

    Raises:
        InputError: no such file, not UTF-8, a line that is not a JSON object (the message
            names the file and line), or no items at all.
    """
    name = str(path)
    items: list[dict[str, Any]] = []
    lines: list[int] = []
    for number, value in read_jsonl(path, "items file"):
        items.append(value)
        lines.append(number)
    if not items:
        raise InputError(f"{name}: has no items; write one JSON object per line")
    return ItemsFile(name, items, lines)
