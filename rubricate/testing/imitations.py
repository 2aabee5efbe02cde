"""How real OpenAI-compatible servers differ, for the loopback server to imitate them.

``FakeOpenAI(imitate=NAME)`` answers as that server does where it matters to a client: which
``response_format`` types it takes and how it refuses the others, what it does with a
``developer`` message, which names of the output limit it reads, whether it serves the
Responses API, and what a small local model writes when nothing constrains it to the schema.
Learned from the servers' sources (the versions named below):

- ``openai``: the API as the rest of the loopback server plays it (the default).
- ``llama-cpp-python`` (0.3.x, ``python -m llama_cpp.server``): its request model takes
  ``response_format`` ``text`` or ``json_object`` (with an optional ``schema``, compiled to a
  grammar that constrains decoding) and message roles ``system``/``user``/``assistant``/
  ``tool``/``function``; anything else fails pydantic validation, which its error handler
  answers with **HTTP 500** and the validation text. It reads ``max_tokens`` and ignores
  unknown fields (``max_completion_tokens`` included). No ``/v1/responses`` (404).
- ``llama-server`` (llama.cpp's own server): ``json_schema`` and ``json_object`` (with
  ``schema``) both constrain decoding; ``developer`` is mapped to ``system``; the limit is
  ``n_predict`` with aliases ``max_tokens`` and ``max_completion_tokens``; serves
  ``/v1/responses``. Another format type is a 400.
- ``vllm``: ``json_schema`` constrains decoding, ``json_object`` gives JSON without a schema
  (a ``schema`` key there is ignored); ``developer`` passes to the chat template; reads
  ``max_completion_tokens`` and the deprecated ``max_tokens``; serves ``/v1/responses``.
- ``ollama`` (``/v1`` compatibility layer): ``json_schema`` becomes the schema ``format``,
  ``json_object`` plain ``"json"`` (schema ignored); reads only ``max_tokens``; passes roles to
  the model's template, which drops a ``developer`` message silently.

Pure: the server (:mod:`rubricate.testing.server`) asks :func:`refusal` whether to refuse a
body, and :meth:`Imitation.prepare` what the "model" sees and how long it may answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from rubricate.testing.replies import error_body

DeveloperRole = Literal["accept", "reject", "drop", "system"]


@dataclass(frozen=True)
class Imitation:
    """One server's behaviour (see the module docstring)."""

    name: str
    responses_api: bool = True
    formats: frozenset[str] = frozenset({"text", "json_object", "json_schema"})
    """``response_format`` types it takes."""
    json_object_schema: bool = False
    """``json_object`` with a ``schema`` constrains decoding to it."""
    developer: DeveloperRole = "accept"
    limit_fields: tuple[str, ...] = ()
    """Names of the output limit it reads, first found wins (empty: the limit is not
    enforced by the loopback server)."""
    small_model: bool = False
    """Replies not constrained to the schema are what a small model writes: JSON that
    ignores the schema in JSON mode, prose otherwise."""

    def prepare(self, body: dict[str, Any]) -> Prepared:
        """What the model sees of ``body`` and what constrains its reply."""
        messages = [dict(m) for m in body.get("messages") or [] if isinstance(m, dict)]
        if self.developer == "drop":
            messages = [m for m in messages if m.get("role") != "developer"]
        elif self.developer == "system":
            messages = [
                {**m, "role": "system"} if m.get("role") == "developer" else m for m in messages
            ]
        seen = {**body, "messages": messages} if "messages" in body else dict(body)
        fmt = body.get("response_format")
        if not isinstance(fmt, dict):
            fmt = {}
        kind = fmt.get("type")
        schema = None
        if kind == "json_schema":
            schema = (fmt.get("json_schema") or {}).get("schema")
        elif kind == "json_object" and self.json_object_schema:
            schema = fmt.get("schema")
        limit = next((body[f] for f in self.limit_fields if isinstance(body.get(f), int)), None)
        return Prepared(seen, kind, schema if isinstance(schema, dict) else None, limit)

    def unconstrained_reply(self, kind: str | None) -> str:
        """What a small model writes when nothing holds it to the schema."""
        if kind == "json_object":
            return json.dumps({"answer": "yes", "reason": "The response looks fine."})
        return "Yes, the response meets the criterion."


