"""rubricate's public Python API: load a rubric, compile it, score completions, calibrate.

Everything here is re-exported by :mod:`rubricate` (``rubricate.load_rubric`` and so on) and
documented in ``docs/api.md``; the rest of the package is internal and may change.

- :func:`load_rubric` reads a rubric YAML file, refusing it (one-line
  :class:`~rubricate.errors.RubricFormatError` naming file:line) unless ``rubricate check``
  passes it; :func:`compile_rubric` turns it into grader JSON, byte for byte what
  ``rubricate compile`` writes.
- :func:`load_grader` takes grader JSON (a dict, its text, or a path to ``grader.json``) and
  returns a :class:`Grader`, which runs it locally exactly as ``rubricate grade`` does:
  :meth:`Grader.score` / :meth:`Grader.score_many` from synchronous code (a background event
  loop, safe from any thread), :meth:`Grader.ascore` / :meth:`Grader.ascore_many` from
  async code. Each returns :class:`~rubricate.judge.records.GradeRecord`: ``reward``,
  ``scored`` (False: the record is not a reward; ``error`` says why), ``sub_rewards``,
  ``sub_errors``, the platform's error flags in ``metadata.errors``, and every model call.
  Transient failures (a judge reply that did not parse, a server error) are re-graded
  (``Grader.retries``); :attr:`Grader.stats` counts every batch (:class:`GradeStats`, with the
  recent error rate); :meth:`Grader.submit` starts a batch and returns a future at once. What
  :func:`load_grader` is not given comes from the environment (:func:`settings_from_env`,
  ``RUBRICATE_PYTHON_WORKERS`` / ``_BATCH_CONCURRENCY`` / ``_ERROR_RETRIES``), as in the
  exported reward modules, which are built on this API (with the adapters of
  :mod:`rubricate.rewards`), as is ``rubricate serve``; so this module sits below ``export`` in
  the layer contracts (``.importlinter``), and the grading service it wraps lives in
  :mod:`rubricate.judge.service`.
- :func:`calibrate` runs a calibration (as ``rubricate calibrate``) and returns a
  :class:`CalibrationResult`: the verdict, each readiness check met / not met / not
  assessed, and the full report data.

Judge calls use the ``openai`` SDK with :class:`~rubricate.judge.calls.ClientSettings`
(``base_url``, concurrency, the call store); keys come only from the environment
(``OPENAI_API_KEY``, or Azure's variables).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rubricate.judge.calls import ClientSettings
from rubricate.judge.records import GradeRecord
from rubricate.judge.service import GradeStats
from rubricate.rubrics.loader import LoadedRubric

__all__ = [
    "CalibrationResult",
    "ClientSettings",
    "GradeRecord",
    "GradeStats",
    "Grader",
    "LoadedRubric",
    "ReadinessCheck",
    "acalibrate",
    "calibrate",
    "compile_rubric",
    "load_grader",
    "load_rubric",
    "settings_from_env",
]

Target = Literal["multi", "score_model", "python"]


def load_rubric(path: str | Path) -> LoadedRubric:
    """Load the rubric at ``path``; ``.rubric`` is the validated model.

    Raises:
        RubricFormatError: it does not load, or ``rubricate check`` finds errors in it.
    """
    from rubricate.rubrics.lint import load_checked_rubric

    return load_checked_rubric(path)


def compile_rubric(rubric: LoadedRubric | str | Path, target: Target | None = None) -> dict:
    """The grader JSON of ``rubric`` (a loaded rubric or a path) for ``target`` (None: the
    rubric's default), parsed from the exact text ``rubricate compile`` writes."""
    from rubricate.rubrics.compile import compile_exact

    loaded = rubric if isinstance(rubric, LoadedRubric) else load_rubric(rubric)
    return compile_exact(loaded.rubric, target)[1]


def load_grader(
    grader: Mapping[str, Any] | str | Path,
    settings: ClientSettings | None = None,
    *,
    python_workers: int | None = None,
    concurrency: int | None = None,
    retries: int | None = None,
    sha256: str | None = None,
) -> Grader:
    """A :class:`Grader` for grader JSON: a dict, JSON text, or a path to a ``.json`` file.

    Args:
        settings: the model client (None: :func:`settings_from_env`).
        python_workers, concurrency, retries: see :class:`Grader` (None: from the
            environment, as the exported reward modules).
        sha256: with a path, the SHA-256 of the file's bytes as exported; a file that changed
            since is refused (unless ``RUBRICATE_ALLOW_EDITED_GRADER=1``), so the grader that
            trains is byte for byte the one that was calibrated.

    Raises:
        InputError: one line: a file that is missing, not JSON (file:line:col), not a grader,
            or edited since the export; a grader that does not validate; a bad environment
            variable.
    """
    if isinstance(grader, Mapping):
        data = dict(grader)
    elif isinstance(grader, Path) or not str(grader).lstrip().startswith("{"):
        from rubricate.judge.service import read_grader

        data = read_grader(Path(grader), sha256)[0]
    else:
        data = json.loads(str(grader))
    return Grader(
        data,
        settings,
        python_workers=python_workers,
        concurrency=concurrency,
        retries=retries,
    )


def settings_from_env(environ: Mapping[str, str] | None = None) -> ClientSettings:
    """The model client settings the environment gives, for code that takes no flags.

    ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` (or Azure's variables) are read by the client
    itself; ``RUBRICATE_CONCURRENCY``, ``RUBRICATE_TIMEOUT``, ``RUBRICATE_MAX_RETRIES``,
    ``RUBRICATE_STORE`` (``none``: no call store), ``RUBRICATE_NO_CACHE``, ``RUBRICATE_API``
    and ``RUBRICATE_STRUCTURED_OUTPUT`` here (``docs/api.md`` lists them).

    Raises:
        InputError: a variable with a value of the wrong kind.
    """
    from rubricate.judge import service

    return service.settings_from_env(environ)


Pairs = Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]


