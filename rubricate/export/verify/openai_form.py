"""``--verify`` for the OpenAI and Azure AI Foundry bundles: the grader JSON the job carries.

Both platforms run the bundle's ``grader.json`` themselves, so the form is that file, run by
rubricate's local runtime (the runtime calibration uses, which mirrors the platform's grader
types, templates and python sandbox). The *calibrated grader* is the rubric compiled afresh
with the export's options (:func:`~rubricate.rubrics.compile.choice.compile_choice` of the
``--target`` / ``--judge-model`` / ``--panel`` choice, the bytes ``rubricate calibrate`` grades
with the same options; without a choice, the one the manifest records).
:func:`verify_openai` / :func:`verify_azure`:

1. check the bundle before grading anything (each failure fails the verification):
   ``grader.json`` must be byte for byte the fresh compile (otherwise the bundle is stale, or
   was edited, and trains on a grader nobody calibrated); ``job.json``'s grader must be that
   grader (less any ``pass_threshold``); ``job.json`` must validate against the installed
   ``openai`` SDK's types (``JobCreateParams``, ``ReinforcementMethod`` and each grader type,
   as :func:`~rubricate.export.rft.payload.validate_payload` and the conformance suite check;
   the version goes into a note); for Azure, the bundle's grader must also keep Azure's rules
   (:mod:`rubricate.export.rft.azure_profile`);
2. grade every answer of the calibration set with both graders, ``repeats`` times, and compare
   them part by part (:mod:`.compare`).

Judge calls: the calibrated side uses repeat indexes ``0 .. repeats-1``, the ones a
calibration run uses, so a call store that holds the calibration's judge replies answers them
without paying again; the form side uses :data:`FORM_REPEAT_BASE` + r, fresh judge samples, so
a judged part's difference is what the platform's own judge call would differ by. With no
judge endpoint configured, judged parts are not assessed (one note says so) and deterministic
parts are still compared, offline.

What this does not prove: that the platform's own grader service computes what rubricate's
runtime computes (the conformance suite compares the two where the tool can run locally).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from rubricate.export.verify.compare import compare, parts_of
from rubricate.export.verify.model import AnswerComparison, Verification
from rubricate.judge.calls import ClientSettings
from rubricate.rubrics.compile.choice import CompileChoice

FORM_REPEAT_BASE = 10_000
"""The form side's first repeat index (never one a calibration run or a retry uses)."""

RETRIES = 2
"""New attempts for a transiently failed grade (a judge reply that did not parse, ...)."""


def bundle_problems(
    bundle_bytes: bytes, fresh_text: str, job: Any, grader: dict[str, Any] | None
) -> list[str]:
    """What is wrong with the bundle's grader and job before any grading (pure but for the
    ``openai`` types ``validate_payload`` imports)."""
    from rubricate.errors import RubricateError
    from rubricate.export.rft.payload import validate_payload, without_pass_threshold

    out: list[str] = []
    if bundle_bytes != fresh_text.encode("utf-8"):
        out.append(
            "grader.json is not the rubric's fresh compile (the bundle is stale or was edited): "
            "export again; the job would train on a grader nobody calibrated"
        )
    if grader is None:
        out.append("grader.json is not a JSON object")
        return out
    if not isinstance(job, dict):
        out.append("job.json is missing or not a JSON object")
        return out
    reinforcement = (job.get("method") or {}).get("reinforcement") or {}
    if reinforcement.get("grader") != without_pass_threshold(grader)[0]:
        out.append("job.json's grader is not grader.json's: export again")
    try:
        validate_payload(job)
    except RubricateError as error:
        out.append(f"job.json: {error.msg}")
    return out


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


async def _grade_side(
    runtime: Any, grader: dict[str, Any], pairs: list[tuple[dict, dict]], repeat: int
) -> list[Any]:
    from rubricate.judge.service import is_transient

    records = await runtime.grade_many(grader, pairs, repeat=repeat)
    for attempt in range(1, RETRIES + 1):
        again = [i for i, r in enumerate(records) if is_transient(r)]
        if not again:
            break
        redone = await runtime.grade_many(
            grader, [pairs[i] for i in again], repeat=repeat + attempt * 1000
        )
        for i, record in zip(again, redone, strict=True):
            records[i] = record
    return records


