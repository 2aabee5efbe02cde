"""Running many coroutines at once, so that one that raises stops the others.

``asyncio.gather`` returns at the first exception but leaves the other coroutines running
(every one of them then pays for its own failure); :func:`gather_or_cancel` cancels them and
waits until they have stopped, then raises that first exception. What a coroutine finished
before is kept by whoever it handed its result to (the run writers append as results arrive).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeVar

T = TypeVar("T")


async def gather_or_cancel(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """The results in order; on the first exception, cancel the rest, wait, and re-raise."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