@dataclass(frozen=True)
class Prepared:
    """A body as one server reads it."""

    body: dict[str, Any]
    """The body with the messages the model sees (``developer`` dropped or renamed)."""
    format_type: str | None
    schema: dict[str, Any] | None
    """The schema decoding is constrained to (None: none)."""
    limit: int | None
    """The output limit the server read (None: none, or not imitated)."""


IMITATIONS: dict[str, Imitation] = {
    "openai": Imitation("openai"),
    "llama-cpp-python": Imitation(
        "llama-cpp-python",
        responses_api=False,
        formats=frozenset({"text", "json_object"}),
        json_object_schema=True,
        developer="reject",
        limit_fields=("max_tokens",),
        small_model=True,
    ),
    "llama-server": Imitation(
        "llama-server",
        json_object_schema=True,
        developer="system",
        limit_fields=("n_predict", "max_tokens", "max_completion_tokens"),
        small_model=True,
    ),
    "vllm": Imitation(
        "vllm",
        formats=frozenset({"text", "json_object", "json_schema", "structural_tag"}),
        limit_fields=("max_completion_tokens", "max_tokens"),
        small_model=True,
    ),
    "ollama": Imitation(
        "ollama",
        developer="drop",
        limit_fields=("max_tokens",),
        small_model=True,
    ),
}


def imitation(name: str) -> Imitation:
    """The imitation called ``name`` (KeyError names the known ones)."""
    try:
        return IMITATIONS[name]
    except KeyError:
        raise KeyError(f"unknown server {name!r}; choose from {', '.join(IMITATIONS)}") from None


def refusal(server: Imitation, path: str, body: dict[str, Any]) -> tuple[int, Any] | None:
    """``(status, error body)`` when ``server`` refuses ``body`` on ``path``, else None."""
    if path == "/v1/responses" and not server.responses_api:
        return 404, {"detail": "Not Found"}  # FastAPI's answer to an unknown route
    if path != "/v1/chat/completions":
        return None
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    bad_format = kind is not None and kind not in server.formats
    roles = [m.get("role") for m in body.get("messages") or [] if isinstance(m, dict)]
    bad_roles = [i for i, r in enumerate(roles) if r == "developer"]
    if server.developer != "reject":
        bad_roles = []
    if not (bad_format or bad_roles):
        return None
    if server.name == "llama-cpp-python":
        return 500, _pydantic_500(kind if bad_format else None, bad_roles)
    message = f'response_format type must be one of "text" or "json_object", but got: {kind}'
    if server.name == "vllm":
        return 400, {"error": {"message": message, "type": "BadRequestError", "param": None,
                               "code": 400}}  # fmt: skip
    return 400, error_body(message)


def _pydantic_500(kind: str | None, developer_at: list[int]) -> dict[str, Any]:
    """llama-cpp-python's answer to a body its request model rejects: FastAPI's validation
    errors, caught by its route handler and answered with HTTP 500 (as 0.3.36 does)."""
    errors: list[str] = []
    for index in developer_at:
        message = {"role": "developer", "content": "..."}
        for variant, role in (("System", "system"), ("User", "user"), ("Assistant", "assistant"),
                              ("Tool", "tool"), ("Function", "function")):  # fmt: skip
            loc = ("body", "messages", index, f"ChatCompletionRequest{variant}Message", "role")
            errors.append(repr({"type": "literal_error", "loc": loc,
                                "msg": f"Input should be '{role}'", "input": "developer",
                                "ctx": {"expected": f"'{role}'"}}))  # fmt: skip
            if role in ("tool", "function"):
                field = "tool_call_id" if role == "tool" else "name"
                loc = ("body", "messages", index, f"ChatCompletionRequest{variant}Message", field)
                errors.append(repr({"type": "missing", "loc": loc, "msg": "Field required",
                                    "input": message}))  # fmt: skip
    if kind is not None:
        expected = "'text' or 'json_object'"
        errors.append(repr({"type": "literal_error", "loc": ("body", "response_format", "type"),
                            "msg": f"Input should be {expected}", "input": kind,
                            "ctx": {"expected": expected}}))  # fmt: skip
    noun = "error" if len(errors) == 1 else "errors"
    text = f"{len(errors)} validation {noun}:\n" + "\n".join(f"  {e}" for e in errors)
    text += (
        '\n\n  File "llama_cpp/server/app.py", line 376, in create_chat_completion\n'
        "    POST /v1/chat/completions"
    )
    return {"error": {"message": text, "type": "internal_server_error", "param": None,
                      "code": None}}  # fmt: skip
