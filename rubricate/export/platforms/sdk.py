"""The SDK client for fine-tuning, files and graders calls: OpenAI or Azure OpenAI.

Both come from the same ``openai`` package, synchronous (submission and following are a
handful of sequential calls):

- OpenAI: ``openai.OpenAI(api_key=OPENAI_API_KEY, base_url=OPENAI_BASE_URL)``. A base URL
  without a key is a local OpenAI-compatible server and gets a placeholder key.
- Azure OpenAI (``--azure``): ``openai.AzureOpenAI(azure_endpoint=AZURE_OPENAI_ENDPOINT,
  api_key=AZURE_OPENAI_API_KEY (or azure_ad_token=AZURE_OPENAI_AD_TOKEN),
  api_version=OPENAI_API_VERSION or AZURE_OPENAI_API_VERSION)``; the SDK sends requests to
  ``{endpoint}/openai/files``, ``{endpoint}/openai/fine_tuning/jobs`` ... with
  ``?api-version=``. The default API version is ``2025-04-01-preview``, the version Azure's
  RFT examples create jobs with (Azure AI Foundry blog, "What's new in Foundry fine-tuning",
  ``POST .../openai/fine_tuning/jobs?api-version=2025-04-01-preview``); GA versions before it
  know no ``reinforcement`` method.

Keys come only from the environment and are never logged, stored or printed: error messages
pass through :func:`rubricate.judge.retry.redact`. :func:`sdk_call` turns the SDK's errors into
one-line :class:`~rubricate.errors.ModelError` (HTTP status and the API's message).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from rubricate.errors import InputError, ModelError
from rubricate.judge.retry import redact

DEFAULT_AZURE_API_VERSION = "2025-04-01-preview"
PLACEHOLDER_KEY = "no-key-needed"
T = TypeVar("T")


@dataclass(frozen=True)
class Provider:
    """Where the client points (no secret in it)."""

    name: Literal["openai", "azure"]
    base_url: str | None
    """The endpoint (OpenAI: None means the OpenAI API)."""
    api_version: str | None = None
    secrets: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.name == "azure":
            return f"Azure OpenAI {self.base_url} (api-version {self.api_version})"
        return f"OpenAI-compatible server {self.base_url}" if self.base_url else "the OpenAI API"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "base_url": self.base_url, "api_version": self.api_version}


def open_sdk(
    settings: Any = None, *, azure: bool = False, timeout: float = 120.0
) -> tuple[Any, Provider]:
    """A synchronous SDK client and where it points.

    Args:
        settings: the endpoint options (a :class:`~rubricate.judge.calls.ClientSettings`):
            ``base_url`` (else the environment), ``azure``, ``timeout_s``, ``max_retries``.
        azure, timeout: without ``settings``.

    Raises:
        InputError: the environment names no endpoint or key (the message says which
            variables to set).
    """
    import openai  # deferred: importing the SDK costs ~0.5 s

    env = os.environ
    retries: dict[str, Any] = {}
    base = None
    if settings is not None:
        azure, timeout, base = settings.azure or azure, settings.timeout_s, settings.base_url
        retries = {"max_retries": settings.max_retries}
    if azure:
        endpoint = base or env.get("AZURE_OPENAI_ENDPOINT")
        key, token = env.get("AZURE_OPENAI_API_KEY"), env.get("AZURE_OPENAI_AD_TOKEN")
        if not endpoint or not (key or token):
            raise InputError(
                "--azure needs AZURE_OPENAI_ENDPOINT (or --base-url) and AZURE_OPENAI_API_KEY "
                "(or AZURE_OPENAI_AD_TOKEN) in the environment"
            )
        version = (
            env.get("OPENAI_API_VERSION")
            or env.get("AZURE_OPENAI_API_VERSION")
            or DEFAULT_AZURE_API_VERSION
        )
        client: openai.OpenAI = openai.AzureOpenAI(
            azure_endpoint=endpoint,
            api_key=key,
            azure_ad_token=None if key else token,
            api_version=version,
            timeout=timeout,
            **retries,
        )
        secrets = tuple(s for s in (key, token) if s)
        return client, Provider("azure", endpoint, version, secrets)
    base_url = base or env.get("OPENAI_BASE_URL") or None
    key = env.get("OPENAI_API_KEY") or None
    if not key and not base_url:
        raise InputError(
            "no endpoint: set OPENAI_API_KEY (and --base-url or OPENAI_BASE_URL for another "
            "server), or use --azure with the AZURE_OPENAI_* variables"
        )
    client = openai.OpenAI(
        api_key=key or PLACEHOLDER_KEY, base_url=base_url, timeout=timeout, **retries
    )
    return client, Provider("openai", base_url, None, (key,) if key else ())


def sdk_call(provider: Provider, what: str, call: Callable[[], T]) -> T:
    """Run one SDK call; its errors become a one-line :class:`ModelError`.

    Args:
        provider: where the client points (its secrets are redacted from messages).
        what: what the call does, for the message (``"create the job"``).
        call: the call.
    """
    import openai

    try:
        return call()
    except openai.APIStatusError as error:
        detail = None
        body = error.body
        if isinstance(body, dict):
            nested = body.get("error")
            inner = nested if isinstance(nested, dict) else body
            detail = inner.get("message")
        message = redact(
            f"cannot {what}: HTTP {error.status_code} from {provider.describe()}: "
            f"{detail or error.message}",
            provider.secrets,
        )
        raise ModelError(
            message or "", redact(error.response.text[:4000], provider.secrets), error.status_code
        ) from None
    except openai.APIConnectionError as error:
        cause = redact(str(error.__cause__ or error), provider.secrets)
        raise ModelError(f"cannot {what}: cannot reach {provider.describe()}: {cause}") from None
