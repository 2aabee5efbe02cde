"""The SDK side of the client: building SDK clients and sending one HTTP attempt.

- :func:`sdk_factory` builds ``AsyncOpenAI`` / ``AsyncAzureOpenAI`` clients from the settings
  and the environment (keys only from the environment), with the SDK's own retries off, one
  shared TLS context, and the SDK's aiohttp transport when ``aiohttp`` is installed (half the
  CPU per call of httpx), else httpx.
- :func:`send` makes one attempt: through the direct lane of a plain OpenAI-compatible client
  (:mod:`rubricate.judge.direct`: the SDK's URL and headers, taken once, and one aiohttp
  session), else with ``sdk.post(path, cast_to=<raw response>)``: the SDK does
  authentication, base URL and Azure deployment routing, and we read the JSON ourselves
  (cheaper than the SDK's typed models, and tolerant of servers whose replies those models
  would reject). Every failure becomes a :class:`Failure` saying its kind, whether a retry may
  help, the server's ``Retry-After``, and what the endpoint refused (the response format, the
  ``developer`` role, an output-limit name: :func:`~rubricate.judge.endpoint.findings`) or
  whether it lacks the Responses API. Texts pass through
  :func:`~rubricate.judge.retry.redact`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
from collections.abc import Callable
from typing import Any

from rubricate.judge import direct, endpoint, wire
from rubricate.judge.calls import CallErrorKind, ClientSettings, ModelRequest
from rubricate.judge.retry import classify_status, redact, retry_after_s

try:
    import orjson as _orjson
except ImportError:  # optional: the stdlib encoder gives the same JSON, slower
    _orjson = None

PLACEHOLDER_KEY = "no-key-needed"
"""Sent to a local server (a base URL without ``OPENAI_API_KEY``), which ignores it."""
DEFAULT_AZURE_API_VERSION = "2024-10-21"
BODY_LIMIT = 4000
"""Characters of an error body kept in a :class:`CallError`."""

_CONNECTION_FAILURES = frozenset(
    {"ClientConnectorError", "ServerDisconnectedError", "ClientOSError", "ConnectError"}
)


class Failure(Exception):
    """One failed attempt."""

    def __init__(
        self,
        kind: CallErrorKind,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        body: str | None = None,
        retry_after: float | None = None,
        refused: frozenset[endpoint.Finding] = frozenset(),
        no_responses_api: bool = False,
    ) -> None:
        super().__init__(message)
        self.kind, self.message, self.retryable = kind, message, retryable
        self.status, self.body = status, body
        self.retry_after = retry_after
        self.refused = refused
        """What the endpoint refused in the request (empty: not a refusal of a field)."""
        self.no_responses_api = no_responses_api
        """True when ``/responses`` answered 404/405."""


def sdk_factory(
    settings: ClientSettings, *, azure: bool = False
) -> tuple[Callable[[], Any], tuple[str, ...]] | None:
    """A function making SDK clients for the configured endpoint, and the secrets to redact.

    None when no endpoint is configured. OpenAI: ``OPENAI_API_KEY`` and/or a base URL
    (``settings.base_url``, else ``OPENAI_BASE_URL``); a base URL without a key is a local
    server and gets :data:`PLACEHOLDER_KEY`. Azure: ``AZURE_OPENAI_ENDPOINT`` (or
    ``settings.base_url``) plus ``AZURE_OPENAI_API_KEY`` or ``AZURE_OPENAI_AD_TOKEN``;
    ``OPENAI_API_VERSION`` selects the API version (default ``2024-10-21``).
    """
    env = os.environ
    timeout = settings.timeout_s

    def http_client() -> Any:
        import openai  # deferred to the first SDK client: importing the SDK costs ~0.5 s

        try:
            return openai.DefaultAioHttpClient(verify=ssl_context())
        except (RuntimeError, AttributeError):  # aiohttp (or the SDK's support) is missing
            return openai.DefaultAsyncHttpxClient(verify=ssl_context())

    if azure:
        endpoint = settings.base_url or env.get("AZURE_OPENAI_ENDPOINT")
        key, token = env.get("AZURE_OPENAI_API_KEY"), env.get("AZURE_OPENAI_AD_TOKEN")
        if not endpoint or not (key or token):
            return None
        version = env.get("OPENAI_API_VERSION", DEFAULT_AZURE_API_VERSION)

        def azure_client() -> Any:
            import openai

            return openai.AsyncAzureOpenAI(
                azure_endpoint=endpoint,
                api_key=key,
                azure_ad_token=None if key else token,
                api_version=version,
                max_retries=0,
                timeout=timeout,
                http_client=http_client(),
            )

        return azure_client, tuple(s for s in (key, token) if s)
    found = openai_endpoint(settings)
    if found is None:
        return None
    base_url, key = found
    api_key = key if key != PLACEHOLDER_KEY else None

    def openai_client() -> Any:
        import openai

        return openai.AsyncOpenAI(
            api_key=key,
            base_url=base_url,
            max_retries=0,
            timeout=timeout,
            http_client=http_client(),
        )

    return openai_client, tuple(s for s in (api_key,) if s)


def openai_endpoint(settings: ClientSettings) -> tuple[str | None, str] | None:
    """``(base URL, key)`` of the OpenAI (not Azure) endpoint the settings and the environment
    name (base URL None: the OpenAI API; key :data:`PLACEHOLDER_KEY` for a local server
    without ``OPENAI_API_KEY``), or None when none is configured."""
    base_url = settings.base_url or os.environ.get("OPENAI_BASE_URL") or None
    api_key = os.environ.get("OPENAI_API_KEY") or None
    if not api_key and not base_url:
        return None
    return base_url, api_key or PLACEHOLDER_KEY


async def send(
    sdk: Any,
    mode: str,
    key: str,
    request: ModelRequest,
    *,
    timeout: float,
    secrets: tuple[str, ...] = (),
    shape: wire.Shape = wire.OPENAI_SHAPE,
) -> wire.Parsed:
    """One attempt of ``request`` in ``mode``, its body written for ``shape``, through ``sdk``
    (an SDK client, or a :class:`~rubricate.judge.direct.DirectLane`); raises
    :class:`Failure` when it has no answer."""
    if isinstance(sdk, direct.DirectLane):
        data = await _send_direct(sdk, mode, key, request, timeout, secrets, shape)
    else:
        data = await _send_sdk(sdk, mode, key, request, timeout, secrets, shape)
    try:
        parsed = wire.parse_body(mode, data, request)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        problem = f"the reply has an unexpected shape ({type(exc).__name__})"
        raise Failure("server_error", problem, retryable=True) from None
    if parsed.problem is not None:
        raise Failure("server_error", parsed.problem, retryable=True)
    return parsed


async def _send_sdk(
    sdk: Any,
    mode: str,
    key: str,
    request: ModelRequest,
    timeout: float,
    secrets: tuple[str, ...],
    shape: wire.Shape,
) -> Any:
    """One attempt through ``sdk.post``; the reply's JSON."""
    import openai  # already imported when the SDK client was built

    headers = {"X-Rubricate-Call": key}
    if _takes_content(sdk):  # bytes, sent as they are (encoded once per request)
        payload: dict[str, Any] = {"content": encoded_body(request, mode, shape)}
        headers["Content-Type"] = "application/json"
    else:  # an SDK without ``content=`` (openai < 2): it encodes the body itself
        payload = {"body": wire.build_body(request, mode, shape)}
    try:
        async with asyncio.timeout(timeout + 5.0):  # backstop to the SDK's own timeout
            response = await sdk.post(
                wire.path_for(mode),
                **payload,
                cast_to=http_library().Response,
                options={"headers": headers, "timeout": timeout},
            )
        return _loads(response.content)
    except openai.APIStatusError as exc:
        body = wire.build_body(request, mode, shape)
        raise status_failure(exc, mode, body, secrets) from None
    except (openai.APITimeoutError, TimeoutError) as exc:
        refused = connection_cause(exc)
        if refused is None:
            raise _no_answer(timeout) from None
        raise _unreachable(refused, secrets) from None
    except openai.APIConnectionError as exc:
        raise _unreachable(str(exc.__cause__ or exc), secrets) from None
    except ValueError:
        raise _not_json() from None


