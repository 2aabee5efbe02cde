"""The ``run.json`` fields a calibration run and a baseline run both record.

Both manifests (:func:`rubricate.calibration.run.session.manifest`,
:func:`rubricate.calibration.baseline.execution.baseline_manifest`) follow one contract, so
``rubricate review`` and export read either: what graded (:func:`rubric_fields`, the grader's
:func:`judge_model`), how the run started (:func:`start_fields`: timestamps, status, the client
settings without credentials) and, once finished, what it cost (:func:`run_usage`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from rubricate.calibration.run_files import sha256_bytes
from rubricate.judge.calls import ClientSettings
from rubricate.judge.graders.kinds import MODEL_TYPES
from rubricate.rubrics.model import Rubric

USAGE_KEYS = ("calls", "cached", "input_tokens", "cached_input_tokens", "output_tokens",
              "reasoning_tokens", "cost_usd", "replayed_cost_usd", "replayed_tokens", "orphaned",
              "errors", "unpriced", "local")  # fmt: skip
"""The client usage counters a finished run records (plus ``wall_s`` and ``pace``)."""


class CompiledRun(Protocol):
    """A prepared run of either kind: the rubric and the exact grader bytes it runs."""

    rubric: Rubric
    rubric_bytes: bytes
    grader_bytes: bytes
    target: str


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def judge_model(grader: dict[str, Any]) -> str | None:
    """The model of the grader's first model grader (a ``multi``'s sub-graders in order)."""
    nodes = list(grader.get("graders", {}).values()) if grader.get("type") == "multi" else [grader]
    models = [n.get("model") for n in nodes if n.get("type") in MODEL_TYPES]
    return models[0] if models else None


def client_dump(settings: ClientSettings) -> dict[str, Any]:
    """The client settings as JSON, the base URL cut to scheme, host, port and path.

    User info, query and fragment are dropped: they may hold credentials.
    """
    data = settings.model_dump(mode="json")
    if data.get("base_url"):
        parts = urlsplit(data["base_url"])
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
        data["base_url"] = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return data


def rubric_fields(rubric_path: Path, prepared: CompiledRun) -> dict[str, Any]:
    """What graded: the rubric (path, id, title, SHA-256), the grader's SHA-256, the target."""
    return {
        "rubric_path": str(rubric_path),
        "rubric_id": prepared.rubric.id,
        "rubric_title": prepared.rubric.title,
        "rubric_sha256": sha256_bytes(prepared.rubric_bytes),
        "grader_sha256": sha256_bytes(prepared.grader_bytes),
        "target": prepared.target,
    }


def start_fields(settings: ClientSettings, *, judged_run: bool) -> dict[str, Any]:
    """A run about to start: ``status: partial``, the client, and nothing counted yet."""
    return {
        "started_at": utc_now(),
        "finished_at": None,
        "status": "partial",
        "judged_run": judged_run,
        "client": client_dump(settings),
        "usage": None,
        "counts": None,
        "experts_csv": None,
    }


def run_usage(client: Any, wall_s: float) -> dict[str, Any]:
    """The ``usage`` of a finished run: the client's counters (zero without a client), the
    run's wall time, and what set the pace of its live calls (None: not assessed, none made)."""
    usage = client.usage.model_dump(mode="json") if client is not None else {}
    out = {k: usage.get(k, 0 if k not in ("errors", "unpriced") else None) for k in USAGE_KEYS}
    out["errors"], out["unpriced"] = out["errors"] or {}, out["unpriced"] or []
    out["local"] = bool(out["local"])
    out["wall_s"] = round(wall_s, 3)
    pace = client.usage.pace() if client is not None else None
    out["pace"] = pace.model_dump(mode="json") if pace is not None else None
    return out


def endpoint_fields(client: Any) -> dict[str, Any] | None:
    """What the run learned of its endpoint (:meth:`OpenAIClient.endpoint_report`), or None
    without a client."""
    return client.endpoint_report() if client is not None else None
