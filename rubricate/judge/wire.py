"""Translation between :class:`ModelRequest` / :class:`ModelReply` and the OpenAI wire format.

Pure: builds request bodies and reads response bodies (plain dicts, as JSON-decoded); the
client does the sending. One request can be sent in several *modes*; the client picks one from
what it learned of the endpoint (:mod:`rubricate.judge.endpoint`):

- ``responses``: the Responses API (``api="responses"``), ``text.format`` json_schema when the
  request has a schema. ``seed`` is not sent (the Responses API has none).
- ``json_schema``: chat completions with ``response_format`` ``json_schema`` (structured
  outputs).
- ``json_object``: chat completions with ``response_format`` ``{"type": "json_object",
  "schema": ...}`` and the schema written into the system message: JSON mode, with the schema
  where llama.cpp, llama-cpp-python and LM Studio read it to constrain decoding (others
  ignore it).
- ``json_object_bare``: the same without ``response_format.schema``.
- ``instruction``: chat completions with only the schema instruction in the system message.
- ``plain``: chat completions for a request without a schema.

A :class:`Shape` says how the rest of the body is written for the endpoint: whether
``developer`` messages go as they are or as ``system``, and under which names the output limit
is sent (``max_completion_tokens``, ``max_tokens``).

``embed`` requests have one mode, the embeddings endpoint with ``encoding_format="float"``.
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from rubricate.judge.calls import CallError, ModelRequest, Usage

CHAT_PATH = "/chat/completions"
RESPONSES_PATH = "/responses"
EMBEDDINGS_PATH = "/embeddings"

DEFAULT_OUTPUT_ESTIMATE = 512
"""Output tokens assumed for the TPM estimate when a request sets no limit."""


@dataclass(frozen=True)
class Parsed:
    """What a 200 response said."""

    text: str | None = None
    refusal: str | None = None
    embeddings: list[list[float]] | None = None
    usage: Usage = field(default_factory=Usage)
    model: str | None = None
    truncated: bool = False
    problem: str | None = None
    """Set when the body is a 200 that holds no usable answer (no choices, failed status)."""


@dataclass(frozen=True)
class Shape:
    """How a body is written for one endpoint (see the module docstring)."""

    developer_role: bool = True
    """False: ``developer`` messages are sent as ``system``."""
    token_fields: tuple[str, ...] = ("max_completion_tokens",)
    """Names the output limit is sent under (Responses API: always ``max_output_tokens``)."""


OPENAI_SHAPE = Shape()


def path_for(mode: str) -> str:
    if mode == "embed":
        return EMBEDDINGS_PATH
    return RESPONSES_PATH if mode == "responses" else CHAT_PATH


def schema_body(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema itself, out of a ``{"name", "schema", "strict"}`` structured format."""
    body = schema.get("schema", schema)
    return body if isinstance(body, dict) else {}


def schema_instruction(schema: dict[str, Any]) -> str:
    """The system-message instruction used where structured outputs are unavailable."""
    return (
        "Reply with a single JSON object and nothing else. It must match this JSON Schema:\n"
        + json.dumps(schema_body(schema), sort_keys=True)
    )


def _with_instruction(messages: list[dict[str, Any]], instruction: str) -> list[dict[str, Any]]:
    for index, message in enumerate(messages):
        if message.get("role") in ("system", "developer") and isinstance(
            message.get("content"), str
        ):
            merged = dict(message, content=f"{message['content']}\n\n{instruction}")
            return [*messages[:index], merged, *messages[index + 1 :]]
    return [{"role": "system", "content": instruction}, *messages]


def _chat_part(part: Any) -> Any:
    """One grader content part (Responses/Evals shape) as a chat completions content part."""
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if not isinstance(part, dict):
        return part
    kind = part.get("type")
    if kind in ("input_text", "output_text"):
        return {"type": "text", "text": part.get("text", "")}
    if kind == "input_image":
        image: dict[str, Any] = {"url": part.get("image_url", "")}
        if part.get("detail"):
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    if kind == "input_audio" and "input_audio" not in part:
        return {"type": "input_audio", "input_audio": {"data": part.get("data"),
                                                        "format": part.get("format")}}  # fmt: skip
    return part


