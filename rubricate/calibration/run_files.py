"""The calibration run directory: writing it as grades arrive, and reading it back.

The layout is the contract in ``docs/run-format.md`` (``rubricate review`` and export
read it): ``grader.json`` (the exact bytes that were run), ``run.json`` (the manifest),
``set.jsonl`` (the set file's bytes), ``grades.csv`` (the tidy grades table), ``records.jsonl``
(one full grade record per line), ``prompts.jsonl`` (each judge prompt once, under its
request's SHA-256, which the records' calls name), ``experts.csv``, the reports and
``figures/``.

Crash safety: :class:`RunWriter` writes ``run.json`` with ``status: "partial"`` first, then
appends every record to ``records.jsonl`` and its rows to ``grades.csv`` as soon as the grade
completes, flushing both (the prompts a record names go first, to ``prompts.jsonl``), so a
killed run keeps every grade it finished (and the call store keeps every model answer it paid
for: a rerun replays them for free). :meth:`RunWriter.finish` rewrites ``grades.csv`` sorted
(atomically) and marks ``run.json`` complete. A rerun into the same directory starts the
records, prompts and grades afresh.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rubricate.calibration.grades_table import GRADE_COLUMNS
from rubricate.errors import InputError

if TYPE_CHECKING:  # pandas is imported where used: ~0.4 s the grading does not need
    import pandas as pd

    from rubricate.judge.records import GradeRecord

FILES = {
    "grader": "grader.json",
    "run": "run.json",
    "set": "set.jsonl",
    "grades": "grades.csv",
    "records": "records.jsonl",
    "prompts": "prompts.jsonl",
    "experts": "experts.csv",
}
"""The data files of a run directory."""


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename
    (:func:`rubricate.files.write_atomic`: the umask's permissions)."""
    from rubricate.files import write_atomic as write

    write(path, data)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else repr(value)  # NaN -> empty
    return value


class RunWriter:
    """Writes one run directory as the run goes (see the module docstring).

    Args:
        out: the run directory (created, with ``figures/``).
        columns: the columns of ``grades.csv`` (a baseline run adds ``model`` and ``sample``).
    """

    def __init__(self, out: Path, columns: tuple[str, ...] = GRADE_COLUMNS) -> None:
        self.out = out
        self.columns = columns
        try:
            (out / "figures").mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(f"{out}: cannot create the run folder: {error.strerror}") from None
        self._records: TextIO | None = None
        self._grades: TextIO | None = None
        self._prompts: TextIO | None = None
        self._prompted: set[str] = set()
        self._csv: Any = None

    def path(self, name: str) -> Path:
        """The path of one of :data:`FILES` (by key) or any file in the run directory."""
        return self.out / FILES.get(name, name)

    def write_inputs(self, grader_bytes: bytes, set_bytes: bytes, experts_text: str) -> None:
        """Write ``grader.json``, ``set.jsonl`` and ``experts.csv``."""
        write_atomic(self.path("grader"), grader_bytes)
        write_atomic(self.path("set"), set_bytes)
        write_atomic(self.path("experts"), experts_text.encode("utf-8"))

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write ``run.json`` (atomically)."""
        text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
        write_atomic(self.path("run"), text.encode("utf-8"))

    def open_streams(self) -> None:
        """Start ``records.jsonl`` and ``grades.csv`` afresh (and ``prompts.jsonl``: an
        earlier run's is removed; :meth:`append_record` starts it at the first prompt)."""
        self.close_streams()
        self._records = self.path("records").open("w", encoding="utf-8")
        self.path("prompts").unlink(missing_ok=True)
        self._prompted.clear()
        self._grades = self.path("grades").open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._grades, lineterminator="\n")
        self._csv.writerow(self.columns)
        self._grades.flush()

    def append(self, record_line: dict[str, Any] | str, rows: Iterable[dict[str, Any]]) -> None:
        """Append one record and its grade rows, and flush both files.

        ``record_line``: the ``records.jsonl`` line as a dict, or already as JSON text."""
        assert self._records is not None and self._grades is not None, "open_streams first"
        if not isinstance(record_line, str):
            record_line = json.dumps(record_line, ensure_ascii=False)
        self._records.write(record_line + "\n")
        self._records.flush()
        for row in rows:
            self._csv.writerow([_csv_value(row[c]) for c in self.columns])
        self._grades.flush()

    def append_record(
        self, line: dict[str, Any], record: GradeRecord, rows: Iterable[dict[str, Any]]
    ) -> None:
        """Append one grade record (``line`` holds its ids) and its grade rows, as
        :meth:`append`, with each call's prompt content-addressed.

        A call that names its request (``request_sha256``) leaves its messages out of
        ``records.jsonl``: they go to ``prompts.jsonl`` as ``{"sha256", "messages"}`` the first
        time the run meets that request, flushed before the record that names it, so every
        record on disk can be read back whole. The repeats of a request share one line: a
        run of R repeats keeps its prompts (~14 kB a call on the shipped rubric) once, not R
        times, and serialises and writes them once."""
        assert self._records is not None, "open_streams first"
        addressed: list[int] = []
        fresh = False
        for index, call in enumerate(record.calls):
            sha = call.request_sha256
            if sha is None:
                continue
            addressed.append(index)
            if sha not in self._prompted:
                if self._prompts is None:
                    self._prompts = self.path("prompts").open("w", encoding="utf-8")
                entry = {"sha256": sha, "messages": call.messages}
                self._prompts.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self._prompted.add(sha)
                fresh = True
        if fresh and self._prompts is not None:
            self._prompts.flush()
        exclude = {"calls": {index: {"messages"} for index in addressed}} if addressed else None
        # the record serialised in one pass by pydantic: the same JSON as json.dumps of
        # model_dump, NaN included (records.JSON_CONFIG)
        head = json.dumps(line, ensure_ascii=False)
        self.append(f'{head[:-1]}, "record": {record.model_dump_json(exclude=exclude)}}}', rows)

    def close_streams(self) -> None:
        """Close the streams (safe to call twice)."""
        for stream in (self._records, self._grades, self._prompts):
            if stream is not None:
                stream.close()
        self._records = self._grades = self._prompts = None

    def finish(self, grades: pd.DataFrame) -> None:
        """Close the streams and rewrite ``grades.csv`` sorted by answer, repeat, criterion."""
        self.close_streams()
        ordered = grades.sort_values(["item_id", "answer_id", "repeat", "criterion"], kind="stable")
        write_atomic(self.path("grades"), grades_csv_bytes(ordered, self.columns))


