"""What the escape tests share: the secret in the parent's environment, the checks that an
attempt was contained, and a scan of the host's processes for anything left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

SECRET = "sk-escape-test-3f9c2a7b41d8e6051c"
"""Put in the test process's ``OPENAI_API_KEY``: no grader output may ever contain it."""


def assert_contained(result: object, *leaks: str) -> None:
    """The attempt was refused: an error with a reason, and nothing leaked into the record."""
    text = f"{result.value} {result.details} {result.stdout}"  # type: ignore[attr-defined]
    for leak in (SECRET, *leaks):
        assert leak not in text, f"leaked {leak!r}: {text[:2000]}"
    assert not result.ok, (  # type: ignore[attr-defined]
        f"not refused: reward {result.value}, output {result.stdout[:2000]!r}"  # type: ignore[attr-defined]
    )
    assert result.kind and result.details.strip(), "an error must say why"  # type: ignore[attr-defined]


def processes_matching(needle: str) -> list[int]:
    """Host pids whose command line or name contains ``needle``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            comm = Path(f"/proc/{entry}/comm").read_bytes()
            state = (
                Path(f"/proc/{entry}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
            )
        except OSError:
            continue
        if state == "Z":
            continue  # exited, waiting to be reaped by its parent
        if needle.encode() in cmdline or needle.encode() in comm:
            found.append(int(entry))
    return found


def wait_until_gone(needle: str, timeout_s: float = 10.0) -> list[int]:
    """Poll until no process matches ``needle``; the survivors after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = processes_matching(needle)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def worker_needle() -> str:
    """What every worker process of this test process has in its command line (the pid and
    the comma after it: another test process's pid may begin with the same digits)."""
    return f'"parent_pid": {os.getpid()},'


def read_via(path_expression: str, setup: str = "") -> str:
    """A grader that reads the file at ``path_expression`` (``pid`` is its parent's pid)."""
    return (
        "import os\n"
        "def grade(sample, item):\n"
        "    pid = item.get('pid') or os.getppid()\n"
        f"    {setup or 'pass'}\n"
        f"    data = open({path_expression}, 'rb').read()\n"
        "    print(data[:4000])\n"
        "    return 1.0\n"
    )


ENVIRON_TRICKS = {
    "plain": ("f'/proc/{pid}/environ'", ""),
    "dot-dot": ("f'/proc/self/../{pid}/environ'", ""),
    "double slash": ("f'//proc/{pid}/environ'", ""),
    "dot": ("f'/proc/./{pid}/environ'", ""),
    "relative after chdir": ("f'{pid}/environ'", "os.chdir('/proc')"),
    "relative dot-dot after chdir": ("f'../{pid}/environ'", "os.chdir('/proc/self')"),
    "self root": ("f'/proc/self/root/proc/{pid}/environ'", ""),
    "symlink": (
        "'link'",
        "os.chdir(os.environ.get('TMPDIR', '/tmp')); os.symlink(f'/proc/{pid}/environ', 'link')",
    ),
    "bytes": ("f'/proc/{pid}/environ'.encode()", ""),
    "task": ("f'/proc/{pid}/task/{pid}/environ'", ""),
}


OWNER = """
import asyncio, json, os, sys
from rubricate.judge.sandbox.pool import WorkerPool

async def main():
    cases = json.load(sys.stdin)
    results = {}
    async with WorkerPool(1) as pool:
        for name, source, item in cases:
            if item.get("pid") == "owner":
                item["pid"] = os.getpid()
            result = await pool.run(source, {}, item)
            results[name] = {"value": result.value, "kind": result.kind,
                             "details": result.details, "stdout": result.stdout}
    print(json.dumps(results))

asyncio.run(main())
"""


def run_in_owner(cases: list[tuple[str, str, dict]]) -> dict[str, SimpleNamespace]:
    """Run graders in a pool owned by a new process that has :data:`SECRET` in its initial
    environment, as a user's ``rubricate`` has the exported key (``/proc/<pid>/environ``
    shows the environment a process started with, not later ``os.environ`` changes).

    Item ``{"pid": "owner"}`` becomes the owner's pid.
    """
    env = {**os.environ, "OPENAI_API_KEY": SECRET}
    done = subprocess.run(
        [sys.executable, "-c", OWNER],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout)
    return {name: SimpleNamespace(**r, ok=r["kind"] is None) for name, r in results.items()}
