"""``multi``: run named sub-graders concurrently and combine them with ``calculate_output``.

Platform semantics (graders guide, "Multigraders"): ``graders`` maps names to graders of any
type but ``multi`` (no nesting); ``calculate_output`` is a formula over those names (see
:mod:`rubricate.judge.formula`). The API's ``sub_rewards`` holds each sub-grader's reward.

Here:

- every sub-grader runs concurrently; each sub-record's model calls, token usage and printed
  output are merged into the multi record (``calls``' ``grader`` is ``<multi>.<key>``);
- ``sub_rewards`` and ``metadata.scores`` map each sub-grader key to its reward, for those
  that succeeded;
- if any sub-grader errs, the multi record is unscored: the sub-graders' flags are merged,
  ``sub_errors`` maps each failed key to its reason, the formula is not evaluated (it would
  read a fake 0) and ``reward`` is 0, the platform's value;
- a formula that does not parse or evaluate (unknown name, division by zero, overflow) ->
  ``formula_parse_error``;
- ``clipped`` lists the keys of sub-graders whose model result was clipped to their range;
- the formula's value is the reward, not clipped (the platform documents no clipping).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from rubricate.judge.formula import FormulaError, evaluate
from rubricate.judge.graders.base import GradeContext, fail, new_record
from rubricate.judge.records import GradeRecord

GradeFn = Callable[[dict, dict, dict, GradeContext, str], Awaitable[GradeRecord]]


def _merge_usage(record: GradeRecord, sub: GradeRecord) -> None:
    record.calls.extend(sub.calls)
    if sub.metadata.token_usage:
        record.metadata.token_usage = (record.metadata.token_usage or 0) + sub.metadata.token_usage
    for model, usage in sub.model_grader_token_usage_per_model.items():
        mine = record.model_grader_token_usage_per_model.setdefault(model, {})
        for key, value in usage.items():
            mine[key] = mine.get(key, 0) + value
    if sub.metadata.sampled_model_name and not record.metadata.sampled_model_name:
        record.metadata.sampled_model_name = sub.metadata.sampled_model_name


async def grade(
    grader: dict,
    item: dict,
    sample: dict,
    ctx: GradeContext,
    path: str,
    *,
    dispatch: Callable[[str], GradeFn],
) -> GradeRecord:
    """Run a ``multi`` grader on one pair.

    Args:
        dispatch: returns the grade function of a sub-grader type (the runtime's table).
    """
    record = new_record(grader)
    subs: dict[str, dict] = grader["graders"]
    keys = list(subs)
    results = await asyncio.gather(
        *(dispatch(subs[k]["type"])(subs[k], item, sample, ctx, f"{path}.{k}") for k in keys)
    )
    for key, sub in zip(keys, results, strict=True):
        _merge_usage(record, sub)
        if sub.stdout:
            record.stdout += f"[{key}]\n{sub.stdout}" if len(keys) > 1 else sub.stdout
        if sub.sandbox and record.sandbox in (None, "bubblewrap"):
            record.sandbox = sub.sandbox  # the weakest isolation any sub-grader ran under
        if sub.clipped:
            record.clipped.append(key)
        if sub.scored:
            record.sub_rewards[key] = sub.reward
            record.metadata.scores[key] = sub.reward
        else:
            record.metadata.errors.merge(sub.metadata.errors)
            record.sub_errors[key] = sub.error or "error"
    if record.sub_errors:
        failed = ", ".join(f"{k} ({record.sub_errors[k]})" for k in record.sub_errors)
        message = f"sub-grader failed: {failed}"
        record.reward, record.scored, record.error = 0.0, False, message
        return record
    try:
        record.reward = evaluate(grader["calculate_output"], record.sub_rewards)
    except FormulaError as error:
        return fail(record, "formula_parse_error", error.msg)
    return record
