"""A panel of judges compiled as one ``multi`` grader that the platforms run as is.

PoLL (Verga et al., "Replacing Judges with Juries", arXiv 2404.18796) finds that a panel of
smaller judges whose verdicts are pooled can match human judgement better than one large judge,
at a fraction of the cost. A panel here is the rubric's ``multi`` grader compiled once per judge
model, merged into one grader:

- every judged criterion gets one judge sub-grader per panel model, named
  ``<name>__judge_<k>`` (``k`` from 1, in the order the models are given); each is byte for byte
  the sub-grader that model's own ``multi`` grader has, so it sends the same request (and a run
  that already graded with each judge alone replays those calls from the call store);
- checks and gates are deterministic and the same for every model: they appear once, unchanged;
- ``calculate_output`` is the rubric's formula with each judged name replaced by the pooled
  verdict, so the platform computes the panel's reward itself. Two rules (:data:`RULES`):

  * ``majority`` (default): a met / not met criterion is met when more than half of the judges
    say so: ``min(1, max(0, 2 * (j1 + ... + jk) - k))``, which for verdicts of 0 or 1 is 1
    exactly when the sum exceeds ``k / 2``; a tie (an even panel split in half) is *not met*.
    A levelled criterion (more than two levels) has no majority: it takes the judges' mean;
  * ``mean``: every judged criterion takes the judges' mean verdict, ``(j1 + ... + jk) / k``.

Only ``+ - * /``, parentheses, ``min`` and ``max`` are added, so the formula stays within the
platform's grammar (:func:`~rubricate.rubrics.compile.formula.check_formula` checks it).
:func:`pooled` computes the same pooling in Python (the calibration's per-criterion rows).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from rubricate.errors import InputError
from rubricate.rubrics.model import Rubric

PanelRule = Literal["majority", "mean"]
RULES: tuple[PanelRule, ...] = ("majority", "mean")
"""How a panel pools its judges' verdicts on one criterion."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def panel_name(name: str, k: int) -> str:
    """The sub-grader of judge ``k`` (from 1) for the judged sub-grader ``name``."""
    return f"{name}__judge_{k}"


def pooled_formula(names: Sequence[str], rule: PanelRule, max_level: int) -> str:
    """The formula pooling the judge sub-graders ``names`` of one criterion."""
    total = " + ".join(names)
    if rule == "majority" and max_level == 1:
        return f"min(1, max(0, 2 * ({total}) - {len(names)}))"
    return f"(({total}) / {len(names)})"


def pooled(values: Sequence[float], rule: PanelRule, max_level: int) -> float:
    """:func:`pooled_formula` in Python, on the judges' verdicts (levels, not normalised)."""
    total = float(sum(values))
    if rule == "majority" and max_level == 1:
        return min(1.0, max(0.0, 2 * total - len(values)))
    return total / len(values)


def check_panel(models: Sequence[str], rule: str, *, where: str = "--panel") -> None:
    """Refuse a panel of fewer than 2 distinct models or an unknown rule (one line).

    Raises:
        InputError: naming ``where``.
    """
    if rule not in RULES:
        raise InputError(f"{where}: unknown rule {rule!r}; use {' or '.join(RULES)}")
    if len(models) < 2:
        raise InputError(f"{where}: a panel needs at least 2 judge models, separated by commas")
    if len(set(models)) != len(models):
        raise InputError(f"{where}: a judge model is repeated; list each once")


def compile_panel(rubric: Rubric, models: Sequence[str], rule: PanelRule = "majority") -> dict:
    """The ``multi`` grader of ``rubric`` judged by every model of ``models``, pooled by
    ``rule`` (see the module docstring).

    Raises:
        InputError: a bad panel (:func:`check_panel`), a rubric that judges nothing (a panel
            would only repeat its checks), or a panel sub-grader name that collides with one
            of the rubric's.
        GraderError: the rubric does not compile to ``multi``.
    """
    from rubricate.rubrics.compile import compile_rubric
    from rubricate.rubrics.compile.formula import check_formula
    from rubricate.rubrics.compile.names import subgrader_plan

    check_panel(models, rule)
    graders = []
    for model in models:
        judge = rubric.judge.model_copy(update={"model": model})
        graders.append(compile_rubric(rubric.model_copy(update={"judge": judge}), "multi"))
    levels = {c.id: c.max_level for c in rubric.leaves()}
    judges = {name: levels[cid] for cid, name, role in subgrader_plan(rubric) if role == "judge"}
    if not judges:
        raise InputError(
            f"--panel: rubric {rubric.id!r} judges no criterion (checks only): a panel of judges "
            "would grade exactly as one grader; drop --panel"
        )
    base = graders[0]
    merged: dict[str, Any] = {}
    replace: dict[str, str] = {}
    for name, sub in base["graders"].items():
        if name not in judges:
            merged[name] = sub
            continue
        names = []
        for k, grader in enumerate(graders, 1):
            new = panel_name(name, k)
            if new in base["graders"]:
                raise InputError(
                    f"--panel: the panel's sub-grader {new!r} collides with the rubric's own "
                    "sub-grader of that name; rename that criterion"
                )
            merged[new] = {**grader["graders"][name], "name": new}
            names.append(new)
        replace[name] = pooled_formula(names, rule, judges[name])
    formula = _NAME.sub(lambda m: replace.get(m.group(), m.group()), base["calculate_output"])
    check_formula(formula, frozenset(merged))
    return {**base, "graders": merged, "calculate_output": formula}


def panel_plan(plan: list[tuple[str, str, str]], size: int) -> list[tuple[str, str, str]]:
    """:func:`~rubricate.rubrics.compile.names.subgrader_plan` of the panel grader: each
    ``judge`` entry becomes one per judge (``<name>__judge_<k>``)."""
    out = []
    for cid, name, role in plan:
        if role == "judge":
            out += [(cid, panel_name(name, k), role) for k in range(1, size + 1)]
        else:
            out.append((cid, name, role))
    return out


def parse_panel(text: str, *, where: str = "--panel") -> tuple[str, ...]:
    """The models of ``A,B,C`` (checked by :func:`check_panel` with the caller's rule)."""
    return tuple(v.strip() for v in text.split(",") if v.strip())


def panel_label(models: Sequence[str], rule: str) -> str:
    """``panel(A, B, C; majority)``: how reports name a panel."""
    return f"panel({', '.join(models)}; {rule})"
