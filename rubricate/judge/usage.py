"""Usage and cost accounting of one run of the model client.

:class:`RunUsage` counts what a run did: calls answered by the endpoint (``calls``), replays
from the store (``cached``), HTTP attempts, failed calls by error kind, tokens, and the
estimated cost of the calls made in this run (replays cost nothing). Refusals and truncated
replies are answers the endpoint billed: they count as calls *and* as errors of their kind.

:meth:`RunUsage.pace` says what set the pace of the live calls (issue 20): the endpoint (the
client kept its slots full), this process's CPU, or neither.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from rubricate.judge.calls import ModelReply
from rubricate.judge.pricing import PriceTable


class ModelUsage(BaseModel):
    """Per-model totals of the calls made in this run."""

    calls: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = 0.0


SLOTS_FULL = 0.9
"""The share of the client's slots busy on average at which the endpoint set the pace."""
CPU_FULL = 0.75
"""The share of one core this process used at which its CPU set the pace: its event loop runs
on one core, and past three quarters of it calls wait for the loop (measured: at 256 x 50 ms
on accordance_tax the process used ~0.8 of a core and kept 176 of 256 slots busy)."""

Bound = Literal["endpoint", "client CPU", "neither"]


class Pace(BaseModel):
    """What set the pace of a run's live model calls, from the client's own counters.

    ``bound``: ``endpoint`` when on average at least 90 % of the client's slots had a call in
    flight (the endpoint's answers set the pace: a higher ``--concurrency`` goes faster if the
    endpoint takes it); else ``client CPU`` when this process used at least 75 % of a core
    (split the set across processes sharing the call store); else ``neither`` (rate limits,
    cool-downs after a 429, retries, or fewer calls ready than slots: a small run's last
    grades, a python sandbox that holds the grades back)."""

    calls: int
    """Live calls answered (replays and batched calls are not paced)."""
    wall_s: float
    """Seconds from the client's first call to its last answer."""
    calls_per_s: float
    mean_in_flight: float
    """Live attempts in flight, on average over ``wall_s``."""
    slots: int
    """The client's concurrency."""
    cpu_s: float
    """CPU seconds of this process over ``wall_s`` (all its threads; python-grader worker
    processes not included)."""
    cpu_ms_per_call: float
    bound: Bound

    def line(self) -> str:
        """One line for the end of a run."""
        why = {
            "endpoint": "the endpoint set the pace (the slots stayed full: a higher "
            "--concurrency goes faster if the endpoint takes it)",
            "client CPU": "this process's CPU set the pace (split the set across processes "
            "sharing the call store)",
            "neither": "neither the slots nor this process's CPU were full (rate limits, "
            "retries, or fewer calls ready than slots held the pace)",
        }[self.bound]
        share = self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0
        return (
            f"{self.calls_per_s:,.0f} calls/s, {self.mean_in_flight:.1f} of {self.slots} slots "
            f"busy on average, this process's CPU {share:.0%} of a core "
            f"({self.cpu_ms_per_call:.2f} ms per call): {why}"
        )


