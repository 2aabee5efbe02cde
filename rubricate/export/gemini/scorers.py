"""The composite reward config compiled from a rubric's ``multi`` grader (pure, no IO).

Gemini's total reward (REST reference, ``CompositeReinforcementTuningRewardConfig
WeightedRewardConfig.weight``) is ``(w_a * r_a + w_b * r_b + ...) / (w_a + w_b + ...)``, every
single reward clipped to [-1, 1]. The rubric's score is ``(sum of w_i * s_i) / P`` (P the sum
of positive weights), groups are weighted means clipped to [0, 1], the total is clipped to
``score.range``. One scorer per sub-grader, named as the sub-grader (``rewardName``), with
the criterion's *effective* weight (its weight over its siblings' positive sum, times its
group's effective weight); with no penalty these sum to 1 and the composite **is** the
rubric's score. Per sub-grader:

============================  =================================================================
sub-grader                    scorer
============================  =================================================================
``python`` (every check but   ``codeExecutionRewardScorer``: its source verbatim plus
single-text ``contains``)     Gemini's ``evaluate`` (:mod:`.snippet`). Exact.
``string_check`` ``like``     ``stringMatchRewardScorer`` ``PARTIAL_MATCH`` ("true if
of the answer                 expression is a substring of the target"), rewards 1 / 0, the
                              reference's ``{{ item.k }}`` as ``{{references.k}}`` (the same
                              text: :mod:`.references`). Exact. (``ilike`` is not
                              ``REGEX_CONTAINS (?i)``: RE2 folds case beyond ``str.lower``,
                              e.g. ``s`` matches ``ſ``; it takes the code path.)
other ``string_check``        ``codeExecutionRewardScorer`` running the string check as
                              rubricate's runtime does (:func:`.snippet.string_check_source`;
                              Gemini's JSON match does not document how non-string values
                              compare, so it is not used). Exact.
``score_model`` (a judged     ``autoraterScorer``: ``autoraterPrompt`` = the compiled system
binary criterion)             message, a blank line, the user message, with ``{{ sample.
                              output_text }}`` -> ``{{response}}`` and ``{{ item.k }}`` ->
                              ``{{references.k}}``; the reply's last ``"result": <number>``
                              is extracted (``REGEX_EXTRACT``, :data:`RESULT_REGEX`) and
                              converted to the reward (``parsedResponseConversionScorer``).
============================  =================================================================

A grader that is not a ``multi`` is one scorer of weight 1: the ``python`` target a code
scorer, the ``score_model`` target (holistic, per-item criteria) an autorater whose result is
the reward (exact on the range [0, 1]; Gemini clips to [-1, 1]).

What has no exact equivalent, and what the composite does instead (each listed in
:attr:`Compiled.inexact`, the manifest and the bundle README):

- a **penalty** (negative weight): a scorer whose reward is -1 when the behaviour is present
  (a check's snippet returns ``-grade``; a judge's reply ``1`` is matched by
  ``exactMatchScorer`` with ``correctAnswerReward`` -1, ``wrongAnswerReward`` 0) and a positive
  weight. Gemini then divides by P + N (N the penalties' effective weights) where the rubric
  divides by P, and never clips at 0: the composite is ``P / (P + N)`` times the rubric's
  unclipped score. (A negative weight would restore the denominator, but the reference does
  not say negative weights are accepted.) Exact matches compare the result's integer part
  (:data:`INTEGER_REGEX`: a reply ``1.0`` is ``1``), so a fractional result (``0.5``, which
  the calibrated runtime scores as 0.5) counts as its integer part.
- a **gate** (a criterion with a check and text, ``gate * judge``): the composite is linear, so
  the check and the judge become two scorers with half the weight each; equal to the rubric
  when both agree, half the criterion's weight off when they differ.
- **levels** (``0..L``, reward ``level / L``): one autorater call yields one reward, and
  ``parsedResponseConversionScorer`` clips at 1, so ``exactMatchScorer`` matches the top level
  ``L`` (reward 1, else 0): level ``k < L`` scores 0 instead of ``k / L``.
- a **group** holding a penalty: the group's clip to [0, 1] is not applied.
- ``score.range`` other than [0, 1]: the composite cannot shift and stretch the total.
- the **judge model**: Gemini's autorater is a Vertex AI model (``autoraterConfig
  .autoraterModel``), not necessarily the model the rubric was calibrated with (reported by
  :mod:`.prepare`, not here).

Weight-0 (tracked) criteria are left out: they only report sub-rewards, and the reference does
not say a weight of 0 is accepted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from rubricate.export.gemini.snippet import adapter_clash, code_snippet, string_check_source
from rubricate.judge.template import TemplateError, parse_reference
from rubricate.rubrics.compile.names import gate_name, subgrader_plan
from rubricate.rubrics.model import Criterion, Rubric

RESULT_REGEX = r'"result"\s*:\s*(-?[0-9]+(?:\.[0-9]+)?)'
"""Extracts the judge's result from its reply (RE2 and Python read it alike; the platform
returns the last match)."""
INTEGER_REGEX = r'"result"\s*:\s*(-?[0-9]+)'
"""The integer part of the result, for ``exactMatchScorer`` (so ``1.0`` matches ``1``)."""

_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


@dataclass(frozen=True)
class Scorer:
    """One weighted reward of the composite.

    Attributes:
        name: ``rewardName``: the sub-grader's name.
        kind: ``code``, ``string_match``, ``autorater`` or ``cloud_run``.
        weight: the weight in the composite.
        config: the ``SingleReinforcementTuningRewardConfig``.
        judged: a model gives this reward.
        to_sub_reward: multiply the scorer's reward by this to compare it with the calibrated
            sub-reward (-1 for a penalty, ``L`` for levels).
    """

    name: str
    kind: str
    weight: float
    config: dict[str, Any]
    judged: bool
    to_sub_reward: float = 1.0


@dataclass
class Compiled:
    """The composite, and everything in it that is not the rubric's reward exactly."""

    scorers: list[Scorer] = field(default_factory=list)
    inexact: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    """Sub-graders no scorer can express; only the Cloud Run fallback grades them."""
    omitted: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    """For the Cloud Run fallback: why the composite was not used."""

    @property
    def exact(self) -> bool:
        return not self.inexact and not self.unsupported

    def composite(self) -> dict[str, Any]:
        """The ``compositeRewardConfig``."""
        return {
            "weightedRewardConfigs": [
                {"rewardConfig": s.config, "weight": s.weight} for s in self.scorers
            ]
        }


