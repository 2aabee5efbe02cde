"""Reading a baseline run directory for review.

``rubricate baseline`` writes a run directory that follows the calibration run's contract
(:mod:`.execution`): ``run.json`` with ``"kind": "baseline"``, ``grades.csv`` with
``model`` and ``sample`` columns (``answer_id`` is ``<model>#<i>``), ``records.jsonl`` with one
line per sample (its text, the generation call, the grade record), ``rubric.yaml`` and
``items.jsonl``. This module is what ``rubricate review`` reads for such a run; it imports no
UI library.

- :func:`run_kind` tells a baseline run from a calibration run by ``run.json``'s ``kind``
  (a manifest without one is a calibration run: ``calibrate`` writes none).
- :func:`open_baseline_run` reads the manifest, the grades (every sample's grade rows), the
  rubric, the items' order (``items.jsonl``) and indexes ``records.jsonl`` without parsing it.
- :meth:`BaselineRun.sample_lines` reads one item's sample lines (text, generation call, grade
  record) from their byte offsets, when the item is opened.

Anything missing that the review can do without becomes a note, not an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from rubricate.calibration.grades_table import GRADE_COLUMNS
from rubricate.calibration.run.directory import (
    RunDirectory,
    check_run_dir,
    index_records,
    run_rubric,
)
from rubricate.calibration.run_files import FILES, read_manifest
from rubricate.calibration.run_manifest import RunManifest, parse_manifest
from rubricate.errors import InputError
from rubricate.judge.records import GradeRecord, ModelCallRecord

RunKind = Literal["calibration", "baseline"]
EXTRA_COLUMNS = ("model", "sample")
"""The columns a baseline ``grades.csv`` has beyond the tidy grades table."""
ITEMS_FILE = "items.jsonl"
TEXT_COLUMNS = ("item_id", "answer_id", "tier", "kind", "criterion", "model")
"""Columns read as text, never as numbers."""


def run_kind(path: Path) -> RunKind:
    """``"baseline"`` when ``path/run.json`` says so, else ``"calibration"``.

    Raises:
        InputError: ``run.json`` is missing or not a JSON object.
    """
    return "baseline" if read_manifest(path).get("kind") == "baseline" else "calibration"


def read_baseline_grades(path: Path) -> pd.DataFrame:
    """A baseline ``grades.csv``: the tidy grades table plus ``model`` and ``sample``.

    Raises:
        InputError: the file cannot be read, or lacks a column.
    """
    try:
        frame = pd.read_csv(
            path,
            dtype=dict.fromkeys(TEXT_COLUMNS, str),
            keep_default_na=False,
            na_values={"score": [""]},
        )
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: cannot read the grades table: {error}") from None
    columns = [*GRADE_COLUMNS, *EXTRA_COLUMNS]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{path}: lacks column(s) {', '.join(missing)}; not a baseline grades table "
            "(`rubricate baseline` writes one)"
        )
    try:
        frame["score"] = frame["score"].astype(float)
        frame["repeat"] = frame["repeat"].astype(int)
        frame["sample"] = frame["sample"].astype(int)
    except ValueError as error:
        raise InputError(f"{path}: a score, repeat or sample is not a number: {error}") from None
    frame["scored"] = frame["scored"].astype(str).str.lower().eq("true")
    for column in ("tier", "kind", "error"):
        frame[column] = frame[column].astype(object).where(frame[column].astype(str) != "", None)
    return frame[columns]


def read_item_order(path: Path, grades: pd.DataFrame, notes: list[str]) -> list[str]:
    """Item ids in the order of the run's ``items.jsonl`` (``line<N>`` for an item without an
    ``id``, as ``baseline`` names it); items only the grades know come last, sorted."""
    known = sorted(set(grades["item_id"]))
    order: list[str] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        notes.append(f"no readable {ITEMS_FILE}: items are listed by id")
        return known
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        item = data.get("id") if isinstance(data, dict) else None
        order.append(str(item) if item is not None else f"line{number}")
    return list(dict.fromkeys([*order, *known]))


@dataclass(frozen=True)
class SampleLine:
    """One sample as ``records.jsonl`` keeps it.

    Attributes:
        model, sample: whose sample, and its index.
        text: the model's reply (None when the generation failed).
        generation: the generation call (its prompt, usage, error).
        record: the grade record (reward, judge calls, why it is unscored).
        latency_s: the generation's latency (None when not known).
    """

    model: str
    sample: int
    text: str | None
    generation: ModelCallRecord | None
    record: GradeRecord | None
    latency_s: float | None


def _sample_line(data: dict[str, Any]) -> SampleLine:
    generation = data.get("generation")
    record = data.get("record")
    latency = data.get("latency_s")
    return SampleLine(
        model=str(data.get("model", "")),
        sample=int(data.get("sample", data.get("repeat", 0))),
        text=data.get("text") if isinstance(data.get("text"), str) else None,
        generation=ModelCallRecord.model_validate(generation) if generation else None,
        record=GradeRecord.model_validate(record) if record else None,
        latency_s=float(latency) if isinstance(latency, int | float) else None,
    )


@dataclass(kw_only=True)
class BaselineRun(RunDirectory):
    """A baseline run directory, read for review (the common fields: :class:`RunDirectory`).

    ``grades`` holds every sample's grade rows (:func:`read_baseline_grades`).

    Attributes:
        models: the models in the order they were given.
        items: item ids in the items file's order.
    """

    models: list[str]
    items: list[str]

    @property
    def samples(self) -> int:
        """Samples per item and model (as asked; the grades may hold fewer)."""
        asked = self.manifest.samples
        if isinstance(asked, int) and asked > 0:
            return asked
        return int(self.grades["sample"].max()) + 1 if len(self.grades) else 0

    def sample_lines(self, item_id: str) -> dict[str, SampleLine]:
        """Every sample of one item by ``answer_id`` (unreadable lines are left out)."""
        wanted = sorted(
            (answer, offset)
            for (item, answer, _), offset in self.records.offsets.items()
            if item == item_id
        )
        if not wanted:
            return {}
        return dict(self.records.read_lines(wanted, _sample_line))


def _models(manifest: RunManifest, grades: pd.DataFrame) -> list[str]:
    listed = list(manifest.models or [])
    return list(dict.fromkeys([*listed, *grades["model"]]))


def open_baseline_run(path: Path, cancelled: Callable[[], bool] = lambda: False) -> BaselineRun:
    """Read a baseline run directory for review (see the module docstring).

    Raises:
        InputError: not a run directory, not a baseline run, or ``run.json`` /
            ``grades.csv`` cannot be read.
    """
    check_run_dir(path)
    manifest = parse_manifest(read_manifest(path), str(path / FILES["run"]))
    if manifest.kind != "baseline":
        raise InputError(f'{path}: run.json is not a baseline run\'s (no "kind": "baseline")')
    grades = read_baseline_grades(path / FILES["grades"])
    notes: list[str] = []
    if manifest.status != "complete":
        notes.append("the run is partial: it stopped before every sample was graded")
    items = read_item_order(path / ITEMS_FILE, grades, notes)
    rubric = run_rubric(path, manifest, notes)
    records = index_records(path / FILES["records"], cancelled)
    if not records.offsets:
        notes.append("no records.jsonl: sample texts and the grader's reasoning are unavailable")
    return BaselineRun(path=path, manifest=manifest, grades=grades,
                       models=_models(manifest, grades), items=items, rubric=rubric,
                       records=records, notes=notes)  # fmt: skip
