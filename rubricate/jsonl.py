"""JSON Lines text: one JSON object per line, every bad line an error naming its line.

The items files, calibration sets and ``rubricate grade`` samples are all read through
:func:`jsonl_objects`; each reader keeps its own file errors and its own words for what a line
is, so every message says which file, which line and what it should hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from rubricate.errors import InputError


def jsonl_objects(
    text: str, source: str, *, each_line_of: str, line_name: str | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for every non-blank line of ``text``, 1-based, in order.

    Args:
        text: the file's text.
        source: the file name, as messages show it.
        each_line_of: what the file is, for the bad-JSON message ("each line of
            ``each_line_of`` is one JSON object"), e.g. ``"an items file"``.
        line_name: with it, a line that is JSON but not an object reads "a ``line_name``
            line must be a JSON object, not list"; without, "must be a JSON object ({...}),
            got a list".

    Raises:
        InputError: at the first line that is not valid JSON (``source:line:column``) or not
            a JSON object (``source:line``), when the iteration reaches it.
    """
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(
                f"{source}:{number}:{error.colno}: not valid JSON ({error.msg}); each line of "
                f"{each_line_of} is one JSON object"
            ) from None
        if not isinstance(value, dict):
            if line_name is not None:
                raise InputError(
                    f"{source}:{number}: a {line_name} line must be a JSON object, not "
                    f"{type(value).__name__}"
                )
            kind = "a list" if isinstance(value, list) else type(value).__name__
            raise InputError(f"{source}:{number}: must be a JSON object ({{...}}), got {kind}")
        yield number, value
