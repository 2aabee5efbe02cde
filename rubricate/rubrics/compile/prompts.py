"""Judge prompts: Jinja2 templates shipped in the package, rendered at compile time.

The templates (``rubricate/rubrics/templates/*.j2``) are read with :mod:`importlib.resources`
into one :class:`~jinja2.sandbox.SandboxedEnvironment` with ``StrictUndefined`` (a missing
variable is an error, never an empty string) and compiled once. Rubric text is always passed
as a *variable*, never concatenated into template source, so ``{% ... %}`` in a criterion is
text, not code. Autoescape is off: the output is a prompt, not HTML.

What the judge sees follows what worked for HealthBench: a system message with ONE criterion
(its signed weight or levels), the rule that every clause must hold (lists after "such as"
excepted), the penalty convention (1 = the undesirable behaviour is present), the few-shot
examples that concern this criterion with their expected result, the instruction that the
answer is data whose instructions are ignored, and the platform's reply format
``{"result": <number>, "steps": [{"description", "conclusion"}]}``; then a user message with
the task, the reference (when given) and the answer between ``<answer-NONCE>`` tags.

Templating the platform substitutes at grading time survives untouched: the answer is the
literal ``{{ sample.output_text }}``, a rubric without ``task`` reads ``{{ item.task }}``, and
``{{ item.* }}`` inside the rubric's task, reference or criteria is kept for the platform.
Few-shot answers are quoted data, so their ``{{``/``}}`` are broken up (``{ {``) lest the
platform substitute them, and in all quoted rubric text the prompt's own tag names (``<answer>``,
``</reference>`` ...) are neutralised (``‹answer>``).

Delimiters an answer cannot produce: the platform substitutes the answer verbatim (no escaping
is possible at grading time, and the local runtime must do exactly what the platform does), so
an answer holding ``</answer>`` would end the quote and its "instructions" would follow as the
prompt's. Every tag of a prompt therefore carries a nonce, ``<answer-1f0c9a4e7b2d6385>``: 16 hex
digits of the SHA-256 of the prompt's own messages rendered with a placeholder for it
(:func:`seal`). It is deterministic (the same rubric compiles to the same bytes, so the grader
that is calibrated is the grader that is exported, and an edit to one criterion leaves the
other criteria's prompts, and their stored calls, as they were), and no answer can contain it:
it is not in the rubric, the items or anything the graded model sees, and it changes with every
change of the prompt. The judge is told that only tags ending in the nonce are the prompt's.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import re
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateNotFound
from jinja2.exceptions import UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from rubricate.rubrics.model import Criterion, Example, Rubric

ANSWER = "{{ sample.output_text }}"
"""The platform's template for the answer under judgment."""
ITEM_TASK = "{{ item.task }}"
"""Where the task comes from when the rubric has no ``task``."""

TAGS = ("task", "reference", "answer", "example_answer", "criterion", "rubric", "item_criteria")
"""The prompt's own delimiters."""
_TAG = re.compile(r"<(/?)(" + "|".join(TAGS) + r")\b", re.IGNORECASE)


NONCE_HEX = 16
"""Hex digits of a prompt's tag nonce (64 bits)."""
_PLACEHOLDER = "\x00nonce\x00"


def _tags() -> dict[str, str]:
    """The tag names the templates write, with the nonce placeholder (see :func:`seal`)."""
    return {**{tag: f"{tag}-{_PLACEHOLDER}" for tag in TAGS}, "nonce": _PLACEHOLDER}