class Grader:
    """A compiled grader, run locally exactly as the platforms run it.

    Use it as a context manager (or call :meth:`close`) to stop its python workers and close
    its model client. Synchronous and async methods may be mixed: the async ones run on the
    caller's loop, the synchronous ones (and :meth:`submit`) on a background loop of their own,
    started on first use and started again in a forked child. Both count into :attr:`stats`.

    Args:
        grader: the grader JSON (validated here).
        settings: the model client (None: :func:`settings_from_env`).
        python_workers: python-grader worker processes (None: ``RUBRICATE_PYTHON_WORKERS``,
            else 2).
        concurrency: pairs graded at once per batch (None: ``RUBRICATE_BATCH_CONCURRENCY``,
            else 64); the model client's own ``concurrency`` bounds the judge calls.
        retries: new attempts for a pair that failed *transiently* (a judge reply that did not
            parse, a refusal, a server error after the client's retries, a python worker that
            died), each a fresh judge sample; deterministic failures are never retried
            (None: ``RUBRICATE_ERROR_RETRIES``, else 2; 0: none).

    A grader pickles as its configuration (Ray, multiprocessing): the unpickled copy starts
    afresh, reading what was left to the environment from its own process's environment.

    Raises:
        InputError: not a valid grader, or a bad environment variable.
    """

    def __init__(
        self,
        grader: dict[str, Any],
        settings: ClientSettings | None = None,
        *,
        python_workers: int | None = None,
        concurrency: int | None = None,
        retries: int | None = None,
    ) -> None:
        from rubricate.errors import InputError
        from rubricate.judge.service import RewardRuntime, options_from_env
        from rubricate.judge.validate import validate_grader
        from rubricate.rubrics.compile.own_checks import runner

        problems = validate_grader(grader)
        if problems:
            raise InputError(f"not a valid grader: {problems[0]}")
        self._given = (settings, python_workers, concurrency, retries)
        env = options_from_env() if None in (python_workers, concurrency, retries) else {}
        self.json = grader
        """The grader JSON."""
        self.settings = settings if settings is not None else settings_from_env()
        """The model client settings."""
        given = {"python_workers": python_workers, "concurrency": concurrency, "retries": retries}
        self._options = {k: env[k] if v is None else v for k, v in given.items()}
        self.python_workers: int = self._options["python_workers"]
        """Python-grader worker processes."""
        self.concurrency: int = self._options["concurrency"]
        """Pairs graded at once per batch."""
        self.retries: int = self._options["retries"]
        """New attempts for a transiently failed pair (see the class docstring)."""
        self._own_checks = runner()  # rubricate's own compiled checks run in-process
        self._sync = RewardRuntime(
            self.json, self.settings, own_checks=self._own_checks, **self._options
        )
        self._service: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"Grader(type={self.json.get('type')!r}, name={self.json.get('name')!r})"

    @property
    def stats(self) -> GradeStats:
        """Running counts of every batch graded so far (this process): pairs, scored,
        unscored, re-graded attempts, errors by flag, model calls made and replayed, and
        :meth:`GradeStats.recent_error_rate` over the last 256 pairs."""
        stats: GradeStats = self._sync.stats
        return stats

    def __getstate__(self) -> dict[str, Any]:
        return {"json": self.json, "given": self._given}

    def __setstate__(self, state: dict[str, Any]) -> None:
        settings, python_workers, concurrency, retries = state["given"]
        type(self).__init__(
            self,
            state["json"],
            settings,
            python_workers=python_workers,
            concurrency=concurrency,
            retries=retries,
        )

    # ----------------------------------------------------------------- async
    async def ascore(self, item: Mapping[str, Any], sample: Mapping[str, Any]) -> GradeRecord:
        """Grade one ``sample`` (``{"output_text": ...}``) of ``item``."""
        return (await self.ascore_many([(item, sample)]))[0]

    async def ascore_many(self, pairs: Pairs, *, repeat: int = 0) -> list[GradeRecord]:
        """Grade ``(item, sample)`` pairs concurrently (records in the pairs' order)."""
        service = await self._async_service()
        records: list[GradeRecord] = await service.grade(
            [(dict(i), dict(s)) for i, s in pairs], repeat=repeat
        )
        return records

    async def aopen(self) -> None:
        """Open the model client and the python workers on this loop now, instead of at the
        first grade (a server checks at startup that it can grade).

        Raises:
            GraderError: the grader cannot run at all.
            InputError: the grader calls a model and no endpoint is configured.
        """
        await self._async_service()

    async def _async_service(self) -> Any:
        from rubricate.judge.service import GraderService

        loop = asyncio.get_running_loop()
        if self._service is None or self._loop is not loop:
            self._service = GraderService(
                self.json,
                self.settings,
                stats=self._sync.stats,
                own_checks=self._own_checks,
                **self._options,
            )
            self._loop = loop
            await self._service.start()
        return self._service

    async def aclose(self) -> None:
        """Stop the workers and the client the async methods opened (and the sync ones')."""
        if self._service is not None:
            await self._service.aclose()
            self._service = None
        self.close_sync()

    async def __aenter__(self) -> Grader:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ sync
    def submit(
        self, pairs: Pairs, *, repeat: int = 0
    ) -> concurrent.futures.Future[list[GradeRecord]]:
        """Start grading ``pairs`` on the background loop and return at once.

        The future holds the records; any thread may wait for it, and a coroutine on any loop
        awaits it with ``asyncio.wrap_future`` without blocking that loop (how the trainer
        adapters share one batch between several reward functions).
        """
        future: concurrent.futures.Future[list[GradeRecord]] = self._sync.submit(
            [(dict(i), dict(s)) for i, s in pairs], repeat=repeat
        )
        return future

    def score(self, item: Mapping[str, Any], sample: Mapping[str, Any]) -> GradeRecord:
        """Grade one ``sample`` of ``item`` from synchronous code."""
        return self.score_many([(item, sample)])[0]

    def score_many(self, pairs: Pairs, *, repeat: int = 0) -> list[GradeRecord]:
        """Grade ``(item, sample)`` pairs concurrently from synchronous code."""
        return self.submit(pairs, repeat=repeat).result()

    def close_sync(self) -> None:
        """Stop the background loop of the synchronous methods (if they ran; they start again
        on the next use)."""
        self._sync.close()

    def close(self) -> None:
        """Stop everything the synchronous methods opened (use :meth:`aclose` in async code)."""
        self.close_sync()

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class ReadinessCheck:
    """One readiness check of a calibration: met, not met, or not assessed (with why)."""

    id: str
    label: str
    outcome: Literal["met", "not_met", "not_assessed"]
    reason: str
    value: Any = None


