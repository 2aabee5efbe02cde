"""Following a fine-tuning job: status, events, checkpoints, cancel, and the reward curves.

Everything goes through the SDK (``client.fine_tuning.jobs.retrieve``, ``.list_events``,
``.cancel``, ``client.fine_tuning.jobs.checkpoints.list``), so the same code serves OpenAI and
Azure OpenAI (:mod:`.sdk`). Results are plain JSON-ready dicts (``model_dump``).

Statuses (``FineTuningJob.status``): ``validating_files``, ``queued``, ``running``, then one of
the terminal ``succeeded``, ``failed``, ``cancelled``. An RFT job may also be ``paused`` (by the
user, or by Azure when it reaches $5,000 of training and grading cost, Azure OpenAI RFT guide);
:func:`follow` stops there too, since nothing happens until it is resumed.

Metrics: a job's events of ``type == "metrics"`` carry ``data`` with the training step and
numbers. For RFT the reward metrics are ``train_reward_mean`` (the mean reward over the
training batch at a step) and ``valid_reward_mean`` (over the validation samples at that step),
as the Azure OpenAI RFT guide ("Interpreting training results") names them. :func:`curves`
collects every ``*reward*`` number per step, training first, so the terminal chart shows the
reward and validation-reward curves; diverging curves are the guide's sign of reward hacking.

The API lists events newest first; :func:`list_events` returns them oldest first (stable on
``created_at``), fetching every page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rubricate.export.platforms.sdk import Provider, sdk_call

TERMINAL = ("succeeded", "failed", "cancelled")
"""Statuses a job never leaves."""
STOPS = (*TERMINAL, "paused")
"""Statuses :func:`follow` stops at."""


def _dump(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "model_dump"):  # the API's objects may hold more than the SDK declares
        return obj.model_dump(mode="json", warnings=False)
    return dict(obj)


def retrieve(client: Any, provider: Provider, job_id: str) -> dict[str, Any]:
    """The job object."""
    job = sdk_call(provider, f"read job {job_id}", lambda: client.fine_tuning.jobs.retrieve(job_id))
    return _dump(job)


def cancel(client: Any, provider: Provider, job_id: str) -> dict[str, Any]:
    """Cancel the job; returns the job object as the API answers it."""
    job = sdk_call(provider, f"cancel job {job_id}", lambda: client.fine_tuning.jobs.cancel(job_id))
    return _dump(job)


def list_events(client: Any, provider: Provider, job_id: str) -> list[dict[str, Any]]:
    """Every event of the job, oldest first."""
    events = sdk_call(
        provider,
        f"list the events of job {job_id}",
        lambda: [_dump(e) for e in client.fine_tuning.jobs.list_events(job_id, limit=100)],
    )
    events.reverse()
    return sorted(events, key=lambda e: e.get("created_at") or 0)


def list_checkpoints(client: Any, provider: Provider, job_id: str) -> list[dict[str, Any]]:
    """Every checkpoint of the job, by step."""
    checkpoints = sdk_call(
        provider,
        f"list the checkpoints of job {job_id}",
        lambda: [_dump(c) for c in client.fine_tuning.jobs.checkpoints.list(job_id, limit=100)],
    )
    return sorted(checkpoints, key=lambda c: c.get("step_number") or 0)


def curves(events: list[dict[str, Any]]) -> dict[str, list[tuple[float, float]]]:
    """Reward series per metric name from the metrics events: ``{name: [(step, value)]}``,
    training metrics first, then validation, then the rest; steps ascending, the last value
    kept when a step repeats. Empty when there are no reward metrics."""
    series: dict[str, dict[float, float]] = {}
    for event in events:
        data = event.get("data")
        if event.get("type") != "metrics" or not isinstance(data, dict):
            continue
        step = data.get("step")
        if not isinstance(step, int | float) or isinstance(step, bool):
            continue
        for key, value in data.items():
            if "reward" in key and isinstance(value, int | float) and not isinstance(value, bool):
                series.setdefault(key, {})[float(step)] = float(value)

    def order(name: str) -> tuple[int, str]:
        return (0 if name.startswith("train") else 1 if "valid" in name else 2, name)

    return {name: sorted(series[name].items()) for name in sorted(series, key=order)}


def _when(stamp: Any) -> str:
    if not isinstance(stamp, int | float):
        return "-"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def format_event(event: dict[str, Any]) -> str:
    """One event as one line: time, level, and the message or the metrics."""
    head = f"{_when(event.get('created_at'))}  {event.get('level', 'info'):<5}"
    data = event.get("data")
    if event.get("type") == "metrics" and isinstance(data, dict):
        step = data.get("step")
        total = data.get("total_steps")
        where = f"step {step}" + (f"/{total}" if total is not None else "")
        numbers = ", ".join(
            f"{k} {v:.4g}"
            for k, v in data.items()
            if k not in ("step", "total_steps")
            and isinstance(v, int | float)
            and not isinstance(v, bool)
        )
        return f"{head}  {where}: {numbers}"
    return f"{head}  {event.get('message', '')}"


def summary(job: dict[str, Any]) -> list[str]:
    """The job's status lines: id, status, model, timing, result or error."""
    lines = [
        f"job {job.get('id')}: {job.get('status')}",
        f"  model {job.get('model')}"
        + (f" -> {job['fine_tuned_model']}" if job.get("fine_tuned_model") else ""),
        f"  created {_when(job.get('created_at'))}"
        + (f", finished {_when(job['finished_at'])}" if job.get("finished_at") else ""),
    ]
    method = job.get("method") or {}
    if method.get("type"):
        lines.append(f"  method {method['type']}")
    error = job.get("error") or {}
    if error.get("message"):
        lines.append(f"  error {error.get('code')}: {error['message']}")
    return lines


def follow(
    client: Any,
    provider: Provider,
    job_id: str,
    *,
    poll_s: float = 15.0,
    on_update: Callable[[dict[str, Any], list[dict[str, Any]]], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_polls: int | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Poll the job until it reaches a status in :data:`STOPS`.

    Args:
        poll_s: seconds between polls.
        on_update: called with ``(job, new_events)`` after every poll that changed the
            status or brought events (the first poll always does).
        sleep: how to wait (tests pass a no-op).
        max_polls: give up after this many polls (None: never).

    Returns:
        The last job object and every event, oldest first.
    """
    seen: set[str] = set()
    status = None
    polls = 0
    while True:
        job = retrieve(client, provider, job_id)
        events = list_events(client, provider, job_id)
        new = [e for e in events if e.get("id") not in seen]
        seen.update(str(e.get("id")) for e in events)
        if on_update is not None and (new or job.get("status") != status):
            on_update(job, new)
        status = job.get("status")
        polls += 1
        if status in STOPS or (max_polls is not None and polls >= max_polls):
            return job, events
        sleep(poll_s)
