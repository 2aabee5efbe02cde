"""Jobs start only while the client can soon send their calls (``calls_ahead``, CallGate).

64 jobs of 15 judge calls started at once rendered 960 prompts and claimed 960 keys before the
first call went out (the event loop busy ~0.15 s, issue 20); the gate keeps the calls of the
jobs in progress within a few times the client's concurrency.
"""

from __future__ import annotations

import asyncio

import pytest

from rubricate.calibration.inputs.calset import CalibrationEntry
from rubricate.calibration.run.runner import CalibrationRunner, CallGate, Job
from rubricate.calibration.verdicts import plan_grader
from rubricate.judge.records import GradeMetadata, GradeRecord
from rubricate.rubrics.compile import compile_rubric
from rubricate.rubrics.loader import parse_rubric

RUBRIC = """\
rubric: 1
id: gate
title: Gate
criteria:
  - {id: a, text: Says a., weight: 0.5}
  - {id: b, text: Says b., weight: 0.3}
  - {id: c, text: Says c., weight: 0.2}
"""


async def test_the_gate_holds_calls_within_its_limit_and_serves_in_order() -> None:
    gate = CallGate(10)
    await gate.acquire(6)
    second = asyncio.ensure_future(gate.acquire(6))
    third = asyncio.ensure_future(gate.acquire(1))  # would fit, but waits its turn
    await asyncio.sleep(0)
    assert not second.done() and not third.done() and gate.held == 6
    gate.release(6)
    await asyncio.sleep(0)
    assert second.done() and third.done() and gate.held == 7


async def test_a_job_bigger_than_the_limit_starts_when_nothing_else_runs() -> None:
    gate = CallGate(4)
    await gate.acquire(2)
    big = asyncio.ensure_future(gate.acquire(9))
    await asyncio.sleep(0)
    assert not big.done()
    gate.release(2)
    await asyncio.sleep(0)
    assert big.done() and gate.held == 9


async def test_a_cancelled_waiter_gives_its_turn_away() -> None:
    gate = CallGate(4)
    await gate.acquire(4)
    first = asyncio.ensure_future(gate.acquire(3))
    second = asyncio.ensure_future(gate.acquire(1))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    assert second.done() is False  # 4 + 1 > 4: still waiting for room, not for `first`
    gate.release(4)
    await asyncio.sleep(0)
    assert second.done() and gate.held == 1
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_waiters_cancelled_together_all_end_cancelled() -> None:
    """Cancelling every job at once (Ctrl-C) cancels their waits before any resumes: each
    still ends with CancelledError (not a ValueError from a turn already dropped)."""
    gate = CallGate(2)
    await gate.acquire(2)
    waiters = [asyncio.ensure_future(gate.acquire(1)) for _ in range(3)]
    await asyncio.sleep(0)
    for waiter in waiters:
        waiter.cancel()
    gate.release(2)  # drops the cancelled turns before their tasks resume
    outcomes = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes), outcomes
    assert gate.held == 0


async def test_no_limit_never_waits() -> None:
    gate = CallGate(None)
    await gate.acquire(10**6)
    await gate.acquire(10**6)
    assert gate.held == 2 * 10**6


class CountingRuntime:
    """A runtime whose grades take a while, counting the judged sub-graders in progress."""

    def __init__(self) -> None:
        self.in_progress = 0
        self.most = 0

    async def grade(self, grader: dict, item: dict, sample: dict, repeat: int) -> GradeRecord:
        judged = sum(1 for g in grader.get("graders", {}).values() if g["type"] == "score_model")
        judged = judged or int(grader["type"] == "score_model")
        self.in_progress += judged
        self.most = max(self.most, self.in_progress)
        await asyncio.sleep(0.001)
        self.in_progress -= judged
        return GradeRecord(reward=1.0, metadata=GradeMetadata(name="gate", type=grader["type"]))


@pytest.mark.parametrize("ahead, most", [(None, 3 * 12), (7, 6), (2, 3)])
async def test_the_runner_keeps_the_calls_in_progress_within_calls_ahead(
    ahead: int | None, most: int
) -> None:
    rubric = parse_rubric(RUBRIC).rubric
    grader = compile_rubric(rubric, "multi")
    plan = plan_grader(rubric, grader, "multi")
    assert plan.calls_per_grade == 3
    entries = [CalibrationEntry(str(i), "a", "great", None, {"id": str(i)}, "text", None, i)
               for i in range(12)]  # fmt: skip
    runtime = CountingRuntime()
    runner = CalibrationRunner(grader, plan, runtime, concurrency=64, calls_ahead=ahead)
    await runner.run([Job(e, 0) for e in entries])
    assert runner.jobs_done == 12 and runtime.most == most