def chat_message(message: dict[str, Any]) -> dict[str, Any]:
    """A grader input message for chat completions.

    Graders write content parts in the Responses/Evals shape (``input_text``,
    ``input_image``); chat completions takes ``text`` and ``image_url`` parts. String content
    passes through unchanged; a single part object becomes a one-part list.
    """
    content = message.get("content")
    if isinstance(content, str) or content is None:
        return dict(message)
    parts = content if isinstance(content, list) else [content]
    return {**message, "content": [_chat_part(p) for p in parts]}


def _role(message: dict[str, Any], shape: Shape) -> dict[str, Any]:
    if not shape.developer_role and message.get("role") == "developer":
        return {**message, "role": "system"}
    return dict(message)


def build_body(request: ModelRequest, mode: str, shape: Shape = OPENAI_SHAPE) -> dict[str, Any]:
    """The JSON body of ``request`` sent in ``mode``, written for an endpoint of ``shape``."""
    if mode == "embed":
        return {"model": request.model, "input": list(request.inputs), "encoding_format": "float"}
    messages = [_role(m, shape) for m in request.messages]
    body: dict[str, Any] = {"model": request.model}
    for name in ("temperature", "top_p"):
        value = getattr(request, name)
        if value is not None:
            body[name] = value
    schema = request.json_schema
    if mode == "responses":
        body["input"] = messages
        body["store"] = False
        if request.max_completion_tokens is not None:
            body["max_output_tokens"] = request.max_completion_tokens
        if request.reasoning_effort is not None:
            body["reasoning"] = {"effort": request.reasoning_effort}
        if schema:
            body["text"] = {"format": {"type": "json_schema", **schema}}
        return body
    if request.seed is not None:
        body["seed"] = request.seed
    if request.max_completion_tokens is not None:
        for name in shape.token_fields:
            body[name] = request.max_completion_tokens
    if request.reasoning_effort is not None:
        body["reasoning_effort"] = request.reasoning_effort
    if schema:
        messages = _structured(body, messages, schema, mode)
    body["messages"] = [chat_message(m) for m in messages]
    return body


def _structured(
    body: dict[str, Any], messages: list[dict[str, Any]], schema: dict[str, Any], mode: str
) -> list[dict[str, Any]]:
    """Set ``body``'s response format for ``mode``; the messages, with the schema instruction
    where the mode needs it."""
    if mode == "json_schema":
        body["response_format"] = {"type": "json_schema", "json_schema": schema}
        return messages
    if mode == "json_object":
        body["response_format"] = {"type": "json_object", "schema": schema_body(schema)}
    elif mode == "json_object_bare":
        body["response_format"] = {"type": "json_object"}
    elif mode != "instruction":
        return messages
    return _with_instruction(messages, schema_instruction(schema))


