"""A pool of warm, sandboxed worker processes that run python graders.

Mirrors the platform's python grader (graders guide, "Python graders", image ``2025-05-08``):
per-call time limit (default 2 minutes), memory limit (default 2 GB), no network, and the
grader's ``grade(sample, item)`` must return a finite number.

How it behaves:

- Workers start on first use, up to ``size`` of them, each in its own sandbox
  (:mod:`rubricate.judge.sandbox.isolation`: bubblewrap, else a loud, recorded fallback)
  with a minimal environment: ``PATH``, ``HOME`` and ``TMPDIR`` (the scratch folder),
  ``LANG``/``LC_ALL=C.UTF-8``, one BLAS/OpenMP thread (``OPENBLAS_NUM_THREADS`` and the
  like, unless set), ``extra_env`` from the caller and the CPU quirk settings
  ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` when set. Nothing else of the parent's
  environment (no API keys). Python runs isolated (``-I``).
- Inside a worker a supervisor runs each grader source in an executor process of its own
  (``worker_main.py``): the source's module-level code (its imports) runs once per worker,
  not once per sample, and a grader cannot reach the worker's protocol or another grader.
  Graders must not rely on module state between calls.
- The supervisor enforces the time limit per call and kills only that grader's executor; a
  grader that hits the memory limit, crashes its process or is stopped by the sandbox loses
  only its executor. The worker stays warm. The caller sees a :class:`WorkerResult` with a
  ``kind``, never an exception (except :class:`~rubricate.errors.GraderError` when the
  sandbox is ``required`` and missing).
- ``max_calls_per_worker=1`` starts a new worker for every call (the benchmark's cold mode).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import shutil
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rubricate.errors import GraderError
from rubricate.judge.sandbox.isolation import (
    BWRAP_LAYERS,
    INNER_LAYERS,
    SCRATCH,
    Isolation,
    bwrap_command,
    find_bwrap,
    host_scratch,
    remove_stale_scratch,
    sandbox_mode,
)

log = logging.getLogger("rubricate.judge.sandbox")

WORKER_PATH = Path(__file__).with_name("worker_main.py")
"""The worker script, run by path so it never imports rubricate."""

PASS_THROUGH_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
"""Parent variables passed to workers: CPU quirk settings only, never secrets."""
THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
"""One BLAS/OpenMP thread per worker (unless the parent sets them): a worker is one core."""
BACKSTOP_S = 15.0
"""How long past the time limit the pool waits for a worker's own timeout reply."""

KINDS = ("runtime_error", "memory", "timeout", "crashed", "forbidden", "sandbox_error")


@dataclass
class WorkerResult:
    """The outcome of one ``grade(sample, item)`` call.

    Attributes:
        value: the reward, when the call succeeded.
        kind: None on success; ``"runtime_error"`` (the grader raised, returned a non-number,
            did not compile, or wrote to the sandbox's reply channel), ``"forbidden"`` (the
            sandbox stopped it: it tried to start a process or run a program),
            ``"timeout"``, ``"memory"``, ``"crashed"`` (its process died or the worker could
            not start), ``"sandbox_error"`` (the sandbox could not be set up) or
            ``"bad_input"`` (sample or item is not JSON).
        details: the traceback or reason, for errors.
        stdout: what the call printed (stdout and stderr), at most 64 kB.
        duration_s: wall time of the call.
        sandbox: the isolation the call ran under (:attr:`Isolation.label`).
    """

    value: float | None = None
    kind: str | None = None
    details: str = ""
    stdout: str = ""
    duration_s: float = 0.0
    sandbox: str = ""

    @property
    def ok(self) -> bool:
        return self.kind is None


def _frame(message: dict) -> bytes:
    data = json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return struct.pack(">I", len(data)) + data


class _StartFailed(Exception):
    """A worker did not report ready; the message is its last words."""


