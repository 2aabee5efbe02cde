"""One baseline sample as text: what the Text and Reasoning tabs show. No UI here.

- :func:`sample_header`: which sample, its reward (or why it is unscored), tokens, latency;
- :func:`sample_text`: the model's reply (or why there is none), after the prompt it answered
  when asked;
- :func:`sample_reasoning`: the grader's calls on the sample (about one criterion, or all).
"""

from __future__ import annotations

from typing import Any

from rubricate.calibration.baseline.run_dir import SampleLine
from rubricate.tui.review.baseline_data import BaselineData, ModelStats
from rubricate.tui.review.baseline_matrix import SampleColumn
from rubricate.tui.review.data import fmt
from rubricate.tui.review.reasoning import reasoning_criterion, reasoning_text


def _stats(data: BaselineData, item_id: str, model: str) -> ModelStats | None:
    row = data.row(item_id)
    return row.stats(model) if row is not None else None


def sample_header(
    data: BaselineData, item_id: str, column: SampleColumn, line: SampleLine | None
) -> str:
    """``item · model sample #i · reward 0.48`` (or ``UNSCORED: why``), then the usage."""
    stats = _stats(data, item_id, column.model)
    where = f"item {item_id} · {column.model} sample #{column.sample}"
    score = "no grade"
    if stats is not None and column.sample < len(stats.scores):
        error = stats.errors[column.sample]
        if error is not None:
            score = f"UNSCORED (not 0): {error}"
        else:
            score = f"reward {fmt(stats.scores[column.sample])}"
    head = f"{where} · {score}"
    if line is None or line.generation is None:
        return head
    usage = line.generation.usage
    parts = [f"{usage.output_tokens} output tokens ({usage.reasoning_tokens} reasoning)"]
    if line.latency_s is not None:
        parts.append(f"{line.latency_s:.2f} s")
    if line.generation.cached:
        parts.append("replayed from the store")
    return head + "\n" + " · ".join(parts)


def _failure(line: SampleLine) -> str:
    """Why a sample has no text (without a final full stop)."""
    why = line.generation.error if line.generation is not None else None
    return (why or "the generation failed").rstrip(". ")


def _messages(messages: list[dict[str, Any]]) -> str:
    out = []
    for message in messages:
        content = message.get("content")
        out.append(f"[{message.get('role')}]\n{content if isinstance(content, str) else content}")
    return "\n\n".join(out)


def sample_text(line: SampleLine | None, *, prompt: bool = False) -> str:
    """The sample's reply (with the prompt it answered first when ``prompt``)."""
    if line is None:
        return "This sample is not in records.jsonl (the run may have stopped before it)."
    if line.text is not None:
        body = line.text or "(the reply is empty)"
    else:
        body = f"No sample: {_failure(line)}. It is unscored, not 0."
    if prompt and line.generation is not None:
        return f"{_messages(line.generation.messages)}\n\n── the reply\n{body}"
    return body


def sample_reasoning(
    line: SampleLine | None,
    names: dict[str, str],
    criterion: str | None,
    *,
    prompt: bool = False,
) -> str:
    """The grader's calls on one sample (about ``criterion`` when given), as text."""
    if line is None or line.record is None:
        return "No record of this sample (records.jsonl is missing or does not hold it)."
    if line.text is None:
        return f"Nothing was graded: {_failure(line)}. The sample is unscored, not 0."
    text = reasoning_text(
        [(line.sample, line.record)],
        names,
        reasoning_criterion(criterion),
        prompt=prompt,
        unit="sample",
    )
    if not line.record.scored and line.record.error:
        text = f"Unscored (not 0): {line.record.error}\n\n{text}"
    return text
