"""The contract between graders and the model client: requests, replies and the client protocol.

Every model call the project makes (score and label model graders, ``cosine`` embeddings,
answer generation for baselines) is described by a :class:`ModelRequest` and answered by a
:class:`ModelReply`. The client never raises for a failed call (only for an endpoint
that cannot be used at all: :class:`~rubricate.judge.breaker.EndpointDown`): the reply carries a
:class:`CallError` and the caller records it (a grader error is an error, never a silent 0).

A request's identity is :meth:`ModelRequest.key`: a SHA-256 of its canonical JSON plus the
repeat index. The call store keys on it, so repeats are real, separate samples and a rerun of
the same command replays stored calls for free.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

CallErrorKind = Literal[
    "server_error",  # 5xx after every retry
    "rate_limited",  # 429 after every retry
    "timeout",  # no answer within the per-request timeout, after every retry
    "connection",  # the endpoint could not be reached
    "bad_request",  # 4xx other than 429: the request itself is wrong (not retried)
    "auth",  # 401/403: missing or wrong key (not retried)
    "refusal",  # the model refused to answer
    "truncated",  # the reply hit the token limit before it was complete
    "not_configured",  # no endpoint configured: the call was never attempted
]


_IDENTITY = "_rubricate_identity"
"""Where a request keeps its canonical JSON and hash (in ``__dict__``, beside the fields)."""


def _fields_of(request: BaseModel) -> tuple[Any, ...]:
    return tuple(request.__dict__.get(name) for name in type(request).model_fields)


class ModelRequest(BaseModel):
    """One exact model request. Frozen: what is hashed is what is sent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["generate", "embed"] = "generate"
    """``generate`` for a chat/responses call, ``embed`` for the embeddings endpoint."""
    model: str
    """Model name as the endpoint knows it."""
    messages: tuple[dict[str, Any], ...] = ()
    """Chat messages (``role`` system/developer/user/assistant, ``content`` str or parts)."""
    inputs: tuple[str, ...] = ()
    """Texts to embed (``kind == "embed"``)."""
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    max_completion_tokens: int | None = None
    reasoning_effort: str | None = None
    json_schema: dict[str, Any] | None = None
    """Structured output: ``{"name", "schema", "strict"}``; the client falls back to a plain
    JSON reply where the server does not support structured outputs."""
    tag: str = ""
    """Anything else that must change the key, e.g. a grader version hash."""

    def canonical_json(self) -> str:
        """The request as canonical JSON (sorted keys, no whitespace): the hashed identity.

        Computed once per request object (it is frozen) and kept: a request of ~20 kB is
        serialised once however many repeats, replays and store writes use it."""
        return self._identity()[0]

    def sha256(self) -> str:
        """SHA-256 of :meth:`canonical_json` (hex): the content address the call store keeps
        the request under (one copy however many repeats share it)."""
        return self._identity()[1].hexdigest()

    def key(self, repeat: int = 0) -> str:
        """The store key: SHA-256 of the canonical request plus the repeat index (the hash of
        the request is taken once; each key only hashes ``#repeat=N`` on a copy of it)."""
        digest = self._identity()[1].copy()
        digest.update(f"#repeat={repeat}".encode())
        return digest.hexdigest()

    def _identity(self) -> tuple[str, Any]:
        found = self.__dict__.get(_IDENTITY)
        if found is None:  # frozen: the fields cannot change once the identity is taken
            text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
            found = self.__dict__[_IDENTITY] = (text, hashlib.sha256(text.encode("utf-8")))
        return found

    def model_copy(self, *, update: Any = None, deep: bool = False) -> ModelRequest:
        """A copy (see pydantic); the cached identity is not carried over."""
        copy = super().model_copy(update=update, deep=deep)
        for name in [n for n in copy.__dict__ if n.startswith("_rubricate_")]:
            del copy.__dict__[name]  # the identity, encoded bodies: of the original fields
        return copy

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModelRequest):
            return NotImplemented
        return _fields_of(self) == _fields_of(other)

    def __hash__(self) -> int:
        return hash(self.key())


