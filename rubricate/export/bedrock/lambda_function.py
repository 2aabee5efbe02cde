"""The Bedrock RFT reward Lambda: ``lambda_function.lambda_handler`` (standard library only).

The contract (Amazon Bedrock User Guide, "Setting up reward functions for Amazon Nova models"
https://docs.aws.amazon.com/bedrock/latest/userguide/reward-functions.html and "... for
open-weight models" .../reward-functions-open-weight.html; SageMaker AI "Implementing reward
functions" https://docs.aws.amazon.com/sagemaker/latest/dg/nova-implementing-reward-functions.html):

- the event is a *list* of samples ``{"id", "messages", ...}``; ``messages`` is the prompt with
  the generated assistant turn appended (the last message); the row's ``reference_answer`` is
  either at the top level (SageMaker, issue text) or inside ``metadata`` with the row's other
  extra fields (Bedrock's input structure);
- the response is a list, one ``{"id", "aggregate_reward_score": <number>, "metrics_list":
  [{"name", "value": <number>, "type": "Reward" | "Metric"}]}`` per sample, same ``id``.

The item the grader reads (``{{ item.* }}``) is rebuilt from the row: ``metadata`` fields, the
row's other top-level fields, then the fields of ``reference_answer`` when it is an object
(rubricate's Bedrock rows put the whole item there, the one field every variant delivers). A
single sample object (not in a list) is answered with a single object.

Failures: the documented response has no error field and ``aggregate_reward_score`` must be a
number (the Nova Forge SDK's validator of reward Lambda output refuses anything else), so a
reward that cannot be computed is never written as a number: the handler **raises**
:class:`RewardBatchError`. Lambda then answers the invocation with ``FunctionError:
Unhandled`` and ``{"errorType": "RewardBatchError", "errorMessage": ...}``, which the RFT job
counts as a reward function error ("High percentage of reward function errors", SageMaker AI
"Monitoring RFT training", https://docs.aws.amazon.com/sagemaker/latest/dg/nova-hp-rft-monitoring.html)
instead of training on a fake 0. Transient judge failures are retried first
(:func:`lambda_runtime.ask`). Each failure is also printed as one JSON line (CloudWatch Logs).

The samples of a batch are graded concurrently (``RUBRICATE_CONCURRENCY`` at once; each
sample's parts on the runtime's own pool), and answered in the event's order.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

try:  # in lambda.zip: the runtime sits beside this module
    from lambda_runtime import RewardError, Runtime, formula_names  # type: ignore[import-not-found]
except ModuleNotFoundError as missing:  # imported from the rubricate package (tests, tools)
    if missing.name != "lambda_runtime":
        raise
    from rubricate.export.bedrock.lambda_runtime import RewardError, Runtime, formula_names

HERE = Path(__file__).resolve().parent
GRADER_FILE = HERE / "grader.json"
RESERVED = ("id", "messages", "metadata", "reference_answer")


class RewardBatchError(Exception):
    """At least one sample of the invocation has no reward (the message lists them)."""


_RUNTIME: Runtime | None = None


def runtime() -> Runtime:
    """The grader's runtime, loaded once per Lambda execution environment."""
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = Runtime(json.loads(GRADER_FILE.read_text(encoding="utf-8")))
    return _RUNTIME


def item_of(sample: dict[str, Any]) -> dict[str, Any]:
    """The grader's ``item`` namespace rebuilt from one event sample (module docstring)."""
    item: dict[str, Any] = {}
    metadata = sample.get("metadata")
    reference = sample.get("reference_answer")
    if isinstance(metadata, dict):
        item.update({k: v for k, v in metadata.items() if k != "reference_answer"})
        reference = metadata.get("reference_answer", reference)
    item.update({k: v for k, v in sample.items() if k not in RESERVED})
    if isinstance(reference, dict):
        item.update(reference)
    elif reference is not None:
        item["reference_answer"] = reference
    return item


def answer_of(sample: dict[str, Any]) -> str:
    """The generated answer: the last message, which must be the assistant's."""
    messages = sample.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        raise RewardError("the sample has no messages")
    last = messages[-1]
    if last.get("role") != "assistant":
        raise RewardError(f"the last message is {last.get('role')!r}, not the assistant's answer")
    content = last.get("content")
    if isinstance(content, list):
        texts = [p.get("text", "") for p in content if isinstance(p, dict)]
        return "".join(t for t in texts if isinstance(t, str))
    return content if isinstance(content, str) else ""


def reward_of(sample: dict[str, Any]) -> dict[str, Any]:
    """One sample's response entry.

    Raises:
        RewardError: the sample's reward could not be computed.
    """
    rt = runtime()
    result = rt.grade(item_of(sample), answer_of(sample))
    counted = formula_names(rt.grader)
    metrics = [
        {"name": name, "value": value, "type": "Reward" if name in counted else "Metric"}
        for name, value in result.parts.items()
    ]
    return {
        "id": sample.get("id"),
        "aggregate_reward_score": result.reward,
        "metrics_list": metrics,
    }


def _graded(sample: Any) -> dict[str, Any] | str:
    """The sample's response entry, or why it has none."""
    if not isinstance(sample, dict):
        return f"a sample is {type(sample).__name__}, not an object"
    try:
        return reward_of(sample)
    except RewardError as error:
        return f"id {sample.get('id')!r}: {error}"


def lambda_handler(event: Any, context: Any) -> Any:
    """Grade every sample of ``event`` (concurrently; the answer keeps the event's order);
    raise :class:`RewardBatchError` if any has no reward."""
    samples = event if isinstance(event, list) else [event]
    workers = max(1, min(len(samples), runtime().settings.concurrency))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(_graded, samples))
    failures = [r for r in results if isinstance(r, str)]
    for failure in failures:
        request = getattr(context, "aws_request_id", None)
        print(json.dumps({"rubricate_reward_error": failure, "aws_request_id": request}))
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise RewardBatchError(
            f"{len(failures)} of {len(samples)} samples have no reward: {failures[0]}{more}"
        )
    out = [r for r in results if isinstance(r, dict)]
    return out if isinstance(event, list) else out[0]
