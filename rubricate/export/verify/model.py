"""What a platform verifier returns: per answer, the calibrated grader's reward beside the form's.

The calibrated grader is the compiled grader JSON run by rubricate's local runtime (exactly as
``rubricate grade`` and the calibration run it). A *form* is what a platform runs instead: the
same JSON under a platform profile (Azure), a Lambda handler (Bedrock), a composite reward
config (Gemini). Parts are compared one by one (a part is a sub-grader of the compiled
``multi``, or the whole grader when it has none): a deterministic part must agree within
:data:`DETERMINISTIC_TOLERANCE`; a judged part is reported as its mean absolute difference over
repeats, never as a failure by itself. A part that could not be computed on either side is an
``error``, counted and shown, never a 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DETERMINISTIC_TOLERANCE = 1e-9


@dataclass(frozen=True)
class PartReward:
    """One part of one answer's reward on both sides."""

    name: str
    judged: bool
    calibrated: float | None
    form: float | None
    error: str | None = None

    @property
    def difference(self) -> float | None:
        if self.calibrated is None or self.form is None:
            return None
        return abs(self.calibrated - self.form)


@dataclass(frozen=True)
class AnswerComparison:
    """One calibration-set answer (one repeat) graded by the calibrated grader and by the form."""

    item_id: str
    answer_id: str
    repeat: int
    calibrated: float | None
    form: float | None
    parts: tuple[PartReward, ...] = ()
    error: str | None = None

    @property
    def difference(self) -> float | None:
        if self.calibrated is None or self.form is None:
            return None
        return abs(self.calibrated - self.form)


@dataclass(frozen=True)
class Verification:
    """A platform form checked on a calibration set."""

    platform: str
    answers: tuple[AnswerComparison, ...]
    notes: tuple[str, ...] = field(default=())
    failures: tuple[str, ...] = field(default=())
    """What fails the form before any answer is compared: a bundle whose ``grader.json`` is not
    the rubric's fresh compile (stale or edited), a job request the platform's schema refuses.
    Any one fails the verification, whatever the rewards."""
