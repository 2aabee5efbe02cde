"""Gemini's scorers run locally, as the platform documents running them (for ``--verify``).

- **code** (``codeExecutionRewardScorer``): every ``pythonCodeSnippet`` runs in a separate
  Python process (``python -I``, no rubricate on its path, a fresh module namespace per call),
  ``evaluate(example, response)`` with the example in ProtoJSON and the response a
  ``Content``; the float returned is clipped to [-1, 1]. An exception, or a value that is not
  a number, is an error (the platform's ``errorStatus``), never a reward.
- **string match** (``stringMatchRewardScorer``): ``{{references.key}}`` in the expression is
  replaced first; ``PARTIAL_MATCH``: the expression is a substring of the target;
  ``EXACT_MATCH``: equal; ``REGEX_CONTAINS``: GoogleSQL ``REGEXP_CONTAINS`` (RE2), run here
  with Python's ``re``, which reads the expressions rubricate writes (``(?i)`` and
  backslash-escaped literals) as RE2 does. Then ``correctAnswerReward`` or
  ``wrongAnswerReward``, clipped.
- **autorater**: ``{{response}}``, ``{{references.key}}``, ``{{prompt}}`` (the prompt's text)
  and ``{{system_instruction}}`` replaced in one pass; the prompt is sent as one user message
  to the judge endpoint of the settings, with the calibrated judge's model and sampling
  parameters (so the comparison is of the prompt, not of another model), through rubricate's
  client and store. The raw reply is parsed as the platform does: ``REGEX_EXTRACT`` takes the
  first group of the *last* match (no match: an error; the reference does not say what the
  platform does), then ``parsedResponseConversionScorer`` (float, clipped) or
  ``exactMatchScorer`` (string equality).
- **composite**: ``sum(w * r) / sum(w)``; any scorer in error leaves the answer without a
  total.

The platform reports rewards as 32-bit floats (``ReinforcementTuningRewardInfo.reward``:
``format: float``); this module computes in double precision, as the snippets return them.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

Outcome = tuple[float | None, str | None]
"""A reward, or ``(None, why not)``."""

_PLACEHOLDER = re.compile(
    r"\{\{\s*(response|prompt|system_instruction|references\.[^{}\s]+)\s*\}\}"
)

_RUNNER = r"""
import json, math, sys, traceback
job = json.load(sys.stdin)
codes = {n: compile(s, "<pythonCodeSnippet " + n + ">", "exec") for n, s in job["snippets"].items()}
out = []
for case in job["cases"]:
    row = {}
    for name, code in codes.items():
        ns = {"__name__": "__main__"}
        try:
            exec(code, ns)
            value = ns["evaluate"](case[0], case[1])
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError("evaluate returned %r, not a float" % (value,))
            if not math.isfinite(value):
                raise ValueError("evaluate returned %r" % (value,))
            row[name] = [float(value), None]
        except BaseException as error:
            row[name] = [None, type(error).__name__ + ": " + str(error)[:300]]
    out.append(row)
json.dump(out, sys.stdout)
"""


def clip(value: float) -> float:
    """Gemini's clip of every single reward: ``max(min(reward, 1.0), -1.0)``."""
    return max(min(value, 1.0), -1.0)


def run_code_scorers(
    snippets: Mapping[str, str], cases: Sequence[tuple[dict, dict]], *, timeout: float = 600
) -> list[dict[str, Outcome]]:
    """Each snippet on each ``(example, response)`` case, in one separate process."""
    if not snippets or not cases:
        return [{} for _ in cases]
    payload = json.dumps({"snippets": dict(snippets), "cases": [list(c) for c in cases]})
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", _RUNNER],
            input=payload,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        why = f"the code scorers did not finish in {timeout:g} s"
        return [{n: (None, why) for n in snippets} for _ in cases]
    if done.returncode != 0:
        why = f"the code scorer process failed: {done.stderr.strip()[-300:]}"
        return [{n: (None, why) for n in snippets} for _ in cases]
    rows = json.loads(done.stdout)
    return [
        {n: ((clip(v), None) if v is not None else (None, e)) for n, (v, e) in row.items()}
        for row in rows
    ]


