"""The worker's own guards (``worker_guards.py``): path checks, the seccomp filter's table and
behaviour. No bubblewrap needed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rubricate.judge.sandbox import worker_guards as guards

HEADERS = {
    "x86_64": Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"),
    "aarch64": Path("/usr/include/asm-generic/unistd.h"),
}


@pytest.mark.parametrize("machine", sorted(guards.SYSCALLS))
def test_syscall_numbers_match_the_kernel_headers(machine: str) -> None:
    header = HEADERS[machine]
    if not header.is_file():
        pytest.skip(f"{header} is not installed (linux-libc-dev)")
    text = header.read_text()
    for name, number in guards.SYSCALLS[machine][1].items():
        found = re.search(rf"#define __NR(?:3264)?_{name}\s+(\d+)\b", text)
        assert found, f"{name} not in {header}"
        assert int(found.group(1)) == number, name


@pytest.mark.parametrize("machine", sorted(guards.SYSCALLS))
def test_every_jump_of_the_filter_lands_inside_it(machine: str) -> None:
    program = guards.seccomp_program(machine, 4242)
    for index, (code, jt, jf, _) in enumerate(program):
        if code & 0x07 == 0x05:  # BPF_JMP
            assert index + 1 + max(jt, jf) < len(program)
    assert program[-1] == (0x06, 0, 0, 0x7FFF0000)  # anything not named is allowed
    assert len(program) < 4096  # BPF_MAXINSNS


@pytest.mark.parametrize(
    "path, cwd, other",
    [
        ("/proc/77/environ", "/", True),
        ("/proc/self/../77/environ", "/", True),
        ("//proc/77/environ", "/", True),
        ("/proc/./77/environ", "/", True),
        ("77/environ", "/proc", True),
        ("./77/environ", "/proc", True),
        ("../77/environ", "/proc/self", True),
        ("../../proc/77/environ", "/tmp", True),
        ("/proc/self/root/proc/77/environ", "/", True),
        ("/proc/5/task/5/root/proc/77/environ", "/", True),
        ("/proc/77/task/77/environ", "/", True),
        ("/proc/77", "/", True),
        (b"/proc/77/environ", "/", True),
        (Path("/proc/77/environ"), "/", True),
        ("/proc/5/environ", "/", False),
        ("/proc/self/environ", "/", False),
        ("/proc/thread-self/status", "/", False),
        ("/proc/self/fd", "/", False),
        ("/proc/meminfo", "/", False),
        ("/proc", "/", False),
        ("environ", "/proc/self", False),
        ("/tmp/proc/77", "/", False),
        (3, "/", False),
    ],
)
def test_other_process_paths_are_recognised(path: object, cwd: str, other: bool) -> None:
    assert guards.other_process_path(path, 5, cwd, resolve=False) is other


def test_symbolic_links_into_proc_are_resolved(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(f"/proc/{os.getppid()}/environ")
    assert guards.other_process_path(str(link), os.getpid(), "/")
    assert guards.other_process_path("link", os.getpid(), str(tmp_path))
    assert not guards.other_process_path(str(tmp_path / "file"), os.getpid(), "/")


PROBE = """
import ctypes, errno, os, socket, sys, threading
sys.path.insert(0, sys.argv[1])
import worker_guards as guards
assert guards.install_seccomp() is None
results = {}
thread = threading.Thread(target=lambda: results.setdefault("thread", True))
thread.start(); thread.join()
for name, call in {
    "inet socket": lambda: socket.socket(socket.AF_INET),
    "kill another process": lambda: os.kill(os.getppid(), 0),
    "unshare": lambda: ctypes.CDLL(None, use_errno=True).unshare(0x10000000) == 0 or
        (_ for _ in ()).throw(OSError(ctypes.get_errno(), "unshare")),
}.items():
    try:
        call()
        results[name] = "allowed"
    except OSError as error:
        results[name] = errno.errorcode[error.errno]
socket.socketpair()
os.kill(os.getpid(), 0)  # signalling itself is fine
print(results, flush=True)
if sys.argv[2] == "fork":
    ctypes.CDLL(None).fork()
    print("forked", flush=True)
"""


@pytest.mark.skipif(guards.seccomp_machine() is None, reason="no seccomp filter on this platform")
@pytest.mark.parametrize("then", ["nothing", "fork"])
def test_the_seccomp_filter_refuses_and_kills(then: str) -> None:
    worker_dir = str(Path(guards.__file__).parent)
    done = subprocess.run(
        [sys.executable, "-I", "-c", textwrap.dedent(PROBE), worker_dir, then],
        capture_output=True,
        text=True,
        timeout=60,
    )
    first = done.stdout.splitlines()[0] if done.stdout else done.stderr
    assert "'thread': True" in first
    assert "'inet socket': 'EPERM'" in first
    assert "'kill another process': 'EPERM'" in first
    assert "'unshare': 'EPERM'" in first
    if then == "fork":
        assert done.returncode == -signal.SIGSYS and "forked" not in done.stdout
    else:
        assert done.returncode == 0, done.stderr
