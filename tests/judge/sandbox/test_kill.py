"""SIGKILL of the process that owns the pool leaves nothing: no worker, no process a grader
started, no ``rubricate-grader-*`` temporary folder (in the fallback without bubblewrap, the
next pool removes the folders of owners that are gone)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

from tests.judge.sandbox.helpers import wait_until_gone

OWNER = """
import asyncio, sys
from rubricate.judge.sandbox.pool import WorkerPool

SLEEPER = '''
import time
def grade(sample, item):
    print("sleeping", flush=True)
    time.sleep(600)
    return 1.0
'''
FORKER = '''
import ctypes, os, time
def grade(sample, item):
    libc = ctypes.CDLL(None, use_errno=True)
    for _ in range(5):
        if libc.fork() == 0:
            libc.prctl(15, item["marker"].encode(), 0, 0, 0)
            libc.setsid()
            time.sleep(600)
            os._exit(0)
    time.sleep(600)
    return 1.0
'''

async def main():
    marker, mode = sys.argv[1], sys.argv[2]
    pool = WorkerPool(2, timeout_s=600)
    if mode == "start-only":
        await pool.run("def grade(s, i):\\n    return 1.0", {}, {})
        await pool.close()
        print("done", flush=True)
        return
    calls = [asyncio.create_task(pool.run(s, {}, {"marker": marker})) for s in (SLEEPER, FORKER)]
    await asyncio.sleep(3)
    print("running", flush=True)
    await asyncio.gather(*calls)

asyncio.run(main())
"""


def _owner(marker: str, mode: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(OWNER), marker, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


def _kill_when(owner: subprocess.Popen, line: str) -> None:
    try:
        assert owner.stdout is not None and owner.stderr is not None
        got = owner.stdout.readline()
        assert got.strip() == line, owner.stderr.read()
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        for stream in (owner.stdout, owner.stderr):
            if stream is not None:
                stream.close()


def test_sigkill_leaves_no_process_and_no_temp_folder(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    marker = f"rbk-{uuid.uuid4().hex[:8]}"
    owner = _owner(marker, "busy", {**os.environ, "TMPDIR": str(scratch)})
    _kill_when(owner, "running")
    assert wait_until_gone(f'"parent_pid": {owner.pid},') == [], "workers outlived their owner"
    assert wait_until_gone(marker) == [], "processes started by a grader outlived the owner"
    assert sorted(p.name for p in scratch.iterdir()) == []


def test_without_bubblewrap_the_next_pool_removes_the_folders(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    marker = f"rbk-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "TMPDIR": str(scratch), "PATH": "/nonexistent",
           "RUBRICATE_SANDBOX": "best-effort"}  # fmt: skip
    owner = _owner(marker, "busy", env)
    _kill_when(owner, "running")
    assert wait_until_gone(f'"parent_pid": {owner.pid},') == [], "workers outlived their owner"
    assert wait_until_gone(marker) == [], "processes started by a grader outlived the owner"
    left = sorted(p.name for p in scratch.iterdir())
    assert len(left) == 2 and all(n.startswith(f"rubricate-grader-{owner.pid}-") for n in left)
    again = _owner(marker, "start-only", env)
    out, err = again.communicate(timeout=120)
    assert out.strip() == "done", err
    assert sorted(p.name for p in scratch.iterdir()) == []


async def test_a_call_cancelled_mid_grade_leaves_no_worker() -> None:
    """A run that stops (EndpointDown cancels every grade in flight) kills the workers of the
    cancelled calls; before, they were dropped from the pool alive, and each in-process run
    that stopped left its sandboxes running (found by the sandbox tests' leftover check after
    ``calibrate`` stopped on a dead endpoint). The autouse fixture checks that none is left."""
    import asyncio

    from rubricate.judge.sandbox.pool import WorkerPool

    sleeper = "import time\ndef grade(sample, item):\n    time.sleep(600)\n    return 1.0\n"
    async with WorkerPool(2) as pool:
        calls = [asyncio.create_task(pool.run(sleeper, {}, {})) for _ in range(2)]
        for _ in range(200):  # both workers are busy grading
            if len(pool._busy) == 2:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        for call in calls:
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
