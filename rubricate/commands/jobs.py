"""``rubricate jobs``: submit an RFT bundle and follow its fine-tuning job.

::

    rubricate jobs submit BUNDLE_DIR [--azure]          upload + create (as export --submit)
    rubricate jobs status JOB_ID [--follow]             status, and the reward curves
    rubricate jobs events JOB_ID [--follow]             every event, and the reward curves
    rubricate jobs checkpoints JOB_ID [--follow]        checkpoints by step
    rubricate jobs cancel JOB_ID [--follow]             cancel it

``--follow`` polls (every ``--poll`` seconds) until the job is ``succeeded``, ``failed``,
``cancelled`` or ``paused``, printing each status change and new event as it arrives, then
does what the subcommand does. The reward curves (``train_reward_mean`` and
``valid_reward_mean`` per step, from the job's metrics events, see
:mod:`rubricate.export.platforms.jobs`) are drawn as a compact Unicode chart
(:mod:`rubricate.export.platforms.curves`). ``--azure`` talks to Azure OpenAI
(``AZURE_OPENAI_ENDPOINT``,
``AZURE_OPENAI_API_KEY``, ``OPENAI_API_VERSION``); otherwise ``OPENAI_API_KEY`` /
``OPENAI_BASE_URL``.

With ``--json``, stdout holds one JSON document at the end (``job``, ``events``,
``checkpoints`` or ``submission``, plus ``curves`` as ``{name: [[step, value], ...]}``); what
``--follow`` reports along the way goes to stderr. Exit 0 when the call succeeded (whatever
the job's state: ``status`` reports it), 1 when ``--follow`` ends in ``failed``, 2 on a usage
or API error.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import click

from rubricate.commands._client_options import endpoint_options
from rubricate.commands._common import emit_json, format_option, note, warn
from rubricate.errors import CheckFailed
from rubricate.judge.calls import ClientSettings


@click.group("jobs")
def jobs_group() -> None:
    """Submit an RFT bundle and follow fine-tuning jobs (OpenAI or Azure OpenAI)."""


def _job_options(func: Any) -> Any:
    func = format_option("text", "json")(func)
    func = click.option(
        "--poll",
        type=click.FloatRange(min=0),
        default=15.0,
        show_default=True,
        help="Seconds between polls with --follow.",
    )(func)
    func = click.option("--follow", is_flag=True, help="Poll until the job stops.")(func)
    func = endpoint_options(func)
    return click.argument("job_id")(func)


def _open(settings: ClientSettings) -> tuple[Any, Any]:
    from rubricate.export.platforms.sdk import open_sdk

    return open_sdk(settings)


def _chart(events: list[dict[str, Any]]) -> str | None:
    from rubricate.export.platforms.curves import render_chart
    from rubricate.export.platforms.jobs import curves

    series = curves(events)
    if not series:
        return None
    columns = shutil.get_terminal_size((80, 24)).columns
    width = max(20, min(72, columns - 14))
    return render_chart(series, width=width, height=10, title="reward by step")


def _curves_json(events: list[dict[str, Any]]) -> dict[str, list[list[float]]]:
    from rubricate.export.platforms.jobs import curves

    return {name: [[x, y] for x, y in points] for name, points in curves(events).items()}


def _follow(
    client: Any, provider: Any, job_id: str, poll: float, output_format: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from rubricate.export.platforms.jobs import follow, format_event

    def report(job: dict[str, Any], new: list[dict[str, Any]]) -> None:
        lines = [format_event(e) for e in new] + [f"job {job_id}: {job.get('status')}"]
        for line in lines:
            if output_format == "json":
                note(line)
            else:
                click.echo(line)

    job, events = follow(client, provider, job_id, poll_s=poll, on_update=report)
    if job.get("status") == "paused":
        warn(f"job {job_id} is paused; resume it before following again")
    return job, events


def _end(job: dict[str, Any] | None) -> None:
    if job is not None and job.get("status") == "failed":
        error = job.get("error") or {}
        raise CheckFailed(
            f"job {job.get('id')} failed: {error.get('message') or 'no reason given'}"
        )


@jobs_group.command("submit")
@click.argument("bundle", type=click.Path(file_okay=False, path_type=Path))
@endpoint_options
@format_option("text", "json")
def submit_command(bundle: Path, client_settings: ClientSettings, output_format: str) -> None:
    """Upload BUNDLE's files and create its fine-tuning job."""
    from rubricate.export.platforms.submit import cutoff_notice, submit_bundle
    from rubricate.export.rft.bundle import read_bundle

    read_bundle(bundle)  # a bad folder is said before any endpoint is needed
    client, provider = _open(client_settings)
    notice = cutoff_notice(provider)
    if notice is not None:
        (warn if notice[0] == "warning" else note)(notice[1])
    with client:
        record = submit_bundle(bundle, client, provider)
    if output_format == "json":
        emit_json({"submission": record})
        return
    click.echo(f"job {record['job_id']} created ({record['status']}) on {provider.describe()}")
    click.echo(
        f"follow it: rubricate jobs status {record['job_id']} --follow"
        + (" --azure" * client_settings.azure)
    )