def grades_csv_bytes(grades: pd.DataFrame, columns: tuple[str, ...] = GRADE_COLUMNS) -> bytes:
    """A grades table as ``grades.csv`` bytes (empty cells for None/NaN)."""
    from io import StringIO

    out = StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in grades[list(columns)].itertuples(index=False):
        writer.writerow([_csv_value(v) for v in row])
    return out.getvalue().encode("utf-8")


def read_grades_csv(path: Path) -> pd.DataFrame:
    """A run's ``grades.csv`` as the tidy grades table (ids and texts kept as text)."""
    import pandas as pd

    try:
        frame = pd.read_csv(
            path,
            dtype={"item_id": str, "answer_id": str, "tier": str, "kind": str, "criterion": str},
            keep_default_na=False,
            na_values={"score": [""]},
        )
    except FileNotFoundError:
        raise InputError(f"{path}: no grades.csv; not a calibration run directory") from None
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: cannot read the grades table: {error}") from None
    missing = [c for c in GRADE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"{path}: the grades table has no {missing[0]!r} column (header: "
            f"{', '.join(GRADE_COLUMNS)}); rerun `rubricate calibrate` or restore the file"
        )
    frame["score"] = frame["score"].astype(float)
    frame["repeat"] = frame["repeat"].astype(int)
    frame["scored"] = frame["scored"].astype(str).str.lower().eq("true")
    for column in ("kind", "error"):
        frame[column] = frame[column].astype(object).where(frame[column].astype(str) != "", None)
    return frame[list(GRADE_COLUMNS)]


def read_manifest(out: Path) -> dict[str, Any]:
    """A run's ``run.json``.

    Raises:
        InputError: missing or not a JSON object.
    """
    from rubricate.files import read_json

    path = out / FILES["run"]
    if not out.is_dir():
        what = "no such folder" if not out.exists() else "not a folder"
        raise InputError(f"{out}: {what}; give the run directory (calibrate --out)")
    if not path.exists():
        raise InputError(f"{out}: no run.json; not a calibration run directory")
    data = read_json(path, "run manifest")
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a JSON object")
    return data
