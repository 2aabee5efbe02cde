"""The typed shape of ``report.json`` (a calibration run's report data), and its JSON Schema.

:class:`CalibrationReport` validates what
:func:`rubricate.calibration.report.data.build_report_data` returns: every top-level section
is named (``extra="forbid"``: a new section must be added here, and so to
``docs/report.schema.json``), and the sections a reader acts on are typed
field by field: the verdict, the readiness checks (met / not met / not assessed, with the
reason), unscored and clipped results, the cost, and the run's identity. The statistics
sections (stability, discrimination, agreement, readiness details) are objects whose fields
the Markdown report documents. ``docs/report.schema.json`` is :func:`report_schema`'s output
(a test keeps them equal).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["CalibrationReport", "report_schema"]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NotAssessed(_Closed):
    id: str
    reason: str


class Verdict(_Closed):
    """What to do: ``ready`` only when every readiness check is met."""

    status: Literal["ready", "not_ready", "incomplete"]
    summary: str
    problems: list[str]
    not_assessed: list[NotAssessed]


class Check(_Closed):
    """One readiness check; a check that could not be measured is ``not_assessed``."""

    id: str
    label: str
    outcome: Literal["met", "not_met", "not_assessed"]
    value: Any = None
    reason: str


class Readiness(_Open):
    checks: list[Check]
    summary: dict[str, Any] | None = None


class Unscored(_Open):
    """Grades that failed (never a 0): counted and left out of every statistic."""

    rows: int
    unscored: int
    share: float | None
    limit: float
    flag: bool


class Clipped(_Open):
    """Judge results outside their range: not assessed when no judge ran."""

    assessed: bool
    replies: int | None
    totals: int | None
    counted_as_scored: bool


class Cost(_Open):
    """What the run used; ``replayed_cost_usd``: what the replayed answers cost when made."""

    calls: int
    cached: int
    cost_usd: float
    replayed_cost_usd: float = 0.0
    orphaned: int = 0
    errors: dict[str, int] | None = None


class BiasCorrection(_Open):
    """The judge's mean score corrected with expert labels; ``assessed`` false with the
    ``reason`` when it could not be (never a made-up number)."""

    assessed: bool
    reason: str | None
    method: str
    second_method: str
    confidence: float
    assumption: str
    targets: list[dict[str, Any]]


class Run(_Open):
    rubricate_version: str
    rubric_id: str
    rubric_sha256: str
    grader_sha256: str
    target: str
    status: str


class CalibrationReport(_Closed):
    """``report.json``."""

    report_version: int
    run: Run
    rubric: dict[str, Any]
    headline: str | None
    scored_by: dict[str, str]
    coverage: dict[str, Any]
    stability: dict[str, Any]
    unscored: Unscored
    clipped: Clipped
    adaptive: dict[str, Any] | None
    discrimination: dict[str, Any] | None
    probes: dict[str, Any] | None = None
    agreement: dict[str, Any] | None
    bias_correction: BiasCorrection | None = None
    readiness: Readiness
    cost: Cost | None
    verdict: Verdict
    figures: dict[str, Any]


def report_schema() -> str:
    """The JSON Schema of ``report.json`` as ``docs/report.schema.json`` holds it."""
    schema = CalibrationReport.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "rubricate calibration report (report.json)"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
