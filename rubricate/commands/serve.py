"""``rubricate serve RUBRIC_OR_GRADER``: an HTTP reward endpoint running one grader.

GRADER_OR_RUBRIC is read as ``rubricate grade`` reads it (a grader JSON file, a wrapper
holding one, or a rubric compiled on the fly) and validated first. The server
(:mod:`rubricate.export.serve.app`) answers ``POST /grade`` (batch in; rewards, sub-rewards and
error flags per pair out), ``POST /v1/fine_tuning/alpha/graders/run`` (the API's graders-run
shape), ``POST /openrlhf`` (OpenRLHF's ``--remote_rm_url`` shape; alias ``/get_reward``),
``GET /health`` and ``GET /metrics`` (Prometheus).

- Binds 127.0.0.1 by default: pass ``--host 0.0.0.0`` deliberately to expose it (there is no
  authentication; put it behind your own network controls).
- ``--workers N``: server processes (each with its own runtime and judge client; metrics are
  summed over them). ``--python-workers``: python-grader processes per server process.
- ``--max-body-mb`` / ``--max-pairs`` bound a request; ``--on-error`` is the OpenRLHF route's
  policy for pairs that cannot be graded (``raise``: answer 502; ``value:X``);
  ``--strip-token`` (repeatable; default: the end and padding tokens of common chat
  tokenizers, :data:`rubricate.export.serve.openrlhf_query.DEFAULT_STRIP_TOKENS`; ``none``: cut
  nothing) names the special tokens cut from both ends of an OpenRLHF response.
- Model judges use the client options (``--base-url``, ``--concurrency``, ...); a grader with
  model graders and no endpoint configured stops at startup with one line.
- Ctrl-C or SIGTERM: stops accepting, lets requests in flight finish (up to
  ``--graceful-timeout`` seconds), then closes the workers and the client.

Scale out by running replicas behind a load balancer (the server keeps no session).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click

from rubricate.commands._client_options import client_options
from rubricate.commands._common import note, sandbox_option, warn
from rubricate.errors import GraderError, InputError
from rubricate.judge.calls import ClientSettings


def _validated(path: Path) -> dict:
    from rubricate.commands._grade_inputs import load_grader
    from rubricate.judge.validate import find_problems

    grader, _ = load_grader(path)
    problems = find_problems(grader)
    for problem in problems:
        if problem.severity == "warning":
            warn(f"{path}: {str(problem).removeprefix('warning: ')}")
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise GraderError(f"{path}: {errors[0]}{more}")
    return grader


def _strip_tokens(given: tuple[str, ...], default: tuple[str, ...]) -> list[str]:
    if not given:
        return list(default)
    if any(token.strip().lower() == "none" for token in given):
        if len(given) > 1:
            raise InputError("--strip-token none cuts nothing: give it alone")
        return []
    if any(not token for token in given):
        raise InputError("--strip-token: a token cannot be empty")
    return list(given)


@click.command("serve")
@click.argument("grader_or_rubric", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Server processes (one grader runtime each).",
)
@click.option(
    "--python-workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Python-grader processes per server process.",
)
@sandbox_option
@click.option(
    "--max-body-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=32.0,
    show_default=True,
    help="Largest request body accepted (413 beyond).",
)
@click.option(
    "--max-pairs",
    type=click.IntRange(min=1),
    default=4096,
    show_default=True,
    help="Most pairs in one request (413 beyond).",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="New judge samples for a pair whose grade failed transiently.",
)
@click.option(
    "--on-error",
    default="raise",
    show_default=True,
    metavar="raise|value:X",
    help="OpenRLHF route: answer 502 when a pair cannot be graded, or give it reward X.",
)
@click.option(
    "--strip-token",
    "strip_tokens",
    multiple=True,
    metavar="TOKEN",
    help="OpenRLHF route: a special token cut from both ends of a response (repeatable; "
    "default: <|im_end|>, </s>, <|eot_id|> and other common end and padding tokens; "
    "'none': cut nothing).",
)
@click.option(
    "--graceful-timeout",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="On shutdown, how long requests in flight may take to finish.",
)
@client_options
def serve_command(
    grader_or_rubric: Path,
    host: str,
    port: int,
    workers: int,
    python_workers: int,
    max_body_mb: float,
    max_pairs: int,
    retries: int,
    on_error: str,
    strip_tokens: tuple[str, ...],
    graceful_timeout: float,
    client_settings: ClientSettings,
) -> None:
    """Serve GRADER_OR_RUBRIC as an HTTP reward endpoint (POST /grade, GET /metrics, ...)."""
    import uvicorn  # deferred: only the server needs it

    from rubricate.export.rewards.common import ErrorPolicy
    from rubricate.export.serve.app import CONFIG_ENV, ServeConfig, create_app
    from rubricate.export.serve.openrlhf_query import DEFAULT_STRIP_TOKENS
    from rubricate.judge.graders.kinds import uses_models

    grader = _validated(grader_or_rubric)
    ErrorPolicy.parse(on_error, "openrlhf")  # a bad --on-error is a usage error, now
    if uses_models(grader):
        from rubricate.judge.transport import sdk_factory  # deferred: the openai SDK

        if sdk_factory(client_settings) is None:
            raise InputError(
                "the grader calls a model judge and no endpoint is configured: set "
                "OPENAI_API_KEY, or pass --base-url (or OPENAI_BASE_URL) for a local server"
            )
    config = ServeConfig(
        grader,
        source=str(grader_or_rubric),
        settings=client_settings,
        python_workers=python_workers,
        concurrency=max(64, client_settings.concurrency * 2),
        retries=retries,
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        max_pairs=max_pairs,
        on_error=on_error,
        strip_tokens=_strip_tokens(strip_tokens, DEFAULT_STRIP_TOKENS),
    )
    note(
        f"serving {grader.get('type')} grader '{grader.get('name')}' (sha256 "
        f"{config.grader_sha256[:12]}) on http://{host}:{port}: POST /grade, /openrlhf, "
        "/v1/fine_tuning/alpha/graders/run; GET /health, /metrics"
    )
    options: dict[str, Any] = dict(  # keyword arguments of uvicorn.Config and uvicorn.run
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=graceful_timeout,
        lifespan="on",
    )
    if workers == 1:
        uvicorn.Server(uvicorn.Config(create_app(config), **options)).run()
        return
    with tempfile.TemporaryDirectory(prefix="rubricate-metrics-") as metrics_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        os.environ[CONFIG_ENV] = config.to_json()
        uvicorn.run(
            "rubricate.export.serve.app:app_from_env", factory=True, workers=workers, **options
        )
