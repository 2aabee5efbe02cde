"""The model client: every model call of the project goes through :class:`OpenAIClient`.

``open_client(settings)`` returns one (or None when no endpoint is configured); graders then
``await client.call(request, repeat=i)``. A call:

1. replays from the call store when it holds ``request.key(repeat)`` (``cached=True``, free),
   unless ``use_cache`` is off (with a store writer, the look-up is the claim's, in the
   writer thread: one read per call, off the event loop);
2. joins an identical call already in flight (same key) instead of paying twice;
3. otherwise waits for the :class:`~rubricate.judge.limits.Limiter` (concurrency, RPM, TPM),
   sends the request with the official SDK (``AsyncOpenAI`` / ``AsyncAzureOpenAI``, its own
   retries off), and retries per :mod:`rubricate.judge.retry`;
4. commits the answer to the store *before* returning it; a failure after the retry budget is
   returned as ``ModelReply(error=CallError(...))`` (never raised) and kept as the key's last
   error. The exception: an endpoint that is not there (consecutive failed connections) or
   that refuses the key raises :class:`~rubricate.judge.breaker.EndpointDown` from every call,
   so the run stops and says why (:mod:`rubricate.judge.breaker`).

What the endpoint accepts is learned from its answers and kept per model for the run
(:class:`~rubricate.judge.endpoint.Profile`, reported by :meth:`OpenAIClient.endpoint_report`):
a request with ``json_schema`` goes as ``response_format`` json_schema (or the Responses API
with ``api="responses"``); when the endpoint refuses that (HTTP 400, 422, or 500 naming the
field) the client falls back to JSON mode with the schema, JSON mode, then a schema
instruction. A refused ``developer`` role goes as ``system``, a refused output-limit name is
dropped, and an endpoint without the Responses API (404/405) is served by chat completions.
``settings.structured_output`` forces one structured mode (no fallback). The first request of
each kind to an endpoint is the probe: identical kinds wait for its answer instead of all
trying what it may refuse, and the mode of every attempt is chosen after its concurrency slot
is granted, from what is known by then. What was learned (the profile, and the kinds the
endpoint answered) is kept in the call store per base URL and model, and a later run with that
store starts from it: no probe for a kind answered before (one judge latency saved; on a server
that refuses ``json_schema``, no refused attempt either). A server restarted with other
settings is learned again from its refusals; ``rubricate cache clear`` forgets the profiles.

Every request carries an ``X-Rubricate-Call: <store key>`` header (no secret; it lets server
logs and the loopback fixture tell repeats apart). The API key is never logged, stored or put
in an error: error texts pass through :func:`~rubricate.judge.retry.redact`.

The SDK side (building SDK clients, one HTTP attempt, classifying failures) lives in
:mod:`rubricate.judge.transport`. Requests are spread over several SDK clients (one connection
pool per 16 concurrency slots): httpx's pool scans every connection on each request, which at
high concurrency costs more CPU than the call itself. Use one client in one event loop, and
close it (``async with`` or ``await client.aclose()``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
import os
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rubricate.judge import claims, wire
from rubricate.judge.breaker import Breaker, endpoint_name
from rubricate.judge.calls import CallError, ClientSettings, ModelReply, ModelRequest
from rubricate.judge.direct import DirectLane, lane_for_openai
from rubricate.judge.endpoint import Profile, is_local_host
from rubricate.judge.limits import Limiter
from rubricate.judge.pricing import PriceTable, default_prices
from rubricate.judge.retry import RetryPolicy, next_delay
from rubricate.judge.store import CallStore
from rubricate.judge.store_writer import StoreWriter
from rubricate.judge.transport import Failure, openai_endpoint, sdk_factory, send, ssl_context
from rubricate.judge.usage import RunUsage

if TYPE_CHECKING:
    from rubricate.judge.batch import BatchRunner

log = logging.getLogger("rubricate.judge.client")

SLOTS_PER_POOL = 16
"""Concurrency slots per SDK client (connection pool)."""


def open_client(
    settings: ClientSettings,
    *,
    azure: bool | None = None,
    retry: RetryPolicy | None = None,
    prices: PriceTable | None = None,
) -> OpenAIClient | None:
    """A client for the configured endpoint, or None when none is configured.

    OpenAI: ``OPENAI_API_KEY`` and/or a base URL (``settings.base_url``, else
    ``OPENAI_BASE_URL``); a base URL without a key is a local server and gets a placeholder
    key. Azure: ``AZURE_OPENAI_ENDPOINT`` (or ``settings.base_url``) plus
    ``AZURE_OPENAI_API_KEY`` or ``AZURE_OPENAI_AD_TOKEN``; ``OPENAI_API_VERSION`` selects the
    API version (default ``2024-10-21``). ``azure`` defaults to ``settings.azure``.
    """
    azure = settings.azure if azure is None else azure
    found = sdk_factory(settings, azure=azure)
    if found is None:
        return None
    factory, secrets = found
    lane = None
    if not azure:  # Azure's deployment routing and token refresh stay in the SDK
        endpoint = openai_endpoint(settings)
        assert endpoint is not None  # sdk_factory found it
        lane = lane_for_openai(endpoint[1], endpoint[0], ssl_context)
    return OpenAIClient(
        settings, factory, secrets=secrets, retry=retry, prices=prices, azure=azure, lane=lane
    )


class OpenAIClient:
    """Implements :class:`rubricate.judge.calls.ModelClient` over the OpenAI SDK."""

    def __init__(
        self,
        settings: ClientSettings,
        factory: Callable[[], Any],
        *,
        secrets: tuple[str | None, ...] = (),
        retry: RetryPolicy | None = None,
        prices: PriceTable | None = None,
        rng: random.Random | None = None,
        azure: bool = False,
        lane: DirectLane | None = None,
    ) -> None:
        self.settings = settings
        self.lane = lane
        """Judge calls go through this direct lane (:mod:`rubricate.judge.direct`) when set,
        else through the SDK clients."""
        self.azure = azure
        self.retry = dataclasses.replace(retry or RetryPolicy(), max_retries=settings.max_retries)
        """Delays from ``retry``; the budget is always ``settings.max_retries``."""
        self.limiter = Limiter(settings.concurrency, settings.rpm, settings.tpm)
        self.local = (
            settings.local
            if settings.local is not None
            else is_local_host(settings.base_url or _env_base_url(azure))
        )
        """A server on this machine or a private network: no invented cost."""
        self.prices = prices or default_prices(local=self.local)
        self.store = CallStore(settings.store_path) if settings.store_path else None
        self.writer = StoreWriter(self.store) if self.store is not None else None
        """Commits the store writes of concurrent calls in groups, off the event loop."""
        self.usage = RunUsage(local=self.local, slots=settings.concurrency)
        self._factory = factory
        self._pools: list[Any] = [None] * math.ceil(settings.concurrency / SLOTS_PER_POOL)
        if lane is None:
            self.sdk(0)  # build the first SDK client now: TLS set-up costs ~0.1 s on first use
        self.secrets = tuple(s for s in secrets if s)
        self._rng = rng or random.Random()
        self._profiles: dict[str, Profile] = {}
        self._probing: dict[tuple[Any, ...], asyncio.Event] = {}
        self._probed: set[tuple[Any, ...]] = set()
        self._answered: set[tuple[Any, ...]] = set()
        """Request kinds the endpoint has answered (kept in the store for later runs)."""
        self._memory: dict[str, tuple[str, float]] | None = None
        """What earlier runs kept of this endpoint in the store, per model (read once)."""
        self._saved: dict[str, str] = {}
        """Per model, the profile JSON last kept in (or read from) the store."""
        self._inflight: dict[str, asyncio.Future[ModelReply]] = {}
        self._owner = claims.owner_id()
        self.breaker = Breaker(
            settings.max_connection_failures,
            endpoint=endpoint_name(
                settings.base_url
                or os.environ.get("AZURE_OPENAI_ENDPOINT" if azure else "OPENAI_BASE_URL")
            ),
        )
        """Stops the run when the endpoint is not there or refuses the key (fail fast)."""
        self._started: float | None = None
        self._cpu_started = 0.0
        self.batch: BatchRunner | None = None
        """The :class:`~rubricate.judge.batch.BatchRunner` in batch mode (tune ``idle_s``,
        ``poll_s`` on it), else None."""
        if settings.batch:
            from rubricate.judge.batch import BatchRunner

            self.batch = BatchRunner(self)

    def __repr__(self) -> str:
        return (
            f"OpenAIClient(base_url={self.settings.base_url!r}, "
            f"concurrency={self.settings.concurrency}, store={self.settings.store_path!r})"
        )

    async def __aenter__(self) -> OpenAIClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def sdk(self, slot: int = 0) -> Any:
        """The SDK client serving concurrency slot ``slot``."""
        index = slot // SLOTS_PER_POOL
        if self._pools[index] is None:
            self._pools[index] = self._factory()
        return self._pools[index]

    async def aclose(self) -> None:
        """Close connections and the store (waits for nothing: finish your calls first)."""
        if self.batch is not None:
            await self.batch.aclose()
        if self.lane is not None:
            await self.lane.aclose()
        for pool in self._pools:
            if pool is not None:
                await pool.close()
        self._pools = [None] * len(self._pools)
        if self.writer is not None:
            for model in list(self._profiles):
                self._remember(model)
            await self.writer.aclose()
            self.writer = None
        if self.store is not None:
            self.store.close()
            self.store = None

    async def flush(self) -> None:
        """Batch mode: submit every queued request now (a no-op otherwise)."""
        if self.batch is not None:
            await self.batch.flush()

    # ------------------------------------------------------------------ calls
    async def call(self, request: ModelRequest, repeat: int = 0) -> ModelReply:
        """Answer ``request`` (see the module docstring); never raises for a failed call.

        Raises:
            EndpointDown: the endpoint is not there or refused the key (the run must stop;
                :mod:`rubricate.judge.breaker`), not one call's failure.
        """
        if self._started is None:
            self._started, self._cpu_started = time.perf_counter(), time.process_time()
        key = request.key(repeat)
        if self.store is not None and self.settings.use_cache and self.writer is None:
            stored = self.store.get(key)
            if stored is not None:
                self._account(request, stored)
                return stored
        pending = self._inflight.get(key)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if pending.cancelled() and task is not None and not task.cancelling():
                    return await self.call(request, repeat)  # the caller we joined gave up
                raise
        future: asyncio.Future[ModelReply] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        claimed = ended = False
        try:
            if self.store is not None and self.settings.use_cache:
                orphaned, stored = await claims.claim(self.store, key, self._owner, self.writer)
                if stored is not None:  # another process paid for it while we waited
                    self._account(request, stored)
                    future.set_result(stored)
                    return stored
                claimed = True
                self.usage.orphaned += int(orphaned)
            if self.batch is not None:
                reply = await self.batch.submit(key, request)
            else:
                reply, mode = await self._call_live(key, request)
                # committed (and the claim ended) before the reply is handed to anyone
                await self._commit(key, request, reply, mode, claimed)
                ended = True
            self._account(request, reply, batch=self.batch is not None)
            future.set_result(reply)
            return reply
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # joiners re-raise; mark retrieved for the loop
            raise
        finally:
            del self._inflight[key]
            if claimed and not ended and self.store is not None:
                self.store.release(key, self._owner)

    def record(
        self, key: str, request: ModelRequest, reply: ModelReply, *, mode: str | None = None
    ) -> None:
        """Commit ``reply`` to the store: an answer, or the key's last error."""
        if self.store is None:
            return
        error = reply.error
        if error is None or error.kind in ("refusal", "truncated"):
            self.store.put(key, request, reply, mode=mode)
        else:
            self.store.put_error(key, request, error, reply.attempts)

    async def _commit(
        self, key: str, request: ModelRequest, reply: ModelReply, mode: str, claimed: bool
    ) -> None:
        """:meth:`record` through the group-commit writer, ending this process's claim."""
        if self.writer is None:
            self.record(key, request, reply, mode=mode)
            return
        owner = self._owner if claimed else None
        error = reply.error
        if error is None or error.kind in ("refusal", "truncated"):
            await self.writer.put(key, request, reply, mode=mode, owner=owner)
        else:
            await self.writer.put_error(key, request, error, reply.attempts, owner=owner)

    def _account(self, request: ModelRequest, reply: ModelReply, *, batch: bool = False) -> None:
        usage = self.usage
        usage.record(request.model, reply, self.prices, batch=batch)
        if self._started is not None:
            usage.wall_s = time.perf_counter() - self._started
            usage.cpu_s = time.process_time() - self._cpu_started  # every thread of the process
            usage.in_flight_s = self.limiter.busy_s

    # ------------------------------------------------------------------ endpoint
    def profile(self, model: str) -> Profile:
        """What the endpoint is known to accept for ``model`` (made on first use)."""
        found = self._profiles.get(model)
        if found is None:
            forced = self.settings.structured_output
            found = Profile.for_endpoint(
                self.settings.base_url or _env_base_url(self.azure),
                model,
                azure=self.azure,
                forced=None if forced == "auto" else forced,
            )
            self._recall(found)
            self._profiles[model] = found
        return found

    def _base_url(self) -> str:
        return self.settings.base_url or _env_base_url(self.azure) or "https://api.openai.com/v1"

    def _recall(self, profile: Profile) -> None:
        """Start ``profile`` from what an earlier run against the same endpoint learned (kept
        in the call store), and count the request kinds it probed as probed."""
        if self.store is None:
            return
        if self._memory is None:
            self._memory = self.store.endpoint_profiles(self._base_url())
        saved = self._memory.get(profile.model)
        if saved is None:
            return
        try:
            memory = json.loads(saved[0])
            kinds = [tuple(kind) for kind in memory.get("probed", [])]
        except (ValueError, TypeError, AttributeError):
            return  # not a profile this version reads: learn it again
        if profile.recall(memory, saved[1]):
            known = {(profile.model, *kind) for kind in kinds if len(kind) == 3}
            self._probed |= known
            self._answered |= known
            self._saved[profile.model] = saved[0]

    def _remember(self, model: str) -> None:
        """Keep what was learned of ``model``'s endpoint in the store for later runs (when it
        changed since it was last kept)."""
        profile = self._profiles.get(model)
        if self.writer is None or profile is None:
            return
        # kinds answered in a forced format prove nothing of what a free run may send
        kinds = [] if profile.forced is not None else sorted(
            list(kind[1:]) for kind in self._answered if kind[0] == model
        )
        text = json.dumps({**profile.memory(), "probed": kinds}, sort_keys=True)
        if self._saved.get(model) != text:
            self._saved[model] = text
            self.writer.remember_endpoint(self._base_url(), model, text)

    def endpoint_report(self) -> dict[str, Any]:
        """What was learned of the endpoint, per model (for ``run.json``)."""
        return {
            "base_url": self._base_url(),
            "local": self.local,
            "api": self.settings.api,
            "structured_output": self.settings.structured_output,
            "models": {name: p.report() for name, p in sorted(self._profiles.items())},
        }

    def start_mode(self, request: ModelRequest) -> str:
        """The mode ``request`` is sent in now, given what was learned of the endpoint."""
        if request.kind == "embed":
            return "embed"
        return self.profile(request.model).mode_for(bool(request.json_schema), self.settings.api)

    def shape(self, request: ModelRequest) -> wire.Shape:
        """How ``request``'s body is written for the endpoint now."""
        if request.kind == "embed":
            return wire.OPENAI_SHAPE
        return self.profile(request.model).shape()

    def _probe_key(self, request: ModelRequest) -> tuple[Any, ...] | None:
        if request.kind == "embed":
            return None
        developer = any(m.get("role") == "developer" for m in request.messages)
        return (
            request.model,
            bool(request.json_schema),
            developer,
            request.max_completion_tokens is not None,
        )

    async def _take_probe(self, request: ModelRequest) -> asyncio.Event | None:
        """Wait while another call probes the endpoint with a request of the same kind; the
        returned event (None: nothing to probe) makes this call the probe until it is set."""
        probe = self._probe_key(request)
        if probe is not None:
            self.profile(request.model)  # what an earlier run kept may make the probe needless
        while probe is not None and probe not in self._probed:
            running = self._probing.get(probe)
            if running is None:
                event = self._probing[probe] = asyncio.Event()
                return event
            await running.wait()
        return None

    def _end_probe(self, request: ModelRequest, event: asyncio.Event | None) -> None:
        probe = self._probe_key(request)
        if event is None or probe is None or event.is_set():
            return
        self._probed.add(probe)
        self._probing.pop(probe, None)
        event.set()
        self._remember(request.model)

    async def _call_live(self, key: str, request: ModelRequest) -> tuple[ModelReply, str]:
        """Attempts until an answer or the end of the budget; returns the reply and the mode
        it was last sent in."""
        probe = await self._take_probe(request)
        try:
            return await self._attempts(key, request, probe)
        finally:
            self._end_probe(request, probe)

    async def _attempts(
        self, key: str, request: ModelRequest, probe: asyncio.Event | None
    ) -> tuple[ModelReply, str]:
        estimate = wire.token_estimate(request)
        attempts = retries = 0
        while True:
            ticket = await self.limiter.acquire(estimate)
            mode, shape = self.start_mode(request), self.shape(request)  # after the wait
            attempts += 1
            started = time.perf_counter()
            actual = None
            try:
                self.breaker.check()  # the endpoint is down: stop instead of sending
                parsed = await send(
                    self.lane or self.sdk(ticket.slot),
                    mode,
                    key,
                    request,
                    timeout=self.settings.timeout_s,
                    secrets=self.secrets,
                    shape=shape,
                )
                actual = parsed.usage.total_tokens
            except Failure as failure:
                error = failure
            else:
                self.breaker.answered()
                if request.kind != "embed":
                    profile = self.profile(request.model)
                    profile.confirm(mode, has_schema=bool(request.json_schema))
                    kind = self._probe_key(request)
                    if kind is not None:
                        self._answered.add(kind)
                    profile.check_limit(request.max_completion_tokens, parsed.usage.output_tokens)
                reply = ModelReply(
                    text=parsed.text,
                    embeddings=parsed.embeddings,
                    refusal=parsed.refusal,
                    usage=parsed.usage,
                    latency_s=time.perf_counter() - started,
                    model=parsed.model,
                    attempts=attempts,
                    error=wire.reply_error(parsed, request, shape),
                )
                return reply, mode
            finally:
                self.limiter.release(ticket, actual)
            self.breaker.failed(error.kind, error.message, error.status)  # raises EndpointDown
            if self._learn(request, mode, shape, error):
                continue  # the endpoint refused part of the request: send it as now known
            self._end_probe(request, probe)
            if error.refused or not error.retryable or retries >= self.retry.max_retries:
                return self._final(error, attempts, refused=bool(error.refused)), mode
            delay = next_delay(self.retry, retries, error.retry_after, self._rng)
            if error.retry_after is not None:
                self.limiter.cool_down(min(error.retry_after, self.retry.max_retry_after_s))
            log.info("call %s: %s; retry %d in %.2fs", key[:12], error.message, retries + 1, delay)
            retries += 1
            await asyncio.sleep(delay)

    def _learn(self, request: ModelRequest, mode: str, shape: wire.Shape, error: Failure) -> bool:
        """Learn what ``error`` says the endpoint refused; True when the request would now be
        sent differently (so it is worth sending again at once)."""
        if request.kind == "embed" or not (error.refused or error.no_responses_api):
            return False
        profile = self.profile(request.model)
        why = f"HTTP {error.status}"
        if error.no_responses_api:
            profile.learn_no_responses_api(why)
        if "format" in error.refused and request.json_schema:
            profile.learn_format_refused(mode, why)
        if "developer" in error.refused:
            profile.learn_developer_refused(why)
        for name in ("max_tokens", "max_completion_tokens"):
            if name in error.refused:
                profile.learn_token_field_refused(name, why)
        changed = (self.start_mode(request), self.shape(request)) != (mode, shape)
        if changed:
            log.info("endpoint refused part of a %s request for %s (%s); sending it as now known",
                     mode, request.model, error.message)  # fmt: skip
        return changed

    def _final(self, error: Failure, attempts: int, *, refused: bool = False) -> ModelReply:
        message = error.message
        if refused:
            what = ", ".join(sorted(error.refused))
            forced = self.settings.structured_output
            hint = f" (--structured-output {forced} is forced)" if forced != "auto" else ""
            message = f"the endpoint refused {what}{hint}: {message}"
        elif attempts > 1:
            message = f"{message} (gave up after {attempts} attempts)"
        call_error = CallError(
            kind="bad_request" if refused else error.kind,
            message=message,
            status_code=error.status,
            body=error.body,
        )
        return ModelReply(attempts=attempts, error=call_error)


def _env_base_url(azure: bool) -> str | None:
    import os

    name = "AZURE_OPENAI_ENDPOINT" if azure else "OPENAI_BASE_URL"
    return os.environ.get(name) or None
