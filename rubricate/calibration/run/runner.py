"""Grading calibration answers repeatedly with the compiled grader, through the local runtime.

A :class:`Job` is one answer at one repeat index. A full job runs the whole grader (exactly the
bytes that are exported); a *partial* job (adaptive repeats, :mod:`.adaptive`) runs only the
sub-graders of some criteria, each one the very config that sits in the grader's ``graders``
map, so its model request, and its call-store key, is the one the full grader sends for that
criterion at that repeat. The repeat index is part of every call key: repeats are separate
samples from the judge, and a rerun replays each one from the call store for free.

As each job completes, :class:`CalibrationRunner` hands its record and grade rows to the
:class:`~rubricate.calibration.run_files.RunWriter` (appended and flushed at once), keeps the
rows for the statistics, and counts the judge calls it scheduled (:attr:`calls`; replays
included, so a budget gives the same schedule on a rerun).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rubricate.calibration.grades_table import grades_frame
from rubricate.calibration.inputs.calset import CalibrationEntry
from rubricate.calibration.run_files import RunWriter
from rubricate.calibration.verdicts import GraderPlan, record_rows, subgraders_for
from rubricate.judge.records import GradeMetadata, GradeRecord
from rubricate.judge.sample import make_sample
from rubricate.judge.tasks import gather_or_cancel
from rubricate.progress import NoProgress, Progress

if TYPE_CHECKING:  # pandas is imported where used: ~0.4 s the grading does not need
    import pandas as pd


@dataclass(frozen=True)
class Job:
    """One answer at one repeat: the whole grader, or only some criteria's sub-graders."""

    entry: CalibrationEntry
    repeat: int
    criteria: frozenset[str] | None = None
    """Criterion ids of a partial job; None runs the whole grader."""


def _merge(grader: dict[str, Any], names: list[str], subs: list[GradeRecord]) -> GradeRecord:
    """One record from the records of some of ``grader``'s sub-graders (a partial grade)."""
    graded = ", ".join(names)
    record = GradeRecord(
        reward=0.0,
        metadata=GradeMetadata(name=str(grader.get("name", "multi")), type="multi"),
        scored=False,
        error=f"partial grade (adaptive repeats): only {graded}; no reward",
    )
    for name, sub in zip(names, subs, strict=True):
        for call in sub.calls:
            call.grader = f"{record.metadata.name}.{name}"
        record.calls.extend(sub.calls)
        if sub.metadata.token_usage:
            record.metadata.token_usage = (record.metadata.token_usage or 0) + (
                sub.metadata.token_usage
            )
        if sub.scored:
            record.sub_rewards[name] = sub.reward
            record.metadata.scores[name] = sub.reward
        else:
            record.metadata.errors.merge(sub.metadata.errors)
            record.sub_errors[name] = sub.error or "error"
        record.clipped += [name] if sub.clipped else []
    return record


