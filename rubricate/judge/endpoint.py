"""What an endpoint accepts, learned from its answers: one :class:`Profile` per (base URL, model).

OpenAI-compatible servers differ in what they read and what they refuse (see the README's
recipes): llama-cpp-python's server refuses ``response_format`` ``json_schema`` and the
``developer`` role with HTTP 500 and reads only ``max_tokens``; Ollama reads only
``max_tokens`` and silently drops ``developer`` messages; vLLM and llama.cpp's own
``llama-server`` take both limit names. A :class:`Profile` holds what the client knows of one
endpoint and model:

- ``structured``: how a request with a JSON schema is sent, the first of
  :data:`STRUCTURED_CHAIN` the endpoint has not refused: ``json_schema`` (structured outputs),
  ``json_object`` (JSON mode with the schema in ``response_format.schema``, which
  llama-cpp-python, llama-server and LM Studio-style servers use to constrain decoding),
  ``json_object_bare`` (JSON mode without it) and ``instruction`` (no ``response_format``: the
  schema is only asked for in the system message);
- ``responses_api``: False once ``/responses`` answered 404/405;
- ``developer_role``: whether ``developer`` messages go as they are. On OpenAI's own API
  (and Azure) they do; elsewhere they go as ``system`` from the start (same meaning, and the
  role local chat templates know), and an endpoint that refuses them teaches the same;
- ``token_fields``: the names the output limit is sent under. OpenAI's API:
  ``max_completion_tokens``; elsewhere both ``max_tokens`` (what llama-cpp-python and Ollama
  read) and ``max_completion_tokens``; a name the endpoint refuses is dropped.

:func:`findings` reads a refusal (HTTP 400, 422 or 500 whose message names the field, however
the server phrases it) and says what it refused. Pure: no IO; the client owns the profiles and
the waiting (:mod:`rubricate.judge.client`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from rubricate.judge.wire import Shape

STRUCTURED_CHAIN = ("json_schema", "json_object", "json_object_bare", "instruction")
"""Ways to send a request with a schema, best first."""
FORCED_FORMATS = ("json_schema", "json_object", "instruction")
"""What ``--structured-output`` may force (``json_object`` sends the schema along)."""
OPENAI_TOKEN_FIELDS = ("max_completion_tokens",)
COMPATIBLE_TOKEN_FIELDS = ("max_tokens", "max_completion_tokens")
REJECTION_STATUSES = frozenset({400, 422, 500})
"""Statuses a server refuses a field with (llama-cpp-python answers validation errors with
500)."""

Finding = Literal["format", "developer", "max_tokens", "max_completion_tokens"]

_FORMAT_WORDS = re.compile(
    r"response_format|json_schema|json_object|structured|schema|text\.format"
)
_FORMAT_WORDS_5XX = re.compile(r"response_format|json_schema|json_object|text\.format")
_DEVELOPER = re.compile(r"\bdeveloper\b")
_TOKEN_FIELD = re.compile(r"\b(max_completion_tokens|max_tokens)\b")
_USE_INSTEAD = re.compile(r"use\s+'?`?\"?(max_completion_tokens|max_tokens)")
_NOT_ACCEPTED = re.compile(
    r"unsupported|not supported|unrecognized|unknown|extra (?:fields|inputs)|not permitted"
    r"|not allowed|unexpected"
)


def is_openai_host(base_url: str | None) -> bool:
    """True for OpenAI's own API (no base URL, or a host under ``openai.com``)."""
    if not base_url:
        return True
    host = (urlsplit(base_url).hostname or "").lower()
    return host == "openai.com" or host.endswith(".openai.com")


