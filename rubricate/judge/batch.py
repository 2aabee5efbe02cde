"""The Batch API path of the model client (``ClientSettings.batch``).

Callers still just ``await client.call(request)``. In batch mode a call that the store cannot
answer joins a queue; when no new call has arrived for ``idle_s`` seconds (or on
``await client.flush()``), everything queued is written as Batch API JSONL (``custom_id`` = the
store key), uploaded with ``files.create(purpose="batch")`` and submitted with
``batches.create`` (one batch per endpoint, split at 50,000 lines or ~190 MB). The batch id and
its keys are committed to the store *before* anyone waits on it; a poller then checks the batch
every ``poll_s`` seconds and, once it ends, downloads the output and error files into the store
and wakes the callers.

Re-attaching: a run that finds, in the store, an unfinished batch holding a key it is asked
for waits on that batch instead of submitting the request again. So a batch run that is
killed and rerun pays once. That holds even when the kill falls between the provider accepting
``batches.create`` and the store recording its id: the batch is recorded first under an intent
id, sent as the batch's metadata ``rubricate_intent``; a rerun that finds an intent without a
batch id looks for the provider's batch carrying it (``batches.list``, newest first) and
re-attaches to it, or, when the provider has none, submits those calls again (nothing was
created, nothing paid). When the provider cannot be asked, those calls fail with a message
rather than risk paying twice.

Lines that fail (an error-file line, or no line at all because the batch expired, failed or
was cancelled) become that call's :class:`~rubricate.judge.calls.CallError` and are not stored
as answers, so the next run submits only them again. Batch lines are not retried within a run
and the structured-output fallback does not apply (the run submits what it learned live).

Caveat for callers: the client's concurrency limit does not apply in batch mode; a caller that
limits its own concurrency (only N calls awaited at a time) makes one small batch per wave.
Launch every call at once (``asyncio.gather``) in batch mode.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

from rubricate.judge import wire
from rubricate.judge.calls import CallError, ModelReply, ModelRequest
from rubricate.judge.retry import classify_status, redact
from rubricate.judge.store import INTENT_PREFIX, request_from_json

if TYPE_CHECKING:
    from rubricate.judge.client import OpenAIClient

log = logging.getLogger("rubricate.judge.batch")

MAX_LINES = 50_000
MAX_BYTES = 190 * 1024 * 1024
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
MAX_POLL_FAILURES = 20
"""Consecutive failed status checks before this run stops waiting (the batch stays open)."""
INTENT_LOOKBACK_S = 3 * 24 * 3600
"""How far back (before an intent was recorded) ``batches.list`` is searched for its batch."""


class BatchRunner:
    """Collects calls into batches, submits, polls, and stores results."""

    def __init__(self, client: OpenAIClient, *, idle_s: float = 2.0, poll_s: float = 10.0) -> None:
        self.client = client
        self.idle_s = idle_s
        """Seconds without a new call before the queue is submitted."""
        self.poll_s = poll_s
        """Seconds between two status checks of a submitted batch."""
        self.submitted: list[str] = []
        """Batch ids submitted by this runner (re-attached ones excluded)."""
        self._queue: dict[str, tuple[ModelRequest, str]] = {}
        self._intent_failures: dict[str, str] = {}
        self._waiters: dict[str, list[asyncio.Future[ModelReply]]] = {}
        self._entries: dict[str, dict[str, tuple[str, str]]] = {}
        self._open: dict[str, str] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pollers: dict[str, asyncio.Task[Any]] = {}
        self._intents_resolved = False
        self._intent_lock = asyncio.Lock()
        self.recovered: list[str] = []
        """Batches a killed run had created but not recorded, found by their intent."""

    async def _resolve_intents(self) -> None:
        """Turn every ``intent:`` batch of the store into the provider's batch, or forget it
        when the provider has none (see the module docstring)."""
        async with self._intent_lock:
            if self._intents_resolved:
                return
            self._intents_resolved = True
            store = self.client.store
            intents = [b for b in (store.open_batches() if store else {}) if
                       b.startswith(INTENT_PREFIX)]  # fmt: skip
            if not intents or store is None:
                return
            try:
                found = await self._find_intents({i[len(INTENT_PREFIX) :] for i in intents})
            except Exception as exc:  # noqa: BLE001 - any failure: do not risk paying twice
                message = redact(str(exc), self.client.secrets)
                for intent in intents:
                    self._intent_failures[intent] = (
                        f"cannot tell whether batch intent {intent} reached the provider "
                        f"(batches.list failed: {message}); rerun when the endpoint answers"
                    )
                return
            for intent in intents:
                batch = found.get(intent[len(INTENT_PREFIX) :])
                if batch is None:
                    store.drop_batch(intent)  # never created: its calls are submitted again
                    log.info("batch intent %s never reached the provider", intent)
                else:
                    store.rename_batch(intent, batch.id, getattr(batch, "input_file_id", None))
                    self.recovered.append(batch.id)
                    log.info("batch intent %s is batch %s: re-attached", intent, batch.id)

    async def _find_intents(self, wanted: set[str]) -> dict[str, Any]:
        """The provider's batches whose metadata ``rubricate_intent`` is in ``wanted``."""
        import time

        sdk = self.client.sdk(0)
        oldest = time.time() - INTENT_LOOKBACK_S
        found: dict[str, Any] = {}
        async for batch in sdk.batches.list(limit=100):
            intent = (getattr(batch, "metadata", None) or {}).get("rubricate_intent")
            if intent in wanted:
                found[intent] = batch
                if len(found) == len(wanted):
                    break
            if (getattr(batch, "created_at", None) or oldest) < oldest:
                break
        return found

    def _load_open(self) -> dict[str, str]:
        if self._open is None:
            self._open = {}
            store = self.client.store
            for batch_id, entries in (store.open_batches() if store else {}).items():
                self._entries[batch_id] = {key: (req, mode) for key, req, mode in entries}
                for key, _, _ in entries:
                    self._open[key] = batch_id
        return self._open

    async def submit(self, key: str, request: ModelRequest) -> ModelReply:
        """Queue (or re-attach) one call and wait for its result."""
        await self._resolve_intents()
        future: asyncio.Future[ModelReply] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(key, []).append(future)
        batch_id = self._load_open().get(key)
        if batch_id is not None and batch_id in self._intent_failures:
            error = CallError(kind="connection", message=self._intent_failures[batch_id])
            self._finish(key, request, ModelReply(attempts=0, error=error))
        elif batch_id is not None:
            self._ensure_poller(batch_id)
        else:
            self._queue[key] = (request, self.client.start_mode(request))
            if self._timer is not None:
                self._timer.cancel()
            self._timer = asyncio.get_running_loop().call_later(self.idle_s, self._on_idle)
        return await future

    def _on_idle(self) -> None:
        self._timer = None
        self._spawn(self._submit_queue())

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def flush(self) -> None:
        """Submit everything queued now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await self._submit_queue()

    async def aclose(self) -> None:
        """Stop waiting (submitted batches go on at the provider; a rerun re-attaches)."""
        if self._timer is not None:
            self._timer.cancel()
        for task in [*self._tasks, *self._pollers.values()]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._pollers.values(), return_exceptions=True)

    # ------------------------------------------------------------- submitting
    async def _submit_queue(self) -> None:
        queued, self._queue = self._queue, {}
        groups: dict[str, list[tuple[str, ModelRequest, str]]] = {}
        for key, (request, mode) in queued.items():
            groups.setdefault(wire.path_for(mode), []).append((key, request, mode))
        for path, items in groups.items():
            for chunk in _chunks(self._lines(path, items)):
                await self._submit_chunk(path, chunk)

    def _url(self, path: str) -> str:
        return path if self.client.azure else f"/v1{path}"

    def _lines(self, path: str, items: list[tuple[str, ModelRequest, str]]) -> list[tuple]:
        url = self._url(path)
        lines = []
        for key, request, mode in items:
            body = wire.build_body(request, mode, self.client.shape(request))
            line = {"custom_id": key, "method": "POST", "url": url, "body": body}
            lines.append((key, request, mode, json.dumps(line, separators=(",", ":"))))
        return lines

    async def _submit_chunk(self, path: str, chunk: list[tuple]) -> None:
        import openai  # deferred like everywhere in the client

        data = ("\n".join(line for *_, line in chunk) + "\n").encode("utf-8")
        sdk = self.client.sdk(0)
        entries = [(key, request.canonical_json(), mode) for key, request, mode, _ in chunk]
        intent = uuid.uuid4().hex
        store = self.client.store
        if store is not None:  # recorded before the provider can accept it (idempotent resume)
            store.add_batch(INTENT_PREFIX + intent, path, None, entries)
        try:
            upload = await sdk.files.create(file=("rubricate-batch.jsonl", data), purpose="batch")
            batch = await sdk.batches.create(
                input_file_id=upload.id,
                endpoint=self._url(path),
                completion_window="24h",
                metadata={"created_by": "rubricate", "rubricate_intent": intent},
            )
        except openai.APIError as exc:
            if store is not None and isinstance(exc, openai.APIStatusError):
                # refused with a status: nothing was created (a rerun submits again); after a
                # timeout or a lost connection the intent stays for the rerun to look up
                store.drop_batch(INTENT_PREFIX + intent)
            status = getattr(exc, "status_code", None)
            kind = classify_status(status)[0] if status else "connection"
            message = redact(f"batch submission failed: {exc.message}", self.client.secrets)
            error = CallError(kind=kind, message=message or "", status_code=status)
            for key, request, *_ in chunk:
                self._finish(key, request, ModelReply(attempts=1, error=error))
            return
        if store is not None:
            store.rename_batch(INTENT_PREFIX + intent, batch.id, upload.id)
        self._entries[batch.id] = {key: (req, mode) for key, req, mode in entries}
        self.submitted.append(batch.id)
        log.info("submitted batch %s with %d requests", batch.id, len(chunk))
        self._ensure_poller(batch.id)

    # ---------------------------------------------------------------- polling
    def _ensure_poller(self, batch_id: str) -> None:
        if batch_id not in self._pollers:
            self._pollers[batch_id] = self._spawn(self._poll(batch_id))

    async def _poll(self, batch_id: str) -> None:
        import openai

        sdk = self.client.sdk(0)
        status = None
        failures = 0
        while True:
            try:
                batch = await sdk.batches.retrieve(batch_id)
                failures = 0
            except openai.NotFoundError:
                self._settle(batch_id, "missing", {}, f"batch {batch_id} no longer exists")
                return
            except openai.APIError as exc:
                failures += 1
                message = redact(str(exc), self.client.secrets)
                if failures >= MAX_POLL_FAILURES:  # the batch goes on; a rerun re-attaches
                    self._give_up(batch_id, f"cannot check batch {batch_id}: {message}")
                    return
                log.warning("batch %s: status check failed (%s); will retry", batch_id, message)
                await asyncio.sleep(self.poll_s)
                continue
            if batch.status != status:
                status = batch.status
                log.info("batch %s: %s", batch_id, status)
            if status in TERMINAL:
                break
            await asyncio.sleep(self.poll_s)
        lines: dict[str, dict[str, Any]] = {}
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                content = await sdk.files.content(file_id)
                for raw in content.text.splitlines():
                    if raw.strip():
                        item = json.loads(raw)
                        lines[str(item.get("custom_id"))] = item
        detail = ""
        if getattr(batch, "errors", None) and batch.errors.data:
            detail = "; ".join(str(e.message) for e in batch.errors.data[:3])
        self._settle(batch_id, status, lines, detail)

    def _give_up(self, batch_id: str, message: str) -> None:
        """Wake this run's callers with an error; the batch stays open in the store."""
        error = CallError(kind="connection", message=message)
        for key in self._entries.get(batch_id, {}):
            for future in self._waiters.pop(key, []):
                if not future.done():
                    future.set_result(ModelReply(error=error))

    def _settle(
        self, batch_id: str, status: str, lines: dict[str, dict[str, Any]], detail: str
    ) -> None:
        for key, (request_json, mode) in self._entries.get(batch_id, {}).items():
            request = request_from_json(request_json)
            reply = self._reply(batch_id, status, mode, request, lines.get(key), detail)
            self._finish(key, request, reply, mode=mode, batch_id=batch_id)
        if self.client.store is not None:
            self.client.store.finish_batch(batch_id, status)
        if self._open is not None:
            for key in self._entries.get(batch_id, {}):
                self._open.pop(key, None)

    def _reply(
        self,
        batch_id: str,
        status: str,
        mode: str,
        request: ModelRequest,
        line: dict[str, Any] | None,
        detail: str,
    ) -> ModelReply:
        if line is None:
            message = f"batch {batch_id} ended {status!r} without an answer for this request"
            return ModelReply(error=CallError(kind="server_error", message=message))
        response = line.get("response") or {}
        code = int(response.get("status_code") or 0)
        body = response.get("body")
        if code == 200:
            parsed = wire.parse_body(mode, body, request)
            if parsed.problem is None:
                return ModelReply(
                    text=parsed.text,
                    embeddings=parsed.embeddings,
                    refusal=parsed.refusal,
                    usage=parsed.usage,
                    model=parsed.model,
                    attempts=1,
                    error=wire.reply_error(parsed, request),
                )
            error = CallError(kind="server_error", message=f"batch line: {parsed.problem}")
            return ModelReply(attempts=1, error=error)
        kind = classify_status(code)[0] if code else "server_error"
        found = (body or {}).get("error") if isinstance(body, dict) else None
        found = found or line.get("error") or {}
        text = found.get("message") if isinstance(found, dict) else str(found)
        message = redact(f"batch line HTTP {code or '?'}: {text or detail}", self.client.secrets)
        raw = redact(json.dumps(body)[:4000], self.client.secrets) if body else None
        return ModelReply(
            attempts=1,
            error=CallError(kind=kind, message=message or "", status_code=code or None, body=raw),
        )

    def _finish(
        self,
        key: str,
        request: ModelRequest,
        reply: ModelReply,
        *,
        mode: str | None = None,
        batch_id: str | None = None,
    ) -> None:
        store = self.client.store
        if store is not None:
            error = reply.error
            if error is None or error.kind in ("refusal", "truncated"):
                store.put(key, request, reply, mode=mode, batch_id=batch_id)
            else:
                store.put_error(key, request, error, reply.attempts)
        for future in self._waiters.pop(key, []):
            if not future.done():
                future.set_result(reply)


def _chunks(lines: list[tuple]) -> list[list[tuple]]:
    chunks: list[list[tuple]] = []
    current: list[tuple] = []
    size = 0
    for line in lines:
        length = len(line[-1]) + 1
        if current and (len(current) >= MAX_LINES or size + length > MAX_BYTES):
            chunks.append(current)
            current, size = [], 0
        current.append(line)
        size += length
    if current:
        chunks.append(current)
    return chunks
