"""Code-execution scorers: a python sub-grader's source with Gemini's entry point added.

Gemini's contract (REST reference, ``ReinforcementTuningCodeExecutionRewardScorer``): the
snippet defines ``def evaluate(example: dict[str, Any], response: dict[str, Any]) -> float``;
``example`` is the dataset line in ProtoJSON (camel case; ``references`` included),
``response`` a ``Content`` (``{"role", "parts": [{"text"}, ...]}``, as the online prediction
response); the returned reward is clipped to [-1, 1]. The snippet runs in a sandbox without
internet.

The snippet is the compiled python sub-grader's ``source`` **verbatim** (the bytes the
calibrated grader runs: the rubric's own ``grade(sample, item)`` or the embedded checklib),
followed by an adapter that builds ``sample`` and ``item`` as rubricate's runtime does and
calls it:

- ``item`` = the example's references decoded (:mod:`.references`);
- ``sample["output_text"]`` = the text of the response's parts, concatenated, leaving out
  parts marked ``"thought": true`` (Gemini's thought summaries are not the answer; the
  reference does not say which parts ``response`` holds, so this is our choice),
  ``output_json`` only when that whole text is JSON (NaN/Infinity refused), ``output_tools``
  empty, exactly as :func:`rubricate.judge.sample.make_sample`;
- the reward is ``SIGN * float(grade(sample, item))``: SIGN is -1 for a penalty check (the
  composite adds it with a positive weight; see :mod:`.scorers`).

A source that already defines ``evaluate`` or a name starting with ``_rubricate`` at top level
cannot take the adapter (:func:`adapter_clash`).
"""

from __future__ import annotations

import ast

from rubricate.export.gemini.references import DECODE_SOURCE

_SAMPLE_SOURCE = """
def _rubricate_reject(name):
    raise ValueError(name + " is not JSON")


def _rubricate_sample(response):
    import json
    parts = response.get("parts") or []
    text = "".join(
        p.get("text", "") for p in parts if isinstance(p, dict) and not p.get("thought")
    )
    sample = {"output_text": text}
    try:
        sample["output_json"] = json.loads(text, parse_constant=_rubricate_reject)
    except (ValueError, RecursionError):
        pass
    sample["output_tools"] = []
    return sample
"""


def adapter_clash(source: str) -> str | None:
    """Why ``source`` cannot take the adapter (a name it would shadow), or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return f"the python source does not parse ({error.msg})"
    for node in tree.body:
        names: list[str] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        for name in names:
            if name == "evaluate" or name.startswith("_rubricate"):
                return f"the python source defines {name!r}, which Gemini's entry point needs"
    return None


def code_snippet(source: str, sign: int = 1) -> str:
    """The ``pythonCodeSnippet`` running ``source``'s ``grade(sample, item)`` for Gemini."""
    adapter = (
        "\n\n# --- rubricate: Gemini's entry point, evaluate(example, response) -> float ---"
        + DECODE_SOURCE
        + _SAMPLE_SOURCE
        + "\n\ndef evaluate(example, response):\n"
        + f"    return {sign} * float(grade(_rubricate_sample(response), "
        + "_rubricate_item(example)))\n"
    )
    return source.rstrip("\n") + "\n" + adapter
