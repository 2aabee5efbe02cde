"""A TRL ``GRPOTrainer`` reward function that runs the bundle's grader JSON locally.

TRL's contract (TRL 1.16, ``GRPOTrainer._calculate_rewards``; docs: GRPO Trainer, "Using a
custom reward function"): a reward function is called with keyword arguments ``prompts``,
``completions``, ``completion_ids``, ``trainer_state``, ``log_extra``, ``log_metric`` (and
``environments`` with environment factories) and one list per dataset column except
``prompt``; completions are strings (standard format) or lists of messages (conversational
format); it returns one float per completion, or ``None`` for "no reward from this function".
A function may be ``async def``: TRL runs the async ones of a step concurrently
(``asyncio.gather`` on its own event loop). Several functions can be passed in
``reward_funcs``, weighted by ``GRPOConfig.reward_weights``; TRL logs each one's mean under its
``__name__``, and a completion for which every function returned ``None`` is left out of its
group's baseline with advantage 0.

How a completion becomes a graded pair:

- ``item``: the completion's row, i.e. every keyword argument that is a list with one entry
  per completion (dataset columns), minus TRL's own (:data:`TRL_ARGUMENTS`); plus ``prompt``
  (the prompt as TRL passes it) when the row has no ``prompt`` field, since TRL withholds that
  column;
- ``sample``: :func:`~rubricate.judge.sample.make_sample` of the completion text
  (:func:`~rubricate.export.rewards.common.completion_output`), with its tool calls.

A batch is graded concurrently by the public :class:`rubricate.Grader` on its background loop
(:meth:`~rubricate.Grader.submit`), whichever form calls it: the sync function waits for it, the
async one (:meth:`TrlReward.acall`) awaits it without blocking TRL's loop. Errors follow
:class:`~rubricate.export.rewards.common.ErrorPolicy` (default: raise; the bundle's
``--on-error`` choice; ``none`` is TRL's ``None``). :meth:`TrlReward.sub_reward` gives one
function per sub-grader (``multi`` graders), to pass with weight 0 so TRL logs each criterion:
every pair is graded once, whichever function asks first (grades in flight are shared, so async
functions gathered together do not grade twice). When TRL passes ``log_metric``, the rubric's
function logs ``rubricate/unscored``: the share of the batch's completions that could not be
graded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rubricate.api import Grader
from rubricate.export.rewards.common import (
    ErrorPolicy,
    as_grader,
    completion_output,
    log_batch,
    sub_grader_names,
)
from rubricate.judge.records import GradeRecord
from rubricate.judge.sample import make_sample

TRL_ARGUMENTS = frozenset(
    {
        "prompts",
        "completions",
        "completion_ids",
        "completions_ids",
        "trainer_state",
        "log_extra",
        "log_metric",
        "environments",
    }
)
"""Keyword arguments TRL adds itself (not dataset columns)."""
MEMO_SIZE = 8192
"""Grades kept for the sub-reward functions (recent pairs only)."""
UNSCORED_METRIC = "rubricate/unscored"

Future = concurrent.futures.Future


def rows_from_kwargs(n: int, prompts: Sequence[Any] | None, kwargs: dict[str, Any]) -> list[dict]:
    """The dataset row of each of ``n`` completions, rebuilt from TRL's column lists."""
    columns = {
        name: values
        for name, values in kwargs.items()
        if name not in TRL_ARGUMENTS and isinstance(values, list | tuple) and len(values) == n
    }
    rows = [{name: values[i] for name, values in columns.items()} for i in range(n)]
    if prompts is not None and len(prompts) == n:
        for row, prompt in zip(rows, prompts, strict=True):
            row.setdefault("prompt", prompt)
    return rows


def _pair_key(item: dict, sample: dict) -> str:
    return json.dumps([item, sample], sort_keys=True, default=str)


