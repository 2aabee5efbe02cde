"""Group commit of the model client's store writes, in a thread, off the event loop.

Every live call writes to the call store twice: a claim before it is sent
(:mod:`rubricate.judge.claims`) and its answer (or last error) after, which also ends the
claim. With one transaction each, 64 calls in flight mean ~640 small transactions a second,
each holding the event loop while SQLite writes ~20 kB. :class:`StoreWriter` instead queues
each write as a :class:`~rubricate.judge.store.Op` with a future, and commits everything
queued in one transaction (:meth:`CallStore.apply`) in its own thread; writes that arrive
while a commit runs go in the next one. A caller's future is resolved only after the
transaction holding its write has committed, so the client's promise stands: an answer is on
disk before it is handed to its caller (a SIGKILL loses only answers no caller has seen).

SQLite and Zstandard release the GIL while they work, so on a machine with two cores the commit
overlaps the event loop instead of stopping it.

While writes keep coming (the last group committed under :data:`GROUP_S` ago), a group
starts :data:`GROUP_S` after its first write: at 64 judge calls in flight writes arrive
~1.5 ms apart, and committing each alone cost ~0.3 ms of CPU per transaction plus a thread
hand-off and a wake-up of the event loop (issue 20: 1,030 transactions for 1,725 calls, 3.3
writes each). The wait is hidden: a claim is made while the call waits for a concurrency slot,
and an answer is written after its slot is free. After a quiet spell (the first write of a
run, a reward server between requests) a write commits at once: nothing to group it with,
and no caller is kept waiting for nothing.

``GROUP_S`` was 10 ms, and every group waited it, until 2026-12-07. Measured side by side
(``calibrate`` of examples/accordance_tax at 64 x 200 ms, 3,451 writes, three runs each):
156-198 commits instead of 277-315 and 5,127-5,501 turns of the event loop instead of
5,927-6,040, the wall time unchanged (5.8 s); the CPU this saves (~0.02 ms per judge call) is
less than a shared machine's run-to-run spread. A lone request to ``rubricate serve`` of that
rubric (15 judge calls at once, a 50 ms judge, the default call store) is answered in 63-65 ms
instead of 81-82 (medians of 22 requests, twice each, side by side). The price: under load
a grade (a reward server's answer) is handed back up to 25 ms later instead of 10; at 50 ms
``calibrate``'s calls/s began to fall in one comparison (0.946 of ideal against 0.955).
"""

from __future__ import annotations

import asyncio
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rubricate.judge.calls import CallError, ModelReply, ModelRequest
from rubricate.judge.store import CallStore, Op

log = logging.getLogger(__name__)

GROUP_S = 0.025
"""How long a group collects writes before it commits while writes keep coming (seconds)."""


def _log_failure(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("could not keep the endpoint profile: %s", future.exception())


class StoreWriter:
    """Queues store writes and commits them in groups (see the module docstring)."""

    def __init__(self, store: CallStore) -> None:
        self.store = store
        self._queue: list[tuple[Op, asyncio.Future[Any]]] = []
        self._running: asyncio.Future[Any] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._last_commit = -math.inf
        """The event loop's time when the last group committed."""
        self.commits = 0
        """Transactions committed (for the benchmarks: writes per commit)."""
        self.writes = 0

    async def claim(self, key: str, owner: str) -> tuple[str | None, ModelReply | None]:
        """``(holder, stored)``: the stored answer to ``key``, else the other owner holding
        its claim, else (None, None) and ``key`` is now claimed for ``owner``."""
        result: tuple[str | None, ModelReply | None] = await self._submit(
            Op("claim", key, owner=owner)
        )
        return result

    async def put(
        self, key: str, request: ModelRequest, reply: ModelReply, *, mode: str | None,
        owner: str | None,
    ) -> None:  # fmt: skip
        """Store the answer to ``key`` (ending ``owner``'s claim); returns once committed."""
        await self._submit(Op("put", key, request, reply, mode=mode, owner=owner))

    async def put_error(
        self, key: str, request: ModelRequest, error: CallError, attempts: int, *,
        owner: str | None,
    ) -> None:  # fmt: skip
        """Keep the last error of a call without an answer (ending ``owner``'s claim)."""
        await self._submit(Op("error", key, request, owner=owner, error=error, attempts=attempts))

    async def release(self, key: str, owner: str) -> None:
        """End ``owner``'s claim on ``key``."""
        await self._submit(Op("release", key, owner=owner))

    def remember_endpoint(self, base_url: str, model: str, profile: str) -> None:
        """Keep what the endpoint accepts for ``model`` (JSON) with the next group; nobody
        waits for it, and a failure to write it is only logged (it is a hint, not a call)."""
        future = self._queue_op(Op("endpoint", base_url, model=model, profile=profile))
        future.add_done_callback(_log_failure)

    async def _submit(self, op: Op) -> Any:
        # a cancelled caller cancels only its future: the op stays queued and is committed
        # with its group (no asyncio.shield needed, and none paid for on every write)
        return await self._queue_op(op)

    def _queue_op(self, op: Op) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.append((op, future))
        if self._running is None and self._timer is None:
            # busy: collect a group; after a quiet spell (the run's first write too): at once
            busy = loop.time() - self._last_commit < GROUP_S
            self._timer = loop.call_later(GROUP_S if busy else 0, self._due)
        return future

    def _due(self) -> None:
        self._timer = None
        if self._running is None and self._queue:
            self._start()

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        batch, self._queue = self._queue, []
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="rubricate-store")
        ops = [op for op, _ in batch]
        running = loop.run_in_executor(self._executor, self.store.apply, ops)
        self._running = running
        running.add_done_callback(lambda done: self._finished(done, batch))

    def _finished(self, done: asyncio.Future[Any], batch: list[tuple[Op, Any]]) -> None:
        self._running = None
        self._last_commit = asyncio.get_running_loop().time()
        error = None if done.cancelled() else done.exception()
        if done.cancelled():
            error = asyncio.CancelledError()
        results = None if error is not None else done.result()
        self.commits += 1
        self.writes += len(batch)
        for index, (_, future) in enumerate(batch):
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(results[index])  # type: ignore[index]
        if self._queue:
            self._start()

    async def aclose(self) -> None:
        """Wait for every queued write to commit, then stop the thread."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._running is not None or self._queue:
            if self._running is None:
                self._start()
            running = self._running
            assert running is not None
            await asyncio.wait([running])
            await asyncio.sleep(0)  # let the done-callback start the next group
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
