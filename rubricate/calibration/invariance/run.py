"""Running ``--probe invariance``: the unchanged grader and one grader per harmless change,
each an ordinary calibration run, then the per-criterion flips and their test.

:func:`prepare_invariance` (no call, nothing written) prepares the *baseline* (the request as
given, into ``OUT/arms/baseline/``) and, for each change of
:func:`~.changes.harmless_changes`, the changed rubric compiled to the baseline's
target, into ``OUT/arms/<change>/`` with the same calibration set, fixed repeats, client and
call store. A change that does not apply is kept as *not applicable*; a change whose grader is
byte for byte the baseline's (or an earlier change's) is *no change to the grader (not run)*,
never a pass. The changed rubric is written to its arm's ``rubric.yaml`` (as JSON, which YAML
reads), so every arm is reproducible on its own. Expert grades follow renamed ids.
:func:`add_paraphrase` adds the optional ``paraphrase`` change once the judge model has
paraphrased the criteria (:mod:`.paraphrase`; its calls come after every other
arm is prepared, so bad input still stops the probe before any call).

:func:`run_invariance` runs the arms in turn, reads each arm's ``grades.csv``, maps renamed ids
back, builds the rows (:mod:`.rows`) and writes ``invariance.json``, ``.md`` and
``.html`` into ``OUT`` (:mod:`.report`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rubricate.calibration.invariance.changes import (
    DESCRIPTIONS,
    Changed,
    harmless_changes,
    paraphrase_texts,
)
from rubricate.calibration.invariance.paraphrase import Paraphrases
from rubricate.calibration.invariance.report import invariance_data, write_invariance
from rubricate.calibration.invariance.rows import (
    change_rows,
    finish_rows,
    judge_inputs,
    rename_back,
)
from rubricate.calibration.run.session import CalibrateRequest, Prepared, prepare
from rubricate.calibration.run_files import read_grades_csv, sha256_bytes
from rubricate.errors import InputError
from rubricate.judge.calls import ClientSettings
from rubricate.progress import Progress
from rubricate.rubrics.model import Rubric

BASELINE = "baseline"
"""The arm of the unchanged grader."""


@dataclass
class InvarianceArm:
    """The unchanged grader or one change of it.

    Attributes:
        name: ``baseline`` or the change.
        status: ``run``, ``not_applicable``, ``no_change`` or ``same_as``.
        reason: why it does not run.
        prepared: the prepared run (None when it does not run).
        ids: original criterion id -> id in the changed rubric.
    """

    name: str
    status: str
    reason: str | None = None
    prepared: Prepared | None = None
    ids: dict[str, str] = field(default_factory=dict)
    review: list[dict[str, Any]] = field(default_factory=list)
    """``paraphrase``: each criterion's original and paraphrased text, for review."""

    @property
    def back(self) -> dict[str, str]:
        """Changed id -> original id."""
        return {new: old for old, new in self.ids.items()}


def _rubric_bytes(rubric: Rubric, change: str, source: Path) -> bytes:
    head = f"# {change} (rubricate calibrate --probe invariance) of {source}; JSON is YAML\n"
    body = json.dumps(rubric.model_dump(mode="json", exclude_none=True), indent=2)
    return (head + body + "\n").encode("utf-8")


def _changed_arm(base: Prepared, name: str, rubric: Rubric, ids: dict[str, str],
                 out: Path) -> Prepared:  # fmt: skip
    from rubricate.calibration.verdicts import plan_grader
    from rubricate.rubrics.compile import compile_exact

    target, grader, text = compile_exact(rubric, base.target)  # type: ignore[arg-type]
    experts = [dict(row, criterion=ids.get(row["criterion"], row["criterion"]))
               for row in base.expert_rows]  # fmt: skip
    return dataclasses.replace(
        base,
        rubric=rubric,
        rubric_bytes=_rubric_bytes(rubric, name, base.request.rubric),
        target=target,
        grader=grader,
        grader_bytes=text.encode("utf-8"),
        plan=plan_grader(rubric, grader, target),
        out=out / "arms" / name,
        expert_rows=experts,
        warnings=[],
    )


def _arm(out: Path, arms: list[InvarianceArm], name: str, result: Changed | str) -> InvarianceArm:
    """The arm of one change: not applicable, the same grader as one before it, or to run."""
    if isinstance(result, str):
        return InvarianceArm(name, "not_applicable", reason=result)
    base = arms[0].prepared
    assert base is not None
    prepared = _changed_arm(base, name, result.rubric, result.ids, out)
    sha = sha256_bytes(prepared.grader_bytes)
    seen = {sha256_bytes(a.prepared.grader_bytes): a.name for a in arms if a.prepared is not None}
    if sha in seen:
        other = seen[sha]
        if other == BASELINE:
            reason, status = (
                "no change to the grader (byte for byte the baseline's): not run",
                "no_change",
            )
        else:
            reason, status = (
                f"the same grader as change {other} (byte for byte): not run",
                "same_as",
            )
        return InvarianceArm(name, status, reason=reason, ids=result.ids)
    return InvarianceArm(name, "run", prepared=prepared, ids=result.ids)


