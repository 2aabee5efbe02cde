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
  Transient failures (a judge reply that did not parse, a server error) are re-graded, as the
  reward server does.
- :func:`calibrate` runs a calibration (as ``rubricate calibrate``) and returns a
  :class:`CalibrationResult`: the verdict, each readiness check met / not met / not
  assessed, and the full report data.

Judge calls use the ``openai`` SDK with :class:`~rubricate.judge.calls.ClientSettings`
(``base_url``, concurrency, the call store); keys come only from the environment
(``OPENAI_API_KEY``, or Azure's variables).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rubricate.judge.calls import ClientSettings
from rubricate.judge.records import GradeRecord
from rubricate.rubrics.loader import LoadedRubric

__all__ = [
    "CalibrationResult",
    "ClientSettings",
    "GradeRecord",
    "Grader",
    "LoadedRubric",
    "ReadinessCheck",
    "acalibrate",
    "calibrate",
    "compile_rubric",
    "load_grader",
    "load_rubric",
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
    python_workers: int = 2,
    retries: int = 2,
) -> Grader:
    """A :class:`Grader` for grader JSON: a dict, JSON text, or a path to a ``.json`` file."""
    if isinstance(grader, Mapping):
        data = dict(grader)
    elif isinstance(grader, Path) or not str(grader).lstrip().startswith("{"):
        from rubricate.files import read_text

        data = json.loads(read_text(Path(grader)))
    else:
        data = json.loads(str(grader))
    return Grader(data, settings, python_workers=python_workers, retries=retries)


class Grader:
    """A compiled grader, run locally exactly as the platforms run it.

    Use it as a context manager (or call :meth:`close`) to stop its python workers and close
    its model client. Synchronous and async methods may be mixed: the async ones run on the
    caller's loop, the synchronous ones on a background loop of their own.
    """

    def __init__(
        self,
        grader: dict[str, Any],
        settings: ClientSettings | None = None,
        *,
        python_workers: int = 2,
        retries: int = 2,
    ) -> None:
        from rubricate.errors import InputError
        from rubricate.judge.validate import validate_grader

        problems = validate_grader(grader)
        if problems:
            raise InputError(f"not a valid grader: {problems[0]}")
        self.json = grader
        """The grader JSON."""
        self.settings = settings
        """The model client settings (None: from the environment, as the reward modules)."""
        self._options = {"python_workers": python_workers, "retries": retries}
        self._service: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sync: Any = None

    def __repr__(self) -> str:
        return f"Grader(type={self.json.get('type')!r}, name={self.json.get('name')!r})"

    # ----------------------------------------------------------------- async
    async def ascore(self, item: Mapping[str, Any], sample: Mapping[str, Any]) -> GradeRecord:
        """Grade one ``sample`` (``{"output_text": ...}``) of ``item``."""
        return (await self.ascore_many([(item, sample)]))[0]

    async def ascore_many(
        self, pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], *, repeat: int = 0
    ) -> list[GradeRecord]:
        """Grade ``(item, sample)`` pairs concurrently (records in the pairs' order)."""
        service = await self._async_service()
        return await service.grade([(dict(i), dict(s)) for i, s in pairs], repeat=repeat)

    async def _async_service(self) -> Any:
        from rubricate.export.rewards.runtime import GraderService

        loop = asyncio.get_running_loop()
        if self._service is None or self._loop is not loop:
            self._service = GraderService(self.json, self.settings, **self._options)
            self._loop = loop
            await self._service.start()
        return self._service

    async def aclose(self) -> None:
        """Stop the workers and the client the async methods opened."""
        if self._service is not None:
            await self._service.aclose()
            self._service = None
        self.close_sync()

    async def __aenter__(self) -> Grader:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ sync
    def score(self, item: Mapping[str, Any], sample: Mapping[str, Any]) -> GradeRecord:
        """Grade one ``sample`` of ``item`` from synchronous code."""
        return self.score_many([(item, sample)])[0]

    def score_many(
        self, pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], *, repeat: int = 0
    ) -> list[GradeRecord]:
        """Grade ``(item, sample)`` pairs concurrently from synchronous code."""
        if self._sync is None:
            from rubricate.export.rewards.runtime import RewardRuntime

            self._sync = RewardRuntime(self.json, self.settings, **self._options)
        return self._sync.grade([(dict(i), dict(s)) for i, s in pairs], repeat=repeat)

    def close_sync(self) -> None:
        """Stop the background loop of the synchronous methods (if they ran)."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None

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
    verdict = outcome.data["verdict"]
    checks = [
        ReadinessCheck(c["id"], c["label"], c["outcome"], c["reason"], c.get("value"))
        for c in outcome.data["readiness"]["checks"]
    ]
    return CalibrationResult(outcome.out, verdict["status"], verdict["summary"], checks,
                             outcome.data)  # fmt: skip


def calibrate(
    rubric: str | Path,
    calibration_set: str | Path,
    out: str | Path | None = None,
    **options: Any,
) -> CalibrationResult:
    """:func:`acalibrate` from synchronous code (not inside a running event loop)."""
    return asyncio.run(acalibrate(rubric, calibration_set, out, **options))
