"""One shape for every kind of run: prepare, execute, report.

A kind of run (a calibration, :mod:`rubricate.calibration.run`; a baseline,
:mod:`rubricate.calibration.baseline`; a grader comparison next) is prepared into a
:class:`PreparedRun` (everything loaded, compiled and checked; nothing written, no call made),
then executed by :func:`execute_run`, which sequences what every kind shares, in the order that
keeps the run directory's promises (``docs/run-format.md``):

1. open the model client (the kind decides whether it needs one);
2. open the run directory and write the inputs that make it reproducible;
3. write ``run.json`` (``status: partial``) before the first call, then open the streams;
4. grade inside one :class:`~rubricate.judge.runtime.Runtime`; an unreachable endpoint
   (:class:`~rubricate.judge.breaker.EndpointDown`) stops the run: what finished is kept,
   ``run.json`` says ``stopped`` and why, reports of an earlier run are removed (they no longer
   describe the folder) and a one-line error is raised;
5. complete ``run.json`` (usage, endpoint, judge reply format, python sandbox, counts);
6. build the report data and write the reports.

The kind supplies the steps that differ (:class:`RunKind`): its inputs, its manifest, its jobs,
its tables, its counts and its report.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rubricate.calibration.run.manifest import endpoint_fields, run_usage, utc_now
from rubricate.calibration.run_files import RunWriter
from rubricate.calibration.verdicts import GraderPlan, plan_grader
from rubricate.judge.breaker import EndpointDown
from rubricate.judge.calls import ClientSettings
from rubricate.progress import NoProgress, Progress
from rubricate.rubrics.model import Rubric

if TYPE_CHECKING:
    import pandas as pd  # imported where used: ~0.4 s the grading does not need

    from rubricate.rubrics.compile import Target

REPORT_FILES = ("report.json", "report.md", "report.html")


@dataclass(kw_only=True)
class PreparedRun:
    """What every kind of run holds once prepared: the rubric and the exact grader it runs.

    Attributes:
        rubric: the checked rubric (with any override applied, e.g. ``--judge-model``).
        rubric_bytes: the rubric file as read (copied into the run directory).
        target: the grader type compiled (``multi``, ``score_model``, ``python``).
        grader: the compiled grader JSON.
        grader_bytes: its exact bytes (``grader.json``; its SHA-256 names the grader).
        plan: what one grade of that grader costs and which criteria it judges.
        out: the run directory.
        warnings: load-time warnings to show before any call.
    """

    rubric: Rubric
    rubric_bytes: bytes
    target: str
    grader: dict[str, Any]
    grader_bytes: bytes
    plan: GraderPlan
    out: Path
    warnings: list[str] = field(default_factory=list)


def compile_for_run(
    rubric_path: Path,
    rubric: Rubric,
    target: Target | None,
    *,
    panel: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The :class:`PreparedRun` fields of ``rubric`` compiled to ``target`` (or its choice);
    with ``panel`` (``{"judges": [...], "rule": ...}``) the panel's ``multi`` grader. Compiled by
    :func:`~rubricate.rubrics.compile.choice.compile_choice`, the function ``rubricate
    compile`` and every export use, so a run grades the bytes they write with the same options
    (``rubric`` already carries any ``--judge-model`` override)."""
    from rubricate.rubrics.compile.choice import CompileChoice, compile_choice
    from rubricate.rubrics.loader import read_text

    choice = CompileChoice(
        target=target,
        panel=tuple(panel["judges"]) if panel else (),
        rule="mean" if panel and panel["rule"] == "mean" else "majority",
    )
    compiled = compile_choice(rubric, choice, validate=False)
    chosen, grader, text = compiled.target, compiled.grader, compiled.text
    return {
        "rubric": rubric,
        "rubric_bytes": read_text(rubric_path).encode("utf-8"),
        "target": chosen,
        "grader": grader,
        "grader_bytes": text.encode("utf-8"),
        "plan": plan_grader(rubric, grader, chosen, panel),
    }


@dataclass
class RunOutcome:
    """What a finished run produced.

    Attributes:
        out: the run directory.
        manifest: the final ``run.json``.
        data: the report data as ``report.json`` holds it (a calibration run's is its
            :class:`~rubricate.calibration.report.schema.CalibrationReport`'s ``to_json()``).
        files: every file written by the reports.
    """

    out: Path
    manifest: dict[str, Any]
    data: dict[str, Any]
    files: list[Path]


