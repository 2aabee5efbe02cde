"""Reading ``invariance.json`` back (for ``rubricate review``): typed, checked, one line on
any problem.

The models mirror what :func:`~rubricate.calibration.invariance.report.invariance_data`
writes (rows from :mod:`~rubricate.calibration.invariance.rows`, changes from
:func:`~rubricate.calibration.invariance.run.run_invariance`). Unknown keys are ignored, so a
newer file still reads; a figure not measured is ``None``, never 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from rubricate.errors import InputError

INVARIANCE_JSON = "invariance.json"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Paraphrase(_Model):
    """One judged criterion's text and the judge model's paraphrase (None when it failed)."""

    criterion: str
    original: str
    paraphrase: str | None = None
    failed: str | None = None


class Change(_Model):
    """One harmless change: run, or why not."""

    change: str
    description: str = ""
    status: str = ""
    reason: str | None = None
    grader_sha256: str | None = None
    out: str | None = None
    ids: dict[str, str] | None = None
    paraphrases: list[Paraphrase] | None = None


class Row(_Model):
    """One (change, criterion) row: the flips and the test (:mod:`.rows`)."""

    change: str
    criterion: str
    kind: str
    n_answers: int = 0
    rerun_flip: float | None = None
    changed_rerun_flip: float | None = None
    change_flip: float | None = None
    p_value: float | None = None
    p_holm: float | None = None
    status: str
    flagged: bool = False
    verdict: str = ""


class Baseline(_Model):
    """The unchanged grader's run."""

    arm: str = "baseline"
    grader_sha256: str = ""
    out: str | None = None
    judged_run: bool = True
    target: str = "multi"


class InvarianceFile(_Model):
    """``invariance.json``."""

    invariance_version: int
    rubric: dict[str, Any]
    repeats: int
    seed: int | None = None
    alpha: float
    test: str = ""
    baseline: Baseline
    changes: list[Change]
    rows: list[Row]
    measured: int = 0
    flagged: list[dict[str, str]] = []

    @property
    def title(self) -> str:
        return str(self.rubric.get("title") or self.rubric.get("id") or "?")

    def change(self, name: str) -> Change | None:
        return next((c for c in self.changes if c.change == name), None)


def read_invariance(path: Path) -> InvarianceFile:
    """``path`` (an ``invariance.json``) read and checked.

    Raises:
        InputError: one line: the file is missing or unreadable, not JSON, or not the
            probe's shape (the first problem, with its place).
    """
    from rubricate.files import read_json

    data = read_json(path, "invariance.json")
    try:
        return InvarianceFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise InputError(
            f"{path}: {where}: {first['msg']}; not an invariance.json "
            "(`rubricate calibrate --probe invariance` writes one)"
        ) from None
