"""``rubricate export rft``: a rubric and two datasets become a ready RFT job bundle.

``export`` is a group so other targets can join it (``promptfoo``, ``trl``, ``verl``,
``verifiers``); ``rft`` writes, into ``--out DIR``: ``grader.json`` (byte for byte what
``rubricate compile`` writes), ``train.jsonl`` / ``valid.jsonl`` (RFT rows), ``job.json``
(the exact ``jobs.create`` arguments), ``manifest.json`` and ``README.md`` (see
:mod:`rubricate.export.rft.prepare`).

Every check runs before anything is written. Warnings (a skewed label set, no calibration run
for these grader bytes, ...) go to stderr as ``rubricate: warning: ...``. Problems go to
stderr too, one line each with file and line, followed by a one-line summary; the command
then exits 2 and writes nothing.

``--submit`` then uploads both files (purpose ``fine-tune``), creates the job with the exact
payload and prints its id; ``--azure`` sends it to Azure OpenAI instead (see
:mod:`rubricate.export.platforms.sdk`). Before an OpenAI submission a note (a warning from
2027-01-06 on)
says that OpenAI's fine-tuning takes no new jobs from that date. Follow the job with
``rubricate jobs status JOB_ID --follow``.

``--judge-model MODEL`` and ``--panel A,B,C`` (``--panel-rule``) choose the judge(s) as
``rubricate compile`` does: ``grader.json`` is byte for byte ``rubricate compile`` with the same
options (one function compiles for the bundle, its platform checks, ``--verify`` and the
manifest: :func:`rubricate.rubrics.compile.choice.compile_choice`), so the calibration run found
for it is one made with ``rubricate calibrate --judge-model MODEL`` / ``--panel A,B,C`` (or an
arm of ``calibrate --compare judge=...``). The manifest records the options
(``grader.compile``). A rubric judged by a model Azure refuses exports to Azure with
``--judge-model`` one of the allowed models.

``--verify SET`` runs the written bundle's form on the calibration set's answers beside the
calibrated grader (:mod:`rubricate.export.verify`) and exits 1 when it fails; ``--submit``
is then skipped. ``--platform azure`` holds the bundle to Azure AI Foundry's rules
(:mod:`rubricate.export.rft.azure`) and makes ``--submit`` go to Azure OpenAI; the judge
``--verify`` calls stays on the endpoint the options name.

stdout: a short summary, or with ``--json`` ``{"out", "files", "grader_sha256",
"calibration", "warnings", "submission"}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rubricate.commands._client_options import endpoint_options
from rubricate.commands._common import (
    emit_json,
    format_option,
    judge_options,
    note,
    target_option,
    warn,
)
from rubricate.errors import ExportError
from rubricate.judge.calls import ClientSettings

if TYPE_CHECKING:
    from rubricate.rubrics.compile import Target


@click.group("export")
def export_group() -> None:
    """Export a rubric's grader for training: an RFT job bundle (OpenAI, Azure AI Foundry,
    Amazon Bedrock, Google Gemini) or a reward module for TRL, verl, verifiers, promptfoo."""


def _submit(out: Path, settings: ClientSettings) -> dict[str, Any]:
    from rubricate.export.platforms.sdk import open_sdk
    from rubricate.export.platforms.submit import cutoff_notice, submit_bundle

    client, provider = open_sdk(settings)
    notice = cutoff_notice(provider)
    if notice is not None:
        (warn if notice[0] == "warning" else note)(notice[1])
    with client:
        return submit_bundle(out, client, provider)


@export_group.command("rft")
@click.argument("rubric", type=click.Path(path_type=Path))
@click.option(
    "--train", type=click.Path(path_type=Path), required=True, help="Training items (JSONL)."
)
@click.option(
    "--valid", type=click.Path(path_type=Path), required=True, help="Validation items (JSONL)."
)
@click.option("--model", required=True, help="Model to fine-tune, e.g. o4-mini-2025-04-16.")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Bundle folder."
)
@target_option("Grader type. Default: the rubric's choice, as `rubricate compile`.")
@judge_options
@click.option(
    "--response-format",
    type=click.Path(path_type=Path),
    default=None,
    help="JSON file: a json_schema response format, or a JSON Schema to wrap in one.",
)
@click.option(
    "--hyperparameters",
    "-H",
    multiple=True,
    metavar="KEY=VALUE",
    help="A reinforcement hyperparameter (repeatable): n_epochs, batch_size, "
    "learning_rate_multiplier, eval_interval, eval_samples, compute_multiplier, reasoning_effort.",
)
@click.option("--suffix", default=None, help="Added to the fine-tuned model's name (1-64 chars).")
@click.option("--seed", type=int, default=None, help="Job seed; also seeds --balance.")
@click.option(
    "--balance",
    metavar="FIELD",
    default=None,
    help="Undersample the training rows so every value of FIELD is equally frequent.",
)
@click.option(
    "--developer",
    default=None,
    help="A developer message put before prompts built from the rubric's task.",
)
@click.option(
    "--calibration",
    type=click.Path(file_okay=False, path_type=Path),
    multiple=True,
    help="Calibration run folder(s) to look in first (default: runs/*/).",
)
@click.option(
    "--platform",
    type=click.Choice(["openai", "azure", "bedrock", "gemini"]),
    default="openai",
    show_default=True,
    help="Where the job runs: OpenAI, Azure AI Foundry (its grader limits enforced), Amazon "
    "Bedrock (a Lambda reward function) or Google Gemini tuning (a composite reward config).",
)
@click.option(
    "--verify",
    "verify_set",
    type=click.Path(path_type=Path),
    default=None,
    metavar="SET",
    help="After writing, run the bundle's form locally on this calibration set's answers and "
    "show its reward beside the calibrated grader's (exit 1 when a deterministic part differs).",
)
@click.option(
    "--gemini",
    "gemini_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="With --platform gemini (repeatable): project, location, gcs (gs:// folder of the "
    "data), autorater (Vertex AI model), reward (auto|composite|cloudrun), serve_url.",
)
@click.option("--submit", is_flag=True, help="Upload the files and create the job.")
@endpoint_options
@format_option("text", "json")
def rft_command(
    rubric: Path,
    train: Path,
    valid: Path,
    model: str,
    out: Path,
    target: Target | None,
    judge_model: str | None,
    panel: str | None,
    panel_rule: str,
    response_format: Path | None,
    hyperparameters: tuple[str, ...],
    suffix: str | None,
    seed: int | None,
    balance: str | None,
    developer: str | None,
    calibration: tuple[Path, ...],
    platform: str,
    verify_set: Path | None,
    gemini_options: tuple[str, ...],
    submit: bool,
    client_settings: ClientSettings,
    output_format: str,
) -> None:
    """Write RUBRIC's grader, RFT-format data and job arguments into --out.

    grader.json is byte for byte `rubricate compile` with the same --target, --judge-model and
    --panel: export the judge you calibrated (e.g. --platform azure --judge-model
    o3-mini-2025-01-31 for a rubric judged by a model Azure does not allow).
    """
    from rubricate.errors import error_line
    from rubricate.export.rft import platforms
    from rubricate.export.rft.bundle import write_files
    from rubricate.export.rft.prepare import RftOptions
    from rubricate.rubrics.compile.choice import CompileChoice

    choice = CompileChoice.from_options(target, judge_model, panel, panel_rule)
    options = RftOptions(
        rubric=rubric,
        train=train,
        valid=valid,
        model=model,
        out=out,
        choice=choice,
        response_format=response_format,
        hyperparameters=list(hyperparameters),
        suffix=suffix,
        seed=seed,
        balance=balance,
        developer=developer,
        calibration=list(calibration),
        platform_options=list(gemini_options),
    )
    if gemini_options and platform != "gemini":
        raise click.UsageError("--gemini is for --platform gemini")
    if verify_set is not None:
        from rubricate.export.verify.registry import VERIFIERS

        if platform not in VERIFIERS:
            raise ExportError(f"--verify is not available for --platform {platform} yet")
    prepared = platforms.load(platforms.PLATFORMS[platform])(options)
    for problem in prepared.warnings:
        warn(problem.format())
    if prepared.errors:
        for problem in prepared.errors:
            click.echo(error_line(problem.format()), err=True)
        n = len(prepared.errors)
        raise ExportError(
            f"{n} problem{'s' if n > 1 else ''} in the rubric, data or options (listed above); "
            "nothing was written"
        )
    files = prepared.files()
    assert prepared.train is not None and prepared.valid is not None  # as files() checked
    write_files(out, files)
    verification = None
    if verify_set is not None:
        from rubricate.export.verify.registry import run_verifier
        from rubricate.export.verify.render import render_verification

        verification = run_verifier(
            platform,
            out,
            calibration_set=verify_set,
            rubric=rubric,
            settings=client_settings,
            choice=choice,
        )
    submission = None
    failed_verification = verification is not None and render_verification(verification).failed
    if submit and failed_verification:
        warn("--submit skipped: the bundle failed --verify (see the verdict)")
    elif submit:
        if platform in platforms.SUBMITTERS:
            submission = platforms.load(platforms.SUBMITTERS[platform])(out)
        else:
            # --platform azure submits to Azure OpenAI; the judge of --verify stays on the
            # endpoint the options name (it may be any OpenAI-compatible server).
            azure = client_settings.azure or platform == "azure"
            submission = _submit(out, client_settings.model_copy(update={"azure": azure}))
    manifest = prepared.manifest
    if output_format == "json":
        emit_json(
            {
                "out": str(out),
                "files": {name: str(out / name) for name in files},
                "grader_sha256": prepared.grader_sha256,
                "rows": {"train": len(prepared.train.rows), "valid": len(prepared.valid.rows)},
                "calibration": manifest["calibration"],
                "warnings": manifest["warnings"],
                "submission": submission,
                "platform": platform,
                "verification": (
                    None if verification is None else render_verification(verification).data
                ),
            }
        )
        _exit_if_verification_failed(verification)
        return
    grader = manifest["grader"]
    click.echo(
        f"{out}: RFT bundle for {model}: {grader['type']} grader '{grader['name']}' "
        f"(sha256 {grader['sha256']}), {len(prepared.train.rows)} training and "
        f"{len(prepared.valid.rows)} validation rows"
    )
    run = manifest["calibration"]
    click.echo(f"calibration: {run['path'] if run else 'none found'}")
    if submission is not None:
        click.echo(f"job {submission['job_id']} created ({submission['status']})")
        follow = submission.get("follow") or (
            f"rubricate jobs status {submission['job_id']} --follow"
            + (" --azure" if client_settings.azure or platform == "azure" else "")
        )
        click.echo(f"follow it: {follow}")
    if verification is not None:
        click.echo(render_verification(verification).text)
    _exit_if_verification_failed(verification)


def _exit_if_verification_failed(verification: Any) -> None:
    """Exit 1 (the bundle is written) when a deterministic part differs or could not run."""
    if verification is None:
        return
    from rubricate.export.verify.render import render_verification

    rendered = render_verification(verification)
    if rendered.failed:
        click.echo(f"rubricate: {rendered.failure}", err=True)
        raise click.exceptions.Exit(1)


# Other targets of the group, defined in their own module (owner: export_trainers.py).
from rubricate.commands.export_trainers import (  # noqa: E402
    promptfoo_command,
    trl_command,
    verifiers_command,
    verl_command,
)

export_group.add_command(promptfoo_command)
export_group.add_command(trl_command)
export_group.add_command(verl_command)
export_group.add_command(verifiers_command)
