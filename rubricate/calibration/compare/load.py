"""Reading ``comparison.json`` back (for ``rubricate review``): typed, checked, one line on
any problem.

The models mirror what :func:`~rubricate.calibration.compare.report.comparison_data` writes
(:func:`~rubricate.calibration.compare.table.arm_row` and
:func:`~rubricate.calibration.compare.table.recommend`). Unknown keys are ignored, so a newer
file still reads; a figure the arm could not measure is ``None`` ("not assessed"), never 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from rubricate.errors import InputError

COMPARISON_JSON = "comparison.json"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ArmRow(_Model):
    """One arm's row of the table (keys as :data:`~.table.COLUMNS` names them)."""

    arm: str
    grader_sha256: str | None = None
    target: str | None = None
    judge_model: str | None = None
    judged_run: bool | None = None
    verdict: str | None = None
    mean_flip_p: float | None = None
    max_flip_p: float | None = None
    icc: float | None = None
    auc: float | None = None
    order_share: float | None = None
    expert_mae: float | None = None
    expert_f1: float | None = None
    adversarial_beat_fair: int | None = None
    judge_calls: int | None = None
    tokens: int | None = None
    cost_usd: float | None = None

    def figure(self, key: str) -> Any:
        """The value of the column ``key``."""
        return getattr(self, key)


class Recommendation(_Model):
    """The arm to export and why (:func:`~.table.recommend`)."""

    arm: str
    grader_sha256: str | None = None
    ready: bool
    reason: str
    reasons: list[str] = []
    rule: str = ""
    ranking: list[str] = []


class ComparisonFile(_Model):
    """``comparison.json``."""

    comparison_version: int
    compare: str
    rubric: dict[str, Any]
    repeats: int
    arms: list[ArmRow]
    recommendation: Recommendation

    @property
    def title(self) -> str:
        return str(self.rubric.get("title") or self.rubric.get("id") or "?")


def read_comparison(path: Path) -> ComparisonFile:
    """``path`` (a ``comparison.json``) read and checked.

    Raises:
        InputError: one line: the file is missing or unreadable, not JSON, or not the
            comparison's shape (the first problem, with its place).
    """
    from rubricate.files import read_json

    data = read_json(path, "comparison.json")
    try:
        return ComparisonFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise InputError(f"{path}: {where}: {first['msg']}; not a comparison.json "
                         "(`rubricate calibrate --compare` writes one)") from None  # fmt: skip