async def _grade_both(
    calibrated: dict[str, Any],
    form: dict[str, Any] | None,
    pairs: list[tuple[dict, dict]],
    settings: ClientSettings,
    repeats: int,
) -> tuple[list[list[Any]], list[list[Any] | None], str | None, bool]:
    """Per repeat, the calibrated records and the form's (None: it could not run, with why)."""
    from rubricate.errors import RubricateError
    from rubricate.judge.graders.kinds import uses_models
    from rubricate.judge.runtime import Runtime, check_config

    client = None
    if uses_models(calibrated) or (form is not None and uses_models(form)):
        from rubricate.judge.client import open_client  # deferred: the openai SDK

        client = open_client(settings)
    form_error = None
    if form is not None:
        try:
            check_config(form)
        except RubricateError as error:
            form, form_error = None, error.msg
    cal_runs: list[list[Any]] = []
    form_runs: list[list[Any] | None] = []
    try:
        async with Runtime(client, python_workers=2) as runtime:
            for r in range(repeats):
                cal_runs.append(await _grade_side(runtime, calibrated, pairs, r))
                form_runs.append(
                    None
                    if form is None
                    else await _grade_side(runtime, form, pairs, FORM_REPEAT_BASE + r)
                )
    finally:
        if client is not None:
            await client.aclose()
    return cal_runs, form_runs, form_error, client is None


def verify_form(
    platform: str,
    bundle: Path,
    *,
    calibration_set: Path,
    rubric: Path,
    settings: ClientSettings,
    repeats: int = 1,
    extra_failures: list[str] | None = None,
    choice: CompileChoice | None = None,
) -> Verification:
    """Verify an OpenAI-form bundle (see the module docstring); ``extra_failures`` are the
    platform's own findings on the bundle's grader; ``choice`` the export's compile options
    (None: the manifest's).

    Raises:
        RubricFormatError / GraderError / InputError: the rubric or the calibration set cannot
            be used (one line, exit 2).
    """
    import openai

    from rubricate.calibration.inputs.calset import read_calibration_set
    from rubricate.judge.sample import make_sample
    from rubricate.rubrics.compile.choice import compile_choice
    from rubricate.rubrics.lint import load_checked_rubric

    if choice is None:
        from rubricate.export.rft.manifest import manifest_choice

        choice = manifest_choice(_read_json(bundle / "manifest.json"))
    loaded = load_checked_rubric(rubric)
    compiled = compile_choice(loaded.rubric, choice)
    fresh, fresh_text = compiled.grader, compiled.text
    bundle_bytes = (bundle / "grader.json").read_bytes()
    form = _read_json(bundle / "grader.json")
    form = form if isinstance(form, dict) else None
    failures = bundle_problems(bundle_bytes, fresh_text, _read_json(bundle / "job.json"), form)
    failures += extra_failures or []
    refused = any(f.startswith("job.json") for f in failures)
    notes = [
        f"job.json checked against openai {openai.__version__}'s JobCreateParams and grader "
        f"types: {'refused (see the failures)' if refused else 'valid'}"
    ]
    entries = read_calibration_set(calibration_set).entries()
    pairs = [(dict(e.item), make_sample(e.text, e.output_tools)) for e in entries]
    cal_runs, form_runs, form_error, offline = asyncio.run(
        _grade_both(fresh, form, pairs, settings, repeats)
    )
    answers: list[AnswerComparison] = []
    for r, (cal_records, form_records) in enumerate(zip(cal_runs, form_runs, strict=True)):
        for i, entry in enumerate(entries):
            answers.append(
                compare(
                    item_id=entry.item_id,
                    answer_id=entry.answer_id,
                    repeat=r,
                    calibrated_grader=fresh,
                    form_grader=form,
                    calibrated=cal_records[i],
                    form=None if form_records is None else form_records[i],
                    form_error=form_error or "grader.json cannot run",
                )
            )
    judged = sum(1 for _, j in parts_of(fresh) if j)
    if judged and offline:
        notes.append(
            f"{judged} judged part(s) not assessed: no judge endpoint is configured (set "
            "OPENAI_BASE_URL / OPENAI_API_KEY, or --base-url); deterministic parts compared"
        )
    elif judged:
        notes.append(
            f"judged parts: the form's judge calls are fresh samples (repeat {FORM_REPEAT_BASE}+), "
            "so their difference is the judge's own run-to-run variation"
        )
    return Verification(platform, tuple(answers), tuple(notes), tuple(failures))


def verify_openai(
    bundle: Path, *, calibration_set: Path, rubric: Path, settings: ClientSettings, **kw: Any
) -> Verification:
    """``--platform openai --verify``: see the module docstring."""
    return verify_form(
        "openai", bundle, calibration_set=calibration_set, rubric=rubric, settings=settings, **kw
    )


def verify_azure(
    bundle: Path, *, calibration_set: Path, rubric: Path, settings: ClientSettings, **kw: Any
) -> Verification:
    """``--platform azure --verify``: the OpenAI checks plus Azure's rules on the bundle's
    grader (a bundle edited after export can break them)."""
    from rubricate.export.rft.azure_profile import grader_findings

    grader = _read_json(bundle / "grader.json")
    findings = grader_findings(grader) if isinstance(grader, dict) else []
    extra = [
        f"grader.json {''.join(f'graders.{n}.' for n in f.grader)}{f.field}: {f.message}"
        for f in findings
    ]
    return verify_form(
        "azure",
        bundle,
        calibration_set=calibration_set,
        rubric=rubric,
        settings=settings,
        extra_failures=extra,
        **kw,
    )