def translate_prompt(text: str) -> str:
    """An OpenAI grader template as a Gemini autorater template.

    Raises:
        ValueError: a reference has no Gemini placeholder (anything but ``sample.output_text``
            and a top-level ``item.key``).
    """

    def swap(match: re.Match[str]) -> str:
        try:
            ref = parse_reference(match.group(1))
        except TemplateError as error:
            raise ValueError(error.msg) from None
        if ref.namespace == "sample" and ref.path == ("output_text",):
            return "{{response}}"
        if ref.namespace == "item" and len(ref.path) == 1 and isinstance(ref.path[0], str):
            return "{{references." + ref.path[0] + "}}"
        raise ValueError(f"{{{{ {ref.text} }}}} has no Gemini placeholder")

    return _TEMPLATE.sub(swap, text)


def autorater_prompt(judge: dict[str, Any]) -> str:
    """The compiled judge's messages as one autorater prompt (see the module docstring)."""
    texts = [str(m["content"]) for m in judge["input"]]
    return translate_prompt("\n\n".join(texts))


def _autorater(judge: dict[str, Any], model: str, match: str | None, hit: float) -> dict:
    scorer: dict[str, Any] = {
        "autoraterConfig": {"autoraterModel": model, "samplingCount": 1},
        "autoraterPrompt": autorater_prompt(judge),
        "autoraterResponseParseConfig": {
            "parseType": "REGEX_EXTRACT",
            "regexExtractExpression": RESULT_REGEX if match is None else INTEGER_REGEX,
        },
    }
    if match is None:
        scorer["parsedResponseConversionScorer"] = {}
    else:
        scorer["exactMatchScorer"] = {
            "expression": match,
            "correctAnswerReward": hit,
            "wrongAnswerReward": 0.0,
        }
    return {"rewardName": judge["name"], "autoraterScorer": scorer}


def _string_match(grader: dict[str, Any], sign: int) -> dict[str, Any] | None:
    if grader.get("input") != "{{ sample.output_text }}" or grader["operation"] != "like":
        return None
    try:
        reference = translate_prompt(grader.get("reference", ""))
    except ValueError:
        return None
    if "{{response}}" in reference:
        return None
    return {
        "rewardName": grader["name"],
        "stringMatchRewardScorer": {
            "stringMatchExpression": {"matchOperation": "PARTIAL_MATCH", "expression": reference},
            "correctAnswerReward": float(sign),
            "wrongAnswerReward": 0.0,
        },
    }


def _code(out: Compiled, name: str, source: str, weight: float, sign: int) -> None:
    clash = adapter_clash(source)
    if clash is not None:
        out.unsupported.append(f"{name}: {clash}")
        return
    config = {
        "rewardName": name,
        "codeExecutionRewardScorer": {"pythonCodeSnippet": code_snippet(source, sign)},
    }
    out.scorers.append(Scorer(name, "code", weight, config, False, float(sign)))


def _check(out: Compiled, grader: dict[str, Any], weight: float, sign: int) -> None:
    name = grader["name"]
    if grader["type"] == "python":
        _code(out, name, grader["source"], weight, sign)
        return
    match = _string_match(grader, sign) if grader["type"] == "string_check" else None
    if match is not None:
        out.scorers.append(Scorer(name, "string_match", weight, match, False, float(sign)))
        return
    source = string_check_source(grader) if grader["type"] == "string_check" else None
    if source is None:
        out.unsupported.append(
            f"{name}: a {grader['type']} sub-grader has no Gemini scorer of the same meaning"
        )
        return
    _code(out, name, source, weight, sign)


