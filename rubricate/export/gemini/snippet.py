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

A ``string_check`` sub-grader that no string-match scorer expresses exactly (``eq`` of a JSON
path, ``ilike`` of a templated reference, ...) becomes a python source too
(:func:`string_check_source`): its two templates parsed at export time by rubricate's own
parser (:func:`rubricate.judge.template.parse_reference`) and embedded as data, resolved at
grading time as :func:`rubricate.judge.template.resolve` does (object keys, list indexes, a
JSON string descended into; strings substituted as they are, anything else as ``json.dumps``
with non-ASCII kept), then :func:`rubricate.judge.graders.string_check.check`'s comparison. A
reference that does not resolve raises (the platform records an error), as the runtime's
``invalid_variable_error`` leaves the pair unscored.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from rubricate.export.gemini.references import DECODE_SOURCE
from rubricate.judge.template import TemplateError, parse_reference

_REFERENCE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)  # rubricate.judge.template's

_STRING_CHECK = '''"""A string_check sub-grader ({name}), as rubricate's runtime runs it."""
import json

INPUT = {input}
REFERENCE = {reference}
OPERATION = {operation}


def _descend(value, step):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return False, None
    if isinstance(value, dict):
        key = str(step)
        if key in value:
            return True, value[key]
        return False, None
    if isinstance(value, (list, tuple)):
        if isinstance(step, int) or (isinstance(step, str) and step.isdigit()):
            index = int(step)
            if index < len(value):
                return True, value[index]
        return False, None
    return False, None


def _render(parts, sample, item):
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        namespace, path = part
        value = item if namespace == "item" else sample
        for step in path:
            found, value = _descend(value, step)
            if not found:
                raise KeyError("template variable " + namespace + "." + str(path) + " is missing")
        out.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return "".join(out)


def grade(sample, item):
    text = _render(INPUT, sample, item)
    reference = _render(REFERENCE, sample, item)
    if OPERATION == "eq":
        return float(text == reference)
    if OPERATION == "ne":
        return float(text != reference)
    if OPERATION == "like":
        return float(reference in text)
    return float(reference.lower() in text.lower())
'''


def _template_parts(template: str) -> list[Any]:
    """A template as literal strings and ``[namespace, path]`` references (raises
    TemplateError as the runtime would)."""
    parts: list[Any] = []
    last = 0
    for match in _REFERENCE.finditer(template):
        if match.start() > last:
            parts.append(template[last : match.start()])
        ref = parse_reference(match.group(1))
        parts.append([ref.namespace, list(ref.path)])
        last = match.end()
    if last < len(template):
        parts.append(template[last:])
    return parts


def string_check_source(grader: dict[str, Any]) -> str | None:
    """A ``string_check`` sub-grader as python source (None: a template does not parse or
    the operation is unknown)."""
    if grader.get("operation") not in ("eq", "ne", "like", "ilike"):
        return None
    try:
        text, reference = (_template_parts(grader[k]) for k in ("input", "reference"))
    except (TemplateError, KeyError):
        return None
    return _STRING_CHECK.format(
        name=grader.get("name"),
        input=json.dumps(text, ensure_ascii=False),
        reference=json.dumps(reference, ensure_ascii=False),
        operation=json.dumps(grader["operation"]),
    )


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
