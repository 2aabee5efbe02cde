"""Running a prepared baseline (:func:`execute_baseline`): sample, grade, write, report.

The run directory (``docs/run-format.md``, "Baseline run directory") follows the
calibration run's contract so ``rubricate review`` can open it: ``grader.json`` (the exact bytes
that graded), ``rubric.yaml``, ``items.jsonl`` (the items file's bytes), ``run.json``
(``"kind": "baseline"``), ``grades.csv`` (:data:`~.run.BASELINE_COLUMNS`),
``samples.csv``, ``records.jsonl``, ``experts.csv`` (header only: review's expert mode appends
to it), the reports and ``figures/``.

Generation needs a model endpoint; without one :func:`execute_baseline` raises
:class:`InputError` (saying how to configure it) before writing anything. ``run.json`` is
written first with ``status: "partial"``; every sample is appended as it completes; a run
interrupted (Ctrl-C, a crash) keeps what it finished, and rerunning the same command replays
every call already paid for from the call store (zero new requests when all were answered).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from rubricate._version import __version__
from rubricate.calibration.baseline.prepare import PreparedBaseline
from rubricate.calibration.baseline.report import build_baseline_data, write_baseline_reports
from rubricate.calibration.baseline.run import (
    BASELINE_COLUMNS,
    SAMPLE_COLUMNS,
    BaselineRunner,
    all_jobs,
    previous_latencies,
)
from rubricate.calibration.inputs.experts import CSV_HEADER, normalise_grades, read_grades_csv
from rubricate.calibration.run.manifest import judge_model, rubric_fields, start_fields
from rubricate.calibration.run.pipeline import RunKind, RunOutcome, execute_run
from rubricate.calibration.run_files import RunWriter, sha256_bytes, write_atomic
from rubricate.errors import InputError
from rubricate.judge.calls import ClientSettings
from rubricate.progress import Progress
from rubricate.rubrics.model import Rubric

NO_ENDPOINT = (
    "no model endpoint configured: baseline samples the models, so it needs one (generation "
    "cannot be skipped); export OPENAI_API_KEY=... or pass --base-url http://localhost:8000/v1 "
    "(vLLM, Ollama; or set OPENAI_BASE_URL)"
)


BaselineOutcome = RunOutcome
"""What a finished baseline produced (a :class:`RunOutcome`)."""


def baseline_manifest(prepared: PreparedBaseline, settings: ClientSettings) -> dict[str, Any]:
    """The ``run.json`` of a baseline about to start (``status: partial``)."""
    request = prepared.request
    return {
        "rubricate_version": __version__,
        "kind": "baseline",
        **rubric_fields(request.rubric, prepared),
        "items_path": str(request.items),
        "items_sha256": sha256_bytes(prepared.items_bytes),
        "set_path": None,
        "models": list(request.models),
        "samples": request.samples,
        "repeats": 1,
        "repeats_mode": "fixed",
        "generation": {**prepared.generation.as_dict(), "developer": request.developer},
        "judge_model": judge_model(prepared.grader),
        **start_fields(settings, judged_run=True),
        "warnings": list(prepared.warnings),
    }


def _counts(prepared: PreparedBaseline, samples: pd.DataFrame, grades: pd.DataFrame) -> dict:
    return {
        "items": len(prepared.items),
        "models": len(prepared.request.models),
        "samples": int(len(samples)),
        "scored_samples": int(samples["scored"].sum()),
        "unscored_samples": int((~samples["scored"]).sum()),
        "replayed_generations": int(samples["cached"].sum()),
        "rows": int(len(grades)),
    }


def _write_samples(out: Path, samples: pd.DataFrame) -> None:
    text = samples[list(SAMPLE_COLUMNS)].to_csv(index=False, lineterminator="\n")
    write_atomic(out / "samples.csv", text.encode("utf-8"))


class BaselineKind(RunKind):
    """A baseline as a :class:`~rubricate.calibration.run.pipeline.RunKind`."""

    unit = "samples"
    prepared: PreparedBaseline

    def __init__(self, prepared: PreparedBaseline, settings: ClientSettings) -> None:
        super().__init__(prepared, settings)
        self.runner: BaselineRunner | None = None
        self.latencies: dict[str, float] = {}
        self.samples = pd.DataFrame()

    def open_client(self, opener: Callable[[ClientSettings], Any]) -> Any | None:
        client = opener(self.settings)
        if client is None:
            raise InputError(NO_ENDPOINT)
        return client

    def open_writer(self) -> RunWriter:
        return RunWriter(self.prepared.out, columns=BASELINE_COLUMNS)

    def write_inputs(self, writer: RunWriter) -> None:
        out = self.prepared.out
        write_atomic(out / "grader.json", self.prepared.grader_bytes)
        write_atomic(out / "rubric.yaml", self.prepared.rubric_bytes)
        write_atomic(out / "items.jsonl", self.prepared.items_bytes)
        if not (out / "experts.csv").exists():
            write_atomic(out / "experts.csv", CSV_HEADER.encode("utf-8"))

    def manifest(self) -> dict[str, Any]:
        return baseline_manifest(self.prepared, self.settings)

    def before_streams(self) -> None:
        self.latencies = previous_latencies(self.prepared.out / "records.jsonl")

    def runtime_options(self) -> dict[str, Any]:
        return {"python_workers": self.prepared.request.workers}

    async def grade(
        self, runtime: Any, client: Any | None, writer: RunWriter, progress: Progress
    ) -> None:
        request = self.prepared.request
        jobs = all_jobs(self.prepared.items, request.models, request.samples)
        at_once = len(jobs) if self.settings.batch else max(8, self.settings.concurrency)
        assert client is not None  # open_client refuses to run without one
        self.runner = BaselineRunner(self.prepared, client, runtime, writer, client.prices,
                                     progress=progress, concurrency=at_once,
                                     batch=self.settings.batch,
                                     latencies=self.latencies)  # fmt: skip
        progress.start(total=len(jobs), description="sampling and grading")
        await self.runner.run(jobs)

    def _runner(self) -> BaselineRunner:
        assert self.runner is not None
        return self.runner

    def grades(self) -> pd.DataFrame:
        self.samples = self._runner().sample_table()
        return self._runner().grades()

    def write_tables(self, writer: RunWriter, grades: pd.DataFrame) -> None:
        writer.finish(grades)
        _write_samples(self.prepared.out, self.samples)

    def counts(self, grades: pd.DataFrame) -> dict[str, Any]:
        return _counts(self.prepared, self.samples, grades)

    def done(self) -> int:
        return len(self.samples)

    def report(self, grades: pd.DataFrame, run: dict[str, Any]) -> tuple[dict, list[Path]]:
        prepared = self.prepared
        rows = {item.item_id: item.row for item in prepared.items}
        experts = sample_experts(prepared.out / "experts.csv", prepared.rubric, grades)
        data = build_baseline_data(grades, self.samples, rubric=prepared.rubric,
                                   plan=prepared.plan, manifest=run, rows=rows,
                                   experts=experts)  # fmt: skip
        return data, write_baseline_reports(prepared.out, data, figures=prepared.request.figures)


def sample_experts(path: Path, rubric: Rubric, grades: pd.DataFrame) -> pd.DataFrame | None:
    """The expert grades of the run's samples from its ``experts.csv`` (a later row for the
    same grade replaces the earlier, as ``rubricate review`` appends), on the judge's scale;
    grades of samples not in this run are dropped. None when the file is absent or empty.

    Raises:
        InputError: a grade off its criterion's scale or for an unknown criterion (file:line).
    """
    if not path.exists():
        return None
    raw = read_grades_csv(path, last_wins=True)
    if not raw:
        return None
    answers = set(zip(grades["item_id"], grades["answer_id"], strict=True))
    table, _ = normalise_grades(raw, rubric, answers, strict_answers=False)
    return table


async def execute_baseline(
    prepared: PreparedBaseline,
    settings: ClientSettings,
    *,
    progress: Progress | None = None,
    open_client: Callable[[ClientSettings], Any] | None = None,
) -> BaselineOutcome:
    """Sample, grade, write the run directory and the reports (see the module docstring).

    Args:
        prepared: from :func:`~rubricate.calibration.baseline.prepare.prepare_baseline`.
        settings: the model client settings (generation and judging share the client).
        progress: advanced once per finished sample.
        open_client: opens the model client (default :func:`rubricate.judge.client.open_client`).

    Raises:
        InputError: no model endpoint configured (nothing is written).
    """
    kind = BaselineKind(prepared, settings)
    return await execute_run(kind, progress=progress, open_client=open_client)