class TrlReward:
    """The reward function object behind a bundle's ``reward.py``.

    Args:
        grader: a :class:`rubricate.Grader` (``rubricate.load_grader(...)``), or grader JSON
            (then graded by ``rubricate.load_grader(grader)``, configured from the environment).
        policy: the error policy (None: ``RUBRICATE_ON_ERROR``, else ``on_error``).
        on_error: the policy chosen at export (``rubricate export trl --on-error``).
    """

    def __init__(
        self,
        grader: Grader | Mapping[str, Any],
        policy: ErrorPolicy | None = None,
        on_error: str = "raise",
    ) -> None:
        self.policy = policy or ErrorPolicy.from_env("trl", default=on_error)
        self.grader = as_grader(grader)
        self._memo: OrderedDict[str, Future[GradeRecord]] = OrderedDict()
        self._memo_lock = threading.Lock()

    def pairs(
        self, prompts: Sequence[Any] | None, completions: Sequence[Any], kwargs: dict[str, Any]
    ) -> list[tuple[dict, dict]]:
        """The ``(item, sample)`` pair of each completion (see the module docstring)."""
        rows = rows_from_kwargs(len(completions), prompts, kwargs)
        out = []
        for index, (row, completion) in enumerate(zip(rows, completions, strict=True)):
            text, tools = completion_output(completion, index)
            out.append((row, make_sample(text, tools)))
        return out

    def _futures(self, pairs: list[tuple[dict, dict]]) -> list[Future[GradeRecord]]:
        """One future record per pair: shared with any call grading the same pair, else
        started now, all new pairs in one batch."""
        keys = [_pair_key(item, sample) for item, sample in pairs]
        todo: dict[str, Future[GradeRecord]] = {}
        todo_pairs: list[tuple[dict, dict]] = []
        with self._memo_lock:
            futures = []
            for key, pair in zip(keys, pairs, strict=True):
                future = self._memo.get(key) or todo.get(key)
                if future is None:
                    future = todo[key] = Future()
                    todo_pairs.append(pair)
                    self._memo[key] = future
                self._memo.move_to_end(key)
                futures.append(future)
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        if todo:
            self._start(list(todo.items()), todo_pairs)
        return futures

    def _start(
        self, todo: list[tuple[str, Future[GradeRecord]]], pairs: list[tuple[dict, dict]]
    ) -> None:
        def done(batch: Future[list[GradeRecord]]) -> None:
            error = batch.exception()
            if error is not None:
                with self._memo_lock:  # a batch that could not run is not remembered
                    for key, _ in todo:
                        self._memo.pop(key, None)
                for _, future in todo:
                    future.set_exception(error)
                return
            records = batch.result()
            log_batch(records, self.grader)
            for (_, future), record in zip(todo, records, strict=True):
                future.set_result(record)

        try:
            batch = self.grader.submit(pairs)
        except BaseException as error:  # e.g. no judge endpoint: refused before it starts
            failed: Future[list[GradeRecord]] = Future()
            failed.set_exception(error)
            done(failed)
            raise
        batch.add_done_callback(done)

    def records(
        self, prompts: Sequence[Any] | None, completions: Sequence[Any], kwargs: dict[str, Any]
    ) -> list[GradeRecord]:
        """Grade a batch (each pair once, shared with the other functions) and wait."""
        futures = self._futures(self.pairs(prompts, completions, kwargs))
        return [future.result() for future in futures]

    async def arecords(
        self, prompts: Sequence[Any] | None, completions: Sequence[Any], kwargs: dict[str, Any]
    ) -> list[GradeRecord]:
        """:meth:`records` for a coroutine: awaits the batch without blocking its loop."""
        futures = self._futures(self.pairs(prompts, completions, kwargs))
        return list(await asyncio.gather(*(asyncio.wrap_future(f) for f in futures)))

    def _rewards(self, records: list[GradeRecord], kwargs: dict[str, Any]) -> list[float | None]:
        log_metric = kwargs.get("log_metric")
        if callable(log_metric) and records:
            log_metric(UNSCORED_METRIC, sum(not r.scored for r in records) / len(records))
        return self.policy.rewards(records, self.grader.stats.recent_error_rate())

    def __call__(
        self,
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        """One reward per completion (``None`` only under the ``none`` policy)."""
        if completions is None:
            raise TypeError("the reward function needs completions=[...] (TRL passes them)")
        return self._rewards(self.records(prompts, completions, kwargs), kwargs)

    async def acall(
        self,
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        """:meth:`__call__` as a coroutine (TRL gathers the async reward functions)."""
        if completions is None:
            raise TypeError("the reward function needs completions=[...] (TRL passes them)")
        return self._rewards(await self.arecords(prompts, completions, kwargs), kwargs)

    def sub_reward_names(self) -> list[str]:
        """Names of the sub-grader rewards (a ``multi`` grader's; none otherwise)."""
        return sub_grader_names(self.grader)

    def _sub_rewards(self, name: str, records: list[GradeRecord]) -> list[float | None]:
        self.policy.rewards(records, self.grader.stats.recent_error_rate())  # raise if it says
        fallback = self.policy.value if self.policy.mode == "value" else None
        return [r.sub_rewards.get(name, fallback) if r.scored else fallback for r in records]

    def sub_reward(self, name: str, prefix: str = "") -> Callable[..., list[float | None]]:
        """A reward function returning sub-grader ``name``'s reward for each completion.

        Pass it with weight 0 to log the criterion. A completion whose grade errored gets what
        the error policy gives (here too, nothing is a silent 0).
        """

        def sub(prompts=None, completions=None, **kwargs: Any) -> list[float | None]:
            return self._sub_rewards(name, self.records(prompts, completions or [], kwargs))

        sub.__name__ = sub.__qualname__ = f"{prefix}{name}"
        return sub

    def async_sub_reward(self, name: str, prefix: str = "") -> Callable[..., Any]:
        """:meth:`sub_reward` as an ``async def`` function (same name)."""

        async def sub(prompts=None, completions=None, **kwargs: Any) -> list[float | None]:
            records = await self.arecords(prompts, completions or [], kwargs)
            return self._sub_rewards(name, records)

        sub.__name__ = sub.__qualname__ = f"{prefix}{name}"
        return sub

    def stats(self) -> dict[str, Any]:
        """Running counts: pairs graded, unscored, errors by flag, model calls."""
        return self.grader.stats.as_dict()
