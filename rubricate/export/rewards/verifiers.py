"""A Prime Intellect ``verifiers`` environment whose ``Rubric`` runs the bundle's grader JSON.

verifiers' contract (verifiers 0.3, the classic API that ``import verifiers as vf`` serves, and
prime-rl's and the Environments Hub's): an environment module has ``load_environment(**kwargs)``
returning a ``vf.Environment``; ``vf.SingleTurnEnv(dataset=..., rubric=...)`` asks the policy
model once per rollout and scores the group with ``rubric.score_group(states)``. A
``vf.Rubric(funcs, weights)`` calls every function (``async def`` ones awaited, a group's
states at once), records each under its ``__name__`` in the rollout's ``metrics`` and sums
``value * weight`` into its ``reward``. A function that raises is logged and counted as 0.0
by verifiers itself, so nothing here raises from inside a reward function.

:func:`make_rubric` builds a ``vf.Rubric`` subclass with:

- the rubric's reward function (weight 1): the grader's reward;
- one function per sub-grader of a ``multi`` grader (weight 0: a per-criterion metric);
- ``rubricate_scored`` (weight 0): 1.0, or 0.0 for a rollout that could not be graded.

Before verifiers calls them, ``score_group`` / ``score_rollout`` grade every rollout of the
group in one concurrent batch, each pair once, and put the outcome in ``state["rubricate"]``
(``reward``, ``scored``, ``sub_rewards``, ``error``; plain JSON), through the public
:class:`rubricate.Grader` (``submit``, awaited on verifiers' loop). How a rollout becomes a graded
pair: the ``item`` is the rollout's ``info`` (the dataset row's item, JSON text in the
bundle's ``dataset.jsonl``), the ``sample`` the completion's last assistant message
(:func:`~rubricate.export.rewards.common.completion_output`; verifiers' message models are made
plain
dicts first, its tool calls chat-completions shaped) with its tool calls.

Errors follow :class:`~rubricate.export.rewards.common.ErrorPolicy` (``none`` is refused: the Rubric
sums float rewards). ``raise``: the group is graded and logged, then ``UnscoredRewardError``
leaves ``score_group`` (outside verifiers' per-function catch), so the evaluation or training
run stops. ``value:X``: the rollout's reward *and* its criterion metrics are X (a weight-0
metric must be a number, or the weighted sum is NaN) and ``rubricate_scored`` is 0.
"""

from __future__ import annotations

import asyncio
import json
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

SCORED_METRIC = "rubricate_scored"
STATE_KEY = "rubricate"


def item_of(info: Any) -> dict[str, Any]:
    """The grader's item: the rollout's ``info`` (a dict, or its JSON text)."""
    if isinstance(info, str):
        try:
            info = json.loads(info)
        except json.JSONDecodeError:
            return {"info": info}
    return dict(info) if isinstance(info, dict) else {}


def _tool_call(call: Any) -> Any:
    """A verifiers ``ToolCall`` (``id``, ``name``, ``arguments``) in chat-completions shape."""
    if isinstance(call, dict) and "name" in call and "function" not in call:
        return {
            "id": call.get("id"),
            "type": "function",
            "function": {"name": call["name"], "arguments": call.get("arguments", "")},
        }
    return call


def plain_messages(completion: Any) -> Any:
    """A completion with verifiers' message models (pydantic) as plain chat-message dicts."""
    if not isinstance(completion, list):
        return completion
    out = []
    for message in completion:
        if hasattr(message, "model_dump"):
            message = message.model_dump(exclude_none=True)
        if isinstance(message, dict) and isinstance(message.get("tool_calls"), list):
            calls = [
                c.model_dump() if hasattr(c, "model_dump") else c for c in message["tool_calls"]
            ]
            message = {**message, "tool_calls": [_tool_call(c) for c in calls]}
        out.append(message)
    return out


