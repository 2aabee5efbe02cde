"""Bounded concurrency plus requests- and tokens-per-minute limits for one endpoint.

:class:`Limiter` hands out a :class:`Ticket` per HTTP attempt and takes it back when the
attempt ends. What it guarantees:

- concurrency: never more than ``concurrency`` tickets out at once. Each ticket carries a
  ``slot`` number in ``range(concurrency)`` that no other live ticket has (the client uses it to
  pick a connection pool).
- RPM: in any window of ``window_s`` seconds (60 for a real minute), at most ``rpm`` attempts
  start. Starts are also paced: at most ``ceil(rpm / 60)`` in any ``window_s / 60`` (one second
  of a real minute), because the API enforces its limits over short sub-windows too.
- TPM: the same two windows over tokens. A ticket reserves an estimate (prompt size plus the
  output budget, the way the API itself counts) and :meth:`Limiter.release` corrects it to the
  actual usage. A request larger than the whole budget still goes, alone, when the window is
  empty (otherwise it would wait forever).
- :meth:`Limiter.cool_down`: after a 429 with ``Retry-After``, no attempt starts until then.
- :attr:`Limiter.busy_s`: the seconds tickets were out, summed over tickets (each from its
  admission, after any rate wait, to its release): divided by a span of time, how many
  attempts were in flight on average (:meth:`rubricate.judge.usage.RunUsage.pace`).

Waiters are served first come, first served (one at a time through the rate gate).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


class SlidingWindow:
    """Weighted events in the last ``period`` seconds, with an admission limit."""

    def __init__(self, limit: float, period: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._events: deque[list[float]] = deque()  # [time, weight]
        self.total = 0.0

    def _expire(self, now: float) -> None:
        events = self._events
        while events and events[0][0] <= now - self.period:
            self.total -= events.popleft()[1]
        if not events:
            self.total = 0.0

    def wait_s(self, weight: float) -> float:
        """Seconds until ``weight`` fits (0 when it fits now)."""
        now = self._clock()
        self._expire(now)
        if not self._events or self.total + weight <= self.limit:
            return 0.0
        excess = self.total + weight - self.limit
        freed = 0.0
        for when, amount in self._events:
            freed += amount
            if freed >= excess:
                return max(0.0, when + self.period - now) + 1e-6
        return max(0.0, self._events[-1][0] + self.period - now) + 1e-6

    def add(self, weight: float) -> list[float]:
        """Record an event now; returns it so its weight can be corrected later."""
        event = [self._clock(), float(weight)]
        self._events.append(event)
        self.total += weight
        return event

    def correct(self, event: list[float], weight: float) -> None:
        """Change the weight of a recorded event (if it is still in the window)."""
        if self._events and event[0] > self._clock() - self.period:
            self.total += weight - event[1]
            event[1] = float(weight)


@dataclass
class Ticket:
    """One admitted attempt."""

    slot: int
    tokens: int
    events: list[tuple[SlidingWindow, list[float]]] = field(default_factory=list)
    admitted: float = 0.0
    """When the attempt was admitted (the limiter's clock)."""


class Limiter:
    """Concurrency, RPM and TPM limits (see the module docstring)."""

    def __init__(
        self,
        concurrency: int,
        rpm: int | None = None,
        tpm: int | None = None,
        *,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self._clock = clock
        self._slots: asyncio.LifoQueue[int] | None = None
        self._gate: asyncio.Lock | None = None
        self._resume_at = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self.busy_s = 0.0
        sub = window_s / 60.0
        self._request_windows = (
            [SlidingWindow(rpm, window_s, clock), SlidingWindow(math.ceil(rpm / 60), sub, clock)]
            if rpm
            else []
        )
        self._token_windows = (
            [SlidingWindow(tpm, window_s, clock), SlidingWindow(math.ceil(tpm / 60), sub, clock)]
            if tpm
            else []
        )

    def _ensure(self) -> asyncio.LifoQueue[int]:
        if self._slots is None:
            self._slots = asyncio.LifoQueue()
            for slot in reversed(range(self.concurrency)):
                self._slots.put_nowait(slot)
            self._gate = asyncio.Lock()
        return self._slots

    @property
    def limits_rate(self) -> bool:
        return bool(self._request_windows or self._token_windows or self._resume_at)

    async def acquire(self, tokens: int = 0) -> Ticket:
        """Wait for a free slot, then for the rate windows; ``tokens`` is the estimate."""
        slots = self._ensure()
        slot = await slots.get()
        ticket = Ticket(slot, tokens)
        try:
            if self.limits_rate:
                await self._wait_rate(ticket)
        except BaseException:
            slots.put_nowait(slot)
            raise
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        ticket.admitted = self._clock()
        return ticket

    async def _wait_rate(self, ticket: Ticket) -> None:
        assert self._gate is not None
        async with self._gate:
            while True:
                wait = max(0.0, self._resume_at - self._clock())
                for window in self._request_windows:
                    wait = max(wait, window.wait_s(1))
                for window in self._token_windows:
                    wait = max(wait, window.wait_s(ticket.tokens))
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            for window in self._request_windows:
                window.add(1)
            for window in self._token_windows:
                ticket.events.append((window, window.add(ticket.tokens)))

    def release(self, ticket: Ticket, actual_tokens: int | None = None) -> None:
        """Give the slot back; correct the token reservation to ``actual_tokens`` if known."""
        if actual_tokens is not None:
            for window, event in ticket.events:
                window.correct(event, actual_tokens)
        self.in_flight -= 1
        self.busy_s += self._clock() - ticket.admitted
        self._ensure().put_nowait(ticket.slot)

    def cool_down(self, seconds: float) -> None:
        """Start no attempt for ``seconds`` (the server said it is overloaded)."""
        self._resume_at = max(self._resume_at, self._clock() + seconds)
