"""What the loopback server passes around: requests, responses, paths.

Pure data and helpers shared by the server (:mod:`rubricate.testing.server`), its HTTP handler
(:mod:`rubricate.testing.http`) and the batch routes (:mod:`rubricate.testing.batches`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rubricate.testing.server import FakeOpenAI

MODEL_PATHS = ("/v1/chat/completions", "/v1/responses", "/v1/embeddings")
SECRET_HEADERS = frozenset({"authorization", "api-key"})
"""Headers that carry credentials: never logged."""


@dataclass
class FakeRequest:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    """Lower-cased names; ``authorization`` and ``api-key`` are never kept."""
    body: Any
    """The decoded JSON body (None when there is none or it is not JSON)."""
    raw: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    """Values of ``{name}`` placeholders in the matched route."""
    query: dict[str, str] = field(default_factory=dict)
    """The URL's query parameters (the last value of each name)."""
    started: float = 0.0
    finished: float | None = None
    status: int | None = None
    """Status answered (None: never answered)."""
    authorized: bool = False
    """True when an ``Authorization`` (OpenAI) or ``api-key`` (Azure) header was sent."""
    batch_id: str | None = None
    """The batch this request was a line of (None for a live HTTP request)."""

    @property
    def identity(self) -> str:
        """The call identity: the client's ``X-Rubricate-Call`` header, else a body hash."""
        key = self.headers.get("x-rubricate-call")
        if key:
            return key
        return hashlib.sha256(self.raw).hexdigest()


@dataclass
class FakeResponse:
    """What a route answers. ``body`` is JSON-encoded unless it is bytes."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["FakeOpenAI", FakeRequest], FakeResponse]
"""A route: ``handler(server, request) -> FakeResponse``."""


class Dropped(Exception):
    """Raised by a handler: close the connection without answering."""


_AZURE_DEPLOYMENT = re.compile(r"^/openai/deployments/[^/]+(/.*)$")


def normalise_path(path: str) -> str:
    """Azure OpenAI paths mapped onto the OpenAI ones the routes use.

    ``/openai/deployments/{name}/chat/completions`` and ``/openai/v1/...`` and
    ``/openai/files`` become ``/v1/chat/completions``, ``/v1/...``, ``/v1/files``; a bare
    ``/chat/completions`` (an Azure batch line's ``url``) becomes ``/v1/chat/completions``.
    """
    found = _AZURE_DEPLOYMENT.match(path)
    if found:
        return "/v1" + found.group(1)
    if path.startswith("/openai/v1/"):
        return path[len("/openai") :]
    if path.startswith("/openai/"):
        return "/v1" + path[len("/openai") :]
    if not path.startswith("/v1/") and path.split("/")[1:2] in (
        ["chat"],
        ["responses"],
        ["embeddings"],
    ):
        return "/v1" + path
    return path
