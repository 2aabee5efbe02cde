"""Running a prepared calibration (:func:`execute`): grade, write the run directory, report.

See :mod:`rubricate.calibration.run.session` for the whole flow. A run interrupted here (Ctrl-C, a
crash) leaves ``run.json`` with ``status: "partial"`` and every grade finished so far in
``records.jsonl`` and ``grades.csv``; rerunning the same command replays every judge answer
already paid for from the call store.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from rubricate.calibration.grades_table import TIERS, TOTAL, is_scored
from rubricate.calibration.inputs.experts import CSV_HEADER, normalise_grades, read_grades_csv
from rubricate.calibration.report.data import build_report_data
from rubricate.calibration.report.files import REPORT_FILES, write_reports
from rubricate.calibration.run.adaptive import run_adaptive
from rubricate.calibration.run.manifest import endpoint_fields, run_usage, utc_now
from rubricate.calibration.run.runner import CalibrationRunner, full_jobs
from rubricate.calibration.run.session import Prepared, experts_text, manifest, no_endpoint_line
from rubricate.calibration.run_files import RunWriter, write_atomic
from rubricate.calibration.verdicts import is_not_run
from rubricate.errors import InputError
from rubricate.judge.breaker import EndpointDown
from rubricate.judge.calls import ClientSettings
from rubricate.progress import NoProgress, Progress


@dataclass
class Outcome:
    """What a finished run produced.

    Attributes:
        out: the run directory.
        manifest: the final ``run.json``.
        data: the report data.
        files: every file written by the reports.
    """

    out: Path
    manifest: dict[str, Any]
    data: dict[str, Any]
    files: list[Path]


def _check_budget(prepared: Prepared) -> None:
    request, plan = prepared.request, prepared.plan
    if request.repeats is None or request.budget is None:
        return
    need = request.repeats * len(prepared.entries) * plan.calls_per_grade
    if need > request.budget:
        raise InputError(
            f"--budget {request.budget}: {request.repeats} repeats of {len(prepared.entries)} "
            f"answers need {need} judge calls; raise the budget, lower --repeats, or use "
            "--repeats auto"
        )


def _counts(prepared: Prepared, grades: pd.DataFrame, runner: CalibrationRunner) -> dict:
    answers = {(e.item_id, e.answer_id): e.tier for e in prepared.entries}
    not_run = is_not_run(grades)
    return {
        "items": len({e.item_id for e in prepared.entries}),
        "answers": len(answers),
        "answers_by_tier": {t: sum(1 for v in answers.values() if v == t) for t in TIERS},
        "excluded": len(prepared.leaks),
        "grades": runner.jobs_done,
        "rows": int(len(grades)),
        "unscored_rows": int((~is_scored(grades) & ~not_run).sum()),
        "not_run_rows": int(not_run.sum()),
        "judge_calls_scheduled": runner.calls,
    }


def _experts_frame(prepared: Prepared, warn: Callable[[str], None]) -> pd.DataFrame | None:
    path = prepared.out / "experts.csv"
    rows = read_grades_csv(path, last_wins=True) if path.exists() else []
    if not rows:
        return None
    answers = {(e.item_id, e.answer_id) for e in prepared.calset.entries()}
    kept, skipped = [], 0
    for row in rows:  # a grade entered for an older rubric or set must not stop the report
        try:
            normalise_grades([row], prepared.rubric, answers)
        except InputError:
            skipped += 1
            continue
        kept.append(row)
    if skipped:
        warn(f"{skipped} expert grades in {path} do not fit this rubric or set; left out")
    frame, _ = normalise_grades(kept, prepared.rubric, answers)
    return frame


def _keep_judged_run(out: Path) -> None:
    """Refuse to replace a judged run in ``out`` by a run without a judge."""
    try:
        previous = json.loads((out / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(previous, dict) and previous.get("judged_run") and previous.get("kind") != (
        "baseline"
    ):
        raise InputError(
            f"{out}: holds a judged run (finished {previous.get('finished_at') or '?'}); without "
            "a model endpoint this run would replace it with a checks-only one. Set "
            "OPENAI_API_KEY or --base-url to rerun it (its judge calls replay from the store "
            "for free), pass another --out, or rebuild its reports with --report-only"
        )


def _stop(
    prepared: Prepared,
    writer: RunWriter,
    run: dict[str, Any],
    grades: pd.DataFrame,
    runner: CalibrationRunner,
    down: EndpointDown,
    client: Any,
    started: float,
) -> None:
    """Keep what finished (``run.json`` says ``stopped`` and why) and raise a one-line error."""
    writer.finish(grades)
    run.update(
        finished_at=utc_now(),
        status="stopped",
        stopped=down.msg,
        usage=run_usage(client, time.perf_counter() - started),
        counts=_counts(prepared, grades, runner),
    )
    writer.write_manifest(run)
    for name in REPORT_FILES:  # a previous run's reports no longer describe this folder
        (prepared.out / name).unlink(missing_ok=True)
    raise EndpointDown(
        f"{down.msg}; the {runner.jobs_done} grades finished are kept in {prepared.out} and every "
        "answer already paid for replays from the call store"
    )


async def execute(
    prepared: Prepared,
    settings: ClientSettings,
    *,
    progress: Progress | None = None,
    warn: Callable[[str], None] = lambda message: None,
    open_client: Callable[[ClientSettings], Any] | None = None,
) -> Outcome:
    """Grade, write the run directory and the reports (see the module docstring).

    Args:
        prepared: from :func:`rubricate.calibration.run.session.prepare`.
        settings: the model client settings.
        progress: advanced once per graded answer and repeat.
        warn: receives one-line warnings (no endpoint, grades kept or left out).
        open_client: opens the model client (default :func:`rubricate.judge.client.open_client`).
    """
    from rubricate.judge.client import open_client as default_open
    from rubricate.judge.memo import Memo
    from rubricate.judge.runtime import Runtime

    _check_budget(prepared)
    request, plan, progress = prepared.request, prepared.plan, progress or NoProgress()
    client = None
    if plan.calls_per_grade:
        client = (open_client or default_open)(settings)
        if client is None:
            _keep_judged_run(prepared.out)
            warn(no_endpoint_line(plan))
    writer = RunWriter(prepared.out)
    given_experts, _ = experts_text(prepared, warn)
    writer.write_inputs(prepared.grader_bytes, prepared.set_bytes, given_experts or CSV_HEADER)
    write_atomic(prepared.out / "rubric.yaml", prepared.rubric_bytes)
    run = manifest(prepared, settings)
    writer.write_manifest(run)
    writer.open_streams()
    # batch mode submits what is queued: every job must be queued at once
    jobs_at_once = 1_000_000 if settings.batch else max(8, settings.concurrency)
    started = time.perf_counter()
    adaptive = None
    runner: CalibrationRunner | None = None
    stopped: EndpointDown | None = None
    try:
        # repeats of an answer run side by side (jobs go answer by answer): a memo a few times
        # the jobs in flight lets them share each rendered prompt and check result
        memo = Memo(size=max(1024, 8 * min(jobs_at_once, 4096)))
        async with Runtime(
            client, python_workers=request.workers, score_clipped=request.score_clipped,
            memo=memo,
        ) as runtime:  # fmt: skip
            runner = CalibrationRunner(prepared.grader, plan, runtime, writer,
                                       progress=progress, concurrency=jobs_at_once)  # fmt: skip
            progress.start(description="grading")
            if request.repeats is not None:
                await runner.run(full_jobs(prepared.entries, range(request.repeats)))
            else:
                settings_auto = dataclasses.replace(
                    request.adaptive, budget=request.budget, seed=request.seed
                )
                adaptive = (await run_adaptive(runner, prepared.entries, settings_auto)).as_dict()
    except EndpointDown as down:
        stopped = down
    finally:
        progress.close()
        writer.close_streams()
        if client is not None:
            await client.aclose()
    assert runner is not None
    grades = runner.grades()
    if stopped is not None:
        _stop(prepared, writer, run, grades, runner, stopped, client, started)
    writer.finish(grades)
    total_rows = grades[grades["criterion"] == TOTAL]
    run.update(
        finished_at=utc_now(),
        status="complete",
        judged_run=not bool(is_not_run(grades).any()),
        repeats=int(grades["repeat"].max() + 1) if len(grades) else 0,
        usage=run_usage(client, time.perf_counter() - started),
        endpoint=endpoint_fields(client),
        **runtime.judge_format.manifest_fields(),
        counts={**_counts(prepared, grades, runner), "total_rows": int(len(total_rows))},
        experts_csv="experts.csv" if given_experts else None,
        adaptive=adaptive,
        python_sandbox=runtime.python_isolation,
    )
    writer.write_manifest(run)
    data = build_report_data(
        grades,
        rubric=prepared.rubric,
        plan=plan,
        manifest=run,
        experts=_experts_frame(prepared, warn),
        leaks=run["excluded"],
        adaptive=adaptive,
        seed=request.seed,
    )
    files = write_reports(prepared.out, data, figures=request.figures)
    return Outcome(out=prepared.out, manifest=run, data=data, files=files)
