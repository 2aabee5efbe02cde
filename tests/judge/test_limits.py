"""The limiter: concurrency slots, RPM and TPM windows, corrections, cool-down."""

from __future__ import annotations

import asyncio
import time

import pytest

from rubricate.judge.calls import ModelRequest
from rubricate.judge.client import open_client
from rubricate.judge.limits import Limiter, SlidingWindow


def _max_in_any_window(starts: list[float], width: float) -> int:
    starts = sorted(starts)
    return max(sum(1 for s in starts if t <= s < t + width) for t in starts)


async def test_slots_are_unique_and_bounded():
    limiter = Limiter(3)
    seen: list[set[int]] = []
    live: set[int] = set()

    async def work() -> None:
        ticket = await limiter.acquire()
        assert ticket.slot not in live and 0 <= ticket.slot < 3
        live.add(ticket.slot)
        seen.append(set(live))
        await asyncio.sleep(0.01)
        live.discard(ticket.slot)
        limiter.release(ticket)

    await asyncio.gather(*(work() for _ in range(20)))
    assert limiter.max_in_flight == 3 and max(len(s) for s in seen) == 3


async def test_rpm_holds_in_every_window_and_is_paced():
    # rpm=10 over a 0.6 s "minute": at most 10 starts in any 0.6 s, 1 in any 0.01 s.
    limiter = Limiter(50, rpm=10, window_s=0.6)
    starts: list[float] = []

    async def work() -> None:
        ticket = await limiter.acquire()
        starts.append(time.monotonic())
        limiter.release(ticket)

    began = time.monotonic()
    await asyncio.gather(*(work() for _ in range(25)))
    assert _max_in_any_window(starts, 0.6) <= 10
    assert _max_in_any_window(starts, 0.6 / 60) <= 1
    assert time.monotonic() - began >= 1.2  # 25 starts need a third window


async def test_tpm_reservations_are_corrected_by_actual_usage():
    limiter = Limiter(10, tpm=1000, window_s=30)
    limiter._token_windows = limiter._token_windows[:1]  # the per-"second" pacing off here
    tickets = [await limiter.acquire(300) for _ in range(3)]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(limiter.acquire(300), 0.1)  # 1200 > 1000
    for ticket in tickets:
        limiter.release(ticket, actual_tokens=10)
    ticket = await asyncio.wait_for(limiter.acquire(300), 0.1)  # 30 + 300 fits now
    limiter.release(ticket, 300)


async def test_an_oversized_request_goes_alone():
    limiter = Limiter(2, tpm=100, window_s=0.3)
    ticket = await asyncio.wait_for(limiter.acquire(5000), 0.1)
    limiter.release(ticket)
    started = time.monotonic()
    ticket = await limiter.acquire(10)
    assert time.monotonic() - started >= 0.25  # waited for the big one to leave the window
    limiter.release(ticket)


async def test_cool_down_delays_every_start():
    limiter = Limiter(4)
    limiter.cool_down(0.2)
    started = time.monotonic()
    ticket = await limiter.acquire()
    assert time.monotonic() - started >= 0.19
    limiter.release(ticket)


def test_sliding_window_wait_is_exact():
    now = [0.0]
    window = SlidingWindow(2, 10.0, lambda: now[0])
    window.add(1)
    now[0] = 4.0
    window.add(1)
    assert window.wait_s(1) == pytest.approx(6.0, abs=1e-3)  # until the first leaves
    assert window.wait_s(2) == pytest.approx(10.0, abs=1e-3)  # until both leave
    now[0] = 10.0
    assert window.wait_s(1) == 0.0


async def test_client_rpm_holds_against_the_server(fake_openai, client_settings):
    client = open_client(client_settings)
    assert client is not None
    async with client:
        requests = [
            ModelRequest(model="m", messages=({"role": "user", "content": f"q{i}"},))
            for i in range(15)
        ]
        assert (await client.call(requests[0])).ok  # warm up: the SDK client is built lazily
        client.limiter = Limiter(8, rpm=6, window_s=0.6)
        replies = await asyncio.gather(*(client.call(r) for r in requests[1:]))
    assert all(r.ok for r in replies)
    # The server sees arrivals, which lag the limiter's admissions by a few milliseconds:
    # allow 50 ms of delivery jitter on the window.
    starts = [r.started for r in fake_openai.model_requests()[1:]]
    assert len(starts) == 14 and _max_in_any_window(starts, 0.55) <= 6
    assert max(starts) - min(starts) >= 2 * 0.6 - 0.05  # 14 calls need a third window


async def test_busy_seconds_sum_each_admitted_attempt_until_its_release():
    now = [0.0]
    limiter = Limiter(4, clock=lambda: now[0])
    first, second = await limiter.acquire(), await limiter.acquire()
    now[0] = 1.5
    limiter.release(first)
    now[0] = 2.0
    limiter.release(second)
    assert limiter.busy_s == 3.5  # 1.5 s + 2.0 s: on average 1.75 attempts in flight over 2 s
