"""Writing an RFT bundle directory, and reading one back for submission.

A bundle (``rubricate export rft ... --out DIR``) is six files: ``grader.json``,
``train.jsonl``, ``valid.jsonl``, ``job.json``, ``manifest.json``, ``README.md``
(:meth:`rubricate.export.rft.prepare.Prepared.files`). Each is written atomically (a temporary
file in DIR renamed over the target), so a crash leaves either the old file or the new one.
Other files in DIR are left alone; the folder is created (with its parents) when missing.

After a submission, ``submission.json`` records the provider, the uploaded file ids and the
job id (:func:`write_submission`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rubricate.errors import InputError

BUNDLE_FILES = (
    "grader.json",
    "train.jsonl",
    "valid.jsonl",
    "job.json",
    "manifest.json",
    "README.md",
)
SUBMISSION = "submission.json"


def _write_atomic(path: Path, data: bytes) -> None:
    from rubricate.files import write_atomic

    write_atomic(path, data)  # the umask's permissions, not a temporary file's 0600


def write_files(out: Path, files: dict[str, bytes]) -> list[Path]:
    """Write ``files`` (name -> bytes) into ``out``; returns the paths written.

    Raises:
        InputError: ``out`` is a file, or cannot be created or written.
    """
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a directory; choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in files.items():
            _write_atomic(out / name, data)
            written.append(out / name)
    except OSError as error:
        raise InputError(f"{out}: cannot write the bundle: {error.strerror or error}") from None
    return written


def read_bundle(folder: Path) -> dict[str, Any]:
    """A bundle's ``job.json`` and the paths of its data files.

    Returns:
        ``{"job": dict, "train": Path, "valid": Path, "manifest": dict}``.

    Raises:
        InputError: the folder is not a complete bundle (the message names what is missing).
    """
    if not folder.is_dir():
        raise InputError(f"{folder}: not a directory; give the --out folder of `export rft`")
    missing = [n for n in ("job.json", "train.jsonl", "valid.jsonl") if not (folder / n).is_file()]
    if missing:
        raise InputError(
            f"{folder}: not an RFT bundle (no {', '.join(missing)}); write one with "
            "`rubricate export rft`"
        )
    from rubricate.files import read_json

    job = read_json(folder / "job.json", "job file")
    manifest_path = folder / "manifest.json"
    manifest = read_json(manifest_path, "manifest") if manifest_path.is_file() else {}
    if not isinstance(job, dict):
        raise InputError(f"{folder}/job.json: must be a JSON object")
    return {
        "job": job,
        "train": folder / "train.jsonl",
        "valid": folder / "valid.jsonl",
        "manifest": manifest,
    }


def write_submission(folder: Path, record: dict[str, Any]) -> Path:
    """Record a submission (provider, file ids, job id) as ``submission.json`` in the bundle."""
    path = folder / SUBMISSION
    text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    try:
        _write_atomic(path, text.encode("utf-8"))
    except OSError as error:
        raise InputError(f"{path}: cannot write: {error.strerror or error}") from None
    return path
