"""Per-run memo of work that repeats of one grade share, keyed by object identity.

A calibration grades each answer ``R`` times (repeats) with the same grader config, the same
item and the same sample objects. What does not depend on the repeat is done once:

- the judge prompt of a model sub-grader (:func:`render_messages` over a ~20 kB prompt) and the
  :class:`~rubricate.judge.calls.ModelRequest` built from it, whose canonical JSON and hash
  are then taken once (:meth:`ModelRequest.key` derives each repeat's key from that hash);
- the result of a deterministic python check that rubricate generated (the ``numbers`` and
  other checks compiled from a rubric: standard-library code, a pure function of sample and
  item), so its sandbox round trip is paid once per answer, not once per repeat.

Keys are the ``id()`` of the objects involved; every entry keeps those objects alive, so an
id cannot be reused while its entry stands. The memo is bounded (least recently used entries
go first; a request entry holds ~50 kB): calibration runs the repeats of an answer side by
side, so a few entries per job in flight are enough, and a miss only costs the work again.
Only calibration uses one (:class:`~rubricate.judge.runtime.Runtime` has none by default):
``grade`` and ``serve`` never see the same objects twice.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_SIZE = 1024


class Memo:
    """A bounded map from tuples of objects (by identity) to values or running tasks."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = OrderedDict()
        self._waiting: dict[asyncio.Future[Any], int] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get_or_make(self, space: str, objects: tuple[Any, ...], make: Callable[[], T]) -> T:
        """The value for ``objects`` in ``space``, made by ``make()`` on first use."""
        key = (space, *map(id, objects))
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            return found[1]
        value = make()
        self._put(key, objects, value)
        return value

    async def run_once(
        self, space: str, objects: tuple[Any, ...], make: Callable[[], Awaitable[T]]
    ) -> T:
        """The result of ``make()`` for ``objects`` in ``space``: awaited once, shared by
        every caller (also those that ask while it runs). A failure is not kept; when every
        caller waiting for it is cancelled, the work is cancelled too."""
        key = (space, *map(id, objects))
        found = self._entries.get(key)
        if (
            found is not None
            and found[1].done()
            and (found[1].cancelled() or found[1].exception() is not None)
        ):
            found = None  # a failed or cancelled run is not kept: run it again
        if found is None:
            task = asyncio.ensure_future(make())
            task.add_done_callback(_retrieve)
            self._put(key, objects, task)
        else:
            self._entries.move_to_end(key)
            task = found[1]
        if task.done():
            return task.result()
        self._waiting[task] = self._waiting.get(task, 0) + 1
        try:
            return await asyncio.shield(task)
        except BaseException:
            if not task.done() and self._waiting.get(task) == 1:
                task.cancel()  # nobody waits for it any more
            stopping = isinstance(task, asyncio.Task) and task.cancelling() > 0
            if stopping or (task.done() and (task.cancelled() or task.exception() is not None)):
                entry = self._entries.get(key)
                if entry is not None and entry[1] is task:
                    del self._entries[key]
            raise
        finally:
            left = self._waiting.get(task, 1) - 1
            if left:
                self._waiting[task] = left
            else:
                self._waiting.pop(task, None)

    async def aclose(self) -> None:
        """Cancel the shared work still running and wait for it to stop."""
        running = [v for _, v in self._entries.values() if isinstance(v, asyncio.Future)]
        running = [task for task in running if not task.done()]
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        self._entries.clear()

    def _put(self, key: tuple[Any, ...], objects: tuple[Any, ...], value: Any) -> None:
        self._entries[key] = (objects, value)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()
