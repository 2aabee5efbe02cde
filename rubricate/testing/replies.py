"""Pure builders of OpenAI-shaped response bodies for the loopback server.

Nothing here does IO: given a request body and a :class:`Verdict`, build the chat completion,
Responses API or embeddings body a real endpoint would return. The server
(:mod:`rubricate.testing.server`) decides *what* to answer (the score policy, faults); this
module only shapes it.

The reply a judge gets is JSON that fills the request's ``json_schema`` when there is one:
numbers get the score, booleans the verdict, strings with an ``enum`` the first (verdict true)
or last (false) choice, other strings a short explanation, arrays of objects one step. With no
schema the reply is ``{"result", "criteria_met", "explanation", "steps"}``, which covers both
judge formats the project uses.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

EMBEDDING_DIMS = 64
"""Length of the fake embedding vectors (hashed bag of words, L2-normalised)."""


@dataclass(frozen=True)
class Verdict:
    """What the fake judge decided for one request."""

    met: bool
    """The criterion verdict (``criteria_met``)."""
    score: Any
    """The ``result`` value: normally a number, anything for out-of-range tests."""


def estimate_tokens(text: str) -> int:
    """A crude token count: one token per four characters, at least one."""
    return max(1, len(text) // 4)


def message_text(message: dict[str, Any]) -> str:
    """The text of a chat message whose ``content`` is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict):
                parts.append(str(part.get("text") or part.get("input_text") or ""))
            else:
                parts.append(str(part))
        return "\n".join(parts)
    return ""


def request_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The chat messages of a chat completions or Responses API body."""
    if "messages" in body:
        return list(body.get("messages") or [])
    given = body.get("input")
    if isinstance(given, str):
        return [{"role": "user", "content": given}]
    messages = [m for m in given or [] if isinstance(m, dict)]
    if body.get("instructions"):
        messages.insert(0, {"role": "system", "content": body["instructions"]})
    return messages


def prompt_text(body: dict[str, Any]) -> str:
    """Every message's text, joined: what the fake judge reads."""
    return "\n".join(message_text(m) for m in request_messages(body))


def last_user_text(body: dict[str, Any]) -> str:
    """The text of the last ``user`` message (empty when there is none)."""
    for message in reversed(request_messages(body)):
        if message.get("role") == "user":
            return message_text(message)
    return ""


def request_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema the request asks the reply to follow (chat or Responses shape)."""
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema")
    text = body.get("text")
    if isinstance(text, dict):
        fmt = text.get("format")
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            return fmt.get("schema")
    return None


def _fill(schema: dict[str, Any], verdict: Verdict, depth: int = 0) -> Any:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if "enum" in schema and schema["enum"]:
        choices = schema["enum"]
        return choices[0] if verdict.met else choices[-1]
    if kind in ("number", "integer"):
        return verdict.score
    if kind == "boolean":
        return verdict.met
    if kind == "string":
        return "criterion met" if verdict.met else "criterion not met"
    if kind == "array":
        items = schema.get("items") or {}
        return [_fill(items, verdict, depth + 1)] if depth < 4 and items else []
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {name: _fill(sub, verdict, depth + 1) for name, sub in props.items()}
    return None


def judge_content(
    body: dict[str, Any], verdict: Verdict, *, schema: dict[str, Any] | None = None
) -> str:
    """The judge's reply text: JSON that fills ``schema`` (default: the request's schema; the
    default shape when it has none)."""
    import json

    schema = schema or request_schema(body)
    if schema:
        filled = _fill(schema, verdict)
        if isinstance(filled, dict):
            if "result" in filled:
                filled["result"] = verdict.score
            return json.dumps(filled)
    reply = {
        "result": verdict.score,
        "criteria_met": verdict.met,
        "explanation": "criterion met" if verdict.met else "criterion not met",
        "steps": [{"description": "fake judge", "conclusion": str(verdict.score)}],
    }
    return json.dumps(reply)


def _ids(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def chat_body(
    body: dict[str, Any],
    content: str | None,
    *,
    refusal: str | None = None,
    finish_reason: str = "stop",
    reasoning_tokens: int = 0,
) -> dict[str, Any]:
    """A ``chat.completion`` object answering ``body`` (``reasoning_tokens`` are part of
    ``completion_tokens``, as the API counts them)."""
    prompt_tokens = estimate_tokens(prompt_text(body))
    completion_tokens = estimate_tokens(content or refusal or "") + reasoning_tokens
    return {
        "id": _ids("chatcmpl-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
        },
    }


def responses_body(
    body: dict[str, Any],
    content: str | None,
    *,
    refusal: str | None = None,
    truncated: bool = False,
    reasoning_tokens: int = 0,
) -> dict[str, Any]:
    """A Responses API ``response`` object answering ``body`` (``reasoning_tokens`` are part of
    ``output_tokens``)."""
    input_tokens = estimate_tokens(prompt_text(body))
    output_tokens = estimate_tokens(content or refusal or "") + reasoning_tokens
    part = (
        {"type": "refusal", "refusal": refusal}
        if refusal is not None
        else {"type": "output_text", "text": content or "", "annotations": []}
    )
    return {
        "id": _ids("resp_"),
        "object": "response",
        "created_at": int(time.time()),
        "status": "incomplete" if truncated else "completed",
        "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
        "model": body.get("model", "fake-model"),
        "output": [
            {
                "type": "message",
                "id": _ids("msg_"),
                "status": "incomplete" if truncated else "completed",
                "role": "assistant",
                "content": [part],
            }
        ],
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
            "total_tokens": input_tokens + output_tokens,
        },
    }


def embed_vector(text: str) -> list[float]:
    """A deterministic unit vector: hashed bag of lower-cased words (similar texts, high cosine)."""
    vector = [0.0] * EMBEDDING_DIMS
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=4).digest()
        vector[int.from_bytes(digest, "big") % EMBEDDING_DIMS] += 1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0:
        vector[0] = 1.0
        return vector
    return [v / norm for v in vector]


def embeddings_body(body: dict[str, Any]) -> dict[str, Any]:
    """An embeddings ``list`` object for ``body["input"]`` (a string or a list of strings)."""
    given = body.get("input")
    texts = [given] if isinstance(given, str) else [str(t) for t in given or []]
    tokens = sum(estimate_tokens(t) for t in texts)
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": embed_vector(t)}
            for i, t in enumerate(texts)
        ],
        "model": body.get("model", "fake-embedding"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def error_body(message: str, kind: str = "invalid_request_error", code: str | None = None) -> dict:
    """An OpenAI-style error body."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}
