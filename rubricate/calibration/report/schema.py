"""The typed shape of ``report.json`` (a calibration run's report data), and its JSON Schema.

:class:`CalibrationReport` is what :func:`rubricate.calibration.report.data.build_report_data`
returns: every section is typed field by field (:mod:`.model_sections`,
:mod:`.model_agreement`, :mod:`rubricate.calibration.run_manifest`), closed
(``extra="forbid"``) where its shape is fixed, so a new field must be added here, and so to
``docs/report.schema.json``. Left open: the inter-expert summary (its fields depend on the
scale), the bias-correction targets, the excluded answers and the adaptive intervals. The
reports, the command line and the review read the model by attribute; ``report.json`` is
:meth:`CalibrationReport.to_json`. ``docs/report.schema.json`` is :func:`report_schema`'s
output (a test keeps them equal).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from rubricate.calibration.report.model_agreement import Agreement, Probes
from rubricate.calibration.report.model_base import Closed, Num, Open
from rubricate.calibration.report.model_sections import (
    AdaptiveSection,
    Coverage,
    Discrimination,
    ReadinessSummary,
    RewriteEntry,
    RubricSummary,
    Stability,
    VarianceRow,
)
from rubricate.calibration.run_manifest import RunManifest, Usage

__all__ = ["CalibrationReport", "report_schema"]

OptNum = Num | None


class NotAssessed(Closed):
    id: str
    reason: str


class Verdict(Closed):
    """What to do: ``ready`` only when every readiness check is met."""

    status: Literal["ready", "not_ready", "incomplete"]
    summary: str
    problems: list[str]
    not_assessed: list[NotAssessed]


class Check(Closed):
    """One readiness check; a check that could not be measured is ``not_assessed``."""

    id: str
    label: str
    outcome: Literal["met", "not_met", "not_assessed"]
    value: Any = None
    reason: str


class Readiness(Closed):
    """Saturation and headroom, the variance study, the criteria to rewrite first, and the
    readiness checks (:mod:`.verdict`)."""

    summary: ReadinessSummary | None = None
    variance_study: list[VarianceRow]
    rewrite_first: list[RewriteEntry]
    checks: list[Check]


class UnscoredCriterion(Closed):
    criterion: str
    n_rows: int
    n_unscored: int
    share_unscored: OptNum
    top_error: str | None


class Unscored(Closed):
    """Grades that failed (never a 0): counted and left out of every statistic."""

    rows: int
    unscored: int
    share: OptNum
    limit: Num | None = None
    flag: bool
    per_criterion: list[UnscoredCriterion]


class ClippedCriterion(Closed):
    criterion: str
    rows: int


class Clipped(Closed):
    """Judge results outside their range: not assessed when no judge ran."""

    assessed: bool
    replies: int | None
    totals: int | None
    counted_as_scored: bool
    per_criterion: list[ClippedCriterion]


class BiasCorrection(Open):
    """The judge's mean score corrected with expert labels; ``assessed`` false with the
    ``reason`` when it could not be (never a made-up number)."""

    assessed: bool
    reason: str | None
    method: str
    second_method: str
    confidence: Num
    assumption: str
    targets: list[dict[str, Any]]


class Figure(Closed):
    path: str
    title: str


class CalibrationReport(Closed):
    """``report.json``."""

    report_version: int
    run: RunManifest
    rubric: RubricSummary
    headline: str | None
    scored_by: dict[str, str]
    coverage: Coverage
    stability: Stability
    unscored: Unscored
    clipped: Clipped
    adaptive: AdaptiveSection | None
    discrimination: Discrimination | None
    probes: Probes | None = None
    agreement: Agreement | None
    bias_correction: BiasCorrection | None = None
    readiness: Readiness
    cost: Usage | None
    verdict: Verdict
    figures: dict[str, Figure] = {}

    def to_json(self) -> dict[str, Any]:
        """The report as ``report.json`` holds it: every field the data had, in its order (a
        field it did not have stays absent)."""
        return self.model_dump(exclude_unset=True)


def report_schema() -> str:
    """The JSON Schema of ``report.json`` as ``docs/report.schema.json`` holds it."""
    schema = CalibrationReport.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "rubricate calibration report (report.json)"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