class VerifiersReward:
    """Grades verifiers rollouts (the part of the Rubric that does not need verifiers).

    Args:
        grader: a :class:`rubricate.Grader` (``rubricate.load_grader(...)``), or grader JSON
            (then graded by ``rubricate.load_grader(grader)``, configured from the environment).
        policy: the error policy (None: ``RUBRICATE_ON_ERROR``, else ``on_error``).
        on_error: the policy chosen at export (``rubricate export verifiers --on-error``).
    """

    def __init__(
        self,
        grader: Grader | Mapping[str, Any],
        policy: ErrorPolicy | None = None,
        on_error: str = "raise",
    ) -> None:
        self.policy = policy or ErrorPolicy.from_env("verifiers", default=on_error)
        self.grader = as_grader(grader)
        self.sub_names = sub_grader_names(self.grader)

    def pair(self, state: dict[str, Any], index: int = 0) -> tuple[dict, dict]:
        """The ``(item, sample)`` pair of one rollout state."""
        text, tools = completion_output(plain_messages(state.get("completion") or []), index)
        return item_of(state.get("info")), make_sample(text, tools)

    async def grade_states(self, states: Sequence[dict[str, Any]]) -> None:
        """Grade the rollouts without an outcome yet, at once; fill ``state["rubricate"]``.

        Raises:
            UnscoredRewardError: under ``raise`` (or too many failures), after logging.
        """
        todo = [s for s in states if STATE_KEY not in s]
        if not todo:
            return
        pairs = [self.pair(s, i) for i, s in enumerate(todo)]
        records = await asyncio.wrap_future(self.grader.submit(pairs))
        log_batch(records, self.grader)
        rewards = self.policy.rewards(records, self.grader.stats.recent_error_rate())
        for state, record, reward in zip(todo, records, rewards, strict=True):
            state[STATE_KEY] = self._outcome(record, reward)

    def _outcome(self, record: GradeRecord, reward: float | None) -> dict[str, Any]:
        fallback = self.policy.value if self.policy.mode == "value" else None
        subs = {
            name: (record.sub_rewards.get(name, fallback) if record.scored else fallback)
            for name in self.sub_names
        }
        return {
            "reward": reward,
            "scored": record.scored,
            "sub_rewards": subs,
            "error": record.error,
        }

    def stats(self) -> dict[str, Any]:
        """Running counts: pairs graded, unscored, errors by flag, model calls."""
        return self.grader.stats.as_dict()


def _function(
    reward: VerifiersReward, name: str, pick: Callable[[dict[str, Any]], Any]
) -> Callable[..., Any]:
    async def func(state: dict[str, Any], **_: Any) -> float:
        await reward.grade_states([state])  # graded already when score_group ran
        return float(pick(state[STATE_KEY]))

    func.__name__ = func.__qualname__ = name
    return func


def _sub_reward(sub: str) -> Callable[[dict[str, Any]], Any]:
    return lambda o: o["sub_rewards"][sub]


def reward_functions(
    reward: VerifiersReward, main_name: str, prefix: str
) -> tuple[list[Callable[..., Any]], list[float]]:
    """The Rubric's functions and weights: the rubric's reward (1), each criterion (0), and
    ``rubricate_scored`` (0)."""
    funcs = [_function(reward, main_name, lambda o: o["reward"])]
    for sub in reward.sub_names:
        funcs.append(_function(reward, f"{prefix}{sub}", _sub_reward(sub)))
    funcs.append(_function(reward, SCORED_METRIC, lambda o: 1.0 if o["scored"] else 0.0))
    return funcs, [1.0] + [0.0] * (len(funcs) - 1)


def make_rubric(reward: VerifiersReward, main_name: str, prefix: str = "") -> Any:
    """A ``vf.Rubric`` running ``reward``'s grader (imports verifiers)."""
    import verifiers as vf

    class RubricateRubric(vf.Rubric):
        """The exported grader as a verifiers Rubric (:mod:`rubricate.rewards`)."""

        async def score_group(self, states: list[Any]) -> None:
            await reward.grade_states(states)
            await super().score_group(states)

        async def score_rollout(self, state: Any) -> None:
            await reward.grade_states([state])
            await super().score_rollout(state)

    funcs, weights = reward_functions(reward, main_name, prefix)
    return RubricateRubric(funcs=funcs, weights=weights)
