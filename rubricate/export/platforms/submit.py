"""Submitting an RFT bundle: upload both files, create the job with the exact payload.

``submit_bundle(folder, client, provider)``:

1. reads ``job.json`` and the two JSONL files of the bundle
(:func:`~rubricate.export.rft.bundle.read_bundle`);
2. uploads ``train.jsonl`` and ``valid.jsonl`` with ``client.files.create(file=...,
   purpose="fine-tune")`` (the API reference: fine-tuning files must be uploaded with the
   purpose ``fine-tune``);
3. calls ``client.fine_tuning.jobs.create(**job)`` with the placeholders replaced by the two
   file ids (:func:`~rubricate.export.rft.payload.fill_files`) and nothing else changed;
4. records provider, file ids and job id in ``submission.json`` in the bundle.

The platform's state (DESIGN.md): OpenAI's self-serve fine-tuning takes no new jobs from
:data:`OPENAI_CUTOFF` (2027-01-06); Azure OpenAI still runs RFT with the same grader JSON.
:func:`cutoff_notice` says so before an OpenAI submission (a note before the date, a warning
from it on); the submission is still attempted, and the API's own refusal is reported as is.
The notice applies to the OpenAI API (no base URL, or an ``openai.com`` one), not to Azure or
another OpenAI-compatible server.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rubricate.export.platforms.sdk import Provider, sdk_call
from rubricate.export.rft.bundle import read_bundle, write_submission
from rubricate.export.rft.payload import fill_files

OPENAI_CUTOFF = date(2027, 1, 6)
"""From this day OpenAI's fine-tuning takes no new jobs from anyone."""


def cutoff_notice(provider: Provider, today: date | None = None) -> tuple[str, str] | None:
    """``("warning"|"note", message)`` about OpenAI's fine-tuning cut-off, or None when it
    does not apply (Azure, or a server that is not the OpenAI API)."""
    if provider.name != "openai":
        return None
    if provider.base_url and "openai.com" not in provider.base_url:
        return None
    today = today or datetime.now(UTC).date()
    if today >= OPENAI_CUTOFF:
        return (
            "warning",
            f"OpenAI's fine-tuning takes no new jobs since {OPENAI_CUTOFF.isoformat()}; this "
            "submission will most likely be refused. Submit the same bundle to Azure OpenAI "
            "with --azure (AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY)",
        )
    days = (OPENAI_CUTOFF - today).days
    return (
        "note",
        f"OpenAI's fine-tuning takes no new jobs from {OPENAI_CUTOFF.isoformat()} ({days} days "
        "from now); Azure OpenAI (--azure) runs the same bundle after that",
    )


def upload(client: Any, provider: Provider, path: Path) -> str:
    """Upload one JSONL file for fine-tuning; returns its file id."""
    with open(path, "rb") as handle:
        created = sdk_call(
            provider,
            f"upload {path.name}",
            lambda: client.files.create(file=(path.name, handle), purpose="fine-tune"),
        )
    return str(created.id)


def submit_bundle(folder: Path, client: Any, provider: Provider) -> dict[str, Any]:
    """Upload the bundle's files and create its job (see the module docstring).

    Returns:
        The submission record (also written to ``submission.json``): ``job_id``,
        ``status``, ``training_file``, ``validation_file``, ``provider``, ``submitted_at``.

    Raises:
        InputError: ``folder`` is not a bundle.
        ModelError: an upload or the job creation failed (HTTP status and the API's message).
    """
    bundle = read_bundle(folder)
    training_file = upload(client, provider, bundle["train"])
    validation_file = upload(client, provider, bundle["valid"])
    payload = fill_files(bundle["job"], training_file, validation_file)
    job = sdk_call(provider, "create the job", lambda: client.fine_tuning.jobs.create(**payload))
    record = {
        "job_id": job.id,
        "status": job.status,
        "model": payload.get("model"),
        "training_file": training_file,
        "validation_file": validation_file,
        "provider": provider.to_json(),
        "submitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_submission(folder, record)
    return record