@dataclass(frozen=True)
class CalibrationResult:
    """What :func:`calibrate` found (the same figures as the run's ``report.json``)."""

    out: Path
    """The run directory (reports, grades, records, figures)."""
    status: Literal["ready", "not_ready", "incomplete"]
    summary: str
    checks: list[ReadinessCheck]
    report: dict[str, Any] = field(repr=False)
    """The full report data (``report.json``)."""

    @property
    def ready(self) -> bool:
        """Every readiness check met (a check not assessed is never a pass)."""
        return self.status == "ready"


async def acalibrate(
    rubric: str | Path,
    calibration_set: str | Path,
    out: str | Path | None = None,
    *,
    settings: ClientSettings | None = None,
    repeats: int = 5,
    experts: str | Path | None = None,
    judge_model: str | None = None,
    figures: bool = False,
    probes: tuple[str, ...] = (),
) -> CalibrationResult:
    """Calibrate ``rubric`` on ``calibration_set`` (as ``rubricate calibrate``); ``probes``
    as ``--probe`` (``("adversarial",)`` adds the generated reward-hacking answers).

    Raises:
        RubricFormatError / InputError: bad input, one line naming file and line.
        EndpointDown: the judge endpoint is not there or refused the key.
    """
    from rubricate.calibration.probes import parse_probes
    from rubricate.calibration.report.schema import CalibrationReport
    from rubricate.calibration.run.execution import execute
    from rubricate.calibration.run.session import CalibrateRequest, prepare

    request = CalibrateRequest(
        rubric=Path(rubric),
        calibration_set=Path(calibration_set),
        out=Path(out) if out is not None else None,
        repeats=repeats,
        experts=Path(experts) if experts is not None else None,
        judge_model=judge_model,
        figures=figures,
        probes=parse_probes(probes),
    )
    outcome = await execute(prepare(request), settings or ClientSettings())
    report = CalibrationReport.model_validate(outcome.data)  # report.json's content, typed
    checks = [
        ReadinessCheck(c.id, c.label, c.outcome, c.reason, c.value)
        for c in report.readiness.checks
    ]
    return CalibrationResult(outcome.out, report.verdict.status, report.verdict.summary, checks,
                             outcome.data)  # fmt: skip


def calibrate(
    rubric: str | Path,
    calibration_set: str | Path,
    out: str | Path | None = None,
    **options: Any,
) -> CalibrationResult:
    """:func:`acalibrate` from synchronous code (not inside a running event loop)."""
    return asyncio.run(acalibrate(rubric, calibration_set, out, **options))
