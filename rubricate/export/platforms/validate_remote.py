"""Validating a grader with the API: ``POST /v1/fine_tuning/alpha/graders/validate``.

Through the SDK: ``client.fine_tuning.alpha.graders.validate(grader=...)``, whose answer
(``GraderValidateResponse``) echoes the grader when the platform accepts it; a grader it
refuses is an HTTP 400 whose message says why. (The sibling endpoint
``fine_tuning.alpha.graders.run`` grades one sample remotely; ``rubricate grade --remote``
is where that belongs.)

:func:`validate_remote` returns the platform's verdict as data: ``ok`` True, or False with the
API's message. Only a refusal of the grader (HTTP 400 or 422) is a verdict; anything else
(authentication, a 5xx, no connection) is an error of the call
(:class:`~rubricate.errors.ModelError`, exit 2), never a silent pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rubricate.errors import ModelError
from rubricate.export.platforms.sdk import Provider, sdk_call

REFUSED = (400, 422)
"""HTTP statuses that mean the platform refused the grader itself."""


@dataclass(frozen=True)
class RemoteVerdict:
    """The platform's answer about a grader."""

    ok: bool
    message: str | None = None
    """Why it was refused (the API's message), None when accepted."""
    status_code: int | None = None


def validate_remote(client: Any, provider: Provider, grader: dict[str, Any]) -> RemoteVerdict:
    """Ask the platform whether it accepts ``grader``.

    Raises:
        ModelError: the call failed for another reason than refusing the grader.
    """
    try:
        sdk_call(
            provider,
            "validate the grader remotely",
            lambda: client.fine_tuning.alpha.graders.validate(grader=grader),
        )
    except ModelError as error:
        if error.status_code in REFUSED:
            return RemoteVerdict(False, error.msg, error.status_code)
        raise
    return RemoteVerdict(True)
