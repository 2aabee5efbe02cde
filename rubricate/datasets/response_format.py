"""The ``response_format`` of an RFT job: the Chat Completions ``json_schema`` shape.

The model trained by RFT can be made to answer with Structured Outputs; the job then carries
``method.reinforcement.response_format`` in the Chat Completions shape::

    {"type": "json_schema", "json_schema": {"name": ..., "schema": {...}, "strict": true}}

as OpenAI's RFT guide creates its example job ("LLM-powered security review"; the grader then
reads ``{{ sample.output_json.<field> }}``). The SDK's ``ReinforcementMethod`` does not declare
the field (:data:`rubricate.rubrics.compile.sdk_gaps.REINFORCEMENT_RESPONSE_FORMAT`), so it is
validated on its own against the SDK's ``ResponseFormatJSONSchema``.

:func:`response_format_from` also takes the flat shape Azure OpenAI's RFT guide prints
(``{"type": "json_schema", "name", "schema", "strict"}``) and a bare JSON Schema of an object
(wrapped with ``strict: true`` and a name made from the rubric id), and rewrites both into the
nested shape. With ``strict`` the Structured Outputs rules are checked: every object sets
``additionalProperties: false`` and lists all its properties in ``required``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rubricate.errors import ExportError

_SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _schema_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64]
    return cleaned or "response"


def read_response_format(path: str | Path) -> Any:
    """The JSON in a ``--response-format`` file, not yet checked (:func:`response_format_from`).

    Raises:
        InputError: no such file, or not JSON (one line naming the file).
    """
    from rubricate.files import read_json

    return read_json(path, "response format JSON file")


def response_format_from(data: Any, default_name: str) -> dict[str, Any]:
    """The Chat Completions ``json_schema`` response format for ``data``.

    Args:
        data: a response format in the nested (Chat Completions) or flat (Azure guide) shape,
            or a bare JSON Schema (an object with ``type``/``properties``).
        default_name: the schema name used when wrapping a bare schema (made a valid name).

    Raises:
        ExportError: ``data`` is none of these, or breaks the Structured Outputs rules.
    """
    if not isinstance(data, dict):
        raise ExportError("response format: must be a JSON object")
    if data.get("type") == "json_schema" and isinstance(data.get("json_schema"), dict):
        shaped = {"type": "json_schema", "json_schema": dict(data["json_schema"])}
        extra = sorted(set(data) - {"type", "json_schema"})
    elif data.get("type") == "json_schema" and "schema" in data:
        inner = {k: data[k] for k in ("name", "description", "schema", "strict") if k in data}
        shaped = {"type": "json_schema", "json_schema": inner}
        extra = sorted(set(data) - {"type", "name", "description", "schema", "strict"})
    elif data.get("type") in ("text", "json_object"):
        raise ExportError(
            f"response format: type {data['type']!r} needs no schema file; give a json_schema "
            "response format or a JSON Schema, or leave --response-format out for text"
        )
    elif "properties" in data or data.get("type") == "object":
        shaped = {
            "type": "json_schema",
            "json_schema": {"name": _schema_name(default_name), "schema": data, "strict": True},
        }
        extra = []
    else:
        raise ExportError(
            'response format: expected {"type": "json_schema", "json_schema": {"name", '
            '"schema", "strict"}} or a JSON Schema of an object'
        )
    if extra:
        raise ExportError(f"response format: unknown keys {', '.join(extra)}")
    check_response_format(shaped)
    return shaped


def _strict_problems(schema: Any, where: str) -> list[str]:
    problems: list[str] = []
    if not isinstance(schema, dict):
        return problems
    if schema.get("type") == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        if schema.get("additionalProperties") is not False:
            problems.append(f"{where}: set additionalProperties to false")
        missing = sorted(set(props) - set(schema.get("required") or []))
        if missing:
            problems.append(f"{where}: list every property in required (missing {missing})")
        for name, sub in props.items():
            problems += _strict_problems(sub, f"{where}.properties.{name}")
    if isinstance(schema.get("items"), dict):
        problems += _strict_problems(schema["items"], f"{where}.items")
    for key in ("anyOf", "$defs", "definitions"):
        value = schema.get(key)
        subs = value.items() if isinstance(value, dict) else enumerate(value or [])
        for name, sub in subs:
            problems += _strict_problems(sub, f"{where}.{key}.{name}")
    return problems


def check_response_format(shaped: dict[str, Any]) -> None:
    """Check a response format in the nested shape against the SDK's
    ``ResponseFormatJSONSchema`` and, with ``strict``, the Structured Outputs rules.

    Raises:
        ExportError: one line naming what is wrong.
    """
    from openai.types.shared import ResponseFormatJSONSchema
    from pydantic import ValidationError

    try:
        model = ResponseFormatJSONSchema.model_validate(shaped)
    except ValidationError as error:
        first = error.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ExportError(f"response format: {loc}: {first['msg']}") from None
    inner = shaped["json_schema"]
    unknown = sorted(set(inner) - {"name", "description", "schema", "strict"})
    if unknown:
        raise ExportError(f"response format: json_schema has unknown keys {', '.join(unknown)}")
    if not _SCHEMA_NAME.match(model.json_schema.name):
        raise ExportError(
            f"response format: json_schema.name {model.json_schema.name!r} must be letters, "
            "digits, _ or -, at most 64 characters"
        )
    schema = inner.get("schema")
    if not isinstance(schema, dict):
        raise ExportError("response format: json_schema.schema must be a JSON Schema object")
    if inner.get("strict"):
        problems = _strict_problems(schema, "schema")
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ExportError(
                f"response format: strict Structured Outputs need {problems[0]}{more}; fix the "
                'schema or set "strict": false'
            )
