"""promptfoo: a config whose assertion runs rubricate's grader, and that assertion at run time.

promptfoo's python assertion API (promptfoo docs, "Python assertions", *External .py*): an
assertion ``{type: python, value: file://script.py}`` calls ``get_assert(output, context)``
in that file, where ``context`` holds ``prompt``, ``vars`` (the test's variables), ``test``
and ``config`` (the assertion's ``config``); it returns a bool, a float, or a GradingResult
dict: ``pass``, ``score``, ``reason``, optional ``namedScores`` (shown as metrics) and
``componentResults`` (nested GradingResults). An assertion that raises fails with its message
as the reason. Chat prompts (promptfoo docs, "Chat conversations"): a prompt file holding
``{{ messages | dump }}`` sends the test's ``messages`` variable as the conversation.

The bundle (``rubricate export promptfoo RUBRIC --out DIR``, :func:`promptfoo_files`):

- ``grader.json``: the exact bytes ``rubricate compile`` writes;
- ``rubricate_assert.py``: ``get_assert`` over :class:`PromptfooAssertion`;
- ``prompt.json``: ``{{ messages | dump }}``;
- ``promptfooconfig.yaml``: the providers to compare, the prompt, the python assertion in
  ``defaultTest`` with ``config.pass_threshold``, ``defaultTest.options.disableVarExpansion``,
  and one test per item of the rubric's ``items.jsonl`` (or ``--items``): ``vars.item`` = the
  item exactly as in the file, ``vars.messages`` = the prompt built exactly as an RFT row's
  (:func:`rubricate.datasets.rft_rows.build_row`: the item's own messages, else the rubric's task
  rendered for it), so the model under test sees the prompt a training job shows;
- ``README.md``.

What the real promptfoo (0.123) does to test variables, and why the config is shaped so:

- a variable holding a list of strings becomes one test per element (``domains: [a, b, c]``:
  three tests, each graded against one label) unless ``disableVarExpansion`` is set;
- a top-level string variable loses a trailing newline, has ``{{ other_var }}`` filled in, and
  is read from disk when it starts with ``file://`` (run as code for ``.py``/``.js``) or loaded
  as a package when it starts with ``package:``: the item is therefore one variable, an object,
  which promptfoo passes through untouched;
- when the config is loaded, every ``{{ env.NAME }}`` anywhere in it is filled in from the
  environment (an item could put ``OPENAI_API_KEY`` in front of the model) and every JSON
  ``$ref`` is resolved: :func:`check_item` refuses such items at export, naming the line.

At run time (:class:`PromptfooAssertion`, public as ``rubricate.rewards.PromptfooAssertion``,
grading through the public :class:`rubricate.Grader`): ``item`` = ``context["vars"]["item"]``
(a test written by hand without ``item`` is graded with its vars as the item), ``sample`` = the
output text (an output promptfoo already parsed as JSON is dumped back to text). ``pass`` is
``score >= pass_threshold`` (the assertion's ``config.pass_threshold``, else the rubric's
``pass_threshold``, else 0.5 with a warning at export). Sub-grader rewards become
``namedScores`` and ``componentResults`` (whose ``pass`` only says the sub-grader ran: the rubric
decides through the top-level score); each component's reason carries the judge's conclusion.
A grade that errors raises :class:`~rubricate.export.rewards.common.UnscoredRewardError`: promptfoo
turns an exception in a python assertion into a failed test (whatever the threshold) whose
reason is the error ("... could not be graded (model_grader_server_error: 1) ..."), with no
named scores. promptfoo records a score of 0 for every assertion that raised (its rule, not a
grade): read the reason, not the score, of a failed test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from rubricate.api import Grader
from rubricate.errors import ExportError
from rubricate.export.rewards.common import UnscoredRewardError, as_grader, error_summary
from rubricate.judge.records import GradeRecord
from rubricate.judge.sample import make_sample

DEFAULT_THRESHOLD = 0.5
PROMPT_TEMPLATE = "{{ messages | dump }}\n"
REASON_CHARS = 400


_ENV_TEMPLATE = re.compile(r"\{\{(?:[^}]|\}(?!\}))*\benv(?:\.|\[)(?:[^}]|\}(?!\}))*\}\}")
"""promptfoo's pattern for the ``{{ env.NAME }}`` it fills in when loading a config."""


