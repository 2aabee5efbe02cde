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

import time
from collections.abc import Callable
from dataclasses import dataclass
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
from rubricate.calibration.inputs.experts import CSV_HEADER
from rubricate.calibration.run.manifest import (
    endpoint_fields,
    judge_model,
    rubric_fields,
    run_usage,
    start_fields,
    utc_now,
)
from rubricate.calibration.run_files import RunWriter, sha256_bytes, write_atomic
from rubricate.errors import InputError
from rubricate.judge.breaker import EndpointDown
from rubricate.judge.calls import ClientSettings
from rubricate.progress import NoProgress, Progress

NO_ENDPOINT = (
    "no model endpoint configured: baseline samples the models, so it needs one (generation "
    "cannot be skipped); export OPENAI_API_KEY=... or pass --base-url http://localhost:8000/v1 "
    "(vLLM, Ollama; or set OPENAI_BASE_URL)"
)


@dataclass
class BaselineOutcome:
    """What a finished baseline run produced."""

    out: Path
    manifest: dict[str, Any]
    data: dict[str, Any]
    files: list[Path]


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
    from rubricate.judge.client import open_client as default_open
    from rubricate.judge.runtime import Runtime

    client = (open_client or default_open)(settings)
    if client is None:
        raise InputError(NO_ENDPOINT)
    request, out = prepared.request, prepared.out
    progress = progress or NoProgress()
    try:
        writer = RunWriter(out, columns=BASELINE_COLUMNS)
    except InputError:
        await client.aclose()
        raise
    write_atomic(out / "grader.json", prepared.grader_bytes)
    write_atomic(out / "rubric.yaml", prepared.rubric_bytes)
    write_atomic(out / "items.jsonl", prepared.items_bytes)
    if not (out / "experts.csv").exists():
        write_atomic(out / "experts.csv", CSV_HEADER.encode("utf-8"))
    run = baseline_manifest(prepared, settings)
    writer.write_manifest(run)
    latencies = previous_latencies(out / "records.jsonl")  # before the streams start afresh
    writer.open_streams()
    jobs = all_jobs(prepared.items, request.models, request.samples)
    at_once = len(jobs) if settings.batch else max(8, settings.concurrency)
    started = time.perf_counter()
    stopped: EndpointDown | None = None
    try:
        async with Runtime(client, python_workers=request.workers) as runtime:
            runner = BaselineRunner(prepared, client, runtime, writer, client.prices,
                                    progress=progress, concurrency=at_once,
                                    batch=settings.batch, latencies=latencies)  # fmt: skip
            progress.start(total=len(jobs), description="sampling and grading")
            await runner.run(jobs)
    except EndpointDown as down:
        stopped = down
    finally:
        progress.close()
        writer.close_streams()
        await client.aclose()
    grades, samples = runner.grades(), runner.sample_table()
    writer.finish(grades)
    _write_samples(out, samples)
    if stopped is not None:  # keep what finished; say why the run stopped
        run.update(finished_at=utc_now(), status="stopped", stopped=stopped.msg,
                   usage=run_usage(client, time.perf_counter() - started),
                   counts=_counts(prepared, samples, grades))  # fmt: skip
        writer.write_manifest(run)
        for name in ("report.json", "report.md", "report.html"):
            (out / name).unlink(missing_ok=True)
        raise EndpointDown(
            f"{stopped.msg}; the {len(samples)} samples finished are kept in {out} and every "
            "answer already paid for replays from the call store"
        )
    run.update(
        finished_at=utc_now(),
        status="complete",
        usage=run_usage(client, time.perf_counter() - started),
        endpoint=endpoint_fields(client),
        **runtime.judge_format.manifest_fields(),
        counts=_counts(prepared, samples, grades),
        python_sandbox=runtime.python_isolation,
    )
    writer.write_manifest(run)
    rows = {item.item_id: item.row for item in prepared.items}
    data = build_baseline_data(
        grades, samples, rubric=prepared.rubric, plan=prepared.plan, manifest=run, rows=rows
    )
    files = write_baseline_reports(out, data, figures=request.figures)
    return BaselineOutcome(out=out, manifest=run, data=data, files=files)