class Usage(BaseModel):
    """Token usage of one call (zeros when the endpoint does not report it)."""

    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class CallError(BaseModel):
    """Why a call has no usable reply. ``message`` is one line and never holds a key."""

    kind: CallErrorKind
    message: str
    status_code: int | None = None
    body: str | None = None
    """The raw response body, when there was one (truncated to a few kB)."""


class ModelReply(BaseModel):
    """The answer to one :class:`ModelRequest` (or why there is none)."""

    text: str | None = None
    """The reply text (for ``generate``); may be malformed JSON: parsing is the caller's job."""
    embeddings: list[list[float]] | None = None
    """One vector per input (for ``embed``)."""
    refusal: str | None = None
    """The model's refusal message, when it refused (``error.kind == "refusal"`` too)."""
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    """Wall time of the successful attempt (0 for a replay from the store)."""
    cached: bool = False
    """True when replayed from the call store (no new cost)."""
    model: str | None = None
    """The model name the endpoint reported."""
    attempts: int = 0
    """HTTP attempts made (0 for a replay)."""
    error: CallError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class ModelClient(Protocol):
    """What graders need from a model client. Implementations never raise for a failed call."""

    async def call(self, request: ModelRequest, repeat: int = 0) -> ModelReply:
        """Answer ``request`` (replaying from the store when it holds ``key(repeat)``)."""
        ...


class ClientSettings(BaseModel):
    """How the model client reaches its endpoint and how hard it may push it.

    The API key is never a setting: it comes only from the environment (``OPENAI_API_KEY``,
    or the Azure variables), and is never logged, stored or printed.
    """

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    """Endpoint; default ``OPENAI_BASE_URL``, else the OpenAI API. Any OpenAI-compatible server
    (vLLM, Ollama, llama.cpp server) works."""
    concurrency: int = Field(default=16, ge=1)
    """Requests in flight at once."""
    rpm: int | None = Field(default=None, ge=1)
    """Requests-per-minute limit (none = unlimited)."""
    tpm: int | None = Field(default=None, ge=1)
    """Tokens-per-minute limit (none = unlimited)."""
    timeout_s: float = Field(default=120.0, gt=0)
    """Per-request timeout."""
    max_retries: int = Field(default=6, ge=0)
    """Retries after the first attempt for 429, 5xx, timeouts and connection errors."""
    store_path: str | None = ".rubricate/calls.sqlite"
    """SQLite call store; none = no store."""
    use_cache: bool = True
    """Replay stored calls (``--no-cache`` turns it off; calls are still recorded)."""
    api: Literal["auto", "chat", "responses"] = "auto"
    """Which endpoint to use for ``generate`` calls; ``auto`` falls back to chat completions."""
    structured_output: Literal["auto", "json_schema", "json_object", "instruction"] = "auto"
    """How a request with a JSON schema is sent: ``auto`` learns it from the endpoint
    (``json_schema``, then JSON mode with the schema, JSON mode, a schema instruction); any
    other value forces that one (``json_object`` sends the schema along)."""
    local: bool | None = None
    """A local server (no cost is invented for it); None: decided from the base URL (this
    machine or a private network)."""
    batch: bool = False
    """Send requests through the Batch API instead of one by one."""
    azure: bool = False
    """Azure OpenAI: ``AZURE_OPENAI_ENDPOINT`` (or ``base_url``) and ``AZURE_OPENAI_API_KEY``
    (or ``AZURE_OPENAI_AD_TOKEN``) instead of the OpenAI variables."""
    max_connection_failures: int = Field(default=20, ge=0)
    """Stop the run after this many consecutive failed connection attempts (spanning at least
    5 s; :mod:`rubricate.judge.breaker`); 0 = never. A refused key stops it at once."""