def _judge(
    out: Compiled, criterion: Criterion, judge: dict, weight: float, sign: int, model: str
) -> None:
    name = judge["name"]
    try:
        if criterion.levels:
            top = criterion.max_level
            config = _autorater(judge, model, str(top), float(sign))
            out.inexact.append(
                f"{name}: levels 0..{top} (reward level/{top}); Gemini's autorater gives one "
                f"reward per reply, so only level {top} scores (exactMatchScorer), level k < "
                f"{top} scores 0 instead of k/{top}"
            )
            factor = float(sign * top)
        elif sign < 0:
            config = _autorater(judge, model, "1", -1.0)
            factor = -1.0
        else:
            config = _autorater(judge, model, None, 1.0)
            factor = 1.0
    except ValueError as error:
        out.unsupported.append(f"{name}: the judge prompt cannot be an autorater prompt: {error}")
        return
    out.scorers.append(Scorer(name, "autorater", weight, config, True, factor))


def _positive(nodes: list[Criterion]) -> float:
    return math.fsum(n.weight for n in nodes if n.weight > 0)


def compile_composite(rubric: Rubric, grader: dict[str, Any], autorater_model: str) -> Compiled:
    """The composite of ``grader`` (``rubric``'s compiled ``multi``; see the module docstring).

    ``autorater_model`` is the full Vertex AI model name the autorater scorers use.
    """
    out = Compiled()
    if grader.get("type") != "multi":
        return _single(grader, autorater_model)
    subs = grader["graders"]
    names = {(cid, role): name for cid, name, role in subgrader_plan(rubric)}
    if tuple(rubric.score.range) != (0, 1):
        lo, hi = rubric.score.range
        out.inexact.append(
            f"score.range [{lo}, {hi}]: the composite is a weighted mean of rewards in [-1, 1] "
            "and cannot map onto another range"
        )

    def visit(nodes: list[Criterion], scale: float) -> None:
        positive = _positive(nodes)
        for node in nodes:
            if node.weight == 0:
                ids = {c.id for _, c in _walk([node])}
                out.omitted += [n for (cid, _), n in names.items() if cid in ids]
                continue
            weight = scale * abs(node.weight) / positive
            sign = -1 if node.weight < 0 else 1
            if node.children is not None:
                if any(c.weight < 0 for _, c in _walk(node.children)):
                    out.inexact.append(
                        f"group {node.id}: holds a penalty, and Gemini does not clip the "
                        "group's score to [0, 1]"
                    )
                if sign < 0:
                    out.inexact.append(f"group {node.id}: a negative group weight")
                visit(node.children, weight)
                continue
            if sign < 0:
                out.inexact.append(
                    f"{node.id}: a penalty (weight {node.weight:g}); Gemini divides by the sum "
                    "of all weights, the rubric by the positive ones, and Gemini does not clip "
                    "the total at 0"
                )
            kind = node.kind
            if kind == "check":
                _check(out, subs[names[node.id, "check"]], weight, sign)
            elif kind == "judged":
                _judge(out, node, subs[names[node.id, "judge"]], weight, sign, autorater_model)
            else:
                judge_name = names[node.id, "judge"]
                out.inexact.append(
                    f"{judge_name}: gated by its check ({gate_name(judge_name)} * "
                    f"{judge_name}); the composite adds them, half the weight each"
                )
                _check(out, subs[gate_name(judge_name)], weight / 2, sign)
                _judge(out, node, subs[judge_name], weight / 2, sign, autorater_model)

    visit(rubric.criteria, 1.0)
    return out


def _walk(nodes: list[Criterion]) -> list[tuple[int, Criterion]]:
    stack = list(nodes)
    found = []
    while stack:
        node = stack.pop()
        found.append((0, node))
        stack.extend(node.children or [])
    return found


def _single(grader: dict[str, Any], autorater_model: str) -> Compiled:
    """A grader that is not a ``multi``: the ``python`` target is one code scorer; the
    ``score_model`` target (holistic, per-item criteria) one autorater scorer whose reply is the
    reward, exact when its range is [0, 1]."""
    out = Compiled()
    name = str(grader.get("name"))
    if grader.get("type") == "python":
        _code(out, name, grader["source"], 1.0, 1)
        return out
    if grader.get("type") != "score_model":
        out.unsupported.append(f"a {grader.get('type')} grader has no Gemini scorer")
        return out
    lo, hi = grader.get("range", [0, 1])
    if (lo, hi) != (0, 1):
        out.inexact.append(
            f"{name}: a holistic score on [{lo}, {hi}]; Gemini clips a reward to [-1, 1]"
        )
    try:
        config = _autorater(grader, autorater_model, None, 1.0)
    except ValueError as error:
        out.unsupported.append(f"{name}: the judge prompt cannot be an autorater prompt: {error}")
        return out
    out.scorers.append(Scorer(name, "autorater", 1.0, config, True))
    return out


def cloud_run_composite(name: str, uri: str) -> Compiled:
    """The fallback: one Cloud Run scorer (``rubricate serve``'s ``POST /gemini``), weight 1."""
    config = {"rewardName": name, "cloudRunRewardScorer": {"cloudRunUri": uri}}
    return Compiled(scorers=[Scorer(name, "cloud_run", 1.0, config, False)])
