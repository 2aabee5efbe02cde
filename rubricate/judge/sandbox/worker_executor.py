"""The executor: the process that runs one python grader's code (standard library only).

Forked by the supervisor (``worker_main.py``) once per grader source, it never holds the
supervisor's protocol descriptors. Its descriptors are exactly: 0 ``/dev/null``; 1 and 2 the
output pipe the supervisor drains (everything a grader prints, from Python or C); 3 the
request pipe; 4 the reply pipe. Before the grader's source is even compiled it puts its guards
on (``worker_guards.py``: limits, the audit hook, the seccomp filter), so no grader code
(module level included) ever runs unguarded. It then runs the module once and serves
``grade(sample, item)`` calls until the supervisor closes the request pipe.

Messages (length-prefixed JSON, as everywhere in the sandbox): request ``{"id", "cpu_s"}``
then ``{"sample", "item"}`` (as the pool sent it); reply ``{"id", "ok": true, "value"}`` or
``{"id", "ok": false, "kind": "runtime_error" | "memory", "details", "fatal"?}``.
``fatal`` says the executor exits after this reply (its source did not load).
"""

from __future__ import annotations

import io
import json
import math
import numbers
import os
import struct
import sys
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import NoReturn, cast

GRADER_FILENAME = "<grader>"
REQUEST_FD, REPLY_FD = 3, 4


def _read_exactly(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _receive() -> dict:
    (size,) = struct.unpack(">I", _read_exactly(REQUEST_FD, 4))
    return json.loads(_read_exactly(REQUEST_FD, size))


def _receive_call() -> dict:
    """A call: its header ``{"id", "cpu_s"}`` then its payload ``{"sample", "item"}``."""
    request = _receive()
    request.update(_receive())
    return request


def _send(message: dict) -> None:
    data = json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogatepass")
    view = memoryview(struct.pack(">I", len(data)) + data)
    while view:
        view = view[os.write(REPLY_FD, view) :]


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:  # sys.__stdout__ is None without a stdout
                stream.flush()
        except Exception:  # noqa: BLE001 - a grader may have replaced or closed a stream
            pass


def _traceback_details(error: BaseException) -> str:
    """The traceback from the grader's first frame on (the sandbox's own frames dropped)."""
    only = "".join(traceback.format_exception_only(type(error), error)).strip()
    if isinstance(error, SyntaxError):
        return only[-4000:]
    frames = traceback.extract_tb(error.__traceback__)
    first = next((i for i, f in enumerate(frames) if f.filename == GRADER_FILENAME), 0)
    ours = os.path.dirname(os.path.abspath(__file__))
    kept = [f for f in frames[first:] if os.path.dirname(f.filename) != ours]
    shown = "".join(traceback.StackSummary.from_list(kept).format())
    return ("Traceback (most recent call last):\n" + shown + only)[-4000:]


def check_value(value: object) -> tuple[float | None, str | None]:
    """The reward, or why the returned value is not one."""
    if not isinstance(value, numbers.Real):
        shown = repr(value)
        shown = shown if len(shown) < 80 else shown[:77] + "..."
        return None, f"grade() returned {type(value).__name__} {shown}; it must return a number"
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):
        return None, f"grade() returned {type(value).__name__} that is not a float (too large?)"
    if not math.isfinite(number):
        return None, f"grade() returned {number!r}; it must return a finite number"
    return number, None


class NoGradeFunction(Exception):
    """The source ran but defines no callable ``grade``."""


def _load(source: str) -> object:
    import linecache

    linecache.cache[GRADER_FILENAME] = (len(source), None, source.splitlines(True), "")
    module: dict = {"__name__": "grader", "__builtins__": __builtins__}
    exec(compile(source, GRADER_FILENAME, "exec"), module)  # noqa: S102 - the grader's code
    grade = module.get("grade")
    if not callable(grade):
        raise NoGradeFunction("the source defines no grade(sample, item) function")
    return grade


def _outcome(run: Callable[..., object], *args: object) -> dict:
    """Call ``run(*args)`` and classify what happened (a reply without its id)."""
    try:
        value = run(*args)
    except MemoryError:
        return {
            "ok": False,
            "kind": "memory",
            "details": "MemoryError: the grader exceeded the memory limit",
        }
    except NoGradeFunction as error:
        return {"ok": False, "kind": "runtime_error", "details": str(error)}
    except SystemExit as error:
        return {
            "ok": False,
            "kind": "runtime_error",
            "details": f"grade() called exit({error.code!r})",
        }
    except BaseException as error:  # noqa: BLE001 - everything a grader raises is reported
        return {"ok": False, "kind": "runtime_error", "details": _traceback_details(error)}
    return {"ok": True, "value": value}


def serve(config: dict, source: str, guards: ModuleType) -> NoReturn:
    """Guard this process, load ``source``, answer calls; never returns."""
    status = 0
    try:
        guards.die_with_parent()
        os.setpgid(0, 0)
        scratch = config["scratch"]
        os.makedirs(scratch, exist_ok=True)
        os.chdir(scratch)
        os.environ["TMPDIR"] = os.environ["HOME"] = scratch
        for stream in (sys.stdout, sys.stderr):  # typed TextIO; still this process's own files
            cast(io.TextIOWrapper, stream).reconfigure(line_buffering=True)
        guards.set_limits(int(config["memory_mb"]), own_user_namespace=bool(config["sandboxed"]))
        guards.install_audit_hook()
        problem = guards.install_seccomp()
        if problem and config.get("require_seccomp"):
            raise RuntimeError(problem)
    except BaseException as error:  # noqa: BLE001 - reported to the supervisor, then exit
        request = _receive_call()
        _send({"id": request.get("id"), "ok": False, "kind": "sandbox_error", "fatal": True,
               "details": f"the sandbox could not be set up: {error}"})  # fmt: skip
        os._exit(1)
    grade = None
    streams = (sys.stdout, sys.stderr)
    while True:
        try:
            request = _receive_call()
        except (EOFError, OSError, ValueError):
            break
        sys.stdout, sys.stderr = streams  # undo a previous call's swap of sys.stdout
        guards.arm_cpu_limit(float(request.get("cpu_s", 120)))
        reply: dict
        if grade is None:
            reply = _outcome(_load, source)
            if reply["ok"]:
                grade = reply["value"]
            else:
                reply["fatal"] = True
        if grade is not None:
            reply = _outcome(grade, request["sample"], request["item"])
            if reply["ok"]:
                number, problem = check_value(reply["value"])
                reply = {"ok": True, "value": number} if problem is None else {
                    "ok": False, "kind": "runtime_error", "details": problem}  # fmt: skip
        _flush()
        _send({**reply, "id": request.get("id")})
        if reply.get("fatal") or reply.get("kind") == "memory":
            break
    _flush()
    os._exit(status)
