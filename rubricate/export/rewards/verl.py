"""verl's ``compute_score`` running the bundle's grader JSON locally.

verl's contract (verl 0.9, the reward loop: ``verl/experimental/reward_loop``; docs:
"Implement Reward Function for Dataset", *Customized*): ``main_ppo`` loads the function named
by ``reward.custom_reward_function.path`` / ``.name`` (default ``compute_score``; the top-level
``custom_reward_function.*`` keys of older releases are no longer read by ``main_ppo``), and
the reward manager ``reward.reward_manager.name`` (``naive``, the default, ``remote``, ``dapo``,
...) calls it once per response with keyword arguments ``data_source``, ``solution_str``,
``ground_truth`` and ``extra_info`` (plus ``reward_router_address`` and
``reward_model_tokenizer`` when a reward model is served, and the config's
``reward.custom_reward_function.reward_kwargs``). It returns a float, or a dict holding
``"score"`` whose other keys verl collects per response. An ``async def`` function is awaited
on the reward loop, every response of a batch at once (``naive``); a plain one runs in a
thread pool (``naive``) or in Ray worker processes (``remote``, which refuses async functions).
The ``batch`` manager of older releases is gone: :meth:`VerlReward.score_batch` remains for
them.

How a response becomes a graded pair:

- ``item``: ``ground_truth`` when it is a dict or a JSON object string (else
  ``{"ground_truth": ground_truth}``), updated with ``extra_info["item"]`` when that is a dict,
  else with the fields of ``extra_info`` that verl did not add itself (:data:`VERL_EXTRA`:
  its bookkeeping such as ``num_turns`` and ``rollout_reward_scores`` never reaches the
  grader). So a parquet row made from an items file carries the item in ``extra_info`` (or its
  JSON as ``reward_model.ground_truth``);
- ``sample``: :func:`~rubricate.judge.sample.make_sample` of ``solution_str``.

Results are dicts with the same keys for every response (verl stacks them per key):
``score``, ``rubricate_scored`` (1 or 0) and one ``rubricate/<sub-grader>`` per sub-grader of
a ``multi`` grader (NaN where the grade errored). Errors follow
:class:`~rubricate.export.rewards.common.ErrorPolicy` (default: raise; ``none`` is refused for
verl). Objects pickle as their grader's configuration and policy only (a
:class:`rubricate.Grader` pickles so), so Ray can ship the function to workers. Responses are
graded by the public :class:`rubricate.Grader` (``score_many``, and ``submit`` awaited for the
async form), on its one background loop.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from rubricate.api import Grader
from rubricate.export.rewards.common import ErrorPolicy, as_grader, log_batch, sub_grader_names
from rubricate.judge.records import GradeRecord
from rubricate.judge.sample import make_sample

VERL_EXTRA = frozenset({"index", "num_turns", "rollout_reward_scores", "tools_kwargs"})
"""``extra_info`` keys verl or its dataset code add for their own bookkeeping."""

Pair = tuple[dict[str, Any], dict[str, Any]]


def item_from(ground_truth: Any, extra_info: Any) -> dict[str, Any]:
    """The grader's ``item`` for one verl response (see the module docstring)."""
    item: dict[str, Any] = {}
    truth = ground_truth
    if isinstance(truth, str) and truth.lstrip().startswith("{"):
        try:
            truth = json.loads(truth)
        except json.JSONDecodeError:
            truth = ground_truth
    if isinstance(truth, dict):
        item.update(truth)
    elif truth is not None:
        item["ground_truth"] = truth
    if isinstance(extra_info, dict):
        nested = extra_info.get("item")
        if isinstance(nested, dict):
            item.update(nested)
        else:
            item.update({k: v for k, v in extra_info.items() if k not in VERL_EXTRA})
    return item


class VerlReward:
    """The scoring object behind a verl bundle's ``reward.py``.

    Args:
        grader: a :class:`rubricate.Grader` (``rubricate.load_grader(...)``), or grader JSON
            (then graded by ``rubricate.load_grader(grader)``, configured from the environment).
        policy: the error policy (None: ``RUBRICATE_ON_ERROR``, else ``on_error``).
        on_error: the policy chosen at export (``rubricate export verl --on-error``).
    """

    def __init__(
        self,
        grader: Grader | Mapping[str, Any],
        policy: ErrorPolicy | None = None,
        on_error: str = "raise",
    ) -> None:
        self.policy = policy or ErrorPolicy.from_env("verl", default=on_error)
        self.grader = as_grader(grader)
        self.sub_names = sub_grader_names(self.grader)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.grader, self.policy))

    @staticmethod
    def pair(solution_str: Any, ground_truth: Any, extra_info: Any) -> Pair:
        """The ``(item, sample)`` pair one response is graded as."""
        return item_from(ground_truth, extra_info), make_sample(str(solution_str))

    def _results(self, records: Sequence[GradeRecord]) -> list[dict[str, Any]]:
        log_batch(records, self.grader)
        rewards = self.policy.rewards(records, self.grader.stats.recent_error_rate())
        out = []
        for record, reward in zip(records, rewards, strict=True):
            result: dict[str, Any] = {"score": reward, "rubricate_scored": int(record.scored)}
            for name in self.sub_names:
                value = record.sub_rewards.get(name) if record.scored else None
                result[f"rubricate/{name}"] = math.nan if value is None else value
            out.append(result)
        return out

    def score(
        self,
        data_source: Any,
        solution_str: str,
        ground_truth: Any,
        extra_info: Any = None,
        **_: Any,
    ) -> dict[str, Any]:
        """``compute_score`` for one response."""
        pair = self.pair(solution_str, ground_truth, extra_info)
        return self._results(self.grader.score_many([pair]))[0]

    async def ascore(
        self,
        data_source: Any,
        solution_str: str,
        ground_truth: Any,
        extra_info: Any = None,
        **_: Any,
    ) -> dict[str, Any]:
        """:meth:`score` as a coroutine: verl awaits a batch's responses at once, and each
        waits for its grade without blocking verl's loop."""
        pair = self.pair(solution_str, ground_truth, extra_info)
        records: list[GradeRecord] = await asyncio.wrap_future(self.grader.submit([pair]))
        return self._results(records)[0]

    def score_batch(
        self,
        data_sources: Sequence[Any],
        solution_strs: Sequence[str],
        ground_truths: Sequence[Any],
        extra_infos: Sequence[Any] | None = None,
        **_: Any,
    ) -> list[dict[str, Any]]:
        """A whole batch concurrently (the ``batch`` reward manager of verl before 0.9)."""
        infos = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
        pairs = [
            self.pair(text, truth, info)
            for text, truth, info in zip(solution_strs, ground_truths, infos, strict=True)
        ]
        return self._results(self.grader.score_many(pairs))

    def stats(self) -> dict[str, Any]:
        """Running counts: pairs graded, unscored, errors by flag, model calls."""
        return self.grader.stats.as_dict()