async def _send_direct(
    lane: direct.DirectLane,
    mode: str,
    key: str,
    request: ModelRequest,
    timeout: float,
    secrets: tuple[str, ...],
    shape: wire.Shape,
) -> Any:
    """One attempt through the direct lane (:mod:`rubricate.judge.direct`); the reply's JSON.
    Every failure is the :class:`Failure` the SDK path gives for it."""
    body = encoded_body(request, mode, shape)
    try:
        reply = await lane.post(
            wire.path_for(mode), body, {"X-Rubricate-Call": key}, timeout
        )
    except TimeoutError:
        raise _no_answer(timeout) from None
    except Exception as exc:  # noqa: BLE001  as the SDK does: any transport error is one
        # failed attempt (aiohttp's own errors, but also a reset socket, a closed session)
        raise _unreachable(str(exc) or type(exc).__name__, secrets) from None
    if reply.status >= 400:
        error_body, sdk_message = reply.error_body()
        raise failure_of_status(
            reply.status,
            reply.text,
            error_body,
            sdk_message,
            reply.headers,
            mode,
            wire.build_body(request, mode, shape),
            secrets,
        )
    try:
        return _loads(reply.body)
    except ValueError:
        raise _not_json() from None


def _loads(content: bytes) -> Any:
    return json.loads(content)  # not orjson: it refuses the NaN that json reads


