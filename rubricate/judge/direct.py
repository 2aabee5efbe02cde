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

The lane is built from the same settings and environment the SDK client would be built from
(:func:`lane_for_openai`), without importing the SDK (~0.5 s of start-up CPU): the base URL,
``Authorization: Bearer KEY``, ``OpenAI-Organization`` / ``OpenAI-Project`` from
``OPENAI_ORG_ID`` / ``OPENAI_PROJECT_ID``, and the SDK's ``Accept``, ``Content-Type`` and
``User-Agent``; ``tests/judge/test_direct_lane.py`` checks these against the real SDK client's
headers (the SDK's ``X-Stainless-*`` telemetry headers are not sent). Any other ``OPENAI_*``
variable (one the SDK may read: an admin key, workload identity, data residency) sends calls
through the SDK instead, as does a proxy named in the environment (``HTTP_PROXY``,
``HTTPS_PROXY``, ``ALL_PROXY``: the SDK's client sends through it, the lane would not) and
``RUBRICATE_HTTP=sdk`` (the lane is on by default).

It was opt-in for a day: one clean-clone CI run saw promptfoo score a great answer 0. The cause
was not the lane: two promptfoo assertion processes opened one new call store at once, and
SQLite answered the second "database is locked" without waiting
(:func:`rubricate.judge.store.CallStore` now waits); the assertion raised and promptfoo scores
a raised assertion 0 (the conformance test now reports that as a problem, not a reward).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["DirectLane", "DirectReply", "lane_for_openai"]


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

    Made by :func:`lane_for_openai`; the session opens on the first call (inside the running loop)
    and closes with :meth:`aclose`.
    """

    def __init__(
        self, base_url: str, headers: dict[str, str], ssl: Callable[[], Any] = lambda: None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = headers
        self._ssl = ssl
        self._session: Any = None

    def _open(self) -> Any:
        import aiohttp

        # no connection cap here: the client's limiter bounds the calls in flight
        tls = self._ssl() if self.base_url.startswith("https:") else None  # http: no TLS set-up
        connector = aiohttp.TCPConnector(limit=0, ssl=tls if tls is not None else True)
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


DEFAULT_BASE_URL = "https://api.openai.com/v1"
_KNOWN_ENV = frozenset(
    {"OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_LOG",
     "OPENAI_API_VERSION", "OPENAI_WEBHOOK_SECRET"}
)  # fmt: skip
"""``OPENAI_*`` variables the lane follows as the SDK does (or that do not change a call)."""


def lane_for_openai(
    api_key: str, base_url: str | None, ssl: Callable[[], Any] = lambda: None
) -> DirectLane | None:
    """The direct lane for a plain OpenAI-compatible endpoint at ``base_url`` (None: the
    OpenAI API) with ``api_key``, or None when calls must go through the SDK:
    ``RUBRICATE_HTTP=sdk``, no ``aiohttp``, an ``OPENAI_*`` variable the lane does not know, or
    a proxy named in the environment (see the module docstring). ``ssl`` makes the TLS
    context, called once, when the first ``https`` connection is opened."""
    env = os.environ
    if env.get("RUBRICATE_HTTP", "").strip().lower() == "sdk":
        return None
    if any(name.startswith("OPENAI_") and name not in _KNOWN_ENV for name in env):
        return None
    if _proxied():
        return None
    try:
        import aiohttp  # noqa: F401  now, not inside the first call (~0.2 s of its latency)
    except ImportError:
        return None
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "User-Agent": f"AsyncOpenAI/Python {_sdk_version()}",
        "Authorization": f"Bearer {api_key}",
    }
    for variable, header in (("OPENAI_ORG_ID", "OpenAI-Organization"),
                             ("OPENAI_PROJECT_ID", "OpenAI-Project")):  # fmt: skip
        if env.get(variable):
            headers[header] = env[variable]
    return DirectLane(base_url or DEFAULT_BASE_URL, headers, ssl)


def _proxied() -> bool:
    """True when the environment names an HTTP proxy: ``HTTP_PROXY``, ``HTTPS_PROXY`` or
    ``ALL_PROXY`` (either case), unless ``NO_PROXY`` holds ``*``. The SDK's HTTP client sends
    through it (it trusts the environment, read with the same :func:`urllib.request.getproxies`,
    and matches ``NO_PROXY`` its own way); the lane does not, so judge calls take the SDK."""
    from urllib.request import getproxies

    found = getproxies()
    if "*" in (host.strip() for host in found.get("no", "").split(",")):
        return False
    return any(found.get(scheme) for scheme in ("http", "https", "all"))


def _sdk_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("openai")
    except PackageNotFoundError:
        return "unknown"
