"""What set the pace of a run's live judge calls (RunUsage.pace, issue 20): the endpoint (the
slots stayed full), this process's CPU, or neither; not assessed when no call was live."""

from __future__ import annotations

import asyncio

import pytest

from rubricate.judge.calls import ModelRequest
from rubricate.judge.client import open_client
from rubricate.judge.usage import RunUsage


def _usage(**fields: float) -> RunUsage:
    base = {"calls": 100, "slots": 10, "wall_s": 2.0, "in_flight_s": 0.0, "cpu_s": 0.0}
    return RunUsage(**(base | fields))


@pytest.mark.parametrize(
    ("in_flight_s", "cpu_s", "bound"),
    [
        (18.0, 1.9, "endpoint"),  # 9 of 10 slots busy: the endpoint, whatever the CPU
        (17.9, 1.5, "client CPU"),  # 8.95 slots; 75 % of a core
        (17.9, 1.49, "neither"),
        (2.0, 0.1, "neither"),  # e.g. an rpm limit: 1 slot of 10, the process idle
    ],
)
def test_the_bound_is_the_resource_that_was_full(in_flight_s, cpu_s, bound):
    pace = _usage(in_flight_s=in_flight_s, cpu_s=cpu_s).pace()
    assert pace is not None and pace.bound == bound
    assert pace.calls_per_s == 50.0 and pace.mean_in_flight == round(in_flight_s / 2.0, 2)
    assert pace.cpu_ms_per_call == round(cpu_s / 100 * 1000, 3)
    assert f"of 10 slots busy on average, this process's CPU {cpu_s / 2.0:.0%} of a core" in (
        pace.line()
    )


@pytest.mark.parametrize(
    "fields",
    [{"calls": 0}, {"batched": 100}, {"wall_s": 0.0}, {"slots": 0}],
    ids=["every call replayed", "batched", "no wall time", "no slots"],
)
def test_no_live_call_is_not_assessed(fields):
    assert _usage(**fields).pace() is None


async def test_a_client_that_keeps_its_slots_full_is_paced_by_the_endpoint(
    fake_openai, client_settings
):
    fake_openai.latency = 0.2  # long enough that a loaded machine's send gaps stay small
    client = open_client(client_settings.model_copy(update={"concurrency": 8, "store_path": None}))
    assert client is not None
    requests = [
        ModelRequest(model="m", messages=({"role": "user", "content": f"q{i}"},))
        for i in range(160)
    ]
    async with client:
        replies = await asyncio.gather(*(client.call(r) for r in requests))
    assert all(r.ok for r in replies)
    pace = client.usage.pace()
    assert pace is not None and pace.calls == 160 and pace.slots == 8
    # 160 calls of 200 ms on 8 slots: the probe (the first call goes alone), then 20 rounds
    # with every slot busy but for the gaps between an answer and the next send
    assert 7.2 <= pace.mean_in_flight <= 8.0
    assert pace.bound == "endpoint"
    assert 0 < pace.cpu_s < pace.wall_s * 2  # this process's CPU, every thread