def token_estimate(request: ModelRequest) -> int:
    """Tokens the request may cost, as the API estimates it: prompt size plus output budget."""
    if request.kind == "embed":
        return max(1, sum(len(t) for t in request.inputs) // 4)
    chars = 0
    for message in request.messages:
        content = message.get("content")
        chars += len(content) if isinstance(content, str) else len(json.dumps(content))
    output = request.max_completion_tokens or DEFAULT_OUTPUT_ESTIMATE
    return max(1, chars // 4) + output


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) else 0


def _usage(raw: Any, responses: bool) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    if responses:
        inp, out = "input_tokens", "output_tokens"
        inp_d, out_d = "input_tokens_details", "output_tokens_details"
    else:
        inp, out = "prompt_tokens", "completion_tokens"
        inp_d, out_d = "prompt_tokens_details", "completion_tokens_details"
    return Usage(
        input_tokens=_int(raw.get(inp)),
        cached_input_tokens=_int((raw.get(inp_d) or {}).get("cached_tokens")),
        output_tokens=_int(raw.get(out)),
        reasoning_tokens=_int((raw.get(out_d) or {}).get("reasoning_tokens")),
    )


def parse_chat(data: dict[str, Any]) -> Parsed:
    """Read a ``chat.completion`` body."""
    choices = data.get("choices")
    usage = _usage(data.get("usage"), responses=False)
    if not isinstance(choices, list) or not choices:
        return Parsed(usage=usage, model=data.get("model"), problem="the reply has no choices")
    choice = choices[0] or {}
    message = choice.get("message") or {}
    content = message.get("content")
    if isinstance(content, list):  # some servers return content parts
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return Parsed(
        text=content,
        refusal=message.get("refusal") or None,
        usage=usage,
        model=data.get("model"),
        truncated=choice.get("finish_reason") == "length",
    )


def parse_responses(data: dict[str, Any]) -> Parsed:
    """Read a Responses API ``response`` body."""
    usage = _usage(data.get("usage"), responses=True)
    status = data.get("status")
    if status == "failed":
        error = data.get("error") or {}
        return Parsed(usage=usage, model=data.get("model"), problem=f"response failed: {error}")
    texts: list[str] = []
    refusal = None
    for item in data.get("output") or []:
        if not isinstance(item, dict) or item.get("type") != "message":
            continue
        for part in item.get("content") or []:
            if part.get("type") == "output_text":
                texts.append(str(part.get("text", "")))
            elif part.get("type") == "refusal":
                refusal = str(part.get("refusal", ""))
    reason = (data.get("incomplete_details") or {}).get("reason")
    return Parsed(
        text="".join(texts) if texts else None,
        refusal=refusal,
        usage=usage,
        model=data.get("model"),
        truncated=status == "incomplete" and reason == "max_output_tokens",
    )


def _vector(raw: Any) -> list[float]:
    if isinstance(raw, str):  # base64 little-endian float32
        data = base64.b64decode(raw)
        return list(struct.unpack(f"<{len(data) // 4}f", data))
    return [float(x) for x in raw]


def parse_embeddings(data: dict[str, Any], expected: int) -> Parsed:
    """Read an embeddings ``list`` body; ``expected`` is the number of inputs."""
    items = sorted(data.get("data") or [], key=lambda item: item.get("index", 0))
    usage = Usage(input_tokens=_int((data.get("usage") or {}).get("prompt_tokens")))
    if len(items) != expected:
        problem = f"expected {expected} embeddings, got {len(items)}"
        return Parsed(usage=usage, model=data.get("model"), problem=problem)
    vectors = [_vector(item.get("embedding")) for item in items]
    return Parsed(embeddings=vectors, usage=usage, model=data.get("model"))


def parse_body(mode: str, data: Any, request: ModelRequest) -> Parsed:
    """Read a 200 body sent in ``mode``."""
    if not isinstance(data, dict):
        return Parsed(problem="the reply body is not a JSON object")
    if mode == "embed":
        return parse_embeddings(data, len(request.inputs))
    if mode == "responses":
        return parse_responses(data)
    return parse_chat(data)


def reply_error(
    parsed: Parsed, request: ModelRequest, shape: Shape = OPENAI_SHAPE
) -> CallError | None:
    """The error a 200 answer still carries: a refusal or a truncated reply."""
    if parsed.refusal is not None:
        return CallError(kind="refusal", message=f"the model refused: {parsed.refusal[:300]}")
    if parsed.truncated:
        limit = request.max_completion_tokens
        names = "/".join(shape.token_fields) or "max_completion_tokens"
        where = f" ({names}={limit})" if limit else ""
        return CallError(
            kind="truncated",
            message=f"the reply hit the token limit{where} before it was complete",
        )
    return None