class _Worker:
    """One worker process (a sandbox, or a plain process in the fallback)."""

    def __init__(self, proc: asyncio.subprocess.Process, scratch: str | None) -> None:
        self.proc = proc
        self.scratch = scratch
        self.known: set[str] = set()
        self.calls = 0
        self.stderr_tail = b""
        self._drain = asyncio.ensure_future(self._drain_stderr())

    async def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        while chunk := await self.proc.stderr.read(4096):
            self.stderr_tail = (self.stderr_tail + chunk)[-4096:]

    async def request(self, message: dict, payload: bytes) -> dict:
        """Send a request and its payload (two frames); the reply."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(_frame(message) + struct.pack(">I", len(payload)) + payload)
        await self.proc.stdin.drain()
        return await self.receive()

    async def receive(self) -> dict:
        assert self.proc.stdout is not None
        (size,) = struct.unpack(">I", await self.proc.stdout.readexactly(4))
        return json.loads(await self.proc.stdout.readexactly(size))

    def last_words(self) -> str:
        lines = self.stderr_tail.decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""

    async def kill(self, grace_s: float = 0.0) -> int | None:
        """Kill the worker (after ``grace_s`` for it to exit by itself) and clean up."""
        if grace_s > 0 and self.proc.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), grace_s)
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        code = await self.proc.wait()
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(self._drain, 1.0)
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
        return code

    async def stop(self) -> None:
        """Ask the worker to exit; kill it if it does not within a second."""
        if self.proc.returncode is None and self.proc.stdin is not None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                self.proc.stdin.write(_frame({"op": "exit"}))
                await self.proc.stdin.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), 1.0)
        await self.kill()


class WorkerPool:
    """Warm python-grader workers; ``await pool.run(source, sample, item)``.

    Args:
        size: the most workers (and calls) at once.
        timeout_s: wall-clock limit of one call, including the first load of the source.
        memory_mb: address-space limit of each grader's process.
        max_calls_per_worker: replace a worker after this many calls (None: never; 1: a new
            worker per call).
        extra_env: variables added to the workers' minimal environment (e.g. ``NLTK_DATA``).
        read_only: host folders the graders may read (mounted read-only in the sandbox).
        startup_timeout_s: how long a new worker may take to report ready.
        sandbox: ``"required"`` or ``"best-effort"`` (None: ``$RUBRICATE_SANDBOX``, else
            best-effort); see :mod:`rubricate.judge.sandbox.isolation`.
        bwrap: the ``bwrap`` executable (``"auto"``: from the PATH; None: do not use it).

    Raises:
        GraderError: an unknown sandbox mode.
    """

    def __init__(
        self,
        size: int = 2,
        *,
        timeout_s: float = 120.0,
        memory_mb: int = 2048,
        max_calls_per_worker: int | None = None,
        extra_env: dict[str, str] | None = None,
        read_only: tuple[str, ...] = (),
        startup_timeout_s: float = 60.0,
        sandbox: str | None = None,
        bwrap: str | None = "auto",
    ) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = size
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.max_calls_per_worker = max_calls_per_worker
        self.extra_env = dict(extra_env or {})
        self.read_only = tuple(read_only)
        self.startup_timeout_s = startup_timeout_s
        self.mode = sandbox_mode(sandbox)
        self._bwrap = find_bwrap() if bwrap == "auto" else bwrap
        self._bwrap_problem = (
            None
            if self._bwrap
            else "bubblewrap (bwrap is not installed: apt-get install bubblewrap)"
        )
        self._slots = asyncio.Semaphore(size)
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._warned = False
        self._stale_checked = False
        self.started = 0
        """Workers started so far (a measure of replacements)."""
        self.isolation: Isolation | None = None
        """What isolates the graders (known once a worker has started)."""
        self.network: str | None = None
        """How the last worker blocks the network: ``"namespace"`` or ``"audit-hook"``."""
        self._closed = False

    async def __aenter__(self) -> WorkerPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _env(self, scratch: str) -> dict[str, str]:
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": scratch,
            "TMPDIR": scratch,
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        }
        env.update({k: os.environ.get(k, "1") for k in THREAD_ENV})
        env.update({k: os.environ[k] for k in PASS_THROUGH_ENV if k in os.environ})
        env.update(self.extra_env)
        return env

    def _unavailable(self, missing: str) -> GraderError:
        return GraderError(
            f"python graders need the sandbox (--sandbox required) but {missing}; install "
            "bubblewrap (apt-get install bubblewrap) or pass --sandbox best-effort"
        )

    async def _spawn(self) -> _Worker:
        """Start a worker (in bubblewrap when possible) and wait for its ready message.

        Raises:
            GraderError: the sandbox is required and not available.
            RuntimeError: the worker died or did not report ready in time (with its output).
        """
        if not self._stale_checked:
            self._stale_checked = True
            await asyncio.to_thread(remove_stale_scratch)
        sandboxed = self._bwrap_problem is None
        if not sandboxed and self.mode == "required":
            raise self._unavailable(self._bwrap_problem or "bubblewrap is missing")
        try:
            worker, hello = await self._start(sandboxed)
        except _StartFailed as error:
            if self._closed:
                raise RuntimeError("the worker pool was closed") from None
            if not sandboxed:
                raise RuntimeError(f"the python grader worker did not start: {error}") from None
            self._bwrap_problem = f"bubblewrap (it could not start a sandbox: {error})"
            if self.mode == "required":
                raise self._unavailable(self._bwrap_problem) from None
            sandboxed = False
            try:
                worker, hello = await self._start(False)
            except _StartFailed as again:
                raise RuntimeError(f"the python grader worker did not start: {again}") from None
        self.network = hello.get("network", "unknown")
        missing = [] if sandboxed else [str(self._bwrap_problem)]
        layers = list(BWRAP_LAYERS) if sandboxed else []
        if hello.get("seccomp"):
            missing.append(f"seccomp ({hello['seccomp']})")
        else:
            layers.append("seccomp filter: no processes, no programs, no signals to others")
        if not sandboxed:
            layers.append(f"network: {self.network}")
        layers += INNER_LAYERS
        isolation = Isolation("bubblewrap" if sandboxed else "none", tuple(layers), tuple(missing))
        if self.mode == "required" and not isolation.complete:
            await worker.kill()
            raise self._unavailable("; ".join(missing) + " is missing")
        if not isolation.complete and not self._warned:
            self._warned = True
            log.warning(
                "rubricate: warning: python graders run with WEAKER isolation, missing: %s. "
                "They can read what your user can read (files; with native code, other "
                "processes' environments). Install bubblewrap, or pass --sandbox required to "
                "refuse to run them.",
                "; ".join(missing),
            )
        self.isolation = isolation
        return worker

    async def _start(self, sandboxed: bool) -> tuple[_Worker, dict]:
        scratch = None if sandboxed else host_scratch()
        inside = SCRATCH if sandboxed else str(scratch)
        config = json.dumps(
            {
                "memory_mb": self.memory_mb,
                "timeout_s": self.timeout_s,
                "parent_pid": os.getpid(),
                "scratch": inside,
                "sandboxed": sandboxed,
            }
        )
        if sandboxed:
            assert self._bwrap is not None
            argv = bwrap_command(
                self._bwrap, str(WORKER_PATH.parent), config, read_only=self.read_only
            )
        else:
            argv = [sys.executable, "-I", str(WORKER_PATH), config]
        creating = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self._env(inside),
                cwd=scratch or "/",
                start_new_session=True,
                limit=1 << 26,
            )
        )
        try:
            proc = await asyncio.shield(creating)
        except asyncio.CancelledError:  # the process may exist already: never leave it behind
            with contextlib.suppress(BaseException):
                await _Worker(await creating, scratch).kill()
            raise
        worker = _Worker(proc, scratch)
        self.started += 1
        self._busy.add(worker)  # so that close() kills it while it starts
        try:
            hello = await asyncio.wait_for(worker.receive(), self.startup_timeout_s)
        except (TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
            await worker.kill(grace_s=1.0)
            raise _StartFailed(worker.last_words() or type(error).__name__) from None
        except BaseException:  # cancelled while it started (a run stopping): leave no process
            await asyncio.shield(worker.kill(grace_s=0.0))
            raise
        finally:
            self._busy.discard(worker)
        return worker, hello

    async def run(self, source: str, sample: dict, item: dict) -> WorkerResult:
        """Run ``grade(sample, item)`` from ``source`` in a worker. Never raises for the
        grader's faults; see :class:`WorkerResult`.

        Raises:
            GraderError: the sandbox is required and not available.
        """
        if self._closed:
            raise RuntimeError("the worker pool is closed")
        source_id = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
        message: dict[str, Any] = {"op": "grade", "source_id": source_id}
        try:
            payload = json.dumps({"sample": sample, "item": item}, ensure_ascii=False)
            data = payload.encode("utf-8", "surrogatepass")
        except (TypeError, ValueError) as error:
            return WorkerResult(kind="bad_input", details=f"sample or item is not JSON: {error}")
        async with self._slots:
            try:
                worker = self._idle.pop() if self._idle else await self._spawn()
            except (RuntimeError, OSError) as error:
                return WorkerResult(kind="crashed", details=str(error), sandbox=self._label())
            self._busy.add(worker)
            if self._closed:  # closed while the worker started
                self._busy.discard(worker)
                await worker.kill()
                return WorkerResult(kind="crashed", details="the worker pool was closed")
            try:
                result = await self._call(worker, message, data, source)
            except BaseException:  # cancelled mid-call: its protocol is mid-request, kill it
                await asyncio.shield(worker.kill())
                raise
            finally:
                self._busy.discard(worker)
        result.sandbox = self._label()
        return result

    def _label(self) -> str:
        return self.isolation.label if self.isolation else ""

    async def _call(
        self, worker: _Worker, message: dict, payload: bytes, source: str
    ) -> WorkerResult:
        start = time.perf_counter()
        try:
            reply = await asyncio.wait_for(
                self._exchange(worker, message, payload, source), self.timeout_s + BACKSTOP_S
            )
        except TimeoutError:
            await worker.kill()
            return WorkerResult(
                kind="timeout",
                details=f"grade() did not return within {self.timeout_s:g} s and its worker "
                "did not answer; the worker was killed",
                duration_s=time.perf_counter() - start,
            )
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            code = await worker.kill(grace_s=2.0)
            signal_note = f" (signal {-code})" if code is not None and code < 0 else ""
            return WorkerResult(
                kind="crashed",
                details=f"the python grader's worker died{signal_note}, exit code {code}",
                duration_s=time.perf_counter() - start,
            )
        duration = time.perf_counter() - start
        worker.calls += 1
        ok = reply.get("ok") is True
        kind = None if ok else reply.get("kind")
        if kind is not None and kind not in KINDS:
            kind, reply = "crashed", {"details": f"the worker sent an unknown reply: {kind!r}"}
        keep = self.max_calls_per_worker is None or worker.calls < self.max_calls_per_worker
        if keep and not self._closed:
            self._idle.append(worker)
        else:
            await worker.stop()
        return WorkerResult(
            value=reply.get("value") if ok else None,
            kind=kind,
            details=str(reply.get("details", "")),
            stdout=str(reply.get("stdout", "")),
            duration_s=duration,
        )

    @staticmethod
    async def _exchange(worker: _Worker, message: dict, payload: bytes, source: str) -> dict:
        source_id = message["source_id"]
        first = source_id not in worker.known
        reply = await worker.request({**message, "source": source} if first else message, payload)
        if reply.get("kind") == "need_source":
            reply = await worker.request({**message, "source": source}, payload)
        worker.known.add(source_id)
        return reply

    async def close(self) -> None:
        """Stop every worker (idle ones politely, busy ones by kill)."""
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(worker.stop() for worker in idle))
        await asyncio.gather(*(worker.kill() for worker in list(self._busy)))
