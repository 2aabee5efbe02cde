"""Messages the apps' workers post back to the UI (dataclasses, as Textual allows).

Workers compute in threads and never touch widgets; they post one of these and the screen
applies it on the UI thread. Each carries what it was computed *for* (a text, a key), so a
result that arrives after the user moved on is recognised as stale and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class LintFinished(Message):
    """Lint of one text is done (``result`` is a :class:`~rubricate.tui.editor.document.
    LintResult`)."""

    result: Any


@dataclass
class PreviewReady(Message):
    """A preview text is ready for ``key`` (``("grader", text, target)`` or ``("prompt",
    text, criterion_id)``)."""

    key: tuple
    content: str


@dataclass
class RunLoaded(Message):
    """What ``rubricate review`` opens has been read: a calibration run
    (:class:`~rubricate.tui.review.data.ReviewData`), a baseline run, a comparison
    (:class:`~rubricate.tui.review.science.ComparisonView`) or a run of an invariance probe
    (:class:`~rubricate.tui.review.app.ProbeRun`)."""

    review: Any


@dataclass
class ExpertsReloaded(Message):
    """The expert grades were read again after a grade was added (``review`` is the new
    :class:`~rubricate.tui.review.data.ReviewData`)."""

    review: Any


@dataclass
class AgreementReady(Message):
    """Agreement figures were recomputed (``figures`` is an
    :class:`~rubricate.tui.review.agreement.AgreementFigures`) for ``version`` of the grades."""

    figures: Any
    version: int


@dataclass
class ReasoningReady(Message):
    """The judge calls of one answer were read from ``records.jsonl``."""

    answer: tuple[str, str]
    calls: list[Any]


@dataclass
class SampleLinesReady(Message):
    """The sample lines of one item were read from ``records.jsonl`` (``lines``: each sample's
    :class:`~rubricate.calibration.baseline.run_dir.SampleLine` by ``answer_id``)."""

    item_id: str
    lines: dict[str, Any]