# The failures both send paths give alike (one text each, so the two paths cannot drift).
def _no_answer(timeout: float) -> Failure:
    return Failure("timeout", f"no answer within {timeout:g}s", retryable=True)


def _unreachable(cause: str, secrets: tuple[str, ...]) -> Failure:
    message = f"cannot reach the endpoint: {redact(cause, secrets)}"
    return Failure("connection", message, retryable=True)


def _not_json() -> Failure:
    return Failure("server_error", "the endpoint sent a body that is not JSON", retryable=True)


@functools.lru_cache(maxsize=1)
def ssl_context() -> Any:
    """One TLS context for every pool and lane: loading the CA bundle costs ~20 ms each time."""
    return http_library().create_ssl_context()


_BODIES = "_rubricate_bodies"


def encoded_body(request: ModelRequest, mode: str, shape: wire.Shape) -> bytes:
    """``request``'s JSON body in ``mode`` for ``shape``, encoded once per request object.

    The repeats of a request send the same body (only the ``X-Rubricate-Call`` header
    differs), so the ~20 kB of a judge prompt is encoded once, kept on the (frozen) request,
    and handed to the SDK as bytes (``post(content=...)``), which it sends as they are.
    orjson when it is installed (~20x faster than ``json``; whitespace differs, the JSON
    does not); not a dependency: encoded once per request, ``json`` costs ~0.05 ms."""
    bodies = request.__dict__.get(_BODIES)
    if bodies is None:
        bodies = request.__dict__[_BODIES] = {}
    found = bodies.get((mode, shape))
    if found is None:
        found = bodies[(mode, shape)] = _dumps(wire.build_body(request, mode, shape))
    return found


_CONTENT: dict[type, bool] = {}


def _takes_content(sdk: Any) -> bool:
    """Whether ``sdk.post`` takes raw bytes as ``content=`` (the openai SDK since 2.x)."""
    kind = type(sdk)
    found = _CONTENT.get(kind)
    if found is None:
        import inspect

        try:
            found = "content" in inspect.signature(sdk.post).parameters
        except (TypeError, ValueError):
            found = False
        _CONTENT[kind] = found
    return found


def _dumps(body: dict[str, Any]) -> bytes:
    if _orjson is not None:
        return _orjson.dumps(body)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def status_failure(
    exc: Any, mode: str, sent: dict[str, Any], secrets: tuple[str, ...] = ()
) -> Failure:
    """The :class:`Failure` of an HTTP error status (an SDK ``APIStatusError``) answering the
    body ``sent`` in ``mode``."""
    return failure_of_status(
        int(exc.status_code),
        exc.response.text,
        exc.body,
        exc.message,
        exc.response.headers,
        mode,
        sent,
        secrets,
    )


def failure_of_status(
    status: int,
    text: str,
    body: Any,
    sdk_message: str,
    headers: Any,
    mode: str,
    sent: dict[str, Any],
    secrets: tuple[str, ...] = (),
) -> Failure:
    """The :class:`Failure` of HTTP error ``status`` with body ``text`` (``body``: its JSON,
    or the text; ``sdk_message``: the SDK's message for it) answering ``sent`` in ``mode``."""
    kind, retryable = classify_status(status)
    body_text = redact(text[:BODY_LIMIT], secrets)
    detail = _detail(body)
    message = redact(f"HTTP {status}: {detail or sdk_message}", secrets) or ""
    no_responses_api = mode == "responses" and status in (404, 405)
    refused = frozenset() if no_responses_api else endpoint.findings(status, message, sent)
    return Failure(
        kind,
        message,
        retryable=retryable,
        status=status,
        body=body_text,
        retry_after=retry_after_s(headers) if retryable else None,
        refused=frozenset(refused),
        no_responses_api=no_responses_api,
    )


def _detail(body: Any) -> str | None:
    """The error message of an error body: ``{"error": {"message"}}`` (OpenAI, Ollama,
    llama.cpp, vLLM), ``{"error": "..."}``, ``{"message"}`` or ``{"detail"}`` (FastAPI)."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    if isinstance(error, str) and error:
        return error
    for name in ("message", "detail"):
        if body.get(name):
            value = body[name]
            return value if isinstance(value, str) else str(value)
    return None


def connection_cause(exc: BaseException) -> str | None:
    """The connection failure behind a "timeout", if any.

    The SDK's aiohttp transport reports a refused or dropped connection as a connect timeout;
    the original aiohttp error is still in the exception chain.
    """
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if type(seen).__name__ in _CONNECTION_FAILURES:
            return str(seen) or type(seen).__name__
        seen = seen.__cause__ or seen.__context__
    return None


def http_library() -> Any:
    """The SDK's HTTP library: ``httpx2`` (openai 3.x) or ``httpx`` (openai 1.x)."""
    try:
        import httpx2

        return httpx2
    except ImportError:
        import httpx

        return httpx
