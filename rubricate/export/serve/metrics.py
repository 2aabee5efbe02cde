"""The reward server's Prometheus metrics (``GET /metrics``, text exposition format).

Built on ``prometheus_client`` with one registry per app (several apps in one process, as in
tests, never collide). With several server processes (``rubricate serve --workers N``) the
command sets ``PROMETHEUS_MULTIPROC_DIR``; each process then writes its values there and
``/metrics``, whichever process answers, reports the sum over all of them
(``prometheus_client``'s multiprocess mode).

Metrics (all prefixed ``rubricate_``):

- ``requests_total{route,status}``: HTTP requests answered;
- ``request_seconds{route}``: request latency histogram (seconds);
- ``pairs_graded_total``, ``pairs_unscored_total``, ``pair_retries_total``;
- ``grade_errors_total{flag}``: unscored pairs by the platform's error flag;
- ``model_calls_total``, ``model_cache_hits_total``: judge calls made and replayed from the store.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE  # noqa: N811
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from rubricate.judge.records import GradeRecord

__all__ = ["CONTENT_TYPE", "ServerMetrics"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class ServerMetrics:
    """The counters and histogram of one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "rubricate_requests", "HTTP requests answered", ["route", "status"], registry=r
        )
        self.latency = Histogram(
            "rubricate_request_seconds",
            "Request latency",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.pairs = Counter("rubricate_pairs_graded", "Pairs graded", registry=r)
        self.unscored = Counter("rubricate_pairs_unscored", "Pairs that errored", registry=r)
        self.retries = Counter("rubricate_pair_retries", "Transient failures re-graded", registry=r)
        self.errors = Counter(
            "rubricate_grade_errors", "Unscored pairs by error flag", ["flag"], registry=r
        )
        self.model_calls = Counter("rubricate_model_calls", "Judge calls made", registry=r)
        self.cache_hits = Counter(
            "rubricate_model_cache_hits", "Judge calls replayed from the store", registry=r
        )

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(route=route, status=str(status)).inc()
        self.latency.labels(route=route).observe(seconds)

    def observe_records(self, records: Sequence[GradeRecord], retried: int) -> None:
        """Count a graded batch."""
        self.pairs.inc(len(records))
        if retried:
            self.retries.inc(retried)
        for record in records:
            if not record.scored:
                self.unscored.inc()
                for flag in record.metadata.errors.flags() or ["other_error"]:
                    self.errors.labels(flag=flag).inc()
            made = sum(1 for call in record.calls if not call.cached)
            if made:
                self.model_calls.inc(made)
            if len(record.calls) > made:
                self.cache_hits.inc(len(record.calls) - made)

    def exposition(self) -> bytes:
        """The text exposition of every metric (summed over processes in multiprocess mode)."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
