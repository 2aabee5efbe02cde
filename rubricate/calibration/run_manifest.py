"""The typed ``run.json`` of a calibration run (``docs/run-format.md``), as the report, the
review app and export's calibration link read it.

:class:`RunManifest` names every field a calibration run writes, in the order it writes them
(:func:`rubricate.calibration.run.session.manifest`, then the run's end), each optional with
the value an absent field means: an older run directory, a partial run or a baseline run
(``kind: baseline``; its other fields kept as extras) still reads. ``report.json``'s ``run`` is
dumped from it with ``exclude_unset``, so a field the run did not write stays absent.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from rubricate.errors import InputError
from rubricate.judge.usage import Pace

__all__ = ["RunManifest", "Usage", "parse_manifest"]


class Usage(BaseModel):
    """What a finished run used (:func:`rubricate.calibration.run.manifest.run_usage`);
    ``replayed_cost_usd``: what the replayed answers cost when made."""

    model_config = ConfigDict(extra="allow")

    calls: int = 0
    cached: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: int | float = 0.0
    replayed_cost_usd: int | float = 0.0
    replayed_tokens: int = 0
    orphaned: int = 0
    errors: dict[str, int] | None = None
    unpriced: list[str] | None = None
    local: bool = False
    wall_s: int | float | None = None
    pace: Pace | None = None
    """What set the pace of the live model calls (None: not assessed, e.g. every call replayed)."""


class RunManifest(BaseModel):
    """``run.json`` (see ``docs/run-format.md`` for each field)."""

    model_config = ConfigDict(extra="allow")

    rubricate_version: str | None = None
    rubric_path: str | None = None
    rubric_id: str | None = None
    rubric_title: str | None = None
    rubric_sha256: str | None = None
    grader_sha256: str | None = None
    target: str | None = None
    set_path: str | None = None
    set_sha256: str | None = None
    repeats: int | None = None
    repeats_mode: str | None = None
    judge_model: str | None = None
    judge_model_override: str | None = None
    panel: dict[str, Any] | None = None
    score_clipped: bool = False
    started_at: str | None = None
    finished_at: str | None = None
    status: str | None = None
    judged_run: bool | None = None
    """Did a judge answer; absent in runs written before the field (read as true)."""
    client: dict[str, Any] | None = None
    usage: Usage | None = None
    counts: dict[str, Any] | None = None
    experts_csv: str | None = None
    excluded: list[dict[str, Any]] | None = None
    adaptive: dict[str, Any] | None = None
    probes: dict[str, Any] | None = None
    endpoint: dict[str, Any] | None = None
    judge_replies: dict[str, Any] | None = None
    python_sandbox: dict[str, Any] | None = None
    stopped: str | None = None
    """Why a stopped run stopped."""
    kind: str | None = None
    """``baseline`` for a baseline run; absent for a calibration run."""
    models: list[str] | None = None
    """A baseline run's models, in the order given."""
    samples: int | None = None
    """A baseline run's samples per item and model."""

    def to_json(self) -> dict[str, Any]:
        """The fields the run wrote, in its order (absent ones stay absent)."""
        return self.model_dump(exclude_unset=True)


def parse_manifest(data: dict[str, Any], where: str) -> RunManifest:
    """``run.json``'s content as a :class:`RunManifest`.

    Raises:
        InputError: a field has the wrong type (``where``: the file, for the message).
    """
    try:
        return RunManifest.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{where}: {field}: {first['msg']}") from None
