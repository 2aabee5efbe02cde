"""A scripted model client for judge tests (implements the ``ModelClient`` protocol).

``ScriptedClient`` answers each request with the next scripted reply, or with what a
``responder(request, repeat)`` function returns, and records every request it was sent, so
tests can check the exact prompt, sampling parameters, schema and repeat index.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from rubricate.judge.calls import CallError, ModelReply, ModelRequest, Usage

Responder = Callable[[ModelRequest, int], ModelReply]

VERDICT_SCHEMA = {
    "name": "verdict",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {"explanation": {"type": "string"}, "criteria_met": {"type": "boolean"}},
        "required": ["explanation", "criteria_met"],
        "additionalProperties": False,
    },
}
"""The pass/fail judge schema the client tests send as ``json_schema``."""


def text_reply(
    text: str, *, model: str = "judge-1", tokens: tuple[int, int] = (10, 5)
) -> ModelReply:
    """A successful reply with ``text``."""
    return ModelReply(
        text=text,
        model=model,
        usage=Usage(input_tokens=tokens[0], output_tokens=tokens[1]),
        attempts=1,
    )


def score_reply(result: Any, steps: list | None = None, **kwargs: Any) -> ModelReply:
    """A well-formed score-model reply ``{"result": ..., "steps": [...]}``."""
    steps = steps if steps is not None else [{"description": "checked", "conclusion": "ok"}]
    return text_reply(json.dumps({"result": result, "steps": steps}), **kwargs)


def error_reply(kind: str, message: str = "failed", status_code: int | None = None) -> ModelReply:
    """A reply carrying a call error (``kind`` is a ``CallErrorKind``)."""
    return ModelReply(
        error=CallError(kind=kind, message=message, status_code=status_code),  # type: ignore[arg-type]
        refusal=message if kind == "refusal" else None,
    )


def embed_reply(*vectors: list[float]) -> ModelReply:
    """A successful embeddings reply."""
    return ModelReply(
        embeddings=[list(v) for v in vectors],
        model="text-embedding-3-large",
        usage=Usage(input_tokens=7),
    )


class ScriptedClient:
    """Replies from a script (in order) or from a responder function.

    Attributes:
        requests: every ``(request, repeat)`` received, in order.
    """

    def __init__(
        self, replies: Iterable[ModelReply] = (), responder: Responder | None = None
    ) -> None:
        self.replies = list(replies)
        self.responder = responder
        self.requests: list[tuple[ModelRequest, int]] = []

    async def call(self, request: ModelRequest, repeat: int = 0) -> ModelReply:
        self.requests.append((request, repeat))
        if self.responder is not None:
            return self.responder(request, repeat)
        if not self.replies:
            raise AssertionError(f"unexpected model call: {request.canonical_json()[:200]}")
        return self.replies.pop(0)
