"""Grade records: what running a grader on one (item, sample) pair produces.

Shaped like the API's ``GraderRunResponse`` (``reward``, ``sub_rewards``, ``metadata`` with the
same ``errors`` flags, ``model_grader_token_usage_per_model``) so local and remote results
compare field by field, plus what the platform does not return and a user needs:

- ``scored``: False when any error flag is set. ``reward`` then holds what the platform would
  have returned (usually 0) but statistics must exclude the record: an error is never a
  silent 0. ``error`` says why in one line.
- ``clipped``: graders whose model result fell outside ``range`` and was clipped, as the
  platform does. The reward keeps the platform's clipped value, but the judge did not answer
  on the scale it was given, so the record carries rubricate's own flag
  ``metadata.errors.model_grader_clipped`` (the platform has no such flag; :meth:`api_shape`
  leaves it out) and is unscored: statistics leave it out and count it, unless the run counts
  clipped results as scored (``--score-clipped``), which keeps the flag and the count.
- ``calls``: every model call with its exact prompt and raw reply, next to its score.
- ``stdout``: what python graders printed; ``sandbox``: the isolation they ran under.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rubricate.judge.calls import Usage

JSON_CONFIG = ConfigDict(ser_json_inf_nan="constants")
"""``model_dump_json`` writes NaN and infinities as ``json.dumps`` does (``NaN``,
``Infinity``), not as null: ``records.jsonl`` is written with it (one Rust pass, ~4x faster
than ``model_dump`` then ``json.dumps``) and must read back to the same record."""


class GraderErrors(BaseModel):
    """The platform's ``metadata.errors`` flags, plus rubricate's own ``model_grader_clipped``;
    all False when the grade is clean."""

    model_config = JSON_CONFIG

    formula_parse_error: bool = False
    invalid_variable_error: bool = False
    model_grader_parse_error: bool = False
    model_grader_refusal_error: bool = False
    model_grader_server_error: bool = False
    model_grader_server_error_details: str | None = None
    other_error: bool = False
    python_grader_runtime_error: bool = False
    python_grader_runtime_error_details: str | None = None
    python_grader_server_error: bool = False
    python_grader_server_error_type: str | None = None
    sample_parse_error: bool = False
    truncated_observation_error: bool = False
    unresponsive_reward_error: bool = False
    model_grader_clipped: bool = False
    """rubricate's own flag, not the platform's: a model grader's result was outside its
    ``range`` and was clipped to it (see :data:`OWN_FLAGS`)."""

    def any(self) -> bool:
        """True when any flag is set."""
        return any(v is True for v in self.model_dump().values())

    def flags(self) -> list[str]:
        """Names of the flags that are set."""
        return [k for k, v in self.model_dump().items() if v is True]

    def merge(self, other: GraderErrors) -> None:
        """Set every flag (and detail) that ``other`` has set."""
        for name, value in other.model_dump().items():
            if value is True or (value and getattr(self, name) in (None, False)):
                setattr(self, name, value)


OWN_FLAGS = frozenset({"model_grader_clipped"})
"""Flags of :class:`GraderErrors` that the platform's ``GraderRunResponse`` does not have."""


class GradeMetadata(BaseModel):
    """The platform's ``metadata``."""

    model_config = JSON_CONFIG

    name: str
    type: str
    errors: GraderErrors = Field(default_factory=GraderErrors)
    execution_time: float = 0.0
    scores: dict[str, Any] = Field(default_factory=dict)
    token_usage: int | None = None
    sampled_model_name: str | None = None


class ModelCallRecord(BaseModel):
    """One model call made while grading: the exact prompt, the raw reply, the parsed score."""

    model_config = JSON_CONFIG

    grader: str
    """Path of the grader that made the call (``"multi.ownership"`` style for sub-graders)."""
    key: str
    """The call store key (request hash plus repeat)."""
    model: str
    messages: list[dict[str, Any]] = Field(default_factory=list)
    """The rendered prompt exactly as sent. A calibration run directory keeps it once per
    request in ``prompts.jsonl`` under :attr:`request_sha256` and leaves it out of
    ``records.jsonl``; the review reads it back (:mod:`rubricate.calibration.run.directory`)."""
    request_sha256: str | None = None
    """SHA-256 of the request (:meth:`~rubricate.judge.calls.ModelRequest.sha256`): the call
    store's content address of it, the same for every repeat of the request."""
    raw: str | None = None
    """The raw reply text, unparsed."""
    result: float | None = None
    """The parsed score (or label match) before clipping; None when unparseable."""
    steps: list[dict[str, Any]] | None = None
    """The judge's reasoning steps, when it gave them."""
    label: str | None = None
    """For ``label_model``: the label the model chose."""
    cached: bool = False
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    error: str | None = None
    """Why this call has no score (parse error, refusal, server error after retries)."""


class GradeRecord(BaseModel):
    """The result of one grader on one (item, sample) pair."""

    model_config = JSON_CONFIG

    reward: float
    """The platform's reward (what a training job would see)."""
    sub_rewards: dict[str, float] = Field(default_factory=dict)
    metadata: GradeMetadata
    model_grader_token_usage_per_model: dict[str, Any] = Field(default_factory=dict)
    scored: bool = True
    """False when the grade errored; statistics exclude unscored records."""
    error: str | None = None
    """One line: why the record is unscored."""
    sub_errors: dict[str, str] = Field(default_factory=dict)
    """Per sub-grader, why it errored."""
    clipped: list[str] = Field(default_factory=list)
    """Names of graders whose result was outside ``range`` and was clipped (flag
    ``model_grader_clipped``)."""
    calls: list[ModelCallRecord] = Field(default_factory=list)
    stdout: str = ""
    """What python graders printed."""
    sandbox: str | None = None
    """The isolation python graders ran under: ``"bubblewrap"`` or ``"best-effort (missing:
    ...)"`` (see :mod:`rubricate.judge.sandbox.isolation`), or ``"in-process (rubricate's own
    check)"`` when every one was rubricate's own compiled check, run in-process
    (:mod:`rubricate.judge.graders.python_grader`); the weakest of them for a ``multi``; None
    without python graders."""

    def api_shape(self) -> dict[str, Any]:
        """Only the fields of the API's ``GraderRunResponse`` (rubricate's own error flags,
        :data:`OWN_FLAGS`, left out)."""
        shape = self.model_dump(
            include={"reward", "sub_rewards", "metadata", "model_grader_token_usage_per_model"}
        )
        for flag in OWN_FLAGS:
            shape["metadata"]["errors"].pop(flag, None)
        return shape
