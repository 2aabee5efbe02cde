"""What every grader implementation shares: the context it runs in and record helpers.

A grader implementation is ``async def grade(grader, item, sample, ctx, path) -> GradeRecord``:
it never raises for a problem with one (item, sample) pair; it returns a record with the
platform's error flag set, ``scored=False``, ``reward=0`` (the platform's value for an error)
and a one-line ``error``. Only a grader config that cannot run at all raises
:class:`rubricate.errors.GraderError` (the runtime checks configs before running them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from rubricate.judge.calls import ModelClient, ModelReply
from rubricate.judge.memo import Memo
from rubricate.judge.records import GradeMetadata, GradeRecord, ModelCallRecord
from rubricate.judge.template import TemplateError, render

NOT_CONFIGURED = (
    "no model endpoint is configured, so this model grader was not run: set OPENAI_API_KEY "
    "(and OPENAI_BASE_URL for another server) or pass --base-url"
)


class PythonRunner(Protocol):
    """What python graders need: the sandbox pool (see :mod:`rubricate.judge.sandbox`)."""

    async def run(self, source: str, sample: dict, item: dict) -> Any:
        """Run ``grade(sample, item)`` from ``source`` in a worker; returns a ``WorkerResult``."""
        ...


OwnChecks = Callable[[str], Callable[[dict, dict], Any] | None]
"""``own_checks(source)``: the in-process function of a python grader's source, when it is
rubricate's own compiled check (:mod:`rubricate.rubrics.compile.own_checks`), else None."""


@dataclass
class GradeContext:
    """Everything a grader may use besides its config and the pair it grades.

    Attributes:
        client: the model client; None when no model endpoint is configured.
        python: returns the python sandbox pool, starting it on first use.
        repeat: the repeat index passed to every model call (repeats are separate samples).
        score_clipped: count a model result clipped to its range as scored (the flag
            ``model_grader_clipped`` is still set); by default such a record is unscored.
        memo: work shared by the repeats of one grade (rendered judge prompts, generated
            checks' results; :mod:`rubricate.judge.memo`); None: nothing is shared.
        own_checks: recognises rubricate's own compiled checks and returns the function to
            call in-process (:func:`rubricate.rubrics.compile.own_checks.recognise`, given by
            a caller above this layer); None: every python grader runs in the sandbox.
    """

    client: ModelClient | None = None
    python: Callable[[], Awaitable[PythonRunner]] | None = None
    repeat: int = 0
    score_clipped: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    memo: Memo | None = None
    own_checks: OwnChecks | None = None


def new_record(grader: dict, reward: float = 0.0, *, name: str | None = None) -> GradeRecord:
    """An empty, scored record for ``grader``."""
    return GradeRecord(
        reward=reward,
        metadata=GradeMetadata(
            name=str(name or grader.get("name") or grader.get("type", "grader")),
            type=str(grader.get("type", "")),
        ),
    )


def fail(
    record: GradeRecord,
    flag: str,
    message: str,
    *,
    details: str | None = None,
) -> GradeRecord:
    """Mark ``record`` unscored with the platform flag ``flag`` (reward 0, as the platform).

    Args:
        record: the record to change (returned for chaining).
        flag: a field of :class:`GraderErrors`, e.g. ``"invalid_variable_error"``.
        message: one line: why the record is unscored.
        details: the flag's details/type field, for the flags that have one.
    """
    errors = record.metadata.errors
    setattr(errors, flag, True)
    if details is not None:
        detail_field = {
            "model_grader_server_error": "model_grader_server_error_details",
            "python_grader_runtime_error": "python_grader_runtime_error_details",
            "python_grader_server_error": "python_grader_server_error_type",
        }.get(flag)
        if detail_field:
            setattr(errors, detail_field, details)
    record.reward = 0.0
    record.scored = False
    record.error = message
    return record


CLIPPED = "model_grader_clipped"
"""rubricate's flag (and the start of the ``error``) of a result clipped to its range."""


def clip(
    record: GradeRecord, result: float, low: float, high: float, *, score_clipped: bool
) -> GradeRecord:
    """Set ``record``'s reward to ``result`` clipped to ``[low, high]``, as the platform does.

    A result outside the range also sets :data:`CLIPPED`, lists the grader in
    ``record.clipped`` and, unless ``score_clipped``, makes the record unscored (its reward
    keeps the platform's clipped value): the judge did not answer on the scale it was given,
    so its number is not averaged as a score.
    """
    reward = min(max(result, low), high)
    record.reward = reward
    if reward == result:
        return record
    record.metadata.errors.model_grader_clipped = True
    record.clipped.append(record.metadata.name)
    if not score_clipped:
        record.scored = False
        record.error = (
            f"{CLIPPED}: the judge replied {result:g}, outside the range [{low:g}, {high:g}]; "
            f"the platform clips it to {reward:g}"
        )
    return record


def only_clipped(record: GradeRecord) -> bool:
    """True when ``record`` is unscored only because a result was clipped."""
    return (
        not record.scored
        and record.metadata.errors.flags() == [CLIPPED]
    )


def input_and_reference(
    grader: dict, item: dict, sample: dict, record: GradeRecord
) -> tuple[str, str] | None:
    """The grader's ``input`` and ``reference`` templates rendered for one pair.

    For ``string_check`` and ``text_similarity``. None, with ``record`` failed as an
    ``invalid_variable_error``, when a template names a variable the pair lacks.
    """
    try:
        return render(grader["input"], item, sample), render(grader["reference"], item, sample)
    except TemplateError as error:
        fail(record, "invalid_variable_error", error.msg)
        return None


def one_line(text: str, limit: int = 300) -> str:
    """The first line of ``text``, cut to ``limit`` characters."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def not_configured(record: GradeRecord) -> GradeRecord:
    """The record of a model grader that could not run because there is no model client.

    Flag ``model_grader_server_error`` with details ``"not_configured"``: calibration shows
    these as "not run", never as a real 0.
    """
    return fail(record, "model_grader_server_error", NOT_CONFIGURED, details="not_configured")


def add_call(record: GradeRecord, call: ModelCallRecord, reply: ModelReply) -> None:
    """Attach a model call to ``record`` and add its tokens to the record's usage.

    ``metadata.token_usage`` is the total of input and output tokens of every call;
    ``model_grader_token_usage_per_model`` maps each model to ``prompt_tokens``,
    ``completion_tokens``, ``total_tokens``, ``cached_tokens`` and ``reasoning_tokens``.
    """
    record.calls.append(call)
    usage = reply.usage
    record.metadata.token_usage = (record.metadata.token_usage or 0) + usage.total_tokens
    per_model = record.model_grader_token_usage_per_model.setdefault(
        call.model,
        {
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "total_tokens": 0,
            "cached_tokens": 0,
            "reasoning_tokens": 0,
        },
    )
    per_model["prompt_tokens"] += usage.input_tokens
    per_model["completion_tokens"] += usage.output_tokens
    per_model["total_tokens"] += usage.total_tokens
    per_model["cached_tokens"] += usage.cached_input_tokens
    per_model["reasoning_tokens"] += usage.reasoning_tokens
    if reply.model:
        record.metadata.sampled_model_name = reply.model
