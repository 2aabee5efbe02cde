"""A direct HTTP lane for judge calls to an OpenAI-compatible endpoint (issue 20).

Most of the client CPU of a judge call went to the SDK's request machinery, not to the call:
per ``sdk.post`` the openai SDK builds a request-options model, merges three header sets into
case-insensitive header objects, parses and copies the URL, makes an idempotency key, and wraps
the aiohttp response in an httpx-style one (measured on examples/accordance_tax, 1,725 calls:
~1 ms of the ~1.7 ms of client CPU per call). Every judge request is the same POST to the same
URL with the same headers, only the body and the ``X-Rubricate-Call`` header differ, and the
body is already encoded once per request (:func:`rubricate.judge.transport.encoded_body`).

So for a plain :class:`openai.AsyncOpenAI` client with a static key, the lane takes from the
SDK, once, what it would send (``base_url``, ``default_headers``, ``auth_headers``: public
attributes) and posts the bytes with one ``aiohttp`` session; the reply is read as bytes. The
SDK still does everything else (Azure, whose deployment routing and token refresh stay in the
SDK; token providers; files, batches, fine-tuning). Status errors, timeouts and refused
connections become the same :class:`~rubricate.judge.transport.Failure` as through the SDK
(the SDK's error message format is kept: ``Error code: N - message``).

The lane is opt-in: ``RUBRICATE_HTTP=direct`` in the environment turns it on; without it every
call goes through ``sdk.post``. It was on by default for one day: in one of three clean-clone CI
runs the promptfoo conformance test saw ``rubricate grade`` give a great answer of the
accordance rubric a scored 0 (promptfoo, and every rerun, gave 0.875); until that is explained
the SDK path stays the default.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["DirectLane", "DirectReply", "lane_for"]

_ATTRIBUTE = "_rubricate_lane"
_PER_REQUEST = frozenset({"content-length", "idempotency-key", "x-stainless-retry-count"})


@dataclass(frozen=True)
class DirectReply:
    """What came back: the status, the headers and the body's bytes."""

    status: int
    headers: Any
    body: bytes

    def error_body(self) -> tuple[object, str]:
        """The error body as the SDK reads it (JSON when it parses, else the text) and the
        SDK's message for it (``Error code: N`` plus `` - message`` when the body has one)."""
        text = self.body.decode("utf-8", errors="replace").strip()
        message = f"Error code: {self.status}"
        try:
            body: object = json.loads(text)
        except ValueError:
            return text, message
        error = body.get("error", body) if isinstance(body, dict) else None
        detail = error.get("message") if isinstance(error, dict) else None
        if isinstance(detail, str) and detail:
            message += f" - {detail}"
        return body, message

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class DirectLane:
    """POSTs to one OpenAI-compatible base URL with fixed headers, over one aiohttp session.

    Made by :func:`lane_for`; the session opens on the first call (inside the running loop)
    and closes with :meth:`aclose`.
    """

    def __init__(self, base_url: str, headers: dict[str, str], ssl: Any) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = headers
        self._ssl = ssl
        self._session: Any = None

    def _open(self) -> Any:
        import aiohttp

        # no connection cap here: the client's limiter bounds the calls in flight
        connector = aiohttp.TCPConnector(limit=0, ssl=self._ssl)
        return aiohttp.ClientSession(
            connector=connector,
            headers=self.headers,
            skip_auto_headers=("User-Agent",),
            auto_decompress=True,
        )

    async def post(
        self, path: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> DirectReply:
        """One POST; raises :class:`asyncio.TimeoutError` or ``aiohttp.ClientError``."""
        import aiohttp

        if self._session is None or self._session.closed:
            self._session = self._open()
        async with self._session.post(
            self.base_url + path,
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            return DirectReply(response.status, response.headers, await response.read())

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def lane_for(sdk: Any, ssl: Callable[[], Any] = lambda: None) -> DirectLane | None:
    """The direct lane of SDK client ``sdk`` (made once and kept on it), or None when its calls
    must go through the SDK: not a plain ``openai.AsyncOpenAI`` (Azure, a test double), a key
    that is not a fixed string, query parameters or auth the lane does not know, no
    ``aiohttp``, or ``RUBRICATE_HTTP`` is not ``direct``. ``ssl`` makes the TLS context, called
    once, when the lane is made (not on every call)."""
    found = sdk.__dict__.get(_ATTRIBUTE, False) if hasattr(sdk, "__dict__") else None
    if found is not False:
        return found
    lane = _make(sdk, ssl)
    sdk.__dict__[_ATTRIBUTE] = lane
    return lane


def _make(sdk: Any, ssl: Callable[[], Any]) -> DirectLane | None:
    if os.environ.get("RUBRICATE_HTTP", "").strip().lower() != "direct":
        return None  # opt-in until the wrong reward seen once in CI is explained (issue 20)
    try:
        import aiohttp  # noqa: F401  (the lane's HTTP library)
        import openai
    except ImportError:
        return None
    if type(sdk) is not openai.AsyncOpenAI or not isinstance(sdk.api_key, str):
        return None
    try:
        auth = dict(sdk.auth_headers)
        defaults = dict(sdk.default_headers)
        query = dict(sdk.default_query)
        base_url = str(sdk.base_url)
    except Exception:  # an SDK whose public attributes differ: keep to the SDK
        return None
    if query or auth != {"Authorization": f"Bearer {sdk.api_key}"}:
        return None
    headers = {
        name: value
        for name, value in {**defaults, **auth}.items()
        if isinstance(value, str) and name.lower() not in _PER_REQUEST
    }
    return DirectLane(base_url, headers, ssl())


async def close_lane(sdk: Any) -> None:
    """Close the lane kept on ``sdk``, if any."""
    lane = sdk.__dict__.get(_ATTRIBUTE) if hasattr(sdk, "__dict__") else None
    if lane is not None:
        await lane.aclose()
