"""The arms of ``--compare SPEC``: parse and check the spec before any call.

``mode=per_criterion,holistic`` compares explicit aggregation (a verdict per criterion, weighted
sum: the ``multi`` target) with implicit aggregation (the judge sees the whole rubric and gives
one score: the ``score_model`` target), as Rubrics as Rewards (arXiv 2507.17746) does.
``judge=A,B[,...]`` compiles the rubric once per judge model (the ``--judge-model`` override,
compiled in, so each arm's grader has its own SHA-256). ``panel=A,B,C`` adds, after one arm per
judge, the panel of those judges compiled as one ``multi`` grader
(:mod:`rubricate.rubrics.compile.panel`: a majority of verdicts per met / not met criterion, the
mean for levelled ones; ``panel:mean=A,B,C`` pools every criterion by the mean). The panel's
judge sub-graders send exactly the requests the single-judge arms sent, so with the call store
on the panel arm replays them: it costs no new call.

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

KINDS = ("mode", "judge", "panel")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Arm:
    """One grader of a comparison.

    Attributes:
        name: its label and its folder under ``OUT/arms/``.
        target: the compile target (None: the request's own).
        judge_model: the judge model override (None: the request's own).
        panel: the judge models of a panel arm (empty: not a panel).
        rule: how the panel pools its judges' verdicts.
    """

    name: str
    target: Target | None = None
    judge_model: str | None = None
    panel: tuple[str, ...] = ()
    rule: str = "majority"


def _folder(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("._") or "arm"


def parse_compare(spec: str, rubric: Rubric) -> list[Arm]:
    """The arms of ``spec`` for ``rubric``.

    Raises:
        InputError: unknown kind or mode, fewer than 2 arms, a repeated arm, or an arm the
            rubric cannot compile to.
    """
    from rubricate.rubrics.compile import applicable_targets
    from rubricate.rubrics.compile.panel import RULES

    kind, sep, rest = spec.partition("=")
    kind, _, rule = kind.strip().partition(":")
    if not sep or kind not in KINDS or (rule and (kind != "panel" or rule not in RULES)):
        raise InputError(
            f"--compare {spec!r}: expected mode=per_criterion,holistic, judge=MODEL_A,MODEL_B "
            "or panel=MODEL_A,MODEL_B,MODEL_C (panel:mean=... to pool by the mean)"
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
    if kind == "panel":
        names = [_folder(f"judge-{v}") for v in values]
        if len(set(names)) != len(names):
            raise InputError(f"--compare {spec!r}: two models share a folder name; rename one")
        rule = rule or "majority"
        singles = [Arm(name=n, judge_model=v) for n, v in zip(names, values, strict=True)]
        return [*singles, Arm(name=f"panel-{rule}", panel=tuple(values), rule=rule)]
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
