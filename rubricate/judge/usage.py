"""Usage and cost accounting of one run of the model client.

:class:`RunUsage` counts what a run did: calls answered by the endpoint (``calls``), replays
from the store (``cached``), HTTP attempts, failed calls by error kind, tokens, and the
estimated cost of the calls made in this run (replays cost nothing). Refusals and truncated
replies are answers the endpoint billed: they count as calls *and* as errors of their kind.
"""

from __future__ import annotations

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
