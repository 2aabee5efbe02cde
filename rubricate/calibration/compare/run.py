"""Running a comparison: every arm is an ordinary calibration run, one after the other.

Each arm is the request with its own target or judge model, written to ``OUT/arms/<arm>/`` by
:func:`~rubricate.calibration.run.session.prepare` and
:func:`~rubricate.calibration.run.execution.execute` with the same calibration set, the same
fixed repeats, the same client settings and the same call store. Every arm is prepared (loaded,
compiled, checked) before the first call, so a bad arm stops the comparison before any cost.
The comparison reports are then written into ``OUT``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rubricate.calibration.compare.arms import Arm, parse_compare
from rubricate.calibration.compare.report import comparison_data, write_comparison
from rubricate.calibration.compare.table import comparison_rows, recommend
from rubricate.calibration.run.pipeline import RunOutcome
from rubricate.calibration.run.session import CalibrateRequest, Prepared, prepare
from rubricate.calibration.run_files import sha256_bytes
from rubricate.errors import InputError
from rubricate.judge.calls import ClientSettings
from rubricate.progress import Progress


@dataclass
class Comparison:
    """A finished comparison: each arm's run, the table's data and the files written."""

    out: Path
    arms: list[tuple[Arm, RunOutcome]]
    data: dict[str, Any]
    files: list[Path]


def prepare_arms(request: CalibrateRequest, spec: str) -> tuple[Path, list[tuple[Arm, Prepared]]]:
    """Parse ``spec`` and prepare every arm (no call, nothing written).

    Raises:
        InputError: ``--repeats auto`` (arms must share fixed repeats), a bad spec, an option
            the arms override (``--target`` with ``mode=``, ``--judge-model`` with ``judge=``),
            or two arms that compile to the same grader.
    """
    from rubricate.rubrics.lint import load_checked_rubric

    if request.repeats is None:
        raise InputError("--compare needs fixed --repeats N (every arm grades the same answers "
                         "the same number of times); --repeats auto is not supported")  # fmt: skip
    rubric = load_checked_rubric(request.rubric).rubric
    arms = parse_compare(spec, rubric)
    if request.target is not None and any(arm.target for arm in arms):
        raise InputError("--target and --compare mode= both choose the compile target; drop one")
    if request.judge_model is not None and any(arm.judge_model or arm.panel for arm in arms):
        raise InputError("--judge-model and --compare judge= both choose the judge; drop one")
    if request.target not in (None, "multi") and any(arm.panel for arm in arms):
        raise InputError("--compare panel= compiles multi graders; drop --target")
    out = request.out or Path("runs") / f"{rubric.id}-compare"
    prepared = []
    for arm in arms:
        change: dict[str, Any] = {"out": out / "arms" / arm.name}
        if arm.target is not None:
            change["target"] = arm.target
        if arm.judge_model is not None:
            change["judge_model"] = arm.judge_model
        if arm.panel:
            change["panel"], change["panel_rule"] = arm.panel, arm.rule
        if any(a.panel for a in arms):
            change["target"] = "multi"  # the single judges as the panel pools them
        prepared.append((arm, prepare(dataclasses.replace(request, **change))))
    seen: dict[str, str] = {}
    for arm, ready in prepared:
        sha = sha256_bytes(ready.grader_bytes)
        if sha in seen:
            raise InputError(
                f"--compare {spec!r}: arms {seen[sha]} and {arm.name} compile to the same grader "
                f"(SHA-256 {sha[:12]}; e.g. a judge model for a rubric that judges nothing): "
                "nothing to compare; drop one"
            )
        seen[sha] = arm.name
    return out, prepared


async def run_comparison(
    out: Path,
    spec: str,
    arms: list[tuple[Arm, Prepared]],
    settings: ClientSettings,
    *,
    progress: Callable[[Arm], Progress] | None = None,
    warn: Callable[[str], None] | None = None,
) -> Comparison:
    """Run every arm in turn, then write the comparison reports into ``out``."""
    from rubricate.calibration.run.execution import execute

    done: list[tuple[Arm, RunOutcome]] = []
    for arm, prepared in arms:
        bar = progress(arm) if progress is not None else None
        outcome = await execute(prepared, settings, progress=bar, warn=warn or (lambda _: None))
        done.append((arm, outcome))
    rows = comparison_rows([(arm.name, outcome.data) for arm, outcome in done])
    first = arms[0][1]
    rubric = {"id": first.rubric.id, "title": first.rubric.title}
    repeats = first.request.repeats or 0
    data = comparison_data(spec, repeats, rows, recommend(rows), rubric)
    return Comparison(out=out, arms=done, data=data, files=write_comparison(out, data))
