"""A loopback OpenAI-compatible HTTP server for tests and benchmarks.

Real HTTP on ``127.0.0.1`` (a free port), so the real ``openai`` SDK talks to it exactly as it
talks to the API. It serves ``POST /v1/chat/completions``, ``/v1/responses``,
``/v1/embeddings``, ``/v1/files`` (upload, retrieve, ``/content``) and ``/v1/batches`` (create,
retrieve, cancel; a batch runs each line through the same handlers), and anything a test adds
with :meth:`FakeOpenAI.add_route`.

Azure OpenAI paths (``/openai/deployments/{name}/...``, ``/openai/files``, ...) are served too,
mapped onto the OpenAI ones (:func:`normalise_path`).

Stack: the standard library's ``ThreadingHTTPServer`` with HTTP/1.1 keep-alive, one thread per
connection. Blocking is then trivial (a hang is a wait on an event), and 64 concurrent
connections at 200 ms latency cost a few percent of a core.

Every request is logged (:attr:`FakeOpenAI.requests`, without its credential headers),
and the server keeps ``in_flight`` / ``max_in_flight`` (requests received and not yet answered)
and :attr:`FakeOpenAI.answered`, a count of answers actually sent per call identity (the
client's ``X-Rubricate-Call`` header, which is the store key, else a hash of the body).

Scripting (all attributes may be changed while the server runs):

- ``latency``: seconds, or a callable ``request -> seconds``, from a request's arrival to its
  answer (the server's own parsing time is inside it, not added to it);
- ``policy``: the :class:`~rubricate.testing.script.ScorePolicy` (marker, scores, flip_p, ...);
- ``generate``: a callable ``request -> str | Generated | None`` scripting *generation* replies
  (a candidate model's answer, e.g. per prompt and call key); None (or no callable) leaves the
  request to the judge's score policy. Faults still apply first;
- ``faults``: a :class:`~rubricate.testing.script.FaultQueue`; shortcuts :meth:`fail`,
  :meth:`fault`;
- ``reject_structured_outputs`` / ``reject_json_object``: answer 400 to ``response_format``
  ``json_schema`` / ``json_object`` (to test the client's fallback);
- ``responses_api``: False answers 404 on ``/v1/responses``;
- ``imitate``: the name of a real server to answer as (``openai``, the default;
  ``llama-cpp-python``, ``llama-server``, ``vllm``, ``ollama``): its refusals, roles, limit
  names and small-model replies (:mod:`rubricate.testing.imitations`);
- :meth:`hold` / :meth:`release`: model requests wait at a gate until released;
- ``answer_limit``: only that many model requests are ever answered; later ones block and are
  never answered (:meth:`drop_blocked` closes them unanswered);
- ``batch_delay`` / ``batch_expire_after`` / :meth:`hold_batches`: batch processing.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any

from rubricate.testing import imitations, replies
from rubricate.testing.http import HTTPHandler
from rubricate.testing.messages import (
    MODEL_PATHS,
    Dropped,
    FakeRequest,
    FakeResponse,
    Handler,
    normalise_path,
)
from rubricate.testing.script import Fault, FaultQueue, Generated, ScorePolicy

__all__ = ["MODEL_PATHS", "FakeOpenAI", "FakeRequest", "FakeResponse", "Handler", "normalise_path"]


class FakeOpenAI:
    """The loopback server. Use as a context manager, or :meth:`start` / :meth:`stop`."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        imitate: str = "openai",
    ) -> None:
        self.latency: float | Callable[[FakeRequest], float] = latency
        self.imitation = imitations.imitation(imitate)
        self.policy = ScorePolicy()
        self.generate: Callable[[FakeRequest], str | Generated | None] | None = None
        self.faults = FaultQueue()
        self.reject_structured_outputs = False
        self.reject_json_object = False
        self.responses_api = True
        self.answer_limit: int | None = None
        self.batch_delay = 0.0
        self.batch_expire_after: int | None = None
        self.requests: list[FakeRequest] = []
        self.answered: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._gate = threading.Event()
        self._gate.set()
        self._batch_gate = threading.Event()
        self._batch_gate.set()
        self._stopping = threading.Event()
        self._drop = threading.Event()
        self._admitted = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._host, self._port = host, port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        from rubricate.testing import batches

        batches.install(self)
        self.add_route("POST", "/v1/chat/completions", _model_route)
        self.add_route("POST", "/v1/responses", _model_route)
        self.add_route("POST", "/v1/embeddings", _model_route)

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> FakeOpenAI:
        """Bind a free port and serve in a daemon thread."""
        handler = type("_BoundHandler", (HTTPHandler,), {"fake": self})
        httpd = ThreadingHTTPServer((self._host, self._port), handler, bind_and_activate=False)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        httpd.request_queue_size = 512
        httpd.server_bind()
        httpd.server_activate()
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, args=(0.02,), name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging and blocked requests end unanswered."""
        self._stopping.set()
        self._gate.set()
        self._batch_gate.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``: what ``OPENAI_BASE_URL`` should be."""
        return f"http://{self._host}:{self.port}/v1"

    # ----------------------------------------------------------------- scripting
    @property
    def imitate(self) -> str:
        """The name of the server imitated (see :mod:`rubricate.testing.imitations`)."""
        return self.imitation.name

    @imitate.setter
    def imitate(self, name: str) -> None:
        self.imitation = imitations.imitation(name)

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Serve ``method path`` with ``handler(server, request) -> FakeResponse``.

        ``path`` may hold ``{name}`` placeholders (one path segment each), found in
        ``request.params``. Later routes win over earlier ones for the same path.
        """
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
        self._routes.insert(0, (method.upper(), re.compile(f"^{pattern}$"), handler))

    def fail(self, status: int, times: int = 1, *, match: Any = None, **kwargs: Any) -> None:
        """Answer the next ``times`` matching model requests with HTTP ``status``."""
        self.faults.add(Fault.status(status, **kwargs), times, match)

    def fault(self, fault: Fault, times: int = 1, *, match: Any = None) -> None:
        """Apply ``fault`` to the next ``times`` matching model requests."""
        self.faults.add(fault, times, match)

    def hold(self) -> None:
        """Make model requests wait at a gate (they count as in flight)."""
        self._gate.clear()

    def release(self) -> None:
        """Open the gate: held requests proceed and are answered."""
        self._gate.set()

    def drop_blocked(self) -> None:
        """Close every request blocked by ``answer_limit`` without answering it (and, from then
        on, any later request over the limit at once)."""
        self._drop.set()

    def hold_batches(self) -> None:
        """Keep batches ``in_progress`` until :meth:`release_batches`."""
        self._batch_gate.clear()

    def release_batches(self) -> None:
        self._batch_gate.set()

    # ----------------------------------------------------------------- reading
    def model_requests(self, path: str | None = None, *, batch: bool = False) -> list[FakeRequest]:
        """Logged live requests to the model endpoints (or to ``path``); the batch lines
        processed instead when ``batch``."""
        with self._lock:
            return [
                r
                for r in self.requests
                if (r.path == path if path else r.path in MODEL_PATHS)
                and (r.batch_id is not None) == batch
            ]

    def count(self, path: str | None = None, *, batch: bool = False) -> int:
        """How many live model requests (or requests to ``path``; batch lines when ``batch``)."""
        return len(self.model_requests(path, batch=batch))

    @property
    def answered_total(self) -> int:
        """Answers sent by the model endpoints (batch lines included)."""
        with self._lock:
            return sum(self.answered.values())

    def received(self, *, batch: bool = False) -> Counter[str]:
        """Model requests received per call identity, answered or not (live, or batch lines)."""
        return Counter(r.identity for r in self.model_requests(batch=batch))

    # ----------------------------------------------------------------- answering
    def answer(self, path: str, request: FakeRequest, *, live: bool = False) -> FakeResponse:
        """The answer of a model endpoint to ``request``: faults, then the score policy.

        Used by the HTTP route (``live``) and by batch processing (no latency, gate or limit
        there, and a ``hang`` fault becomes a 408 line since a batch line cannot hang).
        """
        body = request.body if isinstance(request.body, dict) else None
        if body is None:
            return FakeResponse(400, replies.error_body("the body must be a JSON object"))
        if path == "/v1/responses" and not self.responses_api:
            return FakeResponse(404, replies.error_body("Not Found", "not_found"))
        fault = self.faults.take(request)
        if fault is not None and fault.kind == "hang":
            if not live:
                return FakeResponse(408, replies.error_body("request timed out", "timeout"))
            self._hang(fault)
        if fault is not None and fault.kind == "status":
            return _status_response(fault)
        if fault is not None and fault.kind == "bad_body":
            return FakeResponse(200, b'{"id": "chatcmpl-broken", "object": "chat.comp')
        if path == "/v1/embeddings":
            return FakeResponse(200, replies.embeddings_body(body))
        refused = imitations.refusal(self.imitation, path, body)
        if refused is not None:
            return FakeResponse(*refused)
        rejected = self._rejected_format(body)
        if rejected:
            return FakeResponse(400, replies.error_body(rejected, code="invalid_request"))
        return FakeResponse(200, self._judge_body(path, body, request, fault))

    def _rejected_format(self, body: dict[str, Any]) -> str | None:
        fmt = body.get("response_format") or (body.get("text") or {}).get("format") or {}
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        if kind == "json_schema" and self.reject_structured_outputs:
            return "response_format json_schema is not supported by this server"
        if kind == "json_object" and self.reject_json_object:
            return "response_format json_object is not supported by this server"
        return None

    def _judge_body(
        self, path: str, body: dict[str, Any], request: FakeRequest, fault: Fault | None
    ) -> dict[str, Any]:
        responses = path == "/v1/responses"
        prepared = self.imitation.prepare(body)
        if fault is not None and fault.kind == "refusal":
            if responses:
                return replies.responses_body(body, None, refusal=fault.text)
            return replies.chat_body(body, None, refusal=fault.text)
        produced = self.generate(request) if self.generate is not None else None
        if isinstance(produced, str):
            produced = Generated(produced)
        reasoning = produced.reasoning_tokens if produced is not None else 0
        if fault is not None and fault.kind == "reply_text":
            content = fault.text or ""
        elif produced is not None:
            content = produced.text
        elif self.imitation.small_model and not responses and prepared.schema is None:
            content = self.imitation.unconstrained_reply(prepared.format_type)
        else:
            verdict = self.policy.decide(request)
            content = replies.judge_content(body, verdict, schema=prepared.schema)
        limit = prepared.limit
        if limit is not None and replies.estimate_tokens(content) > limit and not responses:
            content = content[: limit * 4]
            return replies.chat_body(
                body, content, finish_reason="length", reasoning_tokens=reasoning
            )
        if fault is not None and fault.kind == "truncated":
            content = content[: max(1, len(content) // 2)]
            if responses:
                return replies.responses_body(
                    body, content, truncated=True, reasoning_tokens=reasoning
                )
            return replies.chat_body(
                body, content, finish_reason="length", reasoning_tokens=reasoning
            )
        if responses:
            return replies.responses_body(body, content, reasoning_tokens=reasoning)
        return replies.chat_body(body, content, reasoning_tokens=reasoning)

    def _wait_for_turn(self, request: FakeRequest) -> None:
        """Gate, answer limit and latency for one live model request."""
        while not self._gate.wait(0.05):
            if self._stopping.is_set():
                raise Dropped
        if self.answer_limit is not None:
            with self._lock:
                self._admitted += 1
                admitted = self._admitted
            if admitted > self.answer_limit:
                while not (self._drop.wait(0.05) or self._stopping.is_set()):
                    pass
                raise Dropped
        latency = self.latency(request) if callable(self.latency) else self.latency
        remaining = request.started + latency - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)

    def _hang(self, fault: Fault) -> None:
        deadline = None if fault.seconds is None else time.monotonic() + fault.seconds
        while not self._stopping.wait(0.05):
            if deadline is not None and time.monotonic() >= deadline:
                break
        raise Dropped


def _status_response(fault: Fault) -> FakeResponse:
    code = fault.status_code
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["retry-after"] = f"{fault.retry_after:g}"
    if fault.retry_after_ms is not None:
        headers["retry-after-ms"] = str(fault.retry_after_ms)
    kinds = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error"}
    message = fault.text or f"scripted HTTP {code}"
    return FakeResponse(code, replies.error_body(message, kinds.get(code, "server_error")), headers)


def _model_route(fake: FakeOpenAI, request: FakeRequest) -> FakeResponse:
    fake._wait_for_turn(request)
    return fake.answer(request.path, request, live=True)