@jobs_group.command("status")
@_job_options
def status_command(
    job_id: str,
    client_settings: ClientSettings,
    follow: bool,
    poll: float,
    output_format: str,
) -> None:
    """The job's status, and its reward curves when it has metrics."""
    from rubricate.export.platforms.jobs import list_events, retrieve, summary

    client, provider = _open(client_settings)
    with client:
        if follow:
            job, events = _follow(client, provider, job_id, poll, output_format)
        else:
            job, events = retrieve(client, provider, job_id), list_events(client, provider, job_id)
    if output_format == "json":
        emit_json({"job": job, "curves": _curves_json(events)})
    else:
        for line in summary(job):
            click.echo(line)
        chart = _chart(events)
        if chart:
            click.echo(chart)
    if follow:
        _end(job)


@jobs_group.command("events")
@_job_options
def events_command(
    job_id: str,
    client_settings: ClientSettings,
    follow: bool,
    poll: float,
    output_format: str,
) -> None:
    """The job's events, oldest first, and its reward curves."""
    from rubricate.export.platforms.jobs import format_event, list_events

    client, provider = _open(client_settings)
    job = None
    with client:
        if follow:
            job, events = _follow(client, provider, job_id, poll, output_format)
        else:
            events = list_events(client, provider, job_id)
    if output_format == "json":
        emit_json({"events": events, "curves": _curves_json(events)})
    else:
        if not follow:  # following already printed every event
            for event in events:
                click.echo(format_event(event))
        chart = _chart(events)
        if chart:
            click.echo(chart)
    _end(job)


@jobs_group.command("checkpoints")
@_job_options
def checkpoints_command(
    job_id: str,
    client_settings: ClientSettings,
    follow: bool,
    poll: float,
    output_format: str,
) -> None:
    """The job's checkpoints, by step."""
    from rubricate.export.platforms.jobs import list_checkpoints

    client, provider = _open(client_settings)
    job = None
    with client:
        if follow:
            job, _ = _follow(client, provider, job_id, poll, output_format)
        checkpoints = list_checkpoints(client, provider, job_id)
    if output_format == "json":
        emit_json({"checkpoints": checkpoints})
    else:
        if not checkpoints:
            click.echo(f"job {job_id}: no checkpoints yet")
        for checkpoint in checkpoints:
            metrics = checkpoint.get("metrics") or {}
            numbers = ", ".join(
                f"{k} {v:.4g}"
                for k, v in metrics.items()
                if isinstance(v, int | float) and k != "step"
            )
            name = checkpoint.get("fine_tuned_model_checkpoint")
            extra = f"  ({numbers})" if numbers else ""
            click.echo(f"step {checkpoint.get('step_number')}: {name}{extra}")
    _end(job)


@jobs_group.command("cancel")
@_job_options
def cancel_command(
    job_id: str,
    client_settings: ClientSettings,
    follow: bool,
    poll: float,
    output_format: str,
) -> None:
    """Cancel the job."""
    from rubricate.export.platforms.jobs import cancel

    client, provider = _open(client_settings)
    with client:
        job = cancel(client, provider, job_id)
        if follow and job.get("status") not in ("cancelled", "succeeded", "failed"):
            job, _ = _follow(client, provider, job_id, poll, output_format)
    if output_format == "json":
        emit_json({"job": job})
    else:
        click.echo(f"job {job_id}: {job.get('status')}")
