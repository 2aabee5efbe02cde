"""Claims: several processes sharing one call store pay for each call once.

Before a live or batched call, the client claims the call's key in the store (a ``claims`` row:
key, owner ``host:pid``). A second process asking for the same key finds the claim and, while
its owner is alive, waits for the owner's answer to reach the store (then replays it, free)
instead of paying for the call again; when the owner ends the call without an answer (an
error), the claim is released and the waiter makes the call itself. A claim whose owner is
gone (a killed process on this host: ``kill(pid, 0)`` says there is no such process) is taken
over, and the call is counted as *orphaned*: the killed process may have paid for it, and its
answer was never kept. Claims of another host are trusted while they stand (a store on a
shared file system; SQLite advises against it).

Cost: two small store writes per call (the claim, and its release, which goes in the same
transaction as the answer), committed in groups with other calls' writes by
:class:`~rubricate.judge.store_writer.StoreWriter` when the client has one.
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rubricate.judge.calls import ModelReply
    from rubricate.judge.store import CallStore
    from rubricate.judge.store_writer import StoreWriter

HOST = socket.gethostname()
POLL_S = (0.05, 1.0)
"""First and longest wait between two looks at a claimed key."""


def owner_id() -> str:
    """This process's claim owner name."""
    return f"{HOST}:{os.getpid()}"


def owner_alive(owner: str) -> bool:
    """False only when ``owner`` is a process of this host that no longer exists."""
    host, _, pid = owner.rpartition(":")
    if host != HOST or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


async def claim(
    store: CallStore, key: str, owner: str, writer: StoreWriter | None = None
) -> tuple[bool, ModelReply | None]:
    """Claim ``key`` for ``owner``, waiting while another live process holds it.

    Returns ``(orphaned, reply)``: ``reply`` is the stored answer another process got while we
    waited (the call must not be made), else None and the key is ours; ``orphaned`` says the
    claim was taken over from a process that is gone. With a ``writer``, each look (stored
    answer? claimed? claim it) is one write of a group commit, off the event loop.
    """
    wait = POLL_S[0]
    while True:
        if writer is not None:
            holder, stored = await writer.claim(key, owner)
            if stored is not None:
                return False, stored
            if holder is None:
                return False, None
        else:
            holder = store.claim(key, owner)
        if holder is None:
            stored = store.get(key)  # its owner may have answered and released it just now
            if stored is not None:
                store.release(key, owner)
            return False, stored
        if not owner_alive(holder):
            if store.take_over(key, owner, holder):
                return True, None
            continue
        stored = store.get(key)
        if stored is not None:
            return False, stored
        await asyncio.sleep(wait)
        wait = min(wait * 2, POLL_S[1])
