"""Reading a calibration run directory for review, and appending expert grades to it.

The directory's layout is the contract written by ``rubricate calibrate``
(:mod:`rubricate.calibration.run_files`, ``docs/run-format.md``). This module is what
``rubricate review`` reads; it imports no UI library.

- :func:`check_run_dir` is the quick check the command line makes before starting the UI (a
  folder with ``run.json`` and ``grades.csv``).
- :func:`open_run` reads the manifest, the grades table, the calibration set (answer texts),
  the rubric the run used (``rubric.yaml`` in the run, else ``rubric_path`` from the manifest;
  without either, criteria are shown by id) and indexes ``records.jsonl`` without parsing it:
  a record (every model call's prompt and raw reply) is read from its byte offset when an
  answer is opened, so a run of any size opens in the time it takes to scan the file once.
  Anything missing that the review can do without becomes a note, not an error.
- :func:`append_expert_grade` appends one grade to the run's ``experts.csv``: one ``write`` of
  one line under an exclusive ``flock`` (two reviews grading at once never write the header
  twice), flushed and fsynced before it returns,
  so a grade the expert saw accepted is on disk. The file is only ever appended to (a header
  first when it is new); a later row for the same (item, answer, expert, criterion) replaces
  the earlier one for every reader (``last_wins``), which is how a grade is corrected.
  Grades are written on the expert's scale: 1 / 0 for met / not met, the level for a levelled
  criterion, as :mod:`rubricate.calibration.inputs.experts` reads them.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from rubricate.calibration.grades_table import TOTAL
from rubricate.calibration.inputs.experts import CSV_COLUMNS, normalise_grades, parse_grades_csv
from rubricate.calibration.probes.generate import PROBES_FILE
from rubricate.calibration.run_files import FILES, read_grades_csv, read_manifest
from rubricate.calibration.run_manifest import RunManifest, parse_manifest
from rubricate.errors import InputError
from rubricate.judge.records import GradeRecord

K = TypeVar("K")
V = TypeVar("V")
AnswerKey = tuple[str, str]
"""``(item_id, answer_id)``."""

_HEAD = re.compile(rb'^\{"item_id": ("(?:[^"\\]|\\.)*"), "answer_id": ("(?:[^"\\]|\\.)*"), '
                   rb'"repeat": (\d+)')  # fmt: skip
_PROMPT_HEAD = re.compile(rb'^\{"sha256": "([0-9a-f]{64})", "messages": ')


def check_run_dir(path: Path) -> None:
    """Raise :class:`InputError` unless ``path`` looks like a run directory (calibration or
    baseline: both have ``run.json`` and ``grades.csv``)."""
    if not path.exists():
        raise InputError(f"{path}: no such directory")
    if not path.is_dir():
        raise InputError(f"{path}: not a directory; give the run directory `calibrate` wrote")
    missing = [FILES[k] for k in ("run", "grades") if not (path / FILES[k]).exists()]
    if missing:
        raise InputError(
            f"{path}: no {' or '.join(missing)}; not a calibration run directory "
            "(`rubricate calibrate RUBRIC --set SET.jsonl --out DIR` writes one) nor a baseline "
            "run (`rubricate baseline RUBRIC --items ITEMS.jsonl --model M --out DIR`)"
        )


@dataclass(frozen=True)
class RecordIndex:
    """Where each grade record is in ``records.jsonl``, and each prompt in ``prompts.jsonl``.

    Attributes:
        path: the records file.
        offsets: ``(item_id, answer_id, repeat)`` -> byte offset of its line.
        prompts: request SHA-256 -> byte offset of its line in ``prompts.jsonl`` (beside
            ``path``; empty for a run that kept each prompt inside its record).
    """

    path: Path
    offsets: dict[tuple[str, str, int], int]
    prompts: dict[str, int] = field(default_factory=dict)

    def answer_records(self, item_id: str, answer_id: str) -> list[tuple[int, GradeRecord]]:
        """Every record of one answer, by repeat (unreadable lines are skipped), each call
        with its messages (from ``prompts.jsonl`` where the record names its request; a
        prompt that is not there leaves the call's messages empty)."""
        wanted = sorted(
            (repeat, offset)
            for (i, a, repeat), offset in self.offsets.items()
            if i == item_id and a == answer_id
        )
        records = self.read_lines(
            wanted, lambda data: GradeRecord.model_validate(data["record"])
        )
        self._fill_prompts([record for _, record in records])
        return records

    def _fill_prompts(self, records: list[GradeRecord]) -> None:
        calls = [
            call
            for record in records
            for call in record.calls
            if not call.messages and call.request_sha256 in self.prompts
        ]
        if not calls:
            return
        shas = sorted({str(call.request_sha256) for call in calls}, key=self.prompts.__getitem__)
        found = dict(
            self.read_lines(
                [(sha, self.prompts[sha]) for sha in shas],
                lambda data: list(data["messages"]),
                self.path.with_name(FILES["prompts"]),
            )
        )
        for call in calls:
            call.messages = [dict(m) for m in found.get(str(call.request_sha256), [])]

    def read_lines(
        self,
        wanted: Iterable[tuple[K, int]],
        parse: Callable[[Any], V],
        path: Path | None = None,
    ) -> list[tuple[K, V]]:
        """``(key, parse(line))`` for each ``(key, byte offset)`` wanted, in that order, from
        ``path`` (default: the records file); a line that is not JSON or that ``parse``
        rejects (ValueError, KeyError, TypeError) is skipped."""
        out = []
        try:
            handle = (path or self.path).open("rb")
        except OSError:
            return []
        with handle:
            for key, offset in wanted:
                handle.seek(offset)
                try:
                    out.append((key, parse(json.loads(handle.readline()))))
                except (ValueError, KeyError, TypeError):
                    continue
        return out


def index_records(path: Path, cancelled: Callable[[], bool] = lambda: False) -> RecordIndex:
    """Scan ``records.jsonl`` once for the offset of every record (a missing file: empty).

    Each line's ids are read from its head (``calibrate`` writes ``item_id``, ``answer_id``
    and ``repeat`` first); a line written differently is parsed whole. Lines that cannot be
    read are skipped (a run killed mid-write can end with half a line).
    """
    offsets: dict[tuple[str, str, int], int] = {}
    if not path.exists():
        return RecordIndex(path, offsets)
    with path.open("rb") as handle:
        offset = 0
        for line in handle:
            if cancelled():
                break
            match = _HEAD.match(line)
            try:
                if match:
                    key = (json.loads(match[1]), json.loads(match[2]), int(match[3]))
                else:
                    data = json.loads(line)
                    key = (str(data["item_id"]), str(data["answer_id"]), int(data["repeat"]))
                offsets[key] = offset
            except (ValueError, KeyError, TypeError):
                pass
            offset += len(line)
    return RecordIndex(path, offsets, index_prompts(path.with_name(FILES["prompts"]), cancelled))


def index_prompts(path: Path, cancelled: Callable[[], bool] = lambda: False) -> dict[str, int]:
    """Scan ``prompts.jsonl`` once: request SHA-256 -> byte offset of its line (a missing
    file: empty; a line without a readable head is skipped)."""
    offsets: dict[str, int] = {}
    try:
        handle = path.open("rb")
    except OSError:
        return offsets
    with handle:
        offset = 0
        for line in handle:
            if cancelled():
                break
            match = _PROMPT_HEAD.match(line)
            if match:
                offsets.setdefault(match[1].decode("ascii"), offset)
            offset += len(line)
    return offsets


@dataclass(frozen=True)
class RunAnswer:
    """One answer of the calibration set as the run graded it."""

    item_id: str
    answer_id: str
    tier: str
    kind: str | None
    text: str


@dataclass(kw_only=True)
class RunDirectory:
    """A run directory of any kind, read for review.

    Attributes:
        path: the directory.
        manifest: ``run.json``, typed.
        grades: the tidy grades table (``grades.csv``).
        rubric: the rubric the run used, or None when it cannot be read.
        records: the index of ``records.jsonl``.
        notes: what could not be read and what the review does without it.
    """

    path: Path
    manifest: RunManifest
    grades: pd.DataFrame
    rubric: Any
    records: RecordIndex
    notes: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class CalibrationRun(RunDirectory):
    """A calibration run directory, read for review (the common fields: :class:`RunDirectory`).

    Attributes:
        answers: every answer of the set, by ``(item_id, answer_id)``, in set order.
    """

    answers: dict[AnswerKey, RunAnswer]

    @property
    def experts_path(self) -> Path:
        """The run's expert grades file (it may not exist yet)."""
        return self.path / FILES["experts"]

    def expert_rows(self) -> list[dict[str, Any]]:
        """The grades in ``experts.csv`` as written (later rows win); [] when there is none.

        Raises:
            InputError: the file is not a readable expert grades CSV.
        """
        try:
            text = self.experts_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except UnicodeDecodeError:
            raise InputError(f"{self.experts_path}: not UTF-8 text; save it as UTF-8") from None
        except OSError as error:
            raise InputError(
                f"{self.experts_path}: cannot be read: {error.strerror or error}"
            ) from None
        if not text.strip():
            return []
        return parse_grades_csv(text, source=str(self.experts_path), last_wins=True)

    def expert_order(self) -> list[str]:
        """Every expert named in ``experts.csv``, in the order they first appear in it, grades
        later replaced included. The file is only appended to, so a new expert comes last
        and nobody's place ever changes (the review numbers experts E1, E2 … by it); [] when
        the file is missing or cannot be read."""
        try:
            text = self.experts_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return []
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
        header = [name.strip().lower() for name in next(reader, [])]
        if "expert" not in header:
            return []
        column = header.index("expert")
        names = (row[column].strip() for row in reader if len(row) > column)
        return list(dict.fromkeys(name for name in names if name))

    def expert_grades(self) -> tuple[pd.DataFrame, list[str]]:
        """Expert grades on the judge's scale (``item_id, answer_id, expert, criterion,
        score``), and why some grades were left out (one line each; a file that cannot be
        read at all gives no grades and its reason)."""
        columns = ["item_id", "answer_id", "expert", "criterion", "score"]
        if self.rubric is None:
            return pd.DataFrame(columns=columns), ["no rubric: expert grades cannot be scaled"]
        answers = set(self.answers)
        try:
            rows = self.expert_rows()
        except InputError as error:
            return pd.DataFrame(columns=columns), [error.msg]
        try:  # all at once; row by row only to find which ones to leave out
            table, _ = normalise_grades(rows, self.rubric, answers, strict_answers=False)
            return table, []
        except InputError:
            pass
        kept, problems = [], []
        for row in rows:
            try:
                table, _ = normalise_grades([row], self.rubric, answers, strict_answers=False)
            except InputError as error:
                problems.append(error.msg)
                continue
            kept.append(table)
        if not kept:
            return pd.DataFrame(columns=columns), problems
        return pd.concat(kept, ignore_index=True), problems


def _probe_answers(path: Path, notes: list[str]) -> dict[AnswerKey, RunAnswer]:
    """The answers generated by ``--probe adversarial`` (``probes.jsonl``; none when absent)."""
    if not path.exists():
        return {}
    answers = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        notes.append(f"{path}: generated probe texts unavailable: {error}")
        return {}
    for number, line in enumerate(lines, 1):
        try:
            data = json.loads(line)
            key = (str(data["item_id"]), str(data["answer_id"]))
            answers[key] = RunAnswer(key[0], key[1], str(data["tier"]), data.get("kind"),
                                     str(data["text"]))  # fmt: skip
        except (ValueError, KeyError, TypeError):
            notes.append(f"{path}:{number}: not a generated probe line; skipped")
    return answers


def _answers(path: Path, grades: pd.DataFrame, notes: list[str]) -> dict[AnswerKey, RunAnswer]:
    from rubricate.calibration.inputs.calset import read_calibration_set

    answers: dict[AnswerKey, RunAnswer] = {}
    try:
        for entry in read_calibration_set(path).entries():
            answers[(entry.item_id, entry.answer_id)] = RunAnswer(
                entry.item_id, entry.answer_id, entry.tier, entry.kind, entry.text
            )
    except InputError as error:
        notes.append(f"answer texts unavailable: {error.msg}")
    answers.update(_probe_answers(path.parent / PROBES_FILE, notes))
    row: Any  # a grades table row (pandas types its fields as any scalar)
    for row in grades.drop_duplicates(["item_id", "answer_id"]).itertuples(index=False):
        key = (str(row.item_id), str(row.answer_id))
        if key not in answers:
            answers[key] = RunAnswer(key[0], key[1], str(row.tier), row.kind, "")
    return answers


def run_rubric(path: Path, manifest: RunManifest, notes: list[str]) -> Any:
    """The rubric a run used: its ``rubric.yaml``, else the manifest's ``rubric_path`` (with a
    note), else None (with a note); the manifest's judge model override applied."""
    from rubricate.rubrics.loader import load_rubric

    candidates = [path / "rubric.yaml"]
    if manifest.rubric_path:
        candidates.append(Path(manifest.rubric_path))
    for candidate in candidates:
        if not candidate.exists():
            continue
        try:
            rubric = load_rubric(candidate).rubric
        except InputError as error:
            notes.append(f"{candidate}: {error.msg}")
            continue
        if candidate != path / "rubric.yaml":
            notes.append(f"the run has no rubric.yaml; using {candidate} (it may have changed)")
        override = manifest.judge_model_override
        if override:
            rubric = rubric.model_copy(
                update={"judge": rubric.judge.model_copy(update={"model": override})}
            )
        return rubric
    notes.append("the rubric is not available: criteria are shown by id only")
    return None


def open_run(path: Path, cancelled: Callable[[], bool] = lambda: False) -> CalibrationRun:
    """Read a run directory for review (see the module docstring).

    Raises:
        InputError: not a run directory, or ``run.json`` / ``grades.csv`` cannot be read.
    """
    check_run_dir(path)
    manifest = parse_manifest(read_manifest(path), str(path / FILES["run"]))
    grades = read_grades_csv(path / FILES["grades"])
    notes: list[str] = []
    if manifest.status != "complete":
        notes.append("the run is partial: it stopped before every grade was made")
    answers = _answers(path / FILES["set"], grades, notes)
    rubric = run_rubric(path, manifest, notes)
    records = index_records(path / FILES["records"], cancelled)
    if not records.offsets:
        notes.append("no records.jsonl: the judge's reasoning is not available")
    return CalibrationRun(path=path, manifest=manifest, grades=grades, answers=answers,
                          rubric=rubric, records=records, notes=notes)  # fmt: skip


def _score_text(score: float) -> str:
    return str(int(score)) if float(score).is_integer() else repr(float(score))


def append_expert_grade(
    path: Path, item_id: str, answer_id: str, expert: str, criterion: str, score: float
) -> None:
    """Append one expert grade to the CSV at ``path`` and make it durable.

    The file is held under an exclusive lock (``flock``) from reading its header to the end of
    the write, so two reviews grading into the same run at once never both write a header, and
    a line is never written between another writer's check and write.

    Args:
        path: the run's ``experts.csv`` (created with its header when missing).
        item_id, answer_id: the answer.
        expert: the expert's name.
        criterion: a criterion id, or ``"__total__"`` for the overall score.
        score: on the expert's scale (1 / 0, a level, or the overall score).

    Raises:
        InputError: the file cannot be written, is not UTF-8 text (nothing is appended to a
            file in another encoding), or its header lacks a needed column.
    """
    if not expert.strip():
        raise InputError("an expert grade needs the expert's name")
    values = {
        "item_id": item_id,
        "answer_id": answer_id,
        "expert": expert.strip(),
        "criterion_id": "" if criterion == TOTAL else criterion,
        "score": _score_text(score),
    }
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as error:
        raise InputError(f"{path}: cannot save the grade: {error.strerror or error}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd is closed
        header, needs_newline = _existing_header(fd, path)
        new = header is None
        header = header or list(CSV_COLUMNS)
        missing = [c for c in CSV_COLUMNS if c not in header]
        if missing:
            raise InputError(f"{path}: the header lacks {', '.join(missing)}; cannot append")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if new:
            writer.writerow(header)
        writer.writerow([values.get(column, "") for column in header])
        text = ("\n" if needs_newline else "") + out.getvalue()
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
        if new:
            _fsync_dir(path.parent)
    except OSError as error:
        raise InputError(f"{path}: cannot save the grade: {error.strerror or error}") from None
    finally:
        os.close(fd)


def _existing_header(fd: int, path: Path) -> tuple[list[str] | None, bool]:
    """The header of the open file ``fd`` (None when it is empty) and whether it lacks a final
    newline.

    Raises:
        InputError: the file is not UTF-8 text (its first bad line named).
    """
    size = os.fstat(fd).st_size
    data = os.pread(fd, size, 0) if size else b""
    if not data.strip():
        return None, False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[error.start]:02x}); save it as UTF-8 "
            "(e.g. iconv -f latin1 -t utf-8), then grade again; this grade was not saved"
        ) from None
    header = next(csv.reader([text.split("\n", 1)[0]]))
    return [name.strip().lower() for name in header], data[-1:] not in (b"\n", b"\r")


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # not every file system syncs directories; the file itself is synced
    finally:
        os.close(fd)
