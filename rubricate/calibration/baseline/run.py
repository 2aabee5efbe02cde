"""Sampling candidate models and grading every sample, writing the run directory as it goes.

For each model, item and sample index ``i`` (a :class:`SampleJob`), :class:`BaselineRunner`
sends :func:`~rubricate.calibration.baseline.prepare.generation_request` through the shared
model client at repeat ``i`` (so the sample index is part of the call key: samples are separate
calls, and a rerun replays each from the call store for free), then grades the reply with the
compiled grader through the local runtime, the RFT row as ``item``. The judge calls of sample
``i`` use repeat ``i`` too: two samples with the same text still get independent verdicts, as
in training. As each sample completes, its line goes to ``records.jsonl`` and its rows to
``grades.csv`` (flushed at once), so a killed run keeps everything it finished.

A sample is *unscored*, never a silent 0, when its generation failed (an HTTP error after every
retry, a refusal, a reply cut off at the token limit: the grader never sees it) or its grade
errored (the record says why). Its grade rows then carry the reason.

Per sample the runner keeps (``samples.csv``, :data:`SAMPLE_COLUMNS`): the reward, whether it is
scored and why not, whether the generation was replayed, its latency (a replayed call has none
of its own: the latency recorded by the previous run into the same directory is kept, else it
is empty), its tokens (reasoning tokens included) and the estimated cost of generating and of
grading it (:class:`~rubricate.judge.pricing.PriceTable`; empty for an unpriced model).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rubricate.calibration.baseline.prepare import (
    BaselineItem,
    PreparedBaseline,
    generation_request,
)
from rubricate.calibration.grades_table import GRADE_COLUMNS, grades_frame
from rubricate.calibration.run_files import RunWriter
from rubricate.calibration.verdicts import record_rows
from rubricate.judge.calls import ModelReply
from rubricate.judge.pricing import PriceTable
from rubricate.judge.records import GradeMetadata, GradeRecord, ModelCallRecord
from rubricate.judge.sample import make_sample
from rubricate.judge.tasks import gather_or_cancel
from rubricate.progress import NoProgress, Progress

BASELINE_COLUMNS: tuple[str, ...] = (*GRADE_COLUMNS, "model", "sample")
"""The columns of a baseline run's ``grades.csv``: the tidy grades table plus the model and
the sample index (``answer_id`` is :func:`answer_id`; ``repeat`` is 0: a sample is graded
once; ``tier`` and ``kind`` are empty)."""
SAMPLE_COLUMNS: tuple[str, ...] = (
    "item_id",
    "answer_id",
    "model",
    "sample",
    "scored",
    "reward",
    "error",
    "cached",
    "latency_s",
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "generation_cost_usd",
    "grading_cost_usd",
    "judge_calls",
)
"""The columns of ``samples.csv``: one row per sample."""


def answer_id(model: str, sample: int) -> str:
    """The ``answer_id`` of sample ``sample`` of ``model`` (unique within an item)."""
    return f"{model}#{sample}"


@dataclass(frozen=True)
class SampleJob:
    """One sample to generate and grade."""

    item: BaselineItem
    model: str
    sample: int


def all_jobs(items: Sequence[BaselineItem], models: Sequence[str], samples: int) -> list[SampleJob]:
    """Every model on every item, ``samples`` times, model by model."""
    return [SampleJob(item, m, i) for m in models for item in items for i in range(samples)]


def previous_latencies(path: Path) -> dict[str, float]:
    """Generation latencies a previous run recorded in ``records.jsonl``, by call key.

    A missing file gives nothing; unreadable lines (a run killed mid-write) are skipped.
    """
    found: dict[str, float] = {}
    if not path.exists():
        return found
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                data = json.loads(line)
                key, latency = data["generation"]["key"], data.get("latency_s")
            except (ValueError, KeyError, TypeError):
                continue
            if isinstance(latency, int | float) and latency > 0:
                found[str(key)] = float(latency)
    return found


def _generation_error(reply: ModelReply) -> str | None:
    if reply.error is not None:
        return f"generation failed ({reply.error.kind}): {reply.error.message}"
    if reply.text is None:
        return "generation failed: the reply has no text"
    return None


def _failed_record(grader: dict[str, Any], reply: ModelReply, error: str) -> GradeRecord:
    """The unscored record of a sample that was never graded (no usable generation)."""
    record = GradeRecord(
        reward=0.0,
        metadata=GradeMetadata(name=str(grader.get("name", grader["type"])), type=grader["type"]),
        scored=False,
        error=error,
    )
    flag = "truncated_observation_error" if reply.error and reply.error.kind == "truncated" else ""
    setattr(record.metadata.errors, flag or "other_error", True)
    return record


def _cost(prices: PriceTable, calls: Sequence[tuple[str, Any]], batch: bool) -> float | None:
    total = 0.0
    for model, usage in calls:
        cost = prices.cost(model, usage, batch=batch)
        if cost is None:
            return None
        total += cost
    return total


class BaselineRunner:
    """Generates and grades samples, keeping every row (see the module docstring).

    Args:
        prepared: from :func:`~rubricate.calibration.baseline.prepare.prepare_baseline`.
        client: the open model client (generation and the grader's model calls).
        runtime: an open :class:`~rubricate.judge.runtime.Runtime` on that client.
        writer: where lines and rows go as samples complete (None: memory only).
        prices: the price table the costs are estimated with.
        progress: advanced by one per finished sample.
        concurrency: samples in progress at once.
        batch: the client sends through the Batch API (half-price costs).
        latencies: generation latencies of a previous run, by call key.
    """

    def __init__(
        self,
        prepared: PreparedBaseline,
        client: Any,
        runtime: Any,
        writer: RunWriter | None,
        prices: PriceTable,
        *,
        progress: Progress | None = None,
        concurrency: int = 16,
        batch: bool = False,
        latencies: dict[str, float] | None = None,
    ) -> None:
        self.prepared = prepared
        self.client = client
        self.runtime = runtime
        self.writer = writer
        self.prices = prices
        self.progress = progress or NoProgress()
        self.concurrency = max(1, concurrency)
        self.batch = batch
        self.latencies = latencies or {}
        self.rows: list[dict[str, Any]] = []
        self.samples: list[dict[str, Any]] = []
        """One dict per sample: the :data:`SAMPLE_COLUMNS` plus ``text``."""

    async def _sample(self, job: SampleJob) -> None:
        prepared, row = self.prepared, job.item.row
        request = generation_request(row, job.model, prepared.generation)
        key = request.key(job.sample)
        reply = await self.client.call(request, job.sample)
        error = _generation_error(reply)
        latency = None
        if error is None:
            latency = self.latencies.get(key) if reply.cached else reply.latency_s
        if error is None:
            sample = make_sample(reply.text or "")
            record = await self.runtime.grade(prepared.grader, row, sample, repeat=job.sample)
        else:
            record = _failed_record(prepared.grader, reply, error or "generation failed")
        call = ModelCallRecord(
            grader="generation",
            key=key,
            request_sha256=request.sha256(),
            model=job.model,
            messages=[dict(m) for m in request.messages],
            raw=reply.text,
            cached=reply.cached,
            usage=reply.usage,
            latency_s=latency or 0.0,
            error=error,
        )
        self._keep(job, reply, call, record, latency)

    def _keep(
        self,
        job: SampleJob,
        reply: ModelReply,
        call: ModelCallRecord,
        record: GradeRecord,
        latency: float | None,
    ) -> None:
        aid = answer_id(job.model, job.sample)
        base = {"item_id": job.item.item_id, "answer_id": aid, "tier": None, "kind": None}
        rows = []
        for criterion, score, scored, error in record_rows(self.prepared.plan, record):
            if call.error is not None:
                error = f"no sample: {call.error}"
            rows.append({**base, "repeat": 0, "criterion": criterion, "score": score,
                         "scored": scored, "error": error, "model": job.model,
                         "sample": job.sample})  # fmt: skip
        usage = reply.usage
        judged = [(c.model, c.usage) for c in record.calls]
        sample = {
            "item_id": job.item.item_id,
            "answer_id": aid,
            "model": job.model,
            "sample": job.sample,
            "scored": record.scored,
            "reward": float(record.reward) if record.scored else np.nan,
            "error": record.error if not record.scored else None,
            "cached": reply.cached,
            "latency_s": latency if latency is not None else np.nan,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "reasoning_tokens": usage.reasoning_tokens,
            "generation_cost_usd": _cost(self.prices, [(job.model, usage)], self.batch),
            "grading_cost_usd": _cost(self.prices, judged, self.batch),
            "judge_calls": len(record.calls),
            "text": reply.text,
        }
        line = {
            "item_id": job.item.item_id,
            "answer_id": aid,
            "repeat": 0,
            "model": job.model,
            "sample": job.sample,
            "text": reply.text,
            "latency_s": latency,
            "reply_model": reply.model,
            "generation": call.model_dump(mode="json"),
            "record": record.model_dump(mode="json"),
        }
        if self.writer is not None:
            self.writer.append(line, rows)
        self.rows.extend(rows)
        self.samples.append(sample)
        self.progress.advance()

    async def run(self, jobs: Sequence[SampleJob]) -> None:
        """Generate and grade every job concurrently, keeping each as soon as it completes."""
        slots = asyncio.Semaphore(self.concurrency)

        async def one(job: SampleJob) -> None:
            async with slots:
                await self._sample(job)

        await gather_or_cancel(one(job) for job in jobs)

    def grades(self) -> pd.DataFrame:
        """Every grade row so far: the tidy grades table with ``model`` and ``sample``."""
        return grades_frame(self.rows, BASELINE_COLUMNS, ints=("repeat", "sample"))

    def sample_table(self) -> pd.DataFrame:
        """One row per sample (:data:`SAMPLE_COLUMNS` plus ``text``), by model, item, sample."""
        frame = pd.DataFrame.from_records(self.samples, columns=[*SAMPLE_COLUMNS, "text"])
        for column in ("reward", "latency_s", "generation_cost_usd", "grading_cost_usd"):
            frame[column] = frame[column].astype(float)
        frame["scored"] = frame["scored"].astype(bool)
        frame["cached"] = frame["cached"].astype(bool)
        return frame.sort_values(["model", "item_id", "sample"], kind="stable").reset_index(
            drop=True
        )
