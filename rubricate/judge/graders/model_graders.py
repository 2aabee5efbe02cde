"""``score_model`` and ``label_model``: render the messages, ask the judge, parse its verdict.

Platform semantics (graders guide, "Score model graders"; API reference): ``input`` is a list
of messages (``role`` system/developer/user/assistant; ``content`` a string or content parts
``input_text``/``output_text``/``input_image``/``input_audio``), every text of which may hold
templates; ``sampling_params`` (``temperature``, ``top_p``, ``seed``,
``max_completions_tokens``, ``reasoning_effort``) go to the judge model; the judge answers in
a fixed structured-output format (see :mod:`rubricate.judge.graders.judge_reply`); "the
grader's output will be clipped to the given ``range``" (default ``[0, 1]``) "and defaults to
0 for all non-numeric outputs".

Here:

- text parts and string contents are rendered; an ``input_image``'s ``image_url`` too; other
  parts are passed as they are. A missing variable -> ``invalid_variable_error``, no call.
- the request is a :class:`ModelRequest` with the reply schema and the sampling parameters,
  sent with ``repeat`` so repeats are separate samples (and reruns replay from the store).
- a result outside ``range`` is clipped (the reward is the platform's clipped value), the
  grader's name is listed in ``record.clipped`` and rubricate's own flag
  ``model_grader_clipped`` is set; the record is unscored unless the context counts clipped
  results as scored (``score_clipped``); the call keeps the unclipped ``result``.
- a reply that cannot be parsed -> ``model_grader_parse_error`` (reward 0, unscored); so does a
  reply cut off at the token limit; a refusal -> ``model_grader_refusal_error``; a call that
  failed after the client's retries -> ``model_grader_server_error`` with
  ``"<kind>: <message>"`` in ``..._details``; no model client ->
  ``model_grader_server_error`` with details ``"not_configured"``.
- ``label_model``: reward 1.0 when the chosen label is in ``passing_labels``, else 0.0.

Every call is kept in ``record.calls`` with the rendered messages and the raw reply.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rubricate.judge.calls import ModelReply, ModelRequest
from rubricate.judge.graders.base import (
    GradeContext,
    add_call,
    clip,
    fail,
    new_record,
    not_configured,
)
from rubricate.judge.graders.judge_reply import (
    SCORE_SCHEMA,
    ReplyParseError,
    label_schema,
    parse_label_reply,
    parse_score_reply,
)
from rubricate.judge.records import GradeRecord, ModelCallRecord
from rubricate.judge.template import TemplateError, render

DEFAULT_RANGE = (0.0, 1.0)
TEXT_PARTS = ("input_text", "output_text")


def _render_part(part: Any, item: dict, sample: dict) -> Any:
    if not isinstance(part, dict):
        return part
    kind = part.get("type")
    if kind in TEXT_PARTS and isinstance(part.get("text"), str):
        return {**part, "text": render(part["text"], item, sample)}
    if kind == "input_image" and isinstance(part.get("image_url"), str):
        return {**part, "image_url": render(part["image_url"], item, sample)}
    return part


def render_messages(messages: list[dict], item: dict, sample: dict) -> list[dict[str, Any]]:
    """The judge's messages with every template substituted (``type: message`` dropped).

    Raises:
        TemplateError: a reference is malformed or missing.
    """
    rendered: list[dict[str, Any]] = []
    for message in messages:
        content = message.get("content", "")
        if isinstance(content, str):
            new_content: Any = render(content, item, sample)
        elif isinstance(content, list):
            new_content = [_render_part(part, item, sample) for part in content]
        else:
            new_content = [_render_part(content, item, sample)]
        rendered.append({"role": message.get("role", "user"), "content": new_content})
    return rendered


def sampling(grader: dict) -> dict[str, Any]:
    """``sampling_params`` as :class:`ModelRequest` fields (unset ones omitted)."""
    params = grader.get("sampling_params") or {}
    fields = {
        "temperature": params.get("temperature"),
        "top_p": params.get("top_p"),
        "seed": params.get("seed"),
        "max_completion_tokens": params.get(
            "max_completions_tokens", params.get("max_completion_tokens")
        ),
        "reasoning_effort": params.get("reasoning_effort"),
    }
    return {k: v for k, v in fields.items() if v is not None}


def _call_error(record: GradeRecord, reply: ModelReply) -> GradeRecord | None:
    """The error record for a reply without a usable text, or None."""
    error = reply.error
    if error is None and reply.refusal:
        return fail(record, "model_grader_refusal_error", f"the judge refused: {reply.refusal}")
    if error is None:
        return None
    if error.kind == "refusal":
        return fail(
            record,
            "model_grader_refusal_error",
            f"the judge refused: {reply.refusal or error.message}",
        )
    if error.kind == "truncated":
        return fail(
            record,
            "model_grader_parse_error",
            f"the judge's reply was cut off at the token limit: {error.message}",
        )
    if error.kind == "not_configured":
        return not_configured(record)
    return fail(
        record,
        "model_grader_server_error",
        f"judge call failed ({error.kind}): {error.message}",
        details=f"{error.kind}: {error.message}",
    )


@lru_cache(maxsize=256)
def _label_schema(labels: tuple[str, ...]) -> dict[str, Any]:
    """One schema object per label set (so repeats find their memoised request)."""
    return label_schema(list(labels))


def _request(
    grader: dict, item: dict, sample: dict, schema: dict
) -> tuple[list[dict[str, Any]], ModelRequest]:
    """The rendered messages and the judge request of one pair (raises TemplateError)."""
    messages = render_messages(grader["input"], item, sample)
    request = ModelRequest(
        model=grader["model"], messages=tuple(messages), json_schema=schema, **sampling(grader)
    )
    return messages, request


async def _ask(
    grader: dict, item: dict, sample: dict, ctx: GradeContext, path: str, schema: dict
) -> tuple[GradeRecord, ModelCallRecord | None, ModelReply | None]:
    """Render, call, record. Returns the record (already failed if it must be) and the call."""
    record = new_record(grader)
    try:
        if ctx.memo is None:
            messages, request = _request(grader, item, sample, schema)
        else:  # the repeats of one grade send the same request: render and hash it once
            messages, request = ctx.memo.get_or_make(
                "request", (grader, item, sample, schema),
                lambda: _request(grader, item, sample, schema),
            )  # fmt: skip
    except TemplateError as error:
        return fail(record, "invalid_variable_error", error.msg), None, None
    if ctx.client is None:
        return not_configured(record), None, None
    reply = await ctx.client.call(request, repeat=ctx.repeat)
    call = ModelCallRecord(
        grader=path,
        key=request.key(ctx.repeat),
        request_sha256=request.sha256(),
        model=grader["model"],
        messages=messages,
        raw=reply.text,
        cached=reply.cached,
        usage=reply.usage,
        latency_s=reply.latency_s,
    )
    add_call(record, call, reply)
    if _call_error(record, reply) is not None:
        call.error = record.error
    return record, call, reply


async def grade_score_model(
    grader: dict, item: dict, sample: dict, ctx: GradeContext, path: str
) -> GradeRecord:
    """Run a ``score_model`` grader on one pair."""
    record, call, reply = await _ask(grader, item, sample, ctx, path, SCORE_SCHEMA)
    if call is None or reply is None or not record.scored:
        return record
    try:
        verdict = parse_score_reply(reply.text)
    except ReplyParseError as error:
        call.error = str(error)
        return fail(record, "model_grader_parse_error", str(error))
    assert verdict.result is not None
    call.result, call.steps = verdict.result, verdict.steps
    low, high = (float(x) for x in (grader.get("range") or DEFAULT_RANGE))
    return clip(record, verdict.result, low, high, score_clipped=ctx.score_clipped)


async def grade_label_model(
    grader: dict, item: dict, sample: dict, ctx: GradeContext, path: str
) -> GradeRecord:
    """Run a ``label_model`` grader on one pair."""
    labels = list(grader["labels"])
    schema = _label_schema(tuple(labels))
    record, call, reply = await _ask(grader, item, sample, ctx, path, schema)
    if call is None or reply is None or not record.scored:
        return record
    try:
        verdict = parse_label_reply(reply.text, labels)
    except ReplyParseError as error:
        call.error = str(error)
        return fail(record, "model_grader_parse_error", str(error))
    passing = verdict.label in grader.get("passing_labels", [])
    call.label, call.steps = verdict.label, verdict.steps
    call.result = 1.0 if passing else 0.0
    record.reward = call.result
    record.metadata.scores["label"] = verdict.label
    return record
