"""Azure AI Foundry's rules (:mod:`.azure_profile`) as rubric problems: one line each, at the
YAML node that causes them.

Both ``rubricate check RUBRIC --platform azure`` and ``rubricate export rft --platform azure``
call :func:`azure_problems`, so they print the same lines. The rules run on the compiled
grader (what Azure receives) and each finding is traced back to the rubric:

- a grader model -> ``judge.model`` (once per model, however many criteria it judges; when the
  rubric does not set it, the message says the default is used and points at ``judge`` or the
  top of the file); for ``export``, the line also suggests ``--judge-model <allowed model>``
  (the rubric may stay as it is: the override compiles it judged by that model). A model given
  with ``--judge-model`` or ``--panel`` is reported at that option instead of the rubric;
- an import a python grader makes -> the import's own line inside the criterion's
  ``check.python`` block (every python check is also read directly: the ``python`` target runs
  each check's source from a string, where the compiled grader's imports do not show it);
- anything else about a ``multi`` sub-grader -> its criterion's ``check`` (gate or check) or
  ``text`` (judge); about the whole grader -> the ``criteria`` list.

Rule ids: ``azure-grader-model``, ``azure-grader-type``, ``azure-metric``,
``azure-python-size``, ``azure-python-import``; all errors (the platform would refuse the job).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rubricate.errors import InputError
from rubricate.export.rft.azure_profile import (
    closest_model,
    grader_findings,
    import_message,
    imported_modules,
    model_message,
)
from rubricate.rubrics.compile.choice import CompileChoice
from rubricate.rubrics.lint.context import LintContext
from rubricate.rubrics.loader import LoadedRubric
from rubricate.rubrics.model import PythonCheck, check_kind
from rubricate.rubrics.problems import NodePath, Problem, sort_key

RULES: dict[str, tuple[str, str]] = {
    "azure-grader-model": ("error", "a grader model Azure AI Foundry does not let grade"),
    "azure-grader-type": ("error", "a grader type Azure AI Foundry RFT does not take"),
    "azure-metric": ("error", "a text_similarity metric Azure AI Foundry lacks (cosine)"),
    "azure-python-size": ("error", "a python grader source of 256 KB or more"),
    "azure-python-import": ("error", "a python grader import Azure's runtime lacks"),
}
"""Rule id -> (severity, what it finds), as :data:`rubricate.rubrics.lint.RULES`."""


def _criterion_nodes(loaded: LoadedRubric) -> dict[str, tuple[NodePath, Any]]:
    """Sub-grader name -> (the rubric node it comes from, the criterion)."""
    from rubricate.rubrics.compile.names import subgrader_plan

    by_id = {c.id: (LoadedRubric.criterion_node(p), c) for p, c in loaded.rubric.walk()}
    out: dict[str, tuple[NodePath, Any]] = {}
    for cid, name, role in subgrader_plan(loaded.rubric):
        node, criterion = by_id[cid]
        if role == "judge":
            out[name] = ((*node, "text"), criterion)
        else:
            assert criterion.check is not None  # a check sub-grader is planned only for one
            out[name] = ((*node, "check", check_kind(criterion.check)), criterion)
    return out


def _import_problems(
    ctx: LintContext, criteria: list[Any], module: str | None = None
) -> list[Problem]:
    """Each import Azure's runtime lacks (only ``module``'s, when given) at its own line in the
    python checks of ``criteria``."""
    out = []
    for node, criterion in criteria:
        if not isinstance(criterion.check, PythonCheck):
            continue
        check_node = (*node, "check", "python")
        for name, line in imported_modules(criterion.check.python):
            if module is None or name == module:
                position = ctx.inner_position(check_node, line, 1)
                out.append(
                    ctx.at_position(
                        check_node, position, import_message(name), "azure-python-import"
                    )
                )
    return out


def _option_problem(option: str, message: str) -> Problem:
    return Problem(option, None, None, "", message, "error", "azure-grader-model")


def judge_model_hint(model: str) -> str:
    """The export's suggestion after a refused rubric judge model (one clause)."""
    allowed = closest_model(model)
    return (
        f"; or keep the rubric and export with --judge-model {allowed} (calibrate with "
        f"`rubricate calibrate --judge-model {allowed}` first)"
    )


def _model_problem(
    ctx: LintContext, model: str, message: str, choice: CompileChoice | None
) -> Problem:
    """A refused grader model, at the option that chose it, else at ``judge.model``."""
    if choice is not None and choice.judge_model:
        return _option_problem("--judge-model", message)
    if choice is not None and choice.panel:
        return _option_problem("--panel", f"{message}; replace {model} in the panel")
    hint = judge_model_hint(model) if choice is not None else ""
    return ctx.at(("judge", "model"), message + hint, "azure-grader-model")


def azure_problems(
    loaded: LoadedRubric, grader: dict[str, Any], choice: CompileChoice | None = None
) -> list[Problem]:
    """Every Azure rule ``grader`` (compiled from ``loaded`` as ``choice`` says) breaks, at
    rubric nodes (a refused model at the option that chose it), sorted.

    ``choice`` is given by ``export`` (None: ``rubricate check``, whose lines name no option).
    """
    ctx = LintContext(loaded)
    try:
        names = _criterion_nodes(loaded)
    except InputError:  # sub-grader names collide: lint reports it; findings go to `criteria`
        names = {}
    criteria = [(LoadedRubric.criterion_node(p), c) for p, c in loaded.rubric.walk()]
    problems: list[Problem] = []
    seen_models: set[str] = set()
    for finding in grader_findings(grader):
        if finding.rule == "azure-grader-model":
            model = str(finding.value)
            if model in seen_models:
                continue
            seen_models.add(model)
            default = loaded.value(("judge", "model")) is None
            chosen = choice is not None and bool(choice.judge_model or choice.panel)
            message = (
                model_message(model, default=default)
                if default and not chosen
                else finding.message
            )
            problems.append(_model_problem(ctx, model, message, choice))
            continue
        mapped = names.get(finding.grader[-1]) if finding.grader else None
        if finding.rule == "azure-python-import":
            scope = [(mapped[0][:-2], mapped[1])] if mapped else criteria
            found = _import_problems(ctx, scope, finding.value)
            if found:
                problems += found
                continue
        node: NodePath = mapped[0] if mapped else ("criteria",)
        problems.append(ctx.at(node, finding.message, finding.rule, at_value=False))
    # The python target runs each check's source from a string: its imports are only seen here.
    problems += _import_problems(ctx, criteria)
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=sort_key)


def lint_for_azure(path: str | Path) -> list[Problem]:
    """Azure problems of the rubric file at ``path`` (``rubricate check --platform azure``).

    Empty when the rubric does not load or compile: ``rubricate check`` reports why already.
    """
    from rubricate.errors import RubricateError
    from rubricate.rubrics.compile.choice import compile_choice
    from rubricate.rubrics.loader import load_rubric

    try:
        loaded = load_rubric(path)
        grader = compile_choice(loaded.rubric).grader
    except RubricateError:
        return []
    return azure_problems(loaded, grader)
