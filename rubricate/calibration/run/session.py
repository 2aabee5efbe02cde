"""One calibration run, end to end: what ``rubricate calibrate`` does, without the command line.

1. :func:`prepare` (no model call, no file written): loads the rubric, applies a judge-model
   override *before* compiling (the override changes the grader, so it is compiled in, never
   patched into the JSON after hashing), compiles it, serialises it with
   :func:`~rubricate.rubrics.compile.grader_json` and parses those exact bytes back: the grader
   that runs is the one whose bytes are written and whose SHA-256 export looks for. It loads the
   calibration set, refuses answers that are few-shot examples (or leaves them out with
   ``exclude_leaked``; :mod:`~rubricate.calibration.inputs.leakage`), and loads and checks the
   expert grades.
2. :func:`execute` writes the run directory as it goes (:mod:`~rubricate.calibration.run_files`):
inputs and a
   ``partial`` manifest first, every grade appended as it completes; grades every answer
   ``repeats`` times (or adaptively, :mod:`.adaptive`) through the local runtime and the model
   client; then marks the run complete and writes the reports.

Without a model endpoint, model sub-graders are *not run* (never attempted; not errors): every
deterministic check still runs, the manifest says ``judged_run: false``, and the report says
what did not run and how to enable it. The caller gets the line to print through ``warn``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rubricate._version import __version__
from rubricate.calibration.inputs.calset import (
    CalibrationEntry,
    CalibrationSet,
    read_calibration_set,
)
from rubricate.calibration.inputs.experts import (
    grades_csv_text,
    merge_grades,
    normalised_rows,
    read_grades_csv,
)
from rubricate.calibration.inputs.leakage import Leak, find_leaks
from rubricate.calibration.probes.generate import ProbeSet, adversarial_probes
from rubricate.calibration.run.adaptive import AdaptiveSettings
from rubricate.calibration.run.manifest import judge_model, rubric_fields, start_fields
from rubricate.calibration.run.pipeline import PreparedRun, compile_for_run
from rubricate.calibration.run_files import sha256_bytes
from rubricate.calibration.verdicts import GraderPlan
from rubricate.errors import InputError
from rubricate.files import read_bytes
from rubricate.judge.calls import ClientSettings

if TYPE_CHECKING:
    from rubricate.rubrics.compile import Target

NO_ENDPOINT = (
    "no model endpoint configured: {what} will be marked not run{checks}; to judge, export "
    "OPENAI_API_KEY=... or pass --base-url http://localhost:8000/v1 (vLLM, Ollama)"
)


def no_endpoint_line(plan: GraderPlan) -> str:
    """The one warning line of a run without a model endpoint."""
    judged = len(plan.judged_criteria)
    what = f"the {judged} judged criteria" if judged else "the judge's score"
    checks = any(c.check is not None for c in plan.criteria)
    return NO_ENDPOINT.format(what=what, checks=" (the checks still run)" if checks else "")


@dataclass(frozen=True)
class CalibrateRequest:
    """What to calibrate and how (see ``rubricate calibrate --help``)."""

    rubric: Path
    calibration_set: Path
    out: Path | None = None
    repeats: int | None = 5
    """Repeats per answer; None = adaptive (``--repeats auto``)."""
    adaptive: AdaptiveSettings = field(default_factory=AdaptiveSettings)
    budget: int | None = None
    """Most judge calls (fixed repeats: refuse upfront when the run needs more)."""
    experts: Path | None = None
    judge_model: str | None = None
    target: Target | None = None
    exclude_leaked: bool = False
    figures: bool = True
    workers: int = 2
    seed: int = 0
    score_clipped: bool = False
    """Count judge results outside their range as scored (``--score-clipped``)."""
    panel: tuple[str, ...] = ()
    """Judge models of a panel grader (:mod:`rubricate.rubrics.compile.panel`); empty: none."""
    panel_rule: str = "majority"
    probes: tuple[str, ...] = ()
    """Generated probes to add (``--probe``): ``adversarial``."""


@dataclass(kw_only=True)
class Prepared(PreparedRun):
    """A calibration, loaded and checked, nothing written yet (the common fields: PreparedRun).

    Attributes:
        request: the options.
        calset: the calibration set; ``set_bytes`` its file as read.
        entries: the answers to grade (leaked few-shot examples left out when asked).
        leaks: answers equal to a few-shot example (``--exclude-leaked``).
        expert_rows: expert grades given inline or with ``--experts``, checked.
        probes: the generated adversarial probes (``--probe adversarial``; their answers are
            in ``entries`` too), or None.
    """

    request: CalibrateRequest
    calset: CalibrationSet
    set_bytes: bytes
    entries: list[CalibrationEntry]
    leaks: list[Leak]
    expert_rows: list[dict[str, Any]]
    probes: ProbeSet | None = None


def _expert_rows(request: CalibrateRequest, calset: CalibrationSet) -> list[dict[str, Any]]:
    source = str(request.calibration_set)
    inline = [{**row, "source": source} for row in calset.inline_expert_grades()]
    given = read_grades_csv(request.experts) if request.experts is not None else []
    seen = {(g["item_id"], g["answer_id"], g["expert"], g["criterion"]): g for g in given}
    for row in inline:
        key = (row["item_id"], row["answer_id"], row["expert"], row["criterion"])
        if key in seen:
            raise InputError(
                f"{row['source']}:{row['line']}: expert {row['expert']!r} grades "
                f"{row['item_id']}/{row['answer_id']} criterion {row['criterion']!r} inline and "
                f"in {seen[key]['source']}:{seen[key]['line']}; keep one"
            )
    return given + inline


def prepare(request: CalibrateRequest) -> Prepared:
    """Load, compile and check everything (see the module docstring).

    Raises:
        InputError / RubricFormatError / GraderError: with one line naming file and line.
    """
    from rubricate.rubrics.lint import load_checked_rubric

    loaded = load_checked_rubric(request.rubric)
    rubric = loaded.rubric
    if request.judge_model:
        rubric = rubric.model_copy(
            update={"judge": rubric.judge.model_copy(update={"model": request.judge_model})}
        )
    if request.panel and request.judge_model:
        raise InputError("--panel and --judge-model both choose the judge; drop one")
    if request.panel and request.target not in (None, "multi"):
        raise InputError(f"--panel compiles a multi grader; drop --target {request.target}")
    panel = {"judges": list(request.panel), "rule": request.panel_rule} if request.panel else None
    compiled = compile_for_run(request.rubric, rubric, request.target, panel=panel)
    calset = read_calibration_set(request.calibration_set)
    entries = calset.entries()
    leaks = find_leaks(entries, rubric)
    if leaks and not request.exclude_leaked:
        first = leaks[0]
        more = f" (and {len(leaks) - 1} more)" if len(leaks) > 1 else ""
        raise InputError(
            f"{request.calibration_set}:{first.line}: {first.describe()}{more}; calibration must "
            "never score a few-shot example (the judge has seen its verdicts): change the "
            "answer, or pass --exclude-leaked to leave it out and list it in the report"
        )
    leaked = {(leak.item_id, leak.answer_id) for leak in leaks}
    rows = _expert_rows(request, calset)
    answers = {(e.item_id, e.answer_id) for e in entries}
    normalised_rows(rows, rubric, answers)  # checks every given grade now, before any call
    kept = [e for e in entries if (e.item_id, e.answer_id) not in leaked]
    probes = None
    if "adversarial" in request.probes:
        probes = adversarial_probes(kept, rubric, str(request.calibration_set))
        kept += probes.entries
    return Prepared(
        **compiled,
        request=request,
        calset=calset,
        set_bytes=read_bytes(request.calibration_set, "calibration set"),
        entries=kept,
        leaks=leaks,
        expert_rows=rows,
        probes=probes,
        out=request.out or Path("runs") / rubric.id,
        warnings=calset.tier_gaps(),
    )


def manifest(prepared: Prepared, settings: ClientSettings) -> dict[str, Any]:
    """The ``run.json`` of a run about to start (``status: partial``)."""
    request = prepared.request
    return {
        "rubricate_version": __version__,
        **rubric_fields(request.rubric, prepared),
        "set_path": str(request.calibration_set),
        "set_sha256": sha256_bytes(prepared.set_bytes),
        "repeats": request.repeats if request.repeats is not None else 0,
        "repeats_mode": "fixed" if request.repeats is not None else "auto",
        "judge_model": judge_model(prepared.grader),
        "judge_model_override": request.judge_model,
        "panel": {"judges": list(request.panel), "rule": request.panel_rule}
        if request.panel
        else None,
        "score_clipped": request.score_clipped,
        **start_fields(settings, judged_run=False),
        "excluded": [
            {"item_id": k.item_id, "answer_id": k.answer_id, "describe": k.describe()}
            for k in prepared.leaks
        ],
        "adaptive": None,
        **({"probes": {"adversarial": prepared.probes.manifest()}} if prepared.probes else {}),
    }


def experts_text(prepared: Prepared, warn: Callable[[str], None]) -> tuple[str | None, int]:
    existing_path = prepared.out / "experts.csv"
    existing = []
    if existing_path.exists():
        existing = read_grades_csv(existing_path, last_wins=True)
    merged, kept = merge_grades(prepared.expert_rows, existing)
    if kept:
        warn(f"kept {kept} expert grades already in {existing_path} (entered since the last run)")
    return (grades_csv_text(merged) if merged else None), kept
