"""The arms of ``--compare SPEC``: parse and check the spec before any call.

``mode=per_criterion,holistic`` compares explicit aggregation (a verdict per criterion, weighted
sum: the ``multi`` target) with implicit aggregation (the judge sees the whole rubric and gives
one score: the ``score_model`` target), as Rubrics as Rewards (arXiv 2507.17746) does.
``judge=A,B[,...]`` compiles the rubric once per judge model (the ``--judge-model`` override,
compiled in, so each arm's grader has its own SHA-256). A panel of judges is not built yet.

Every error is one line naming ``--compare`` and how to fix it (exit 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rubricate.errors import InputError

if TYPE_CHECKING:
    from rubricate.rubrics.compile import Target
    from rubricate.rubrics.model import Rubric

MODES: dict[str, Target] = {"per_criterion": "multi", "holistic": "score_model"}
"""Each ``mode=`` arm and the compile target that implements it."""

KINDS = ("mode", "judge")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Arm:
    """One grader of a comparison.

    Attributes:
        name: its label and its folder under ``OUT/arms/``.
        target: the compile target (None: the request's own).
        judge_model: the judge model override (None: the request's own).
    """

    name: str
    target: Target | None = None
    judge_model: str | None = None


def _folder(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("._") or "arm"


def parse_compare(spec: str, rubric: Rubric) -> list[Arm]:
    """The arms of ``spec`` for ``rubric``.

    Raises:
        InputError: unknown kind or mode, fewer than 2 arms, a repeated arm, or an arm the
            rubric cannot compile to.
    """
    from rubricate.rubrics.compile import applicable_targets

    kind, sep, rest = spec.partition("=")
    kind = kind.strip()
    if not sep or kind not in KINDS:
        raise InputError(
            f"--compare {spec!r}: expected mode=per_criterion,holistic or judge=MODEL_A,MODEL_B "
            "(a panel of judges is not built yet)"
        )
    values = [v.strip() for v in rest.split(",") if v.strip()]
    if len(values) < 2:
        raise InputError(f"--compare {spec!r}: needs at least 2 arms, separated by commas")
    if len(set(values)) != len(values):
        raise InputError(f"--compare {spec!r}: an arm is repeated; list each once")
    if kind == "judge":
        names = [_folder(f"judge-{v}") for v in values]
        if len(set(names)) != len(names):
            raise InputError(f"--compare {spec!r}: two models share a folder name; rename one")
        return [Arm(name=n, judge_model=v) for n, v in zip(names, values, strict=True)]
    can = applicable_targets(rubric)
    arms = []
    for value in values:
        if value not in MODES:
            raise InputError(
                f"--compare {spec!r}: unknown mode {value!r}; use per_criterion and holistic"
            )
        if MODES[value] not in can:
            raise InputError(
                f"--compare {spec!r}: rubric {rubric.id!r} cannot compile a {value} grader "
                f"(target {MODES[value]}; it compiles to {', '.join(can)}); drop that arm"
            )
        arms.append(Arm(name=value, target=MODES[value]))
    return arms
