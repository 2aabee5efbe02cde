"""The HTTP reward endpoint behind ``rubricate serve``: one grader, graded over HTTP.

An ASGI app (Starlette) serving the grader it was started with, through the public API: one
:class:`rubricate.Grader` per server process (``rubricate.load_grader`` with the server's
settings; :meth:`~rubricate.Grader.aopen` at startup, so a grader that cannot run stops the
server before it answers, ``ascore_many`` per request, ``aclose`` at shutdown; ``/health``
reports its ``stats``):

- ``POST /grade``: a batch of pairs in; ``rewards`` (``null`` for a pair that could not be
  graded: never a silent 0), ``results`` (one grade record per pair: ``reward``,
  ``sub_rewards``, ``metadata.errors`` with the platform's flags, ``scored``, ``error``,
  ``clipped``; the judge calls too with ``include_calls``) and a ``summary``.
- ``POST /v1/fine_tuning/alpha/graders/run``: the API's graders-run request, answered with the
  ``GraderRunResponse`` fields (plus ``scored`` and ``error``).
- ``POST /openrlhf`` (alias ``/get_reward``): OpenRLHF's remote reward model; answers
  ``{"rewards", "scores", "extra_logs"}``. The response is taken out of each query after its
  prompt, with the tokenizer's end and padding tokens (``strip_tokens``) cut
  (:mod:`.openrlhf_query`). OpenRLHF cannot take a missing reward, so unscored pairs follow the
  server's error policy (``--on-error``: ``raise``, the default, answers 502 with the reason,
  which OpenRLHF's client retries, then leaves the sample without a reward; ``value:X``
  answers X and reports the pair in ``extra_logs``, whose keys are the same in every answer).
- ``GET /health``: the grader (name, type, sha256) and the running counts.
- ``GET /metrics``: Prometheus text format (:mod:`.metrics`).

Request bodies are read up to ``max_body_bytes`` (413 beyond; a ``Content-Length`` over it is
refused before reading), with at most ``max_pairs`` pairs per request (413). Request formats:
:mod:`.requests`. Errors answer ``{"error": "<one line>"}`` with 400/413/422 (the
request), 503 (grader cannot run: no judge endpoint), 502 (grading failed under ``raise``) or
500 (a bug: the answer names it; every answer, 500 included, is counted in ``/metrics``).
Every body is strict JSON: a non-finite number is ``null`` (``/grade``) or never sent.

Concurrency: requests are served concurrently in one event loop; all of them share one model
client, so the judge sees at most the client's concurrency (and RPM/TPM limits) per process.
Scale-out: run more server processes (``--workers N``: one runtime each) or more replicas of
``rubricate serve`` behind a load balancer (any: requests are independent and the server keeps
no session), sharing nothing but the judge endpoint, which scales on vLLM or the provider.
Point every replica's ``--store`` at its own path (or share one SQLite file on a local disk
only).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rubricate.api import load_grader
from rubricate.errors import RubricateError
from rubricate.export.rewards.common import ErrorPolicy
from rubricate.export.serve import requests as bodies
from rubricate.export.serve.metrics import CONTENT_TYPE, ServerMetrics
from rubricate.export.serve.openrlhf_query import DEFAULT_STRIP_TOKENS, Refused
from rubricate.gcpolicy import tune as tune_gc
from rubricate.judge.calls import ClientSettings

log = logging.getLogger("rubricate.serve")

CONFIG_ENV = "RUBRICATE_SERVE_CONFIG"
"""Environment variable holding the JSON config, for server processes started by uvicorn."""


@dataclass
class ServeConfig:
    """What one server process serves, and its limits."""

    grader: dict[str, Any]
    source: str = "grader.json"
    settings: ClientSettings | None = None
    python_workers: int = 2
    concurrency: int = 64
    retries: int = 2
    max_body_bytes: int = 32 * 1024 * 1024
    max_pairs: int = 4096
    on_error: str = "raise"
    strip_tokens: list[str] = field(default_factory=lambda: list(DEFAULT_STRIP_TOKENS))
    """Special tokens cut from both ends of an OpenRLHF response."""
    grader_sha256: str = field(default="")

    def __post_init__(self) -> None:
        if not self.grader_sha256:
            from rubricate.rubrics.compile.serialize import grader_json

            text = grader_json(self.grader).encode("utf-8")
            self.grader_sha256 = hashlib.sha256(text).hexdigest()

    def to_json(self) -> str:
        """The config as JSON (for :data:`CONFIG_ENV`)."""
        data = {k: v for k, v in self.__dict__.items() if k != "settings"}
        data["settings"] = self.settings.model_dump() if self.settings else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        data = json.loads(text)
        settings = data.pop("settings")
        return cls(**data, settings=ClientSettings(**settings) if settings else None)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _json(payload: Any, status: int = 200) -> JSONResponse:
    """A strict JSON answer (non-finite numbers become null, never a 500)."""
    return JSONResponse(bodies.json_safe(payload), status_code=status)


async def _grade_entries(
    entries: list[bodies.Pair | Refused], grade: Any, grader: dict[str, Any], metrics: Any
) -> list[Any]:
    """Records for OpenRLHF's entries in order: graded pairs, and refused ones unscored."""
    pairs = [e for e in entries if not isinstance(e, Refused)]
    refused = [bodies.refused_record(grader, e) for e in entries if isinstance(e, Refused)]
    if refused:
        metrics.observe_records(refused, 0)
    graded = await grade(pairs) if pairs else []
    return bodies.merge_refused(entries, graded, refused)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise bodies.BadRequest(413, f"body of {declared} bytes; at most {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise bodies.BadRequest(413, f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _gemini_route(handle: Any, grade: Any) -> Any:
    """``POST /gemini``: the body of Gemini's Cloud Run reward scorer
    (:mod:`rubricate.export.gemini.cloudrun`)."""
    from rubricate.export.gemini import cloudrun

    async def gemini_route(request: Request) -> Response:
        async def work(data: Any) -> Response:
            try:
                pair = cloudrun.pair_from_body(data)
            except cloudrun.BodyError as error:
                raise bodies.BadRequest(400, str(error)) from None
            status, payload = cloudrun.answer_from_record((await grade([pair]))[0])
            return _json(payload, status)

        return await handle(request, "/gemini", work)

    return gemini_route


def create_app(config: ServeConfig) -> Starlette:
    """The ASGI app serving ``config.grader`` (its model client is opened from
    ``config.settings`` at startup; None: the environment's, :func:`rubricate.settings_from_env`).

    Raises:
        InputError: ``config.on_error`` is not a policy OpenRLHF can take, or the grader is
            not valid.
    """
    policy = ErrorPolicy.parse(config.on_error, "openrlhf", 1.0)
    grader = load_grader(
        config.grader,
        config.settings,
        python_workers=config.python_workers,
        concurrency=config.concurrency,
        retries=config.retries,
    )
    metrics = ServerMetrics()
    name = str(config.grader.get("name") or config.grader.get("type"))
    grader_info = {"name": name, "type": config.grader.get("type"), "sha256": config.grader_sha256}
    counted = {"retried": 0}

    async def grade(pairs: list[bodies.Pair]) -> list[Any]:
        records = await grader.ascore_many(pairs)
        # the re-graded attempts since the last count (the grader's running total; exact in
        # sum, as every batch is counted in the one event loop this runs on)
        retried = grader.stats.retried - counted["retried"]
        counted["retried"] += retried
        metrics.observe_records(records, retried)
        return records

    async def handle(request: Request, route: str, work: Any) -> Response:
        started = time.perf_counter()
        try:
            body = await _read_body(request, config.max_body_bytes)
            response = await work(bodies.parse_json(body))
        except bodies.BadRequest as bad:
            response = _error(bad.status, bad.message)
        except RubricateError as error:
            response = _error(503, error.msg)
        except Exception as error:  # a bug: answered and counted, never a dropped request
            log.exception("rubricate serve: %s failed", route)
            response = _error(500, f"internal error: {type(error).__name__}: {error}"[:500])
        metrics.observe_request(route, response.status_code, time.perf_counter() - started)
        return response

    async def grade_route(request: Request) -> Response:
        async def work(data: Any) -> Response:
            pairs, include_calls = bodies.grade_pairs(data, config.max_pairs)
            records = await grade(pairs)
            return _json(
                {
                    "grader": grader_info,
                    "rewards": [r.reward if r.scored else None for r in records],
                    "results": [bodies.record_json(r, include_calls) for r in records],
                    "summary": bodies.summary(records),
                }
            )

        return await handle(request, "/grade", work)

    async def graders_run_route(request: Request) -> Response:
        async def work(data: Any) -> Response:
            record = (await grade([bodies.graders_run_pair(data, config.grader)]))[0]
            payload = record.api_shape()
            payload.update(scored=record.scored, error=record.error)
            return _json(payload)

        return await handle(request, "/v1/fine_tuning/alpha/graders/run", work)

    sub_names = bodies.sub_grader_names(config.grader)

    async def openrlhf_route(request: Request) -> Response:
        async def work(data: Any) -> Response:
            entries = bodies.openrlhf_pairs(data, config.max_pairs, config.strip_tokens)
            records = await _grade_entries(entries, grade, config.grader, metrics)
            status, payload = bodies.openrlhf_answer(records, policy, sub_names)
            return _json(payload, status)

        return await handle(request, "/openrlhf", work)

    gemini_route = _gemini_route(handle, grade)

    async def health(request: Request) -> Response:
        return JSONResponse(
            {"status": "ok", "grader": grader_info, "pid": os.getpid(), **grader.stats.as_dict()}
        )

    async def metrics_route(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await grader.aopen()  # fails fast: a grader that cannot run, no judge endpoint
        try:
            yield
        finally:
            await grader.aclose()

    routes = [
        Route("/grade", grade_route, methods=["POST"]),
        Route("/v1/fine_tuning/alpha/graders/run", graders_run_route, methods=["POST"]),
        Route("/openrlhf", openrlhf_route, methods=["POST"]),
        Route("/get_reward", openrlhf_route, methods=["POST"]),
        Route("/gemini", gemini_route, methods=["POST"]),  # Gemini's cloudRunRewardScorer
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics_route, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.grader = grader
    app.state.metrics = metrics
    return app


def app_from_env() -> Starlette:
    """The app for a server process started by uvicorn's ``--workers`` (config in
    :data:`CONFIG_ENV`); the process is rubricate's own, so its collector is tuned as the
    console script's is (:mod:`rubricate.gcpolicy`)."""
    tune_gc()
    return create_app(ServeConfig.from_json(os.environ[CONFIG_ENV]))
