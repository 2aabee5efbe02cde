"""Which calibration run vetted this grader: the same bytes, or none.

The project's rule: the grader that is calibrated is byte for byte the grader that is
exported. A calibration run directory (``docs/run-format.md``) holds ``grader.json``,
the exact bytes it ran, and ``run.json`` with their ``grader_sha256``. Export looks for a run
whose ``run.json`` names the SHA-256 of the bytes it is about to write *and* whose
``grader.json`` still has those bytes (a run directory edited by hand does not count):

- ``--calibration RUN_DIR`` names runs explicitly (checked first, in the order given);
- otherwise, and in addition, every ``runs/*/run.json`` under the current directory (where
  ``rubricate calibrate`` writes by default) and every arm of a comparison,
  ``runs/*/arms/*/run.json`` (``calibrate --compare judge=A,B`` writes each arm, with its own
  ``grader.json``, there: export with ``--judge-model A`` or ``--panel A,B`` finds it), newest
  ``finished_at`` first.

The first match is the vetting run; a complete run (``status: complete``) that actually judged
(``judged_run`` true) is preferred over a partial one or one without a judge. What is found
goes into the manifest; what is not, into warnings: no calibration at all, a run named with
``--calibration`` that calibrated other bytes, a matching run that was partial or never judged.
Unreadable ``run.json`` files are skipped with a warning, never an error: a stray directory must
not block an export.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rubricate.calibration.run_manifest import RunManifest, parse_manifest
from rubricate.errors import InputError

MANIFEST_KEYS = (
    "rubric_path",
    "rubric_sha256",
    "target",
    "set_path",
    "set_sha256",
    "repeats",
    "judge_model",
    "status",
    "judged_run",
    "started_at",
    "finished_at",
)
"""The ``run.json`` fields the export manifest repeats."""


@dataclass
class CalibrationLink:
    """What the search found.

    Attributes:
        run: the vetting run for the manifest (``path`` plus :data:`MANIFEST_KEYS`), or None.
        searched: every run directory looked at.
        warnings: one line each (no calibration, a mismatch, a partial run, unreadable files).
    """

    run: dict[str, Any] | None = None
    searched: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _read_run(folder: Path) -> tuple[RunManifest | None, str | None]:
    try:
        data = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"{folder}: no run.json; not a calibration run directory"
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return None, f"{folder}/run.json: unreadable ({error}); skipped"
    if not isinstance(data, dict):
        return None, f"{folder}/run.json: not a JSON object; skipped"
    try:
        return parse_manifest(data, f"{folder}/run.json"), None
    except InputError as error:
        return None, f"{error.msg}; skipped"


def _bytes_match(folder: Path, sha: str) -> bool:
    try:
        return hashlib.sha256((folder / "grader.json").read_bytes()).hexdigest() == sha
    except OSError:
        return False


def _quality(run: RunManifest) -> int:
    return int(run.status == "complete") + int(run.judged_run is True)


def find_calibration(
    grader_sha256: str, explicit: list[Path] | None = None, root: Path | None = None
) -> CalibrationLink:
    """Find the calibration run of ``grader_sha256`` (see the module docstring).

    Args:
        grader_sha256: SHA-256 of the grader bytes being exported.
        explicit: run directories named with ``--calibration``.
        root: where ``runs/`` is looked for (default: the current directory).
    """
    link = CalibrationLink()
    candidates: list[tuple[Path, RunManifest]] = []
    for folder in explicit or []:
        link.searched.append(str(folder))
        data, problem = _read_run(folder)
        if problem is not None:
            link.warnings.append(f"--calibration {problem}")
            continue
        assert data is not None
        if data.grader_sha256 != grader_sha256 or not _bytes_match(folder, grader_sha256):
            link.warnings.append(
                f"--calibration {folder}: that run calibrated other grader bytes (sha256 "
                f"{str(data.grader_sha256)[:12]}...), not this grader "
                f"({grader_sha256[:12]}...); recalibrate, or export the rubric it ran"
            )
            continue
        candidates.append((folder, data))
    found: list[tuple[Path, RunManifest]] = []
    base = root or Path()
    for run_json in sorted([*base.glob("runs/*/run.json"), *base.glob("runs/*/arms/*/run.json")]):
        folder = run_json.parent
        if any(folder.resolve() == c.resolve() for c, _ in candidates):
            continue
        link.searched.append(str(folder))
        data, problem = _read_run(folder)
        if problem is not None:
            link.warnings.append(problem)
        elif data is not None and data.grader_sha256 == grader_sha256:
            if _bytes_match(folder, grader_sha256):
                found.append((folder, data))
    found.sort(key=lambda pair: str(pair[1].finished_at or ""), reverse=True)
    candidates += found
    if not candidates:
        link.warnings.append(
            "no calibration run has vetted this grader (no run.json with its sha256 "
            f"{grader_sha256[:12]}...); run `rubricate calibrate` on it before training, or "
            "name a run with --calibration"
        )
        return link
    best_folder, best = max(candidates, key=lambda pair: _quality(pair[1]))
    written = best.to_json()  # the fields the run wrote (an absent one stays absent)
    link.run = {"path": str(best_folder), **{k: written[k] for k in MANIFEST_KEYS if k in written}}
    if best.status != "complete":
        link.warnings.append(
            f"calibration run {best_folder} is {best.status or 'of unknown status'}, "
            "not complete; its statistics cover only part of the set"
        )
    if best.judged_run is False:
        link.warnings.append(
            f"calibration run {best_folder} ran without a judge (judged_run false): the judged "
            "criteria were never calibrated"
        )
    return link
