"""The trainer adapters: a :class:`rubricate.Grader` as a TRL, verl, verifiers or promptfoo reward.

Public, like :mod:`rubricate` itself (``docs/api.md``), because each adapter is a trainer's
contract that users need from their own code as much as the exported modules do: how TRL's
keyword arguments become the grader's item, how verl's ``ground_truth`` / ``extra_info`` do,
what a verifiers Rubric records, what promptfoo's GradingResult holds, and the error policy
that makes an ungraded completion raise or become a number chosen by you, never a silent 0.
The modules ``rubricate export trl|verl|verifiers|promptfoo`` writes import only these names
and ``rubricate.load_grader``; a training script can do the same with a grader of its own::

    import rubricate
    from rubricate.rewards import TrlReward

    reward = TrlReward(rubricate.load_grader("grader.json"), on_error="value:0")
    trainer = GRPOTrainer(..., reward_funcs=[reward, *map(reward.sub_reward, ...)])

Every adapter takes a :class:`rubricate.Grader` (or grader JSON, loaded with
``rubricate.load_grader`` and the environment's settings) and grades through it: its
``submit`` / ``score_many``, ``stats`` and their recent error rate, and its transient-retry
policy. The implementations live in :mod:`rubricate.export.rewards` (internal); the names load
lazily, so importing this module does not import any trainer.

- :class:`TrlReward`: TRL ``GRPOTrainer`` reward functions (sync and ``async``; one per
  sub-grader with :meth:`TrlReward.sub_reward`).
- :class:`VerlReward`: verl's ``compute_score`` (``score``, ``ascore``, ``score_batch``).
- :class:`VerifiersReward` and :func:`make_verifiers_rubric`: a ``verifiers`` ``vf.Rubric``.
- :class:`PromptfooAssertion`: promptfoo's python ``get_assert``.
- :class:`ErrorPolicy` (``raise`` | ``none`` | ``value:X``, ``RUBRICATE_ON_ERROR``) and
  :class:`UnscoredRewardError`, what the ``raise`` policy raises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "ErrorPolicy",
    "PromptfooAssertion",
    "TrlReward",
    "UnscoredRewardError",
    "VerifiersReward",
    "VerlReward",
    "make_verifiers_rubric",
]

if TYPE_CHECKING:
    from rubricate.export.rewards.common import ErrorPolicy, UnscoredRewardError
    from rubricate.export.rewards.promptfoo import PromptfooAssertion
    from rubricate.export.rewards.trl import TrlReward
    from rubricate.export.rewards.verifiers import VerifiersReward
    from rubricate.export.rewards.verifiers import make_rubric as make_verifiers_rubric
    from rubricate.export.rewards.verl import VerlReward



def __getattr__(name: str) -> Any:  # static imports: the layer contracts see them
    from types import ModuleType

    home: ModuleType
    if name in ("ErrorPolicy", "UnscoredRewardError"):
        from rubricate.export.rewards import common as home
    elif name == "PromptfooAssertion":
        from rubricate.export.rewards import promptfoo as home
    elif name == "TrlReward":
        from rubricate.export.rewards import trl as home
    elif name == "VerlReward":
        from rubricate.export.rewards import verl as home
    elif name in ("VerifiersReward", "make_verifiers_rubric"):
        from rubricate.export.rewards import verifiers as home
    else:
        raise AttributeError(f"module 'rubricate.rewards' has no attribute {name!r}")
    return getattr(home, "make_rubric" if name == "make_verifiers_rubric" else name)


def __dir__() -> list[str]:
    return sorted(__all__)
