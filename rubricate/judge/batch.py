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
killed and rerun pays once.

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
from typing import TYPE_CHECKING, Any

from rubricate.judge import wire
from rubricate.judge.calls import CallError, ModelReply, ModelRequest
from rubricate.judge.retry import classify_status, redact
from rubricate.judge.store import request_from_json

if TYPE_CHECKING:
    from rubricate.judge.client import OpenAIClient

log = logging.getLogger("rubricate.judge.batch")

MAX_LINES = 50_000
MAX_BYTES = 190 * 1024 * 1024
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
MAX_POLL_FAILURES = 20
"""Consecutive failed status checks before this run stops waiting (the batch stays open)."""


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
        self._waiters: dict[str, list[asyncio.Future[ModelReply]]] = {}
        self._entries: dict[str, dict[str, tuple[str, str]]] = {}
        self._open: dict[str, str] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pollers: dict[str, asyncio.Task[Any]] = {}

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
        future: asyncio.Future[ModelReply] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(key, []).append(future)
        batch_id = self._load_open().get(key)
        if batch_id is not None:
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
        try:
            upload = await sdk.files.create(file=("rubricate-batch.jsonl", data), purpose="batch")
            batch = await sdk.batches.create(
                input_file_id=upload.id,
                endpoint=self._url(path),
                completion_window="24h",
                metadata={"created_by": "rubricate"},
            )
        except openai.APIError as exc:
            status = getattr(exc, "status_code", None)
            kind = classify_status(status)[0] if status else "connection"
            message = redact(f"batch submission failed: {exc.message}", self.client.secrets)
            error = CallError(kind=kind, message=message or "", status_code=status)
            for key, request, *_ in chunk:
                self._finish(key, request, ModelReply(attempts=1, error=error))
            return
        entries = [(key, request.canonical_json(), mode) for key, request, mode, _ in chunk]
        if self.client.store is not None:
            self.client.store.add_batch(batch.id, path, upload.id, entries)
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
