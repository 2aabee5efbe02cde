"""How a rubricate process sets Python's cyclic garbage collector (issue 20).

A judged run allocates many short-lived containers per judge call (request and reply
objects, grade records, asyncio handles and futures, aiohttp's per-request objects); almost
all are freed by reference counting, yet each allocation counts towards the collector's
first-generation threshold. With CPython's default ``(700, 10, 10)`` a ``calibrate`` of
examples/accordance_tax (1,725 judge calls at 64 x 200 ms) ran ~115 young, 10 middle and one
full collection while grading: 0.12-0.15 s of CPU, ~0.08 ms per judge call (measured with
``gc.callbacks``, three runs). With the first threshold at 10,000 it runs two young
collections (~5 ms). Cycles are still collected, only in larger, rarer batches; the extra
memory is a few thousand objects.

:func:`tune` is called where rubricate owns the process: the ``rubricate`` console script
(:func:`rubricate.cli.main`) and the reward server's worker processes
(:func:`rubricate.export.serve.app.app_from_env`). Importing rubricate, or calling it from
Python, leaves the host program's collector as it is. A process that already set a higher
first threshold keeps it.
"""

from __future__ import annotations

import gc

__all__ = ["YOUNG_THRESHOLD", "tune"]

YOUNG_THRESHOLD = 10_000
"""Allocations (minus deallocations) of container objects between young collections."""


def tune() -> None:
    """Raise the collector's first-generation threshold to :data:`YOUNG_THRESHOLD` (the older
    generations' thresholds, and a higher first threshold already set, are kept)."""
    young, middle, old = gc.get_threshold()
    if young and young < YOUNG_THRESHOLD:  # 0: collection is disabled; leave it so
        gc.set_threshold(YOUNG_THRESHOLD, middle, old)
