"""``--base-url``, ``--concurrency``, ... : the model client options every model command shares.

Decorate a click command with :func:`client_options`; it receives one argument,
``client_settings`` (a :class:`~rubricate.judge.calls.ClientSettings`). Then
:func:`require_client` opens the client or stops with a one-line error saying how to configure
an endpoint::

    @click.command()
    @client_options
    def grade(..., client_settings: ClientSettings) -> None:
        client = require_client(client_settings)

The API key is never an option: it comes from ``OPENAI_API_KEY`` (or the Azure variables).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from rubricate.errors import InputError
from rubricate.judge.calls import ClientSettings

if TYPE_CHECKING:
    from rubricate.judge.client import OpenAIClient

F = TypeVar("F", bound=Callable[..., Any])

_DEFAULTS = ClientSettings()

_ENDPOINT_OPTIONS = [
    click.option(
        "--base-url",
        "client_base_url",
        metavar="URL",
        default=None,
        help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 for vLLM "
        "[default: $OPENAI_BASE_URL, else the OpenAI API; with --azure $AZURE_OPENAI_ENDPOINT].",
    ),
    click.option(
        "--azure",
        "client_azure",
        is_flag=True,
        help="Azure OpenAI (AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, OPENAI_API_VERSION).",
    ),
    click.option(
        "--timeout",
        "client_timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=_DEFAULTS.timeout_s,
        show_default=True,
        metavar="SECONDS",
        help="Per-request timeout.",
    ),
    click.option(
        "--max-retries",
        "client_max_retries",
        type=click.IntRange(min=0),
        default=_DEFAULTS.max_retries,
        show_default=True,
        help="Retries for 429, 5xx, timeouts and connection errors.",
    ),
]
"""The options of every command that talks to an endpoint (:func:`endpoint_options`)."""

_OPTIONS = [
    *_ENDPOINT_OPTIONS,
    click.option(
        "--concurrency",
        "client_concurrency",
        type=click.IntRange(min=1),
        default=_DEFAULTS.concurrency,
        show_default=True,
        help="Model requests in flight at once.",
    ),
    click.option(
        "--rpm",
        "client_rpm",
        type=click.IntRange(min=1),
        default=None,
        help="Requests-per-minute limit [default: none].",
    ),
    click.option(
        "--tpm",
        "client_tpm",
        type=click.IntRange(min=1),
        default=None,
        help="Tokens-per-minute limit [default: none].",
    ),
    click.option(
        "--store",
        "client_store",
        metavar="PATH",
        default=_DEFAULTS.store_path,
        show_default=True,
        help="SQLite call store: reruns replay from it, killed runs resume.",
    ),
    click.option(
        "--no-cache",
        "client_no_cache",
        is_flag=True,
        help="Do not replay stored calls (new answers are still recorded).",
    ),
    click.option(
        "--batch",
        "client_batch",
        is_flag=True,
        help="Send model requests through the Batch API (half price, slower).",
    ),
    click.option(
        "--max-connection-failures",
        "client_max_connection_failures",
        type=click.IntRange(min=0),
        default=_DEFAULTS.max_connection_failures,
        show_default=True,
        metavar="N",
        help="Stop the run after N consecutive failed connection attempts (over 5 s or more; "
        "0 = never); a refused key stops it at once. What finished is kept.",
    ),
    click.option(
        "--api",
        "client_api",
        type=click.Choice(["auto", "chat", "responses"]),
        default=_DEFAULTS.api,
        show_default=True,
        help="Endpoint for generate calls (auto = chat completions).",
    ),
    click.option(
        "--structured-output",
        "client_structured_output",
        type=click.Choice(["auto", "json_schema", "json_object", "instruction"]),
        default=_DEFAULTS.structured_output,
        show_default=True,
        help="How judge replies are held to their JSON schema: auto learns it from the "
        "endpoint (json_schema, else JSON mode with the schema, else plain JSON asked for in "
        "the prompt); another value forces that one.",
    ),
]

_NAMES = (
    "client_base_url",
    "client_concurrency",
    "client_rpm",
    "client_tpm",
    "client_timeout",
    "client_max_retries",
    "client_store",
    "client_no_cache",
    "client_batch",
    "client_api",
    "client_structured_output",
    "client_max_connection_failures",
    "client_azure",
)


def settings_from_options(values: dict[str, Any]) -> ClientSettings:
    """The settings the parsed options describe (keys are the ``client_*`` parameter names)."""
    store = values.get("client_store")
    return ClientSettings(
        base_url=values.get("client_base_url") or None,
        concurrency=values.get("client_concurrency") or _DEFAULTS.concurrency,
        rpm=values.get("client_rpm"),
        tpm=values.get("client_tpm"),
        timeout_s=values.get("client_timeout") or _DEFAULTS.timeout_s,
        max_retries=values.get("client_max_retries", _DEFAULTS.max_retries),
        store_path=store if store not in ("", "none", "-") else None,
        use_cache=not values.get("client_no_cache", False),
        batch=bool(values.get("client_batch", False)),
        api=values.get("client_api") or "auto",
        structured_output=values.get("client_structured_output") or "auto",
        max_connection_failures=values.get(
            "client_max_connection_failures", _DEFAULTS.max_connection_failures
        ),
        azure=bool(values.get("client_azure", False)),
    )


def client_options(func: F) -> F:
    """Add the client options; the command gets ``client_settings`` instead of them."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name in _NAMES if name in kwargs}
        kwargs["client_settings"] = settings_from_options(values)
        return func(*args, **kwargs)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return cast(F, wrapper)  # a callback for click: its options stand for client_settings


def endpoint_options(func: F) -> F:
    """Add the endpoint options only (``--base-url``, ``--azure``, ``--timeout``,
    ``--max-retries``): for commands that call the platform's own endpoints (files, jobs,
    graders validate) rather than a judge. The command gets ``client_settings``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name in _NAMES if name in kwargs}
        kwargs["client_settings"] = settings_from_options(values)
        return func(*args, **kwargs)

    for option in reversed(_ENDPOINT_OPTIONS):
        wrapper = option(wrapper)
    return cast(F, wrapper)  # a callback for click: its options stand for client_settings


def require_client(settings: ClientSettings, *, azure: bool = False) -> OpenAIClient:
    """Open the model client, or raise :class:`InputError` saying how to configure one."""
    from rubricate.judge.client import open_client  # deferred: imports the openai SDK

    azure = azure or settings.azure
    client = open_client(settings, azure=azure)
    if client is None:
        if azure:
            raise InputError(
                "no Azure OpenAI endpoint configured: set AZURE_OPENAI_ENDPOINT (or --base-url) "
                "and AZURE_OPENAI_API_KEY"
            )
        raise InputError(
            "no model endpoint configured: set OPENAI_API_KEY, or pass --base-url (or set "
            "OPENAI_BASE_URL) for a local OpenAI-compatible server"
        )
    return client
