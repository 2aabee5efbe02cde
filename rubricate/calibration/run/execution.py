"""Running a prepared calibration (:func:`execute`): grade, write the run directory, report.

See :mod:`rubricate.calibration.run.session` for the whole flow. A run interrupted here (Ctrl-C, a
crash) leaves ``run.json`` with ``status: "partial"`` and every grade finished so far in
``records.jsonl`` and ``grades.csv``; rerunning the same command replays every judge answer
already paid for from the call store.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rubricate.calibration.grades_table import TIERS, TOTAL, is_scored
from rubricate.calibration.inputs.experts import CSV_HEADER, normalise_grades, read_grades_csv
from rubricate.calibration.probes.generate import PROBES_FILE
from rubricate.calibration.run.adaptive import run_adaptive
from rubricate.calibration.run.pipeline import RunKind, RunOutcome, execute_run
from rubricate.calibration.run.runner import CalibrationRunner, full_jobs
from rubricate.calibration.run.session import Prepared, experts_text, manifest, no_endpoint_line
from rubricate.calibration.run_files import RunWriter, write_atomic
from rubricate.calibration.verdicts import is_not_run
from rubricate.errors import InputError
from rubricate.judge.calls import ClientSettings
from rubricate.progress import Progress

if TYPE_CHECKING:  # pandas is imported where used: ~0.4 s the grading does not need
    import pandas as pd

Outcome = RunOutcome
"""What a finished calibration produced (a :class:`RunOutcome`)."""


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
        "generated_probes": len(prepared.probes.entries) if prepared.probes else 0,
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
    answers |= {(e.item_id, e.answer_id) for e in prepared.entries}  # generated probes too
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


class CalibrationKind(RunKind):
    """A calibration as a :class:`~rubricate.calibration.run.pipeline.RunKind`."""

    prepared: Prepared

    def __init__(
        self, prepared: Prepared, settings: ClientSettings, warn: Callable[[str], None]
    ) -> None:
        super().__init__(prepared, settings)
        self.warn = warn
        self.runner: CalibrationRunner | None = None
        self.adaptive: dict[str, Any] | None = None
        self.given_experts: str | None = None

    def open_client(self, opener: Callable[[ClientSettings], Any]) -> Any | None:
        _check_budget(self.prepared)
        if not self.prepared.plan.calls_per_grade:
            return None
        client = opener(self.settings)
        if client is None:
            _keep_judged_run(self.prepared.out)
            self.warn(no_endpoint_line(self.prepared.plan))
        return client

    def open_writer(self) -> RunWriter:
        return RunWriter(self.prepared.out)

    def write_inputs(self, writer: RunWriter) -> None:
        prepared = self.prepared
        self.given_experts, _ = experts_text(prepared, self.warn)
        writer.write_inputs(
            prepared.grader_bytes, prepared.set_bytes, self.given_experts or CSV_HEADER
        )
        write_atomic(prepared.out / "rubric.yaml", prepared.rubric_bytes)
        probes_file = prepared.out / PROBES_FILE
        if prepared.probes is not None:
            write_atomic(probes_file, prepared.probes.jsonl().encode("utf-8"))
        else:  # a rerun without --probe: the folder must not keep the last run's probes
            probes_file.unlink(missing_ok=True)

    def manifest(self) -> dict[str, Any]:
        return manifest(self.prepared, self.settings)

    def _at_once(self) -> int:
        # batch mode submits what is queued: every job must be queued at once
        return 1_000_000 if self.settings.batch else max(8, self.settings.concurrency)

    def runtime_options(self) -> dict[str, Any]:
        from rubricate.judge.memo import Memo

        request = self.prepared.request
        # repeats of an answer run side by side (jobs go answer by answer): a memo a few times
        # the jobs in flight lets them share each rendered prompt and check result
        memo = Memo(size=max(1024, 8 * min(self._at_once(), 4096)))
        return {
            "python_workers": request.workers,
            "score_clipped": request.score_clipped,
            "memo": memo,
        }

    async def grade(
        self, runtime: Any, client: Any | None, writer: RunWriter, progress: Progress
    ) -> None:
        prepared, request = self.prepared, self.prepared.request
        at_once = self._at_once()
        # no more jobs at once than the client can soon send the calls of (CalibrationRunner)
        ahead = None if self.settings.batch else 3 * max(1, self.settings.concurrency)
        self.runner = CalibrationRunner(prepared.grader, prepared.plan, runtime, writer,
                                        progress=progress, concurrency=at_once,
                                        calls_ahead=ahead)  # fmt: skip
        progress.start(description="grading")
        if request.repeats is not None:
            await self.runner.run(full_jobs(prepared.entries, range(request.repeats)))
            return
        auto = dataclasses.replace(request.adaptive, budget=request.budget, seed=request.seed)
        self.adaptive = (await run_adaptive(self.runner, prepared.entries, auto)).as_dict()

    def _runner(self) -> CalibrationRunner:
        assert self.runner is not None
        return self.runner

    def grades(self) -> pd.DataFrame:
        return self._runner().grades()

    def counts(self, grades: pd.DataFrame) -> dict[str, Any]:
        return _counts(self.prepared, grades, self._runner())

    def done(self) -> int:
        return self._runner().jobs_done

    def complete_fields(self, grades: pd.DataFrame) -> dict[str, Any]:
        total_rows = grades[grades["criterion"] == TOTAL]
        return {
            "judged_run": not bool(is_not_run(grades).any()),
            "repeats": int(grades["repeat"].max() + 1) if len(grades) else 0,
            "counts": {**self.counts(grades), "total_rows": int(len(total_rows))},
            "experts_csv": "experts.csv" if self.given_experts else None,
            "adaptive": self.adaptive,
        }

    def report(self, grades: pd.DataFrame, run: dict[str, Any]) -> tuple[dict, list[Path]]:
        # Deferred: the report's statistics import scipy (~0.6 s of CPU), which the grading
        # before it never needs; a calibration's start-up stays light (issue 20).
        from rubricate.calibration.report.data import build_report_data
        from rubricate.calibration.report.files import write_reports

        prepared = self.prepared
        report = build_report_data(
            grades,
            rubric=prepared.rubric,
            plan=prepared.plan,
            manifest=run,
            experts=_experts_frame(prepared, self.warn),
            leaks=run["excluded"],
            adaptive=self.adaptive,
            seed=prepared.request.seed,
        )
        files = write_reports(prepared.out, report, figures=prepared.request.figures)
        return report.to_json(), files


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
    kind = CalibrationKind(prepared, settings, warn)
    return await execute_run(kind, progress=progress, open_client=open_client)
