"""Fail fast: stop a run whose endpoint cannot answer, instead of retrying every call.

Retries are right for a call that fails now and then; they are wrong for an endpoint that is
not there (a wrong ``--base-url``, a server that is down) or that refuses the credentials:
every call then burns its whole retry budget and the run ends "complete" with nothing graded.

The client (:mod:`rubricate.judge.client`) tells a :class:`Breaker` the outcome of every HTTP
attempt. The breaker *opens*, and stays open, when

- the endpoint refused the credentials (HTTP 401 or 403): at once, since no retry can help; or
- ``limit`` attempts in a row (across all calls in flight) could not connect, and the first of
  them is at least :data:`MIN_OUTAGE_S` seconds old: a short network blip with many calls in
  flight does not stop a long run, an endpoint that is not there does within seconds.

Any answer from the endpoint (even an error status) shows it is there and resets the count.
Once open, every attempt raises :class:`EndpointDown` (a :class:`~rubricate.errors.ModelError`)
instead of being sent: the run stops, the command prints the cause on one line and exits 2, and
everything already answered stays in the call store (a rerun replays it for free).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rubricate.errors import ModelError

DEFAULT_LIMIT = 20
"""Consecutive failed connection attempts that stop a run (``--max-connection-failures``)."""
MIN_OUTAGE_S = 5.0
"""The failures must span at least this long before the run stops."""


class EndpointDown(ModelError):
    """The endpoint cannot be used for the rest of the run (see the module docstring)."""


def endpoint_name(url: str | None) -> str:
    """``url`` cut to scheme, host, port and path (user info, query and fragment may hold
    credentials); "the OpenAI API" without one."""
    from urllib.parse import urlsplit, urlunsplit

    if not url:
        return "the OpenAI API"
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return urlunsplit((parts.scheme, (parts.hostname or "") + port, parts.path, "", ""))


class Breaker:
    """Counts failed connection attempts; opens on an outage or a refused key.

    Args:
        limit: consecutive failed connection attempts that open it (0: never on connections).
        endpoint: how messages name the endpoint (a URL without credentials).
        clock: seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        *,
        endpoint: str = "the model endpoint",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.endpoint = endpoint
        self._clock = clock
        self._streak = 0
        self._since: float | None = None
        self.cause: str | None = None
        """Why it opened (one line), or None while closed."""

    def check(self) -> None:
        """Raise :class:`EndpointDown` when open."""
        if self.cause is not None:
            raise EndpointDown(self.cause)

    def answered(self) -> None:
        """The endpoint answered (any HTTP status but 401/403): it is there."""
        self._streak, self._since = 0, None

    def failed(self, kind: str, message: str, status: int | None = None) -> None:
        """One failed attempt of ``kind`` (a :data:`~rubricate.judge.calls.CallErrorKind`);
        raises :class:`EndpointDown` when this opens the breaker (or it was open)."""
        self.check()
        if kind == "auth":
            self.cause = (
                f"stopped: the model endpoint refused the credentials ({message}); check "
                "OPENAI_API_KEY (or the Azure variables) and rerun the same command"
            )
        elif kind == "connection":
            message = message.removeprefix("cannot reach the endpoint: ")
            now = self._clock()
            self._streak += 1
            self._since = now if self._since is None else self._since
            if self.limit and self._streak >= self.limit and now - self._since >= MIN_OUTAGE_S:
                self.cause = (
                    f"stopped: cannot reach the model endpoint {self.endpoint} ({message}) after "
                    f"{self._streak} consecutive failed connection attempts over "
                    f"{now - self._since:.0f}s; check --base-url / OPENAI_BASE_URL and that the "
                    "server is up, then rerun the same command"
                )
        else:
            self.answered()
        self.check()