class RunUsage(BaseModel):
    """What a run used. Cost covers calls made in this run; None parts are unpriced models."""

    calls: int = 0
    """Calls answered by the endpoint in this run (paid)."""
    cached: int = 0
    """Calls replayed from the store (free)."""
    replayed_cost_usd: float = 0.0
    """What the replayed calls cost whoever made them (an earlier process or run), at
    live prices (a batched one cost half): with ``cost_usd``, what every process of a resumed
    run paid for its answers."""
    replayed_tokens: int = 0
    """Input plus output tokens of the replayed calls, as they were when made (what the
    replayed answers used: a comparison arm that replays another arm's calls still shows
    the tokens its grader needs)."""
    orphaned: int = 0
    """Calls a killed process had in flight (claimed, no answer kept): possibly paid by it, and
    made again here (:mod:`rubricate.judge.claims`)."""
    attempts: int = 0
    """HTTP attempts, retries included."""
    batched: int = 0
    """Calls answered through the Batch API (half price)."""
    errors: dict[str, int] = Field(default_factory=dict)
    """Calls without a usable reply, by ``CallError.kind``."""
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    """Estimated dollars for the priced models."""
    unpriced: list[str] = Field(default_factory=list)
    """Models with no price in the table (their cost is not in ``cost_usd``)."""
    wall_s: float = 0.0
    """Seconds from the client's first call to its last answer."""
    local: bool = False
    """The endpoint is a local server: a model without a price file entry costs nothing."""
    by_model: dict[str, ModelUsage] = Field(default_factory=dict)
    slots: int = 0
    """The client's concurrency (calls it may have in flight)."""
    in_flight_s: float = 0.0
    """Seconds live HTTP attempts were in flight, summed over the attempts (each from its
    admission by the client's limiter to its answer)."""
    cpu_s: float = 0.0
    """CPU seconds of this process from the client's first call to its last answer."""

    def pace(self) -> Pace | None:
        """What set the pace of the live calls; None when there were none to pace (every call
        replayed or batched, or none made)."""
        if self.calls == 0 or self.batched or self.wall_s <= 0 or self.slots < 1:
            return None
        mean = self.in_flight_s / self.wall_s
        bound: Bound = "neither"
        if mean >= SLOTS_FULL * self.slots:
            bound = "endpoint"
        elif self.cpu_s >= CPU_FULL * self.wall_s:
            bound = "client CPU"
        return Pace(
            calls=self.calls,
            wall_s=round(self.wall_s, 3),
            calls_per_s=round(self.calls / self.wall_s, 1),
            mean_in_flight=round(mean, 2),
            slots=self.slots,
            cpu_s=round(self.cpu_s, 3),
            cpu_ms_per_call=round(self.cpu_s / self.calls * 1000, 3),
            bound=bound,
        )

    def record(
        self, model: str, reply: ModelReply, prices: PriceTable, *, batch: bool = False
    ) -> None:
        """Count one finished call (replayed, answered or failed)."""
        if reply.error is not None:
            self.errors[reply.error.kind] = self.errors.get(reply.error.kind, 0) + 1
        if reply.cached:
            self.cached += 1
            answered = reply.error is None or reply.error.kind in ("refusal", "truncated")
            earlier = prices.cost(model, reply.usage, batch=batch) if answered else None
            self.replayed_cost_usd += earlier or 0.0
            if answered:
                self.replayed_tokens += reply.usage.input_tokens + reply.usage.output_tokens
            return
        self.attempts += reply.attempts
        answered = reply.error is None or reply.error.kind in ("refusal", "truncated")
        if not answered:
            return
        self.calls += 1
        self.batched += int(batch)
        usage = reply.usage
        per = self.by_model.setdefault(model, ModelUsage())
        per.calls += 1
        for name in ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens"):
            value = getattr(usage, name)
            setattr(self, name, getattr(self, name) + value)
            setattr(per, name, getattr(per, name) + value)
        cost = prices.cost(model, usage, batch=batch)
        if cost is None:
            per.cost_usd = None
            if model not in self.unpriced:
                self.unpriced.append(model)
        else:
            self.cost_usd += cost
            if per.cost_usd is not None:
                per.cost_usd += cost

    def summary(self) -> str:
        """One line for the end of a run."""
        errors = sum(self.errors.values())
        cost = f"~${self.cost_usd:.4f}"
        if self.local and not self.cost_usd:
            cost = "local: no cost"
        if self.unpriced:
            cost += f" (+ unpriced: {', '.join(sorted(self.unpriced))})"
        if self.replayed_cost_usd:
            cost += f" (the replayed answers cost ~${self.replayed_cost_usd:.4f} when made)"
        orphaned = f", {self.orphaned} made again after a killed process" if self.orphaned else ""
        return (
            f"{self.calls} calls ({self.cached} from the store, {errors} errors{orphaned}), "
            f"{self.input_tokens} in / {self.cached_input_tokens} cached / "
            f"{self.output_tokens} out tokens, {cost}, {self.wall_s:.1f}s"
        )