def _promptfoo_hazard(value: Any, path: str) -> str | None:
    """Where in ``value`` promptfoo would rewrite it when loading the config, if anywhere."""
    stack = [(value, path)]
    while stack:
        current, where = stack.pop()
        if isinstance(current, str):
            if _ENV_TEMPLATE.search(current):
                return f"{where} holds '{{{{ env... }}}}', which promptfoo fills in from the env"
        elif isinstance(current, Mapping):
            if "$ref" in current:
                return f"{where} has a \"$ref\" key, which promptfoo resolves as a JSON reference"
            stack.extend((v, f"{where}.{k}") for k, v in current.items())
        elif isinstance(current, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(current))
    return None


def check_item(item: Mapping[str, Any], messages: Any, where: str) -> None:
    """Refuse an item that promptfoo would change when loading the config (see the module
    docstring).

    Raises:
        ExportError: naming the file and line, the field, and what to do.
    """
    problem = _promptfoo_hazard(dict(item), "item") or _promptfoo_hazard(messages, "messages")
    if problem:
        raise ExportError(
            f"{where}: {problem}, so promptfoo would not grade this item as written; remove it "
            "from the item (or grade these items with rubricate grade)"
        )


def item_from_vars(variables: Any) -> dict[str, Any]:
    """The grader's item of a promptfoo test: ``vars.item``, else the vars themselves."""
    if not isinstance(variables, Mapping):
        return {}
    item = variables.get("item")
    return dict(item) if isinstance(item, Mapping) else dict(variables)


def _conclusion(record: GradeRecord, name: str) -> str | None:
    """The judge's last conclusion (or explanation) for sub-grader ``name``, shortened."""
    for call in reversed(record.calls):
        if call.grader.split(".")[-1] != name and call.grader != name:
            continue
        steps = call.steps or []
        text = next((str(s.get("conclusion") or "") for s in reversed(steps) if s), "") or None
        if text is None and call.raw:
            text = call.raw
        if text:
            text = " ".join(text.split())
            return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 3] + "..."
    return None


def grading_result(record: GradeRecord, grader_name: str, threshold: float) -> dict[str, Any]:
    """promptfoo's GradingResult for a scored record (pure)."""
    reward = record.reward
    passed = reward >= threshold
    reason = f"{grader_name}: {reward:.4g} {'>=' if passed else '<'} pass threshold {threshold:g}"
    if record.clipped:
        reason += f" (clipped to the range: {', '.join(record.clipped)})"
    components = []
    for name, value in record.sub_rewards.items():
        part = f"{name}: {value:.4g}"
        said = _conclusion(record, name)
        components.append(
            {"pass": True, "score": value, "reason": f"{part}: {said}" if said else part}
        )
    result: dict[str, Any] = {"pass": passed, "score": reward, "reason": reason}
    if record.sub_rewards:
        result["namedScores"] = dict(record.sub_rewards)
        result["componentResults"] = components
    return result


def output_text(output: Any) -> str:
    """The output as text (promptfoo may hand over JSON it already parsed)."""
    if isinstance(output, str):
        return output
    return json.dumps(output, ensure_ascii=False)


class PromptfooAssertion:
    """The grader as a promptfoo python assertion (see the module docstring).

    Args:
        grader: a :class:`rubricate.Grader` (``rubricate.load_grader(...)``), or grader JSON
            (then graded by ``rubricate.load_grader(grader)``, configured from the environment).
        pass_threshold: the default threshold (an assertion's ``config.pass_threshold`` wins).
    """

    def __init__(
        self, grader: Grader | Mapping[str, Any], pass_threshold: float = DEFAULT_THRESHOLD
    ) -> None:
        self.grader = as_grader(grader)
        self.pass_threshold = pass_threshold

    def __call__(self, output: Any, context: Mapping[str, Any] | None) -> dict[str, Any]:
        """Grade one output; raises :class:`UnscoredRewardError` when the grade errors."""
        context = context or {}
        variables = context.get("vars") or {}
        config = context.get("config") or {}
        threshold = float(config.get("pass_threshold", self.pass_threshold))
        item = item_from_vars(variables)
        record = self.grader.score(item, make_sample(output_text(output)))
        if not record.scored:
            raise UnscoredRewardError(f"{error_summary([record], 1)}: {record.error}")
        name = str(self.grader.json.get("name") or self.grader.json.get("type"))
        return grading_result(record, name, threshold)
