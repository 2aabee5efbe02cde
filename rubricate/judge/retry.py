"""Retry policy: which failures are retried, and how long to wait before the next attempt.

Pure logic, no IO. The client (:mod:`rubricate.judge.client`) asks :func:`classify_status`
what an HTTP status means and :func:`next_delay` how long to sleep.

- Retried: 429, 408, 409, every 5xx, timeouts, connection errors and unreadable response
  bodies. Not retried: other 4xx (the request itself is wrong; 401/403 are ``auth``).
- Delay: exponential backoff with full jitter, ``uniform(0, min(cap, base * 2**n))`` for the
  n-th retry (AWS's "full jitter"), so many clients that failed together do not retry together.
- ``Retry-After`` (seconds or an HTTP date) and ``retry-after-ms`` on any retried status are
  honoured: the wait is at least what the server asked, plus up to 10 % jitter, capped at
  ``max_retry_after_s`` (a server asking for more than that gets the cap, not a stalled run).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import overload

from rubricate.judge.calls import CallErrorKind

RETRIED_STATUSES = frozenset({408, 409, 429})
"""4xx statuses that are retried (every 5xx is too)."""

_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-*]{6,}|Bearer\s+[A-Za-z0-9_\-.~+/=]{8,})")


@dataclass(frozen=True)
class RetryPolicy:
    """How many retries and how long to wait between them."""

    max_retries: int = 6
    """Retries after the first attempt (the budget); 0 = one attempt only."""
    base_s: float = 0.5
    """First backoff ceiling; doubles with each retry."""
    cap_s: float = 30.0
    """Largest backoff ceiling."""
    max_retry_after_s: float = 300.0
    """Largest ``Retry-After`` honoured."""


def classify_status(status: int) -> tuple[CallErrorKind, bool]:
    """The error kind of an HTTP status and whether it is worth retrying."""
    if status == 429:
        return "rate_limited", True
    if status in (401, 403):
        return "auth", False
    if status >= 500:
        return "server_error", True
    if status in RETRIED_STATUSES:
        return "server_error", True
    return "bad_request", False


def retry_after_s(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds the server asked to wait (``retry-after-ms`` first, then ``retry-after``).

    ``retry-after`` may be a number of seconds or an HTTP date. Returns None when neither
    header is present or readable; a date in the past gives 0.
    """
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def backoff_s(policy: RetryPolicy, retry: int, rng: random.Random) -> float:
    """Full-jitter backoff before retry number ``retry`` (0 for the first retry)."""
    ceiling = min(policy.cap_s, policy.base_s * (2**retry))
    return rng.uniform(0.0, ceiling)


def next_delay(
    policy: RetryPolicy, retry: int, retry_after: float | None, rng: random.Random
) -> float:
    """Seconds to wait before retry number ``retry``, honouring ``retry_after`` when given."""
    if retry_after is None:
        return backoff_s(policy, retry, rng)
    wait = min(retry_after, policy.max_retry_after_s)
    return wait + rng.uniform(0.0, min(1.0, 0.1 * wait))


@overload
def redact(text: str, secrets: tuple[str, ...] = ()) -> str: ...
@overload
def redact(text: str | None, secrets: tuple[str, ...] = ()) -> str | None: ...
def redact(text: str | None, secrets: tuple[str, ...] = ()) -> str | None:
    """``text`` with every secret and anything shaped like an API key replaced by ``***``."""
    if text is None:
        return None
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _KEYLIKE.sub("***", text)