def add_paraphrase(out: Path, arms: list[InvarianceArm], paraphrases: Paraphrases) -> None:
    """Add the ``paraphrase`` change (:mod:`.paraphrase`) to the prepared ``arms``."""
    base = arms[0].prepared
    assert base is not None
    result: Changed | str = paraphrases.reason or ""
    if paraphrases.reason is None:
        result = paraphrase_texts(base.rubric, paraphrases.texts)
    arm = _arm(out, arms, "paraphrase", result)
    arm.review = paraphrases.review
    arms.append(arm)


def prepare_invariance(request: CalibrateRequest) -> tuple[Path, list[InvarianceArm]]:
    """Prepare the baseline and every change (see the module docstring).

    Raises:
        InputError: ``--repeats auto`` or fewer than 2 repeats (the rerun flips are the noise
            each change is measured against), or what preparing a run raises.
    """
    from rubricate.rubrics.lint import load_checked_rubric

    if request.repeats is None or request.repeats < 2:
        raise InputError(
            "--probe invariance needs fixed --repeats 2 or more: each change is measured "
            "against the flips of plain reruns, which one repeat cannot show"
        )
    rubric_id = load_checked_rubric(request.rubric).rubric.id
    out = request.out or Path("runs") / f"{rubric_id}-invariance"
    base = prepare(dataclasses.replace(request, out=out / "arms" / BASELINE))
    arms = [InvarianceArm(BASELINE, "run", prepared=base, ids={c.id: c.id for _, c in
                                                               base.rubric.walk()})]  # fmt: skip
    for name, result in harmless_changes(base.rubric, request.seed):
        arms.append(_arm(out, arms, name, result))
    return out, arms


@dataclass
class Invariance:
    """A finished probe: the arms, each run's outcome, the report data and files."""

    out: Path
    arms: list[InvarianceArm]
    outcomes: dict[str, Any]
    data: dict[str, Any]
    files: list[Path]


def _inputs(arm: InvarianceArm) -> dict[str, tuple[str, str]]:
    from rubricate.rubrics.compile import subgrader_plan

    prepared = arm.prepared
    assert prepared is not None
    plan = subgrader_plan(prepared.rubric) if prepared.target == "multi" else []
    return judge_inputs(prepared.grader, prepared.target, plan, arm.back)


async def run_invariance(
    out: Path,
    arms: list[InvarianceArm],
    settings: ClientSettings,
    *,
    progress: Callable[[str], Progress] | None = None,
    warn: Callable[[str], None] | None = None,
) -> Invariance:
    """Run every arm that runs, in turn, then write the invariance reports into ``out``."""
    from rubricate.calibration.run.execution import execute

    outcomes: dict[str, Any] = {}
    for arm in arms:
        if arm.prepared is None:
            continue
        bar = progress(arm.name) if progress is not None else None
        outcomes[arm.name] = await execute(arm.prepared, settings, progress=bar,
                                           warn=warn or (lambda _: None))  # fmt: skip
    base_arm = arms[0]
    base_grades = read_grades_csv(outcomes[BASELINE].out / "grades.csv")
    base_inputs = _inputs(base_arm)
    rows: list[dict[str, Any]] = []
    for arm in arms[1:]:
        if arm.prepared is None:
            continue
        grades = rename_back(read_grades_csv(outcomes[arm.name].out / "grades.csv"), arm.back)
        rows += change_rows(arm.name, base_grades, grades, base_inputs, _inputs(arm))
    rows = finish_rows(rows)
    base = base_arm.prepared
    assert base is not None
    changes = []
    for arm in arms[1:]:
        outcome = outcomes.get(arm.name)
        changes.append({
            "change": arm.name,
            "description": DESCRIPTIONS[arm.name],
            "status": arm.status,
            "reason": arm.reason,
            "grader_sha256": outcome.manifest["grader_sha256"] if outcome else None,
            "out": str(outcome.out) if outcome else None,
            "ids": arm.ids if arm.name == "rename" else None,
            "paraphrases": arm.review if arm.name == "paraphrase" else None,
        })  # fmt: skip
    baseline = {
        "arm": BASELINE,
        "grader_sha256": outcomes[BASELINE].manifest["grader_sha256"],
        "out": str(outcomes[BASELINE].out),
        "judged_run": bool(outcomes[BASELINE].manifest["judged_run"]),
        "target": base.target,
    }
    data = invariance_data(
        rubric={"id": base.rubric.id, "title": base.rubric.title},
        repeats=base.request.repeats or 0,
        seed=base.request.seed,
        baseline=baseline,
        changes=changes,
        rows=rows,
    )
    return Invariance(out, arms, outcomes, data, write_invariance(out, data))
