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
- ``clipped`` lists the keys of sub-graders whose model result was clipped to their range,
  and rubricate's flag ``model_grader_clipped`` is set. A sub-grader left unscored only by
  clipping is not in ``sub_rewards``; the reward is still the platform's (the formula over the
  clipped values) but the record is unscored, its ``error`` starting ``model_grader_clipped``;
- the formula's value is the reward, not clipped (the platform documents no clipping).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rubricate.judge.formula import FormulaError, evaluate
from rubricate.judge.graders.base import CLIPPED, GradeContext, fail, new_record, only_clipped
from rubricate.judge.graders.python_grader import IN_PROCESS
from rubricate.judge.records import GradeRecord
from rubricate.judge.tasks import gather_or_cancel

GradeFn = Callable[[dict, dict, dict, GradeContext, str], Awaitable[GradeRecord]]


def _weakness(sandbox: str | None) -> int:
    """How weak an isolation is: none ran < own checks in-process (code verified identical to
    checklib's) < bubblewrap < anything else (best-effort, the weakest)."""
    return {None: 0, "": 0, IN_PROCESS: 1, "bubblewrap": 2}.get(sandbox, 3)


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
    results = await gather_or_cancel(  # one that raises (the endpoint is down) stops the rest
        dispatch(subs[k]["type"])(subs[k], item, sample, ctx, f"{path}.{k}") for k in keys
    )
    clipped: dict[str, float] = {}
    for key, sub in zip(keys, results, strict=True):
        _merge_usage(record, sub)
        if sub.stdout:
            record.stdout += f"[{key}]\n{sub.stdout}" if len(keys) > 1 else sub.stdout
        if _weakness(sub.sandbox) > _weakness(record.sandbox):
            record.sandbox = sub.sandbox  # the weakest isolation any sub-grader ran under
        if sub.clipped:
            record.clipped.append(key)
            record.metadata.errors.model_grader_clipped = True
        if sub.scored:
            record.sub_rewards[key] = sub.reward
            record.metadata.scores[key] = sub.reward
        else:
            record.metadata.errors.merge(sub.metadata.errors)
            record.sub_errors[key] = sub.error or "error"
            if only_clipped(sub):
                clipped[key] = sub.reward
    if record.sub_errors and set(record.sub_errors) == set(clipped):
        return _clipped(record, grader, clipped)
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


def _clipped(record: GradeRecord, grader: dict, clipped: dict[str, float]) -> GradeRecord:
    """Unscored because sub-graders were clipped; the reward is still the platform's."""
    try:
        record.reward = evaluate(grader["calculate_output"], {**record.sub_rewards, **clipped})
    except FormulaError as error:
        return fail(record, "formula_parse_error", error.msg)
    record.scored = False
    parts = "; ".join(record.sub_errors[k].removeprefix(f"{CLIPPED}: ") for k in clipped)
    record.error = f"{CLIPPED}: {', '.join(clipped)}: {parts}"
    return record
