"""The python-grader worker: a supervisor that runs each grader's code in an executor process.

Started by :mod:`rubricate.judge.sandbox.pool` as ``python -I <this file> <config-json>``,
inside bubblewrap where available (see :mod:`rubricate.judge.sandbox.isolation`), with a
minimal environment. It is run by path and uses only the standard library (and its sibling
``worker_guards.py`` / ``worker_executor.py``), so it never imports rubricate.

Two kinds of process, for one reason: **the protocol with the pool must be out of reach of
grader code.** A process cannot hide a descriptor from code it runs (``ctypes`` finds
anything), so grader code never runs in the process that holds it:

- the **supervisor** (this file's :class:`Supervisor`) holds the pool's pipes, runs no grader
  code at all (it does not even compile the source), and is non-dumpable, so no process of
  the same user can open its ``/proc/<pid>/fd`` or ``mem`` or ``ptrace`` it;
- an **executor** per grader source (``worker_executor.py``), forked from the supervisor,
  closes every descriptor but its own pipes, guards itself (limits, audit hook, seccomp
  filter), then loads the source once and serves that source's calls. Keeping the executor
  warm keeps the platform's "module-level code runs once" cost model (imports are not paid
  per call).

The supervisor treats what an executor sends as untrusted: each reply must be one
well-formed message carrying the call's id, sent before the deadline, with nothing stray
before it; anything else (a grader writing its own "reply" to descriptor 4, garbage, a
reply for another call) discards the executor and turns the call into a
``runtime_error`` that says so. A grader's code can of course decide its own reward (it
returns it); what it cannot do is reach the pool's protocol, shift another call's reward,
or touch another grader's executor (another process, non-dumpable, and the seccomp filter
refuses signals to other processes and ``ptrace``).

Per call the supervisor enforces the wall-clock limit from outside the executor (a grader
stuck in C code holding the GIL is killed all the same), drains the executor's output pipe
(keeping the first 64 kB, nothing on disk), and after an executor dies removes whatever it
left (in the sandbox's own PID namespace: every process but itself).

Protocol with the pool (4-byte big-endian length, UTF-8 JSON): first
``{"ready": true, "pid", "network", "seccomp"}``; then per request ``{"op": "grade",
"source_id", "source"?}`` (``source`` only when the pool believes this worker has not seen
it) followed by a second message, ``{"sample", "item"}``, which the supervisor passes on to
the executor without parsing it; a reply ``{"ok": true, "value", "stdout"}`` or ``{"ok": false,
"kind", "details", "stdout"}`` with ``kind`` one of ``runtime_error``, ``memory``,
``timeout``, ``crashed``, ``forbidden`` (the seccomp filter killed the grader),
``sandbox_error`` or ``need_source``; ``{"op": "exit"}`` ends the worker.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import struct
import sys
import time
from collections import OrderedDict

if __package__:
    from rubricate.judge.sandbox import worker_executor as executor_code
    from rubricate.judge.sandbox import worker_guards as guards
else:  # run by path: import the siblings without leaving their folder on sys.path
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    # mypy checks these files as the package's modules (above), not as top-level modules
    import worker_executor as executor_code  # type: ignore[import-not-found, no-redef]
    import worker_guards as guards  # type: ignore[import-not-found, no-redef]

    del sys.path[0]

STDOUT_LIMIT = 64 * 1024
"""Most characters of output kept per call."""
MAX_EXECUTORS = 8
"""Grader sources kept loaded per worker (least recently used ones are stopped)."""
STRAY_NOTE = (
    b"[sandbox: this grader's previous call wrote to the reply channel after its reply; "
    b"its process was replaced before this call]\n"
)
MAX_REPLY = 1024 * 1024
"""Largest reply an executor may send."""
SWEEP_GRACE_S = 0.05


class Channel:
    """Length-prefixed JSON messages over two private descriptors (the pool's pipes)."""

    def __init__(self, fd_in: int, fd_out: int) -> None:
        self.fd_in = fd_in
        self.fd_out = fd_out

    def _read_exactly(self, n: int) -> bytes:
        chunks = []
        while n:
            chunk = os.read(self.fd_in, min(n, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def receive_raw(self) -> bytes:
        (size,) = struct.unpack(">I", self._read_exactly(4))
        return self._read_exactly(size)

    def receive(self) -> dict:
        return json.loads(self.receive_raw())

    def send(self, message: dict) -> None:
        view = memoryview(guards.frame(message))
        while view:
            view = view[os.write(self.fd_out, view) :]


class Output:
    """What a call printed: the first bytes kept, the rest counted."""

    def __init__(self) -> None:
        self.kept = bytearray()
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = STDOUT_LIMIT * 4 - len(self.kept)
        if room > 0:
            self.kept += data[:room]
        self.dropped += max(0, len(data) - max(room, 0))

    def text(self) -> str:
        text = self.kept.decode("utf-8", "replace")
        if len(text) > STDOUT_LIMIT or self.dropped:
            text = text[:STDOUT_LIMIT] + "\n[output truncated at 64 kB]"
        return text


class Executor:
    """The supervisor's handle on one executor process."""

    def __init__(
        self, pid: int, request_fd: int, reply_fd: int, output_fd: int, scratch: str, source: str
    ) -> None:
        self.pid = pid
        self.scratch = scratch
        self.source = source
        """Kept to start the executor afresh; the supervisor never compiles or runs it."""
        self.request_fd = request_fd
        self.reply_fd = reply_fd
        self.output_fd = output_fd
        self.status: int | None = None

    def close_fds(self) -> None:
        for fd in (self.request_fd, self.reply_fd, self.output_fd):
            try:
                os.close(fd)
            except OSError:
                pass

    def reap(self, block: bool) -> int | None:
        """The wait status once the process has exited (None while it runs)."""
        if self.status is None:
            try:
                pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
            except ChildProcessError:
                return self.status
            if pid:
                self.status = status
        return self.status

    def kill(self) -> int | None:
        """Kill the executor (and its process group) and reap it."""
        if self.status is None:
            for kill in (os.killpg, os.kill):
                try:
                    kill(self.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        status = self.reap(block=True)
        self.close_fds()
        return status


def _describe_status(status: int | None, timeout_s: float) -> tuple[str, str]:
    """``(kind, details)`` for an executor that ended without a reply."""
    if status is None:
        return "crashed", "the python grader's process ended without replying"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGSYS:
            return "forbidden", (
                "the sandbox stopped the grader: it tried to start a process or run a program "
                "(a forbidden system call; signal SIGSYS)"
            )
        if number == signal.SIGXCPU:
            return "timeout", (
                f"grade() used more CPU time than its {timeout_s:g} s limit; the call was killed"
            )
        if number == signal.SIGXFSZ:
            return "crashed", "the grader wrote a file over the 1 GiB limit (signal SIGXFSZ)"
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        return "crashed", f"the python grader's process died (signal {number}, {name})"
    return "crashed", f"the python grader's process died, exit code {os.WEXITSTATUS(status)}"


class Supervisor:
    """Executors by source id, and the request loop with the pool."""

    def __init__(self, channel: Channel, config: dict) -> None:
        self.channel = channel
        self.config = config
        self.timeout_s = float(config["timeout_s"])
        self.sandboxed = bool(config["sandboxed"])
        self.executors: OrderedDict[str, Executor] = OrderedDict()
        self.started = 0
        self.next_id = 1

    # -- executors --------------------------------------------------------------------------

    def _start(self, source: str) -> Executor:
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        output_r, output_w = os.pipe()
        self.started += 1
        scratch = os.path.join(self.config["scratch"], f"grader-{self.started}")
        pid = os.fork()
        if pid == 0:  # the executor
            try:
                high = [os.dup(fd) for fd in (output_w, request_r, reply_w)]
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(high[0], 1)
                os.dup2(high[0], 2)
                os.dup2(high[1], executor_code.REQUEST_FD)
                os.dup2(high[2], executor_code.REPLY_FD)
                os.closerange(executor_code.REPLY_FD + 1, _max_fd())
                executor_code.serve({**self.config, "scratch": scratch}, source, guards)
            finally:
                os._exit(70)
        for fd in (request_r, reply_w, output_w):
            os.close(fd)
        for fd in (request_w, reply_r, output_r):
            os.set_blocking(fd, False)
        return Executor(pid, request_w, reply_r, output_r, scratch, source)

    def _discard(self, source_id: str, executor: Executor) -> int | None:
        if self.executors.get(source_id) is executor:
            del self.executors[source_id]
        status = executor.kill()
        self._sweep()
        shutil.rmtree(executor.scratch, ignore_errors=True)
        return status

    def _sweep(self) -> None:
        """Kill every process of the sandbox that is neither this one nor a live executor.

        Only in the sandbox's own PID namespace (elsewhere ``/proc`` lists the host's
        processes); there the seccomp filter already stops executors from starting any.
        """
        if not self.sandboxed:
            return
        keep = {1, os.getpid(), *(e.pid for e in self.executors.values())}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in keep:
                try:
                    os.kill(int(entry), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def stop_all(self) -> None:
        for source_id, executor in list(self.executors.items()):
            self._discard(source_id, executor)

    # -- one call ---------------------------------------------------------------------------

    def handle(self, request: dict, payload: bytes) -> dict:
        """One grade request; ``payload`` is the JSON of ``{"sample", "item"}``, passed to
        the executor as it came (the supervisor never parses a sample)."""
        deadline = time.monotonic() + self.timeout_s
        source_id = str(request["source_id"])
        executor = self.executors.get(source_id)
        if executor is None:
            if "source" not in request:
                return {"ok": False, "kind": "need_source", "details": "", "stdout": ""}
            while len(self.executors) >= MAX_EXECUTORS:
                old_id, old = next(iter(self.executors.items()))
                self._discard(old_id, old)
            executor = self._start(str(request["source"]))
            self.executors[source_id] = executor
        self.executors.move_to_end(source_id)
        output = Output()
        reply = self._call(source_id, executor, payload, deadline, output)
        reply["stdout"] = output.text()
        return reply

    def _call(
        self,
        source_id: str,
        executor: Executor,
        payload: bytes,
        deadline: float,
        output: Output,
    ) -> dict:
        call_id = self.next_id
        self.next_id += 1
        if _has_data(executor.output_fd):
            _read_available(executor.output_fd)  # printed between calls: nobody's output
        if _has_data(executor.reply_fd) and _read_available(executor.reply_fd):
            # written after its last reply: the call it claims is over; start afresh
            self._discard(source_id, executor)
            executor = self._start(executor.source)
            self.executors[source_id] = executor
            output.add(STRAY_NOTE)
        header = guards.frame({"id": call_id, "cpu_s": self.timeout_s})
        message = header + struct.pack(">I", len(payload)) + payload
        outcome, reply = _exchange(executor, message, call_id, deadline, output)
        output.add(_read_available(executor.output_fd))
        if outcome == "reply":
            if reply.get("fatal") or reply.get("kind") == "memory":
                self._discard(source_id, executor)
            return reply
        status = executor.reap(block=False) if outcome == "gone" else None
        self._discard(source_id, executor)
        if outcome == "timeout":
            return {"ok": False, "kind": "timeout",
                    "details": f"grade() did not return within {self.timeout_s:g} s; "
                               "the call was killed"}  # fmt: skip
        if outcome == "problem":
            return _protocol_error(reply["problem"])
        kind, details = _describe_status(
            status if status is not None else executor.status, self.timeout_s
        )
        return {"ok": False, "kind": kind, "details": details}

    def serve(self) -> None:
        while True:
            try:
                request = self.channel.receive()
            except EOFError:
                break
            if request.get("op") == "exit":
                break
            payload = self.channel.receive_raw()
            self.channel.send(self.handle(request, payload))
        self.stop_all()


def _exchange(
    executor: Executor, request: bytes, call_id: int, deadline: float, output: Output
) -> tuple[str, dict]:
    """Send one request and wait for its reply, draining the output meanwhile.

    Returns:
        ``("reply", reply)``, ``("problem", {"problem": why})`` for a reply that is not one,
        ``("timeout", {})`` past ``deadline``, or ``("gone", {})`` when the executor closed
        its reply pipe (it died).
    """
    poller = select.poll()
    poller.register(executor.reply_fd, select.POLLIN)
    poller.register(executor.output_fd, select.POLLIN)
    pending = _write_some(executor.request_fd, memoryview(request))
    if pending:
        poller.register(executor.request_fd, select.POLLOUT)
    received = bytearray()
    while (remaining := deadline - time.monotonic()) > 0:
        for fd, _ in poller.poll(min(remaining, 1.0) * 1000):
            if fd == executor.request_fd:
                pending = _write_some(fd, pending)
                if not pending:
                    poller.unregister(fd)
                continue
            data = _read_some(fd)
            if data is None:
                continue
            if fd == executor.output_fd:
                if data:
                    output.add(data)
                else:
                    poller.unregister(fd)
                continue
            if not data:
                return "gone", {}
            received += data
            reply = _parse_reply(received, call_id)
            if reply is not None:
                return ("problem" if "problem" in reply else "reply"), reply
    return "timeout", {}


def _has_data(fd: int) -> bool:
    """Whether a read on ``fd`` would not block (data or end of stream)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _write_some(fd: int, pending: memoryview) -> memoryview:
    """What is left of ``pending`` after one non-blocking write (nothing if the reader left)."""
    try:
        return pending[os.write(fd, pending) :]
    except BlockingIOError:
        return pending
    except OSError:  # the executor is gone: its reply pipe will say so
        return pending[:0]


def _protocol_error(where: str) -> dict:
    return {
        "ok": False,
        "kind": "runtime_error",
        "details": (
            f"the grader wrote to the sandbox's reply channel ({where}); its result was "
            "discarded and its process stopped"
        ),
    }


def _parse_reply(data: bytearray, call_id: int) -> dict | None:
    """The executor's reply once complete, ``{"problem": ...}`` when it is not one, or None."""
    if len(data) > MAX_REPLY + 4:
        return {"problem": "over 1 MB"}
    if len(data) < 4:
        return None
    (size,) = struct.unpack(">I", data[:4])
    if size > MAX_REPLY:
        return {"problem": "a message over 1 MB"}
    if len(data) < 4 + size:
        return None
    if len(data) > 4 + size:
        return {"problem": "more than one reply"}
    try:
        reply = json.loads(bytes(data[4:]))
    except ValueError:
        return {"problem": "not a reply"}
    if not isinstance(reply, dict) or reply.get("id") != call_id:
        return {"problem": "a reply that is not this call's"}
    if reply.get("ok") is True:
        value = reply.get("value")
        if type(value) is not float or value != value or value in (float("inf"), float("-inf")):
            return {"problem": "a reply whose value is not a finite float"}
        return {"ok": True, "value": value}
    kind = reply.get("kind")
    details = reply.get("details")
    if kind not in ("runtime_error", "memory", "sandbox_error") or not isinstance(details, str):
        return {"problem": "a reply of an unknown kind"}
    return {
        "ok": False,
        "kind": kind,
        "details": details[-8000:],
        "fatal": reply.get("fatal") is True,
    }


def _read_some(fd: int) -> bytes | None:
    """Bytes read, ``b""`` at the end of the stream, None when nothing is there yet."""
    try:
        return os.read(fd, 1 << 16)
    except BlockingIOError:
        return None
    except OSError:
        return b""


def _read_available(fd: int) -> bytes:
    """Whatever can be read from a non-blocking descriptor right now."""
    chunks = []
    total = 0
    while total < 64 * 1024 * 1024:
        try:
            chunk = os.read(fd, 1 << 16)
        except (BlockingIOError, OSError):
            break
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _max_fd() -> int:
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        return 1024


def _unshare_network() -> bool:
    """Outside bubblewrap: move into a new, empty network namespace where the kernel allows."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        clone_newnet, clone_newuser = 0x40000000, 0x10000000
        if libc.unshare(clone_newnet) == 0:
            return True
        return libc.unshare(clone_newuser | clone_newnet) == 0
    except (OSError, AttributeError):
        return False


def _probe_seccomp() -> str | None:
    """Install the filter in a throw-away child and check that it refuses a process start.

    Returns None when the filter works, else why it does not.
    """
    reason = None if guards.seccomp_machine() else "unsupported platform"
    if reason:
        return f"seccomp filter not available ({sys.platform}/{os.uname().machine})"
    pid = os.fork()
    if pid == 0:
        try:
            problem = guards.install_seccomp()
            if problem:
                os._exit(3)
            os.fork()  # must kill this child with SIGSYS
        finally:
            os._exit(4)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGSYS:
        return None
    return "seccomp filter refused by the kernel"


def main(argv: list[str]) -> None:
    config = json.loads(argv[1])
    guards.die_with_parent()
    if not config["sandboxed"] and os.getppid() != int(config["parent_pid"]):
        os._exit(0)  # the pool's process is already gone
    guards.make_undumpable()
    channel = Channel(os.dup(0), os.dup(1))
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    os.makedirs(config["scratch"], exist_ok=True)
    os.chdir(config["scratch"])
    import resource

    memory = int(config["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    network = "namespace" if config["sandboxed"] or _unshare_network() else "audit-hook"
    seccomp_problem = _probe_seccomp()
    config["require_seccomp"] = seccomp_problem is None
    channel.send({"ready": True, "pid": os.getpid(), "network": network,
                  "seccomp": seccomp_problem})  # fmt: skip
    Supervisor(channel, config).serve()


if __name__ == "__main__":
    main(sys.argv)