class CalibrationRunner:
    """Runs jobs and keeps their rows.

    Args:
        grader: the compiled grader (parsed from the exact bytes that are written).
        plan: its :class:`~rubricate.calibration.verdicts.GraderPlan`.
        runtime: an open :class:`~rubricate.judge.runtime.Runtime`.
        writer: where records and rows go as they complete (None: kept in memory only).
        progress: advanced by one per finished job.
        concurrency: jobs in progress at once (model calls are further limited by the client).
        calls_ahead: judge calls of the jobs in progress, at most (None: no limit; a job
            bigger than that still starts when nothing else runs). Jobs are started only
            while the client can soon send their calls: a job renders its prompts and claims
            its calls' keys when it starts, and 64 jobs of 15 calls started at once kept the
            event loop ~0.15 s busy before the first call went out (the client's store writer
            waiting for the loop meanwhile). Two or three times the client's concurrency
            keeps every slot busy.
    """

    def __init__(
        self,
        grader: dict[str, Any],
        plan: GraderPlan,
        runtime: Any,
        writer: RunWriter | None = None,
        *,
        progress: Progress | None = None,
        concurrency: int = 32,
        calls_ahead: int | None = None,
    ) -> None:
        self.grader = grader
        self.plan = plan
        self.runtime = runtime
        self.writer = writer
        self.progress = progress or NoProgress()
        self.concurrency = max(1, concurrency)
        self.calls_ahead = calls_ahead
        self.rows: list[dict[str, Any]] = []
        self.calls = 0
        """Judge calls scheduled so far (replays from the store included)."""
        self.jobs_done = 0
        self._scheduled = 0
        self._samples: dict[tuple[str, str], dict[str, Any]] = {}

    def job_calls(self, job: Job) -> int:
        """Judge calls ``job`` makes."""
        if job.criteria is None:
            return self.plan.calls_per_grade
        return sum(len(c.judges) for c in self.plan.criteria if c.id in job.criteria)

    def _sample(self, entry: CalibrationEntry) -> dict[str, Any]:
        key = (entry.item_id, entry.answer_id)
        if key not in self._samples:
            self._samples[key] = make_sample(entry.text, entry.output_tools)
        return self._samples[key]

    async def _grade(self, job: Job) -> GradeRecord:
        entry, sample = job.entry, self._sample(job.entry)
        if job.criteria is None:
            return await self.runtime.grade(self.grader, entry.item, sample, repeat=job.repeat)
        names = subgraders_for(self.plan, set(job.criteria))
        subs = await gather_or_cancel(
            self.runtime.grade(self.grader["graders"][n], entry.item, sample, repeat=job.repeat)
            for n in names
        )
        return _merge(self.grader, names, list(subs))

    def _keep(self, job: Job, record: GradeRecord) -> None:
        entry = job.entry
        only = set(job.criteria) if job.criteria is not None else None
        rows = [
            {
                "item_id": entry.item_id,
                "answer_id": entry.answer_id,
                "tier": entry.tier,
                "kind": entry.kind,
                "repeat": job.repeat,
                "criterion": criterion,
                "score": score,
                "scored": scored,
                "error": error,
            }
            for criterion, score, scored, error in record_rows(self.plan, record, only)
        ]
        line: dict[str, Any] = {
            "item_id": entry.item_id,
            "answer_id": entry.answer_id,
            "repeat": job.repeat,
        }
        if job.criteria is not None:
            line["partial"] = sorted(job.criteria)
        if self.writer is not None:
            self.writer.append_record(line, record, rows)
        self.rows.extend(rows)
        self.jobs_done += 1

    async def run(self, jobs: Sequence[Job]) -> None:
        """Grade every job (concurrently), keeping each as soon as it completes."""
        self.calls += sum(self.job_calls(job) for job in jobs)
        self._scheduled += len(jobs)
        self.progress.update(total=self._scheduled)
        slots = asyncio.Semaphore(self.concurrency)
        gate = CallGate(self.calls_ahead)

        async def one(job: Job) -> None:
            calls = self.job_calls(job)
            async with slots:
                await gate.acquire(calls)
                try:
                    record = await self._grade(job)
                finally:
                    gate.release(calls)
            self._keep(job, record)
            self.progress.advance()

        await _one_per_turn(one(job) for job in jobs)

    def grades(self) -> pd.DataFrame:
        """Every row so far as the tidy grades table."""
        return grades_frame(self.rows)


class CallGate:
    """A semaphore weighted by judge calls: :meth:`acquire` ``n`` waits until the calls held
    plus ``n`` fit in ``limit`` (or nothing is held); waiters are served in order."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.held = 0
        self._waiting: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    def _fits(self, calls: int) -> bool:
        return self.limit is None or self.held == 0 or self.held + calls <= self.limit

    async def acquire(self, calls: int) -> None:
        if not self._waiting and self._fits(calls):
            self.held += calls
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((calls, granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.release(calls)  # granted, then cancelled before it could run
            else:  # still waiting (or already dropped by _wake as done)
                with contextlib.suppress(ValueError):
                    self._waiting.remove((calls, granted))
                self._wake()
            raise

    def release(self, calls: int) -> None:
        self.held -= calls
        self._wake()

    def _wake(self) -> None:
        while self._waiting:
            calls, granted = self._waiting[0]
            if granted.done():
                self._waiting.popleft()
                continue
            if not self._fits(calls):
                return
            self._waiting.popleft()
            self.held += calls
            granted.set_result(None)


async def _one_per_turn(coroutines: Iterable[Coroutine[Any, Any, None]]) -> list[None]:
    """Start ``coroutines`` one per turn of the event loop, then wait for all of them.

    Started all at once, every job renders its prompts before the first judge call goes out
    (~0.15 s at 115 jobs of 15 calls, with the endpoint idle); one per turn, the first calls
    are sent while the later jobs start."""
    started: list[asyncio.Task[None]] = []
    try:
        for coroutine in coroutines:
            started.append(asyncio.ensure_future(coroutine))
            await asyncio.sleep(0)
    except BaseException:
        for task in started:
            task.cancel()
        await asyncio.gather(*started, return_exceptions=True)
        raise
    return await gather_or_cancel(started)


def full_jobs(entries: Sequence[CalibrationEntry], repeats: range) -> list[Job]:
    """Every answer at every repeat in ``repeats``, answer by answer."""
    return [Job(entry, r) for entry in entries for r in repeats]