def is_local_host(base_url: str | None) -> bool:
    """True when ``base_url`` points at this machine or a private network (a local server)."""
    if not base_url:
        return False
    host = (urlsplit(base_url).hostname or "").lower()
    if host in ("localhost", "host.docker.internal") or host.endswith((".local", ".localhost")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


@dataclass
class Profile:
    """What one endpoint accepts for one model (see the module docstring)."""

    base_url: str
    model: str
    openai: bool
    """OpenAI's own API (or Azure): its conventions are the defaults."""
    structured: str = "json_schema"
    forced: str | None = None
    """The structured mode ``--structured-output`` forced (no fallback), if any."""
    structured_confirmed: bool = False
    """True once a request with a schema was answered in ``structured``."""
    responses_api: bool | None = None
    """None: not tried; False: the endpoint answered 404/405."""
    developer_role: bool = True
    token_fields: tuple[str, ...] = OPENAI_TOKEN_FIELDS
    limit_ignored: bool = False
    """A reply had more output tokens than the limit sent: the server ignores it."""
    learned: list[str] = field(default_factory=list)
    """What was learned and from which answer, in order (one line each)."""
    remembered: float | None = None
    """When the profile this one started from was saved by an earlier run (seconds since the
    epoch; None: learned in this run alone)."""

    @classmethod
    def for_endpoint(
        cls, base_url: str | None, model: str, *, azure: bool = False, forced: str | None = None
    ) -> Profile:
        openai = azure or is_openai_host(base_url)
        profile = cls(
            base_url=base_url or "https://api.openai.com/v1",
            model=model,
            openai=openai,
            developer_role=openai,
            token_fields=OPENAI_TOKEN_FIELDS if openai else COMPATIBLE_TOKEN_FIELDS,
        )
        if forced is not None:
            profile.structured = forced
            profile.forced = forced
        return profile

    # ------------------------------------------------------------------ modes
    def shape(self) -> Shape:
        """How bodies are written for this endpoint now."""
        return Shape(developer_role=self.developer_role, token_fields=self.token_fields)

    def mode_for(self, has_schema: bool, api: str) -> str:
        """The mode a generate request is sent in now."""
        wants_responses = api == "responses" and self.responses_api is not False
        if not has_schema:
            return "responses" if wants_responses else "plain"
        if wants_responses and self.structured == "json_schema":
            return "responses"
        return self.structured

    def next_structured(self, mode: str) -> str | None:
        """The structured mode after ``mode`` was refused (None: nothing left or forced)."""
        if self.forced is not None:
            return None
        if mode == "responses":
            return "json_schema" if self.structured == "json_schema" else self.structured
        if mode not in STRUCTURED_CHAIN:
            return None
        index = STRUCTURED_CHAIN.index(mode)
        return STRUCTURED_CHAIN[index + 1] if index + 1 < len(STRUCTURED_CHAIN) else None

    # ------------------------------------------------------------------ learning
    def learn_format_refused(self, mode: str, why: str) -> str | None:
        """``mode`` was refused; returns the mode to try next (None: none left)."""
        if mode == "responses":
            self.responses_api = False
            self._note(f"the Responses API refused the schema format ({why}); chat completions")
            return self.structured
        following = self.next_structured(mode)
        if following is None:
            return None
        if STRUCTURED_CHAIN.index(following) > STRUCTURED_CHAIN.index(self.structured):
            self.structured = following
            self._note(f"{mode} refused ({why}); now {following}")
        return self.structured

    def learn_no_responses_api(self, why: str) -> None:
        if self.responses_api is not False:
            self.responses_api = False
            self._note(f"no Responses API ({why}); chat completions")

    def learn_developer_refused(self, why: str) -> None:
        if self.developer_role:
            self.developer_role = False
            self._note(f"the developer role was refused ({why}); sent as system")

    def learn_token_field_refused(self, name: str, why: str) -> None:
        if name in self.token_fields:
            self.token_fields = tuple(f for f in self.token_fields if f != name)
            left = ", ".join(self.token_fields) or "no limit"
            self._note(f"{name} was refused ({why}); the output limit goes as {left}")

    def confirm(self, mode: str, *, has_schema: bool) -> None:
        """A request sent in ``mode`` was answered."""
        if mode == "responses":
            self.responses_api = True
        if has_schema and mode in STRUCTURED_CHAIN and mode == self.structured:
            self.structured_confirmed = True

    def check_limit(self, limit: int | None, output_tokens: int) -> None:
        """Note a reply longer than the limit sent (the server did not read the limit)."""
        if limit and self.token_fields and output_tokens > limit + 8 and not self.limit_ignored:
            self.limit_ignored = True
            self._note(
                f"a reply had {output_tokens} output tokens over a limit of {limit} sent as "
                f"{', '.join(self.token_fields)}: the server ignores it"
            )

    def _note(self, line: str) -> None:
        self.learned.append(line)

    # ------------------------------------------------------------------ memory
    def memory(self) -> dict[str, Any]:
        """What was learned, for a later run against the same endpoint (:meth:`recall`)."""
        return {
            "structured": self.structured if self.forced is None else None,
            "structured_confirmed": self.structured_confirmed and self.forced is None,
            "responses_api": self.responses_api,
            "developer_role": self.developer_role,
            "token_fields": list(self.token_fields),
            "limit_ignored": self.limit_ignored,
            "learned": self.learned[-20:],
        }

    def recall(self, memory: dict[str, Any], saved_at: float) -> bool:
        """Start from what an earlier run learned (:meth:`memory`); False (and nothing
        changed) when ``memory`` is not a profile this version reads."""
        try:
            structured = memory["structured"]
            fields = tuple(str(f) for f in memory["token_fields"])
            valid = (
                (structured is None or structured in STRUCTURED_CHAIN)
                and memory["responses_api"] in (None, True, False)
                and isinstance(memory["developer_role"], bool)
                and set(fields) <= set(COMPATIBLE_TOKEN_FIELDS)
                and isinstance(memory["learned"], list)
            )
        except (KeyError, TypeError):
            return False
        if not valid:
            return False
        if self.forced is None and structured is not None:
            self.structured = structured
            self.structured_confirmed = bool(memory.get("structured_confirmed"))
        self.responses_api = memory["responses_api"]
        self.developer_role = memory["developer_role"]
        self.token_fields = fields
        self.limit_ignored = bool(memory.get("limit_ignored"))
        self.learned = [str(line) for line in memory["learned"]]
        self.remembered = saved_at
        return True

    def report(self) -> dict[str, Any]:
        """The profile as ``run.json`` keeps it."""
        structured = self.structured
        if self.forced is not None:
            state = "forced by --structured-output"
        elif self.structured_confirmed:
            state = "accepted"
        else:
            state = "not yet used"
        return {
            "structured_output": structured,
            "structured_output_state": state,
            "responses_api": self.responses_api,
            "developer_role": "sent as developer" if self.developer_role else "sent as system",
            "output_limit_fields": list(self.token_fields),
            "output_limit_ignored": self.limit_ignored,
            "learned": list(self.learned),
            "remembered_from": _when(self.remembered),
        }


def _when(saved_at: float | None) -> str | None:
    if saved_at is None:
        return None
    moment = datetime.fromtimestamp(saved_at, UTC).isoformat(timespec="seconds")
    return f"the call store (saved by an earlier run at {moment})"


def findings(status: int | None, message: str, body: dict[str, Any]) -> set[Finding]:
    """What a refusal with ``status`` and ``message`` says the endpoint does not accept.

    ``body`` is the request body that was refused: a finding is only reported for a field the
    body carried. A 5xx counts only when its message names the field outright.
    """
    if status not in REJECTION_STATUSES:
        return set()
    text = message.lower()
    found: set[Finding] = set()
    has_format = "response_format" in body or "text" in body
    words = _FORMAT_WORDS_5XX if status >= 500 else _FORMAT_WORDS
    if has_format and words.search(text):
        found.add("format")
    roles = {m.get("role") for m in body.get("messages") or body.get("input") or []
             if isinstance(m, dict)}  # fmt: skip
    if "developer" in roles and _DEVELOPER.search(text):
        found.add("developer")
    named = set(_TOKEN_FIELD.findall(text)) & set(body)
    keep = _USE_INSTEAD.search(text)
    if named and (keep or _NOT_ACCEPTED.search(text)):
        for name in named:
            if keep is None or keep.group(1) != name:
                found.add(name)
    return found
