"""The local grader runtime: run any OpenAI grader JSON on (item, sample) pairs.

::

    async with Runtime(client) as rt:
        record = await rt.grade(grader, item, make_sample(text))
        records = await rt.grade_many(grader, [(item, sample), ...], progress=bar)

:class:`Runtime` dispatches on the config's ``type`` (``string_check``, ``text_similarity``,
``python``, ``score_model``, ``label_model``, ``multi``) and returns one
:class:`~rubricate.judge.records.GradeRecord` per pair, shaped like the API's
``GraderRunResponse``. Per-pair problems (a missing template variable, a judge reply that
does not parse, a python grader that raises) are error records, never exceptions and never a
silent 0. Only a config that cannot run at all (no or unknown ``type``, a required field
missing or of the wrong type, a nested ``multi``) raises :class:`GraderError`, before any
pair is graded; :func:`rubricate.judge.validate.validate_grader` lists every such problem
and more.

The runtime owns the python-grader worker pool; it starts on the first python grader and
stops when the ``async with`` block ends. Without a model client (``client=None``), model
graders give error records whose reason says no endpoint is configured
(``model_grader_server_error``, details ``"not_configured"``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from rubricate.errors import GraderError
from rubricate.judge.calls import ModelClient
from rubricate.judge.graders import (
    model_graders,
    multi,
    python_grader,
    string_check,
    text_similarity,
)
from rubricate.judge.graders.base import GradeContext, OwnChecks
from rubricate.judge.graders.kinds import model_calls
from rubricate.judge.graders.multi import GradeFn
from rubricate.judge.graders.wordnet import nltk_data_dir
from rubricate.judge.judge_format import FormatTally
from rubricate.judge.memo import Memo
from rubricate.judge.records import GradeRecord
from rubricate.judge.sandbox.isolation import sandbox_mode
from rubricate.judge.sandbox.pool import WorkerPool
from rubricate.judge.tasks import gather_or_cancel
from rubricate.judge.validate import structural_problems
from rubricate.progress import Progress

GRADERS: dict[str, GradeFn] = {
    "string_check": string_check.grade,
    "text_similarity": text_similarity.grade,
    "python": python_grader.grade,
    "score_model": model_graders.grade_score_model,
    "label_model": model_graders.grade_label_model,
}
"""Grade functions of the sub-grader types (``multi`` is dispatched separately)."""


def pairs_at_once(grader: dict, concurrency: int) -> int:
    """Pairs to grade at once so that the client's ``concurrency`` slots stay busy without
    rendering and claiming far more calls than it can send soon: about three times its
    slots' worth of calls (a pair starts by rendering every prompt and claiming every
    call's key; 128 pairs of 15 calls took the event loop ~0.2 s before the first call went
    out), and at least 64 pairs when a pair makes no model call."""
    calls = model_calls(grader)
    if calls == 0:
        return max(64, 2 * concurrency)
    return max(2, -(-3 * concurrency // calls))


def check_config(grader: dict) -> None:
    """Raise :class:`GraderError` when ``grader`` cannot run at all (see module docstring)."""
    problems = structural_problems(grader)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise GraderError(f"grader config cannot run: {problems[0]}{more}")


class Runtime:
    """Runs grader configs; an async context manager owning the python worker pool.

    Args:
        client: the model client for ``score_model``, ``label_model`` and ``cosine``; None
            when no endpoint is configured.
        python_workers: python-grader worker processes (calls in parallel).
        python_timeout_s: time limit of one python grader call (the platform's: 120 s).
        python_memory_mb: memory limit of each python worker (the platform's: 2048 MB).
        python_max_calls_per_worker: replace a python worker after this many calls (None:
            never; 1: a new process per call, which the throughput benchmark compares with).
        score_clipped: count a model result outside its ``range`` as scored at its clipped
            value (the platform's reward); by default such a record is unscored, flagged
            ``model_grader_clipped`` and counted, never averaged in.
        python_sandbox: ``"required"`` or ``"best-effort"`` (None: ``$RUBRICATE_SANDBOX``,
            else best-effort); see :mod:`rubricate.judge.sandbox.isolation`.
        memo: a :class:`~rubricate.judge.memo.Memo` for a caller that grades the same
            (grader, item, sample) objects several times (calibration repeats): prompts are
            rendered and rubricate's generated checks run once for all of them. None: each
            grade does its own work (``grade`` and ``serve``, where nothing repeats).
        own_checks: recognises rubricate's own compiled checks, to run them in-process
            (:func:`rubricate.rubrics.compile.own_checks.runner`, passed by the commands and
            the public API, which sit above this layer); None: the sandbox runs every python
            grader. ``python_isolation`` says when own checks ran in-process.
    """

    def __init__(
        self,
        client: ModelClient | None = None,
        *,
        python_workers: int = 2,
        python_timeout_s: float = 120,
        python_memory_mb: int = 2048,
        python_max_calls_per_worker: int | None = None,
        score_clipped: bool = False,
        python_sandbox: str | None = None,
        memo: Memo | None = None,
        own_checks: OwnChecks | None = None,
    ) -> None:
        self.client = client
        self.own_checks = own_checks
        self._own_seen = False
        self.score_clipped = score_clipped
        self.python_max_calls_per_worker = python_max_calls_per_worker
        self.python_workers = python_workers
        self.python_timeout_s = python_timeout_s
        self.python_memory_mb = python_memory_mb
        self.python_sandbox = python_sandbox
        self._isolation: dict | None = None
        self._pool: WorkerPool | None = None
        self._pool_lock = asyncio.Lock()
        self._checked: set[str] = set()
        self._checked_objects: dict[int, dict] = {}
        self.memo = memo
        """Work the repeats of one grade share (:mod:`rubricate.judge.memo`); None (the
        default): nothing is kept, every grade renders its prompts and runs its checks."""
        self.judge_format = FormatTally()
        """Judge replies graded so far and those that did not parse."""

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop the python workers (the model client is the caller's to close)."""
        if self.memo is not None:
            await self.memo.aclose()  # shared checks still running stop before their pool
        if self._pool is not None:
            self._isolation = self.python_isolation
            await self._pool.close()
            self._pool = None

    async def python_pool(self) -> WorkerPool:
        """The python worker pool, started on first use."""
        async with self._pool_lock:
            if self._pool is None:
                path = nltk_data_dir()
                self._pool = WorkerPool(
                    self.python_workers,
                    timeout_s=self.python_timeout_s,
                    memory_mb=self.python_memory_mb,
                    max_calls_per_worker=self.python_max_calls_per_worker,
                    extra_env={"NLTK_DATA": path} if path else {},
                    read_only=(path,) if path else (),
                    sandbox=self.python_sandbox,
                )
            return self._pool

    @property
    def python_isolation(self) -> dict | None:
        """What isolated the python graders run so far (for ``run.json``); None if none ran.

        With ``own_checks: "in-process"`` when some were rubricate's own checks, run
        in-process (then ``mode`` alone when the sandbox never started)."""
        if self._pool is None or self._pool.isolation is None:
            found = self._isolation
        else:
            found = {"mode": self._pool.mode, **self._pool.isolation.as_dict()}
        if not self._own_seen:
            return found
        mode = sandbox_mode(self.python_sandbox)
        return {"mode": mode, **(found or {}), "own_checks": "in-process"}

    def _own_check(self, source: str) -> Callable[[dict, dict], Any] | None:
        assert self.own_checks is not None  # given to graders only when set
        check = self.own_checks(source)
        if check is not None:
            self._own_seen = True
        return check

    def _check(self, grader: dict) -> None:
        if self._checked_objects.get(id(grader)) is grader:
            return  # this very config object was checked (hashing it costs ~1 ms)
        key = hashlib.sha256(json.dumps(grader, sort_keys=True, default=str).encode()).hexdigest()
        if key not in self._checked:
            check_config(grader)
            self._checked.add(key)
        if len(self._checked_objects) < 1024:
            self._checked_objects[id(grader)] = grader

    def _dispatch(self, kind: str) -> GradeFn:
        if kind == "multi":
            return partial(multi.grade, dispatch=self._dispatch)
        return GRADERS[kind]

    async def _grade(self, grader: dict, item: dict, sample: dict, repeat: int) -> GradeRecord:
        ctx = GradeContext(
            client=self.client,
            python=self.python_pool,
            repeat=repeat,
            score_clipped=self.score_clipped,
            memo=self.memo,
            own_checks=self._own_check if self.own_checks is not None else None,
        )
        start = time.perf_counter()
        name = str(grader.get("name") or grader["type"])
        record = await self._dispatch(grader["type"])(grader, item, sample, ctx, name)
        record.metadata.execution_time = time.perf_counter() - start
        self.judge_format.add(record)
        return record

    async def grade(
        self, grader: dict, item: dict, sample: dict, *, repeat: int = 0
    ) -> GradeRecord:
        """Grade one pair.

        Args:
            grader: an OpenAI grader config (a dict parsed from its JSON).
            item: the dataset row (the ``item`` namespace).
            sample: the model output (see :func:`rubricate.judge.sample.make_sample`).
            repeat: the repeat index passed to every model call.

        Raises:
            GraderError: the config cannot run at all.
        """
        self._check(grader)
        return await self._grade(grader, item, sample, repeat)

    async def grade_many(
        self,
        grader: dict,
        pairs: Sequence[tuple[dict, dict]],
        *,
        repeat: int = 0,
        progress: Progress | None = None,
        concurrency: int = 64,
    ) -> list[GradeRecord]:
        """Grade many ``(item, sample)`` pairs; records come back in the pairs' order.

        Args:
            concurrency: pairs in progress at once (model calls are further limited by the
                client, python calls by the worker count).
            progress: advanced by one per finished pair (the caller starts and closes it).

        Raises:
            GraderError: the config cannot run at all (checked once, before any pair).
        """
        self._check(grader)
        slots = asyncio.Semaphore(max(1, concurrency))

        async def one(item: dict, sample: dict) -> GradeRecord:
            async with slots:
                record = await self._grade(grader, item, sample, repeat)
            if progress is not None:
                progress.advance()
            return record

        return await gather_or_cancel(one(item, sample) for item, sample in pairs)