def substitute(text: str, variables: Mapping[str, str]) -> str:
    """Replace Gemini's placeholders in one pass (a missing one raises KeyError)."""

    def swap(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in variables:
            raise KeyError(f"{{{{{key}}}}} has no value for this example")
        return variables[key]

    return _PLACEHOLDER.sub(swap, text)


def variables(example: Mapping[str, Any], response_text: str) -> dict[str, str]:
    """The placeholder values of one example and response."""
    out = {f"references.{k}": str(v) for k, v in (example.get("references") or {}).items()}
    out["response"] = response_text
    out["prompt"] = "\n".join(
        str(p.get("text", "")) for c in example.get("contents", []) for p in c.get("parts", [])
    )
    system = example.get("systemInstruction") or {}
    out["system_instruction"] = "\n".join(str(p.get("text", "")) for p in system.get("parts", []))
    return out


def _matches(expression: Mapping[str, Any], target: str, values: Mapping[str, str]) -> bool:
    pattern = substitute(str(expression.get("expression", "")), values)
    operation = expression.get("matchOperation")
    if operation == "PARTIAL_MATCH":
        return pattern in target
    if operation == "EXACT_MATCH":
        return pattern == target
    if operation == "REGEX_CONTAINS":
        return re.search(pattern, target) is not None
    raise ValueError(f"matchOperation {operation!r} is not run here")


def string_match(config: Mapping[str, Any], target: str, values: Mapping[str, str]) -> Outcome:
    """A ``stringMatchRewardScorer``'s reward for ``target`` (the parsed response)."""
    if "stringMatchExpression" not in config:
        return None, "only stringMatchExpression is run here (jsonMatchExpression is not)"
    try:
        hit = _matches(config["stringMatchExpression"], target, values)
    except (KeyError, ValueError, re.error) as error:
        return None, str(error)
    return clip(float(config.get("correctAnswerReward" if hit else "wrongAnswerReward", 0.0))), None


def parse_autorater(config: Mapping[str, Any], reply: str, values: Mapping[str, str]) -> Outcome:
    """The reward an ``autoraterScorer`` gives for the autorater's ``reply``."""
    parse = config.get("autoraterResponseParseConfig") or {}
    parsed = reply
    if parse.get("parseType") == "REGEX_EXTRACT":
        found = list(re.finditer(parse.get("regexExtractExpression", ""), reply))
        if not found:
            return None, "the autorater's reply has no match of the extraction regex"
        last = found[-1]
        parsed = last.group(1) if last.re.groups else last.group(0)
    if "exactMatchScorer" in config:
        scorer = config["exactMatchScorer"]
        try:
            hit = parsed == substitute(str(scorer.get("expression", "")), values)
        except KeyError as error:
            return None, str(error)
        key = "correctAnswerReward" if hit else "wrongAnswerReward"
        return clip(float(scorer.get(key, 0.0))), None
    try:
        value = float(parsed)
    except ValueError:
        return None, f"the parsed reply {parsed[:40]!r} is not a number"
    if not math.isfinite(value):
        return None, f"the parsed reply {parsed!r} is not a finite number"
    return clip(value), None


def composite(rewards: Sequence[tuple[float, Outcome]]) -> Outcome:
    """``sum(w * r) / sum(w)`` of ``(weight, outcome)`` pairs; the first error wins."""
    for _, (_, error) in rewards:
        if error is not None:
            return None, error
    total = math.fsum(w for w, _ in rewards)
    if total == 0:
        return None, "the weights sum to 0"
    return math.fsum(w * r for w, (r, _) in rewards if r is not None) / total, None
