"""The bundle's ``manifest.json``: where everything in the bundle came from.

::

    {"format": "rubricate-rft-bundle/1", "rubricate_version", "created_at",
     "rubric": {"path", "id", "sha256"},                  # sha256 of the rubric file's bytes
     "grader": {"file": "grader.json", "sha256", "bytes", "type", "name",
                "job_grader_removed": [...],              # pass_threshold left out of job.json
                "compile": {"target", "judge_model",      # the options compiled with (as
                            "panel": [...], "panel_rule"}},  # `rubricate compile` takes them)
     "calibration": {"path", ...run.json fields} | null,  # the run that ran these grader bytes
     "calibration_searched": [...],
     "model",
     "files": {"train.jsonl": {"rows", "bytes", "sha256", "source", "source_sha256"},
               "valid.jsonl": {...}},
     "item_fields": [...],                                # item fields the grader reads
     "labels": {field: {class: rows}},                    # training label distribution
     "balance": {"field", "method", "seed", "before", "after", "dropped"} | null,
     "hyperparameters": {...}, "response_format": bool,
     "warnings": [...]}                                   # every warning of the export
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rubricate._version import __version__
from rubricate.datasets.rft_rows import Rows, row_json
from rubricate.rubrics.compile.choice import CompileChoice

BUNDLE_FORMAT = "rubricate-rft-bundle/1"


def jsonl(rows: Rows) -> bytes:
    """Rows as JSONL bytes (one compact line each, a newline after every line)."""
    return "".join(row_json(r) + "\n" for r in rows.rows).encode("utf-8")


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def file_record(rows: Rows, source: Path) -> dict[str, Any]:
    """One data file's entry: rows, bytes and hash as written, and its source file's hash
    (None when the source cannot be read again)."""
    data = jsonl(rows)
    try:
        source_sha = sha256(Path(source).read_bytes())
    except OSError:
        source_sha = None
    return {
        "rows": len(rows.rows),
        "bytes": len(data),
        "sha256": sha256(data),
        "source": str(source),
        "source_sha256": source_sha,
    }


def build_manifest(
    *,
    rubric: dict[str, Any],
    grader: dict[str, Any],
    grader_text: str,
    removed: list[str],
    calibration: dict[str, Any] | None,
    searched: list[str],
    model: str,
    files: dict[str, dict[str, Any]],
    item_fields: list[str],
    labels: dict[str, Any],
    balance: dict[str, Any] | None,
    hyperparameters: dict[str, Any],
    response_format: bool,
    warnings: list[str],
) -> dict[str, Any]:
    """The manifest (see the module docstring); ``rubric`` is ``{"path", "id", "sha256"}``."""
    data = grader_text.encode("utf-8")
    return {
        "format": BUNDLE_FORMAT,
        "rubricate_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rubric": rubric,
        "grader": {
            "file": "grader.json",
            "sha256": sha256(data),
            "bytes": len(data),
            "type": grader["type"],
            "name": grader.get("name"),
            "job_grader_removed": removed,
        },
        "calibration": calibration,
        "calibration_searched": searched,
        "model": model,
        "files": files,
        "item_fields": item_fields,
        "labels": labels,
        "balance": balance,
        "hyperparameters": hyperparameters,
        "response_format": response_format,
        "warnings": warnings,
    }


def manifest_choice(manifest: Any) -> CompileChoice:
    """The compile options a bundle's manifest records (``grader.compile``); a manifest
    without them (written before they were recorded): its grader type as the target."""
    from rubricate.rubrics.compile import TARGETS

    grader = (manifest.get("grader") if isinstance(manifest, dict) else None) or {}
    if "compile" in grader:
        return CompileChoice.from_record(grader["compile"])
    target = grader.get("type")
    return CompileChoice(target=target if target in TARGETS else None)
