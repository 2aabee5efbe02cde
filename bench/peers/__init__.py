"""Peers of rubricate run against the same loopback judge (optional; skipped when absent).

:func:`run_peers` yields one row per peer: ``{"driver", "calls", "wall_s", "cpu_s"}`` when it
ran, ``{"driver", "skipped": why}`` when it is not installed. Each peer runs in its own
process, a tiny judge prompt per call (as in issue 20's table): promptfoo's ``llm-rubric``
(``promptfoo`` on PATH, or ``npx promptfoo`` when ``RUBRICATE_BENCH_NPX=1``) and Inspect AI's
``model_graded_qa`` (``inspect_ai`` importable).
"""

from __future__ import annotations

from collections.abc import Iterator

from peers import inspect_peer, promptfoo_peer  # type: ignore[import-not-found]


def run_peers(base_url: str, concurrency: int, calls: int) -> Iterator[dict]:
    """Run every installed peer: ``calls`` judge calls, ``concurrency`` in flight."""
    for peer in (promptfoo_peer, inspect_peer):
        try:
            yield peer.run(base_url, concurrency, calls)
        except Exception as error:  # a peer's failure is a row, never the bench's
            yield {"driver": peer.NAME, "error": f"{type(error).__name__}: {error}"[:200]}