class RunKind(ABC):
    """The steps of one kind of run that :func:`execute_run` does not share.

    Attributes:
        prepared: the prepared run.
        settings: the model client settings.
        unit: what the stop message counts (``grades``, ``samples``).
    """

    unit = "grades"

    def __init__(self, prepared: PreparedRun, settings: ClientSettings) -> None:
        self.prepared = prepared
        self.settings = settings

    @abstractmethod
    def open_client(self, opener: Callable[[ClientSettings], Any]) -> Any | None:
        """The model client, or None when the run needs none (raise when it must have one)."""

    @abstractmethod
    def open_writer(self) -> RunWriter:
        """The run directory's writer (refuses a folder that holds another kind of run)."""

    @abstractmethod
    def write_inputs(self, writer: RunWriter) -> None:
        """Copy what makes the run reproducible into the run directory."""

    @abstractmethod
    def manifest(self) -> dict[str, Any]:
        """``run.json`` before the first call (``status: partial``)."""

    def before_streams(self) -> None:
        """Read what the previous run's streams hold before they start afresh."""
        return None

    @abstractmethod
    def runtime_options(self) -> dict[str, Any]:
        """Keyword arguments of the :class:`~rubricate.judge.runtime.Runtime`."""

    @abstractmethod
    async def grade(
        self, runtime: Any, client: Any | None, writer: RunWriter, progress: Progress
    ) -> None:
        """Make every call and grade, keeping each result as it completes."""

    @abstractmethod
    def grades(self) -> pd.DataFrame:
        """Every grade row kept so far (also after a stop)."""

    def write_tables(self, writer: RunWriter, grades: pd.DataFrame) -> None:
        """Write the run's tables (``grades.csv``; a kind may add its own)."""
        writer.finish(grades)

    @abstractmethod
    def counts(self, grades: pd.DataFrame) -> dict[str, Any]:
        """``run.json``'s ``counts``."""

    @abstractmethod
    def done(self) -> int:
        """How many units finished (the stop message)."""

    def complete_fields(self, grades: pd.DataFrame) -> dict[str, Any]:
        """The kind's own ``run.json`` fields of a complete run."""
        return {}

    @abstractmethod
    def report(self, grades: pd.DataFrame, run: dict[str, Any]) -> tuple[dict, list[Path]]:
        """Build the report data and write the reports: ``(data, files)``."""


async def execute_run(
    kind: RunKind,
    *,
    progress: Progress | None = None,
    open_client: Callable[[ClientSettings], Any] | None = None,
) -> RunOutcome:
    """Run ``kind`` (see the module docstring for the order of the steps).

    Raises:
        EndpointDown: the endpoint stopped answering; what finished is kept.
        InputError: from the kind's steps (one line naming the file or option).
    """
    from rubricate.judge.client import open_client as default_open
    from rubricate.judge.runtime import Runtime
    from rubricate.rubrics.compile.own_checks import runner

    out, progress = kind.prepared.out, progress or NoProgress()
    client = kind.open_client(open_client or default_open)
    try:
        writer = kind.open_writer()
    except BaseException:
        if client is not None:
            await client.aclose()
        raise
    kind.write_inputs(writer)
    run = kind.manifest()
    writer.write_manifest(run)
    kind.before_streams()
    writer.open_streams()
    started = time.perf_counter()
    stopped: EndpointDown | None = None
    try:
        async with Runtime(client, own_checks=runner(), **kind.runtime_options()) as runtime:
            await kind.grade(runtime, client, writer, progress)
    except EndpointDown as down:
        stopped = down
    finally:
        progress.close()
        writer.close_streams()
        if client is not None:
            await client.aclose()
    grades = kind.grades()
    kind.write_tables(writer, grades)
    usage = run_usage(client, time.perf_counter() - started)
    if stopped is not None:
        run.update(finished_at=utc_now(), status="stopped", stopped=stopped.msg, usage=usage,
                   counts=kind.counts(grades))  # fmt: skip
        writer.write_manifest(run)
        for name in REPORT_FILES:
            (out / name).unlink(missing_ok=True)
        raise EndpointDown(
            f"{stopped.msg}; the {kind.done()} {kind.unit} finished are kept in {out} and "
            "every answer already paid for replays from the call store"
        )
    complete = {
        "finished_at": utc_now(),
        "status": "complete",
        "usage": usage,
        "endpoint": endpoint_fields(client),
        **runtime.judge_format.manifest_fields(),
        "counts": kind.counts(grades),
        "python_sandbox": runtime.python_isolation,
    }
    run.update(complete | kind.complete_fields(grades))
    writer.write_manifest(run)
    data, files = kind.report(grades, run)
    return RunOutcome(out=out, manifest=run, data=data, files=files)