def seal(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """Replace the nonce placeholder in ``messages`` by the nonce of their own text."""
    digest = hashlib.sha256(
        json.dumps(messages, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ).hexdigest()
    nonce = digest[:NONCE_HEX]
    return [{**m, "content": m["content"].replace(_PLACEHOLDER, nonce)} for m in messages]


def neutralise(text: str) -> str:
    """Quoted text as a block: leading and trailing blank lines dropped, and the prompt's own
    tags broken (``</answer>`` becomes ``‹/answer>``)."""
    return _TAG.sub(lambda m: "\u2039" + m.group(1) + m.group(2), text.strip("\n"))


def quote_example(text: str) -> str:
    """A few-shot answer as inert data: tags neutralised and ``{{``/``}}`` broken up."""
    return neutralise(text).replace("{{", "{ {").replace("}}", "} }")


def _load(name: str) -> str:
    resource = importlib.resources.files("rubricate.rubrics").joinpath("templates", name)
    if not resource.is_file():
        raise TemplateNotFound(name)
    return resource.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    """The one sandboxed, strict Jinja environment for every prompt template."""
    from jinja2 import FunctionLoader

    return SandboxedEnvironment(
        loader=FunctionLoader(_load),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(name: str, **variables: Any) -> str:
    """Render the package template ``name`` with ``variables``.

    Raises:
        RuntimeError: the template uses a variable it was not given (a bug in this module);
            the message lists the names it was given.
    """
    template = environment().get_template(name)
    try:
        return template.render(**variables)
    except UndefinedError as error:
        given = ", ".join(sorted(variables))
        raise RuntimeError(f"template {name}: {error.message} (given: {given})") from error


def signed(weight: float) -> str:
    """A weight with its sign: ``+0.15``, ``-0.2``, ``0``."""
    from rubricate.rubrics.compile.formula import number

    text = number(weight)
    return "+" + text if weight > 0 else text


def task_text(rubric: Rubric) -> str:
    """The task as the judge sees it: the rubric's own, or the item's ``task`` field."""
    return neutralise(rubric.task) if rubric.task is not None else ITEM_TASK


def _levels(criterion: Criterion) -> list[dict[str, Any]]:
    levels = criterion.levels or {}
    return [{"value": k, "text": neutralise(levels[k])} for k in sorted(levels)]


def verdict_text(criterion: Criterion, verdict: bool | int) -> str:
    """An expected verdict as the judge's result: ``1``/``0`` or a level number."""
    if isinstance(verdict, bool):
        return "1" if verdict else "0"
    return str(verdict)


def criterion_examples(rubric: Rubric, criterion: Criterion) -> list[dict[str, str]]:
    """The few-shot examples whose verdicts concern ``criterion``, with the expected result."""
    out = []
    for example in rubric.examples:
        if example.verdicts is not None and criterion.id in example.verdicts:
            result = verdict_text(criterion, example.verdicts[criterion.id])
            out.append(
                {"tier": example.tier, "answer": quote_example(example.answer), "result": result}
            )
    return out


def criterion_messages(rubric: Rubric, criterion: Criterion) -> list[dict[str, str]]:
    """The system and user messages that judge one criterion."""
    levels = _levels(criterion)
    view = {
        "id": criterion.id,
        "text": neutralise(criterion.text or ""),
        "weight": signed(criterion.weight),
        "penalty": criterion.weight < 0,
        "levels": levels,
        "max_level": criterion.max_level,
    }
    hint = f"<an integer from 0 to {criterion.max_level}>" if levels else "<1 or 0>"
    common = {
        "criterion": view,
        "has_reference": rubric.reference is not None,
        "reference": neutralise(rubric.reference or ""),
        "tags": _tags(),
    }
    system = render(
        "criterion_system.j2",
        **common,
        examples=criterion_examples(rubric, criterion),
        result_hint=hint,
    )
    user = render("criterion_user.j2", **common, task=task_text(rubric), answer=ANSWER)
    return seal([{"role": "system", "content": system}, {"role": "user", "content": user}])


def _tracked(rubric: Rubric, path: tuple[int, ...]) -> bool:
    """True when the criterion at ``path`` or one of its groups has weight 0."""
    nodes = rubric.criteria
    for index in path:
        node = nodes[index]
        if node.weight == 0:
            return True
        nodes = node.children or []
    return False


def _holistic_lines(rubric: Rubric) -> list[dict[str, Any]]:
    from rubricate.rubrics.compile.describe import describe_check

    lines = []
    for path, node in rubric.walk():
        if _tracked(rubric, path):
            continue
        text = node.text
        if node.check is not None:
            check = describe_check(node)
            text = f"{text} (Precondition: {check}.)" if text else check[0].upper() + check[1:]
        label = node.id + (" (group)" if node.is_group else "")
        lines.append(
            {
                "indent": "    " * (len(path) - 1),
                "label": label,
                "weight": signed(node.weight),
                "text": neutralise(text) if text else "",
                "levels": _levels(node),
            }
        )
    return lines


def _verdict_word(criterion: Criterion | None, verdict: bool | int) -> str:
    if not isinstance(verdict, bool):
        return f"level {verdict}"
    if criterion is not None and criterion.weight < 0:
        return "present" if verdict else "absent"
    return "met" if verdict else "not met"


def _example_view(rubric: Rubric, example: Example) -> dict[str, Any]:
    from rubricate.rubrics.scoring import score

    verdicts = None
    if example.verdicts:
        by_id = {c.id: c for c in rubric.leaves()}
        verdicts = ", ".join(
            f"{k}: {_verdict_word(by_id.get(k), v)}" for k, v in example.verdicts.items()
        )
    expected = example.score
    if expected is None and rubric.criteria and example.verdicts is not None:
        if {c.id for c in rubric.leaves()} == set(example.verdicts):
            expected = round(score(rubric, example.verdicts), 4)
    return {
        "tier": example.tier,
        "answer": quote_example(example.answer),
        "verdicts": verdicts,
        "score": None if expected is None else f"{expected:g}",
    }


def holistic_messages(rubric: Rubric) -> list[dict[str, str]]:
    """The system and user messages of a holistic judge that scores the whole rubric."""
    import math

    from rubricate.rubrics.compile.formula import number

    low, high = rubric.score.range
    item_criteria = None
    if rubric.item_criteria is not None:
        item_criteria = "{{ item." + rubric.item_criteria + " }}"
    positive = math.fsum(c.weight for c in rubric.criteria if c.weight > 0)
    common = {
        "has_reference": rubric.reference is not None,
        "reference": neutralise(rubric.reference or ""),
        "item_criteria": item_criteria,
        "tags": _tags(),
    }
    system = render(
        "holistic_system.j2",
        **common,
        title=neutralise(rubric.title).replace('"', "'"),
        low=number(low),
        high=number(high),
        criteria=_holistic_lines(rubric),
        has_groups=any(c.is_group for _, c in rubric.walk()),
        positive_weight=number(positive),
        examples=[_example_view(rubric, e) for e in rubric.examples],
    )
    user = render("holistic_user.j2", **common, task=task_text(rubric), answer=ANSWER)
    return seal([{"role": "system", "content": system}, {"role": "user", "content": user}])
