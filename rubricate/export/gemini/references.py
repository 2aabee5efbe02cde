"""Item fields as a Gemini example's ``references``, and back.

``ReinforcementTuningExample.references`` is a map from string to *string* (REST reference,
``references``: "additionalProperties": {"type": "string"}); scorers read it as
``{{references.key}}`` (autorater prompts, string-match expressions) or as
``example["references"]`` (code-execution and Cloud Run scorers). Rubric items hold any JSON
(EUROVOC's ``domains`` is a list), so the choice made here:

- a string field is stored as it is, so ``{{references.task}}`` reads exactly what the
  OpenAI grader's ``{{ item.task }}`` reads;
- any other value is stored as JSON text exactly as rubricate's template substitution renders
  it (:func:`rubricate.judge.template.to_text`, ``json.dumps`` with non-ASCII kept), so a
  prompt reads the same text on both platforms, and its key is listed in the reserved
  reference :data:`JSON_KEYS` (a JSON list of key names) so code scorers and the Cloud Run
  endpoint decode it back to the original value (:func:`item_from_references`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rubricate.judge.template import to_text

JSON_KEYS = "__rubricate_json__"
"""The reserved reference listing the keys whose values are JSON text."""


def references_from_item(item: Mapping[str, Any]) -> dict[str, str]:
    """``item``'s fields as string references (see the module docstring)."""
    refs: dict[str, str] = {}
    encoded: list[str] = []
    for key, value in item.items():
        refs[key] = to_text(value)
        if not isinstance(value, str):
            encoded.append(key)
    if encoded:
        refs[JSON_KEYS] = json.dumps(sorted(encoded))
    return refs


def item_from_references(refs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The item back from references written by :func:`references_from_item`."""
    data = dict(refs or {})
    encoded = set(json.loads(data.pop(JSON_KEYS, "[]")))
    return {k: (json.loads(v) if k in encoded else v) for k, v in data.items()}


# The same decoding, as source embedded in every code-execution snippet (the snippet cannot
# import rubricate on the platform). Kept beside the function above; a test runs both.
DECODE_SOURCE = f"""
def _rubricate_item(example):
    import json
    data = dict(example.get("references") or {{}})
    encoded = set(json.loads(data.pop({JSON_KEYS!r}, "[]")))
    return {{k: (json.loads(v) if k in encoded else v) for k, v in data.items()}}
"""
