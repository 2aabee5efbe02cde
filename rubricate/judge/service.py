"""One grader, graded from anywhere: the service behind the public :class:`rubricate.Grader`.

Every way of grading outside a calibration run (``rubricate.Grader``, hence the TRL, verl,
verifiers and promptfoo adapters and ``rubricate serve``) runs the *same* compiled grader JSON
through the local runtime (:class:`rubricate.judge.runtime.Runtime`); this module is the part
they share. It sits in ``judge`` (below calibration and export) so that the public API, which the
exporters are built on, can use it; the public face is :mod:`rubricate.api`.

- :class:`GraderService` (async) owns the model client (opened from
  :class:`~rubricate.judge.calls.ClientSettings` only when the grader has model graders), the
  runtime with its python worker pool, and the running :class:`GradeStats`.
  :meth:`GraderService.grade` grades a batch of ``(item, sample)`` pairs concurrently and
  re-grades *transient* failures (a judge reply that did not parse, a refusal, a server error
  after the client's own retries, a python worker that died or timed out) up to ``retries``
  times, each time with the next repeat index, i.e. a fresh judge sample with its own call-store
  key. Deterministic failures (a missing item field, a python grader that raises, a formula
  error) are not retried: they would fail the same way.
- :class:`RewardRuntime` (sync) runs a :class:`GraderService` on an event loop in a daemon
  thread, so synchronous callers (a TRL reward function, verl's ``compute_score``, a promptfoo
  assertion) call :meth:`RewardRuntime.grade` from any thread. It starts on first use, starts
  again in a forked child (a trainer that forks data workers never shares a loop across
  processes; the child's counts start at zero), and closes at interpreter exit.

A grader with model graders and no endpoint configured is refused on first use with a one-line
:class:`~rubricate.errors.InputError` (instead of grading every pair as an error).
:func:`settings_from_env` and :func:`options_from_env` read what code that cannot take flags
(the exported reward modules) is configured with; :func:`read_grader` reads a ``grader.json``
and checks it against the SHA-256 recorded at export.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import hashlib
import json
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from rubricate.errors import InputError
from rubricate.judge.calls import ClientSettings
from rubricate.judge.graders.base import OwnChecks
from rubricate.judge.graders.kinds import uses_models
from rubricate.judge.records import GradeRecord

TRANSIENT_FLAGS = frozenset(
    {
        "model_grader_parse_error",
        "model_grader_refusal_error",
        "model_grader_server_error",
        "python_grader_server_error",
        "unresponsive_reward_error",
    }
)
"""Error flags worth a new attempt (with the next repeat index)."""

Pair = tuple[dict[str, Any], dict[str, Any]]
RECENT = 256
"""Pairs the recent error rate is measured over."""


def is_transient(record: GradeRecord) -> bool:
    """True when ``record`` failed in a way a new attempt may fix (see module docstring)."""
    errors = record.metadata.errors
    if errors.model_grader_server_error_details == "not_configured":
        return False
    return any(flag in TRANSIENT_FLAGS for flag in errors.flags())


def _env_number(environ: Mapping[str, str], name: str, kind: type, default: Any) -> Any:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise InputError(f"environment variable {name}={raw!r} is not a {kind.__name__}") from None
    if value < 0:
        raise InputError(f"environment variable {name}={raw!r} must not be negative")
    return value


def settings_from_env(environ: Mapping[str, str] | None = None) -> ClientSettings:
    """Client settings for code that cannot take flags (reward modules, promptfoo).

    ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` (or the Azure variables) are read by the client
    itself; here: ``RUBRICATE_CONCURRENCY`` (16), ``RUBRICATE_TIMEOUT`` (seconds, 120),
    ``RUBRICATE_MAX_RETRIES`` (6), ``RUBRICATE_STORE`` (call store path, default
    ``.rubricate/calls.sqlite``; ``none`` for no store), ``RUBRICATE_NO_CACHE`` (``1``: do not
    replay stored calls), ``RUBRICATE_API`` (``auto``/``chat``/``responses``),
    ``RUBRICATE_STRUCTURED_OUTPUT`` (``auto``/``json_schema``/``json_object``/``instruction``,
    as ``--structured-output``).

    Raises:
        InputError: a variable with a value of the wrong kind.
    """
    env = os.environ if environ is None else environ
    defaults = ClientSettings()
    store = env.get("RUBRICATE_STORE", defaults.store_path or "")
    api = env.get("RUBRICATE_API", defaults.api)
    if api not in ("auto", "chat", "responses"):
        raise InputError(f"RUBRICATE_API={api!r}: choose auto, chat or responses")
    structured = env.get("RUBRICATE_STRUCTURED_OUTPUT", defaults.structured_output)
    if structured not in ("auto", "json_schema", "json_object", "instruction"):
        raise InputError(
            f"RUBRICATE_STRUCTURED_OUTPUT={structured!r}: choose auto, json_schema, "
            "json_object or instruction"
        )
    return ClientSettings(
        concurrency=max(1, _env_number(env, "RUBRICATE_CONCURRENCY", int, defaults.concurrency)),
        timeout_s=_env_number(env, "RUBRICATE_TIMEOUT", float, defaults.timeout_s) or 120.0,
        max_retries=_env_number(env, "RUBRICATE_MAX_RETRIES", int, defaults.max_retries),
        store_path=None if store.strip().lower() in ("", "none", "-") else store,
        use_cache=env.get("RUBRICATE_NO_CACHE", "").strip().lower() not in ("1", "true", "yes"),
        # both checked above
        api=cast(Literal["auto", "chat", "responses"], api),
        structured_output=cast(
            Literal["auto", "json_schema", "json_object", "instruction"], structured
        ),
    )


GraderOptions = dict[str, int]
"""``python_workers``, ``concurrency`` and ``retries`` of a :class:`GraderService`."""
OPTION_ENV = {
    "python_workers": ("RUBRICATE_PYTHON_WORKERS", 2, 1),
    "concurrency": ("RUBRICATE_BATCH_CONCURRENCY", 64, 1),
    "retries": ("RUBRICATE_ERROR_RETRIES", 2, 0),
}
"""Option -> (environment variable, default, least value)."""


def options_from_env(environ: Mapping[str, str] | None = None) -> GraderOptions:
    """``RUBRICATE_PYTHON_WORKERS`` (2), ``RUBRICATE_BATCH_CONCURRENCY`` (64) and
    ``RUBRICATE_ERROR_RETRIES`` (2) as :class:`GraderService` options.

    Raises:
        InputError: a variable that is not a whole number.
    """
    env = os.environ if environ is None else environ
    out = {}
    for option, (name, default, least) in OPTION_ENV.items():
        raw = env.get(name, "").strip()
        if raw and not raw.isdigit():
            raise InputError(f"environment variable {name}={raw!r} is not a whole number")
        out[option] = max(least, int(raw)) if raw else default
    return out


def read_grader(path: Path, sha256: str | None = None) -> tuple[dict[str, Any], bytes]:
    """The grader config in a ``grader.json`` file and its exact bytes.

    ``sha256``: the digest recorded when the file was exported; a file whose bytes differ is
    refused (the grader that trains must be the one that was calibrated), unless
    ``RUBRICATE_ALLOW_EDITED_GRADER=1``.

    Raises:
        InputError: missing, unreadable, not JSON, not a grader object, or edited since the
            export.
    """
    from rubricate.files import decode, read_bytes

    data = read_bytes(path, "grader file")
    try:
        grader = json.loads(decode(data, path, "grader file"))
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg}); export the "
            "bundle again"
        ) from None
    if not isinstance(grader, dict) or "type" not in grader:
        raise InputError(f'{path}: not a grader config (a JSON object with "type")')
    digest = hashlib.sha256(data).hexdigest()
    allowed = os.environ.get("RUBRICATE_ALLOW_EDITED_GRADER", "") in ("1", "true", "yes")
    if sha256 and digest != sha256 and not allowed:
        raise InputError(
            f"{path}: changed since it was exported (sha256 {digest[:12]}..., exported "
            f"{sha256[:12]}...); the grader that trains must be the one that was "
            "calibrated: export again, or set RUBRICATE_ALLOW_EDITED_GRADER=1"
        )
    return grader, data


@dataclass
class GradeStats:
    """Running counts of a grader (public as ``rubricate.GradeStats``, ``Grader.stats``: what
    ``/health``, ``/metrics``, the reward modules' ``stats()`` and their logs report)."""

    batches: int = 0
    pairs: int = 0
    scored: int = 0
    unscored: int = 0
    retried: int = 0
    errors_by_flag: Counter[str] = field(default_factory=Counter)
    model_calls: int = 0
    cached_calls: int = 0
    seconds: float = 0.0
    recent: deque[bool] = field(default_factory=lambda: deque(maxlen=RECENT))
    """Whether each of the last :data:`RECENT` pairs was scored."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def recent_error_rate(self) -> float | None:
        """Share of unscored pairs among the recent ones (None below 8 pairs)."""
        if len(self.recent) < 8:
            return None
        return 1 - sum(self.recent) / len(self.recent)

    def add(self, records: Sequence[GradeRecord], retried: int, seconds: float) -> None:
        """Count one graded batch (thread-safe: a grader's sync and async paths share it)."""
        with self._lock:
            self._add(records, retried, seconds)

    def _add(self, records: Sequence[GradeRecord], retried: int, seconds: float) -> None:
        self.batches += 1
        self.pairs += len(records)
        self.retried += retried
        self.seconds += seconds
        for record in records:
            self.recent.append(record.scored)
            if record.scored:
                self.scored += 1
            else:
                self.unscored += 1
                self.errors_by_flag.update(record.metadata.errors.flags() or ["other_error"])
            self.model_calls += sum(1 for call in record.calls if not call.cached)
            self.cached_calls += sum(1 for call in record.calls if call.cached)

    def as_dict(self) -> dict[str, Any]:
        """The counts as plain JSON data."""
        return {
            "batches": self.batches,
            "pairs": self.pairs,
            "scored": self.scored,
            "unscored": self.unscored,
            "retried": self.retried,
            "errors_by_flag": dict(self.errors_by_flag),
            "model_calls": self.model_calls,
            "cached_calls": self.cached_calls,
            "seconds": round(self.seconds, 3),
        }


class GraderService:
    """Grades batches of pairs with one grader (async; use in one event loop).

    Args:
        grader: the grader config (parsed grader JSON).
        settings: model client settings (None: :func:`settings_from_env`).
        python_workers: python-grader worker processes.
        concurrency: pairs in progress at once per batch.
        retries: new attempts for transiently failed pairs (0: none).
        stats: the counts to add to (None: its own), so that several services of one grader
            count together.
        client: an already open model client to use instead of opening one (tests, benches);
            the caller closes it.
        own_checks: recognises rubricate's own compiled checks, run in-process (see
            :class:`~rubricate.judge.runtime.Runtime`); None: every check in the sandbox.
    """

    def __init__(
        self,
        grader: dict[str, Any],
        settings: ClientSettings | None = None,
        *,
        python_workers: int = 2,
        concurrency: int = 64,
        retries: int = 2,
        stats: GradeStats | None = None,
        client: Any = None,
        own_checks: OwnChecks | None = None,
    ) -> None:
        self.grader = grader
        self.own_checks = own_checks
        self.settings = settings
        self.python_workers = python_workers
        self.concurrency = max(1, concurrency)
        self.retries = max(0, retries)
        self.stats = stats if stats is not None else GradeStats()
        self._client = client
        self._own_client = client is None
        self._runtime: Any = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Check the grader and open the client and runtime (idempotent).

        Raises:
            GraderError: the grader cannot run at all.
            InputError: the grader calls models and no endpoint is configured.
        """
        async with self._lock:
            if self._runtime is not None:
                return
            from rubricate.judge.runtime import Runtime, check_config

            check_config(self.grader)
            if self._client is None and uses_models(self.grader):
                from rubricate.judge.client import open_client  # deferred: the openai SDK

                self._client = open_client(self.settings or settings_from_env())
                if self._client is None:
                    name = self.grader.get("name") or self.grader["type"]
                    raise InputError(
                        f"grader {name!r} calls a model judge and no endpoint is configured: set "
                        "OPENAI_API_KEY, or OPENAI_BASE_URL for a local OpenAI-compatible server"
                    )
            self._runtime = Runtime(
                self._client, python_workers=self.python_workers, own_checks=self.own_checks
            )

    async def grade(self, pairs: Sequence[Pair], *, repeat: int = 0) -> list[GradeRecord]:
        """Grade ``pairs`` (records in the pairs' order), re-grading transient failures."""
        return (await self.grade_counted(pairs, repeat=repeat))[0]

    async def grade_counted(
        self, pairs: Sequence[Pair], *, repeat: int = 0
    ) -> tuple[list[GradeRecord], int]:
        """:meth:`grade`, plus how many pair attempts were repeated."""
        await self.start()
        started = time.perf_counter()
        records = await self._runtime.grade_many(
            self.grader, list(pairs), repeat=repeat, concurrency=self.concurrency
        )
        retried = 0
        for attempt in range(1, self.retries + 1):
            again = [i for i, record in enumerate(records) if is_transient(record)]
            if not again:
                break
            retried += len(again)
            redone = await self._runtime.grade_many(
                self.grader,
                [pairs[i] for i in again],
                repeat=repeat + attempt,
                concurrency=self.concurrency,
            )
            for i, record in zip(again, redone, strict=True):
                records[i] = record
        self.stats.add(records, retried, time.perf_counter() - started)
        return records, retried

    async def aclose(self) -> None:
        """Stop the python workers and close the client (when this service opened it)."""
        if self._runtime is not None:
            await self._runtime.close()
            self._runtime = None
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None


class RewardRuntime:
    """A :class:`GraderService` on a background event loop, for synchronous callers.

    Thread-safe: calls from several threads share one loop, one client and one worker pool.
    Arguments are those of :class:`GraderService`; :attr:`stats` counts every batch.
    """

    def __init__(self, grader: dict[str, Any], settings: ClientSettings | None = None, **options):
        self.grader = grader
        self.settings = settings
        self.options = options
        self.stats = GradeStats()
        """The running counts (zeros before the first batch, and in a forked child)."""
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._service: GraderService | None = None

    def _ensure_started(self) -> tuple[asyncio.AbstractEventLoop, GraderService]:
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child: never share a loop
                if self._pid is not None:
                    self.stats = GradeStats()
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="rubricate-reward", daemon=True
                )
                thread.start()
                self._loop, self._thread, self._pid = loop, thread, os.getpid()
                self._service = GraderService(
                    self.grader, self.settings, stats=self.stats, **self.options
                )
                atexit.register(self.close)
            assert self._loop is not None and self._service is not None
            return self._loop, self._service

    def submit(
        self, pairs: Sequence[Pair], *, repeat: int = 0
    ) -> concurrent.futures.Future[list[GradeRecord]]:
        """Start grading ``pairs`` on the background loop; the future holds the records.

        Any thread or event loop may wait for it (``asyncio.wrap_future`` in a coroutine), so an
        ``async`` reward function awaits its batch without blocking its own loop.
        """
        loop, service = self._ensure_started()
        return asyncio.run_coroutine_threadsafe(service.grade(pairs, repeat=repeat), loop)

    def grade(self, pairs: Sequence[Pair], *, repeat: int = 0) -> list[GradeRecord]:
        """Grade ``pairs`` and wait for the records (see :meth:`GraderService.grade`)."""
        return self.submit(pairs, repeat=repeat).result()

    async def grade_async(self, pairs: Sequence[Pair], *, repeat: int = 0) -> list[GradeRecord]:
        """:meth:`grade` for a coroutine on any event loop (the grading runs on this runtime's)."""
        return await asyncio.wrap_future(self.submit(pairs, repeat=repeat))

    def close(self, timeout: float = 30.0) -> None:
        """Stop the workers, close the client and the loop (safe to call twice)."""
        with self._lock:
            loop, service, thread = self._loop, self._service, self._thread
            if loop is None or self._pid != os.getpid():
                return
            self._loop = self._service = self._thread = None
            self._pid = None
        try:
            if service is not None and loop.is_running():
                asyncio.run_coroutine_threadsafe(service.aclose(), loop).result(timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            if thread is not None:
                thread.join(timeout)
            if not loop.is_running():
                loop.close()
        atexit.unregister(self.close)

    def __getstate__(self) -> dict[str, Any]:
        """Pickles as its configuration only (Ray and multiprocessing ship reward functions)."""
        return {"grader": self.grader, "settings": self.settings, "options": self.options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        type(self).__init__(self, state["grader"], state["settings"], **state["options"])
