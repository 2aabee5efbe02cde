"""Escape attempts by python graders: each is contained, reported as an error with its reason,
and leaves no process behind (the fixture in ``conftest.py`` checks that after every test).

The attempts are those of the outside attack in issue 15 (reading the parent's environment
through path tricks, running programs, forking, writing outside the scratch folder, reading
the user's files, sockets, forging replies on the worker's protocol descriptor) and the usual
others (memory, CPU, output). The test process holds an API key (``helpers.SECRET``) in its
environment: no record may ever contain it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import sys
import uuid
from pathlib import Path

import pytest

from rubricate.judge.sandbox.pool import WorkerPool
from tests.judge.sandbox.helpers import (
    ENVIRON_TRICKS,
    SECRET,
    assert_contained,
    processes_matching,
    read_via,
    run_in_owner,
)

ECHO = "def grade(sample, item):\n    return float(item['value'])\n"

READ = """
import os
def grade(sample, item):
    print(open(item["path"], "rb").read()[:4000])
    return 1.0
"""


WHOSE = {"parent": None, "rubricate": "owner", "pid 1": 1}

NATIVE_READ = """
import ctypes, os
def grade(sample, item):
    libc = ctypes.CDLL(None, use_errno=True)
    found = []
    for pid in [os.getppid(), item["pid"], 1, 2, 3]:
        fd = libc.open(f"/proc/{pid}/environ".encode(), os.O_RDONLY)
        if fd < 0:
            continue
        buffer = ctypes.create_string_buffer(65536)
        size = libc.read(fd, buffer, 65536)
        found.append(buffer.raw[:max(size, 0)])
    print(found)
    if not any(b"OPENAI_API_KEY" in data for data in found):
        raise PermissionError("no environment with a key was readable")
    return 1.0
"""


@pytest.fixture(scope="module")
def environ_attempts() -> dict:
    """Every way into the parent's environment, run once in a pool whose owner holds a key."""
    cases = [
        (f"{trick}/{whose}", read_via(*ENVIRON_TRICKS[trick]), {"pid": pid})
        for trick in ENVIRON_TRICKS
        for whose, pid in WHOSE.items()
    ]
    cases.append(("native", NATIVE_READ, {"pid": "owner"}))
    return run_in_owner(cases)


@pytest.mark.parametrize("whose", sorted(WHOSE))
@pytest.mark.parametrize("trick", sorted(ENVIRON_TRICKS))
def test_the_parents_environment_cannot_be_read(
    trick: str, whose: str, environ_attempts: dict
) -> None:
    assert_contained(environ_attempts[f"{trick}/{whose}"], "OPENAI_API_KEY")


def test_the_parents_environment_cannot_be_read_with_native_code(environ_attempts: dict) -> None:
    assert_contained(environ_attempts["native"], "OPENAI_API_KEY")


async def test_the_environment_is_minimal() -> None:
    source = (
        "import os, json\ndef grade(s, i):\n    print(json.dumps(dict(os.environ)))\n    return 1.0"
    )
    async with WorkerPool(1) as pool:
        result = await pool.run(source, {}, {})
    assert result.ok
    env = json.loads(result.stdout)
    assert SECRET not in result.stdout and "OPENAI_API_KEY" not in env


PROGRAMS = {
    "os.system": "os.system('echo RAN-A-$((1+1))-PROGRAM')",
    "subprocess": (
        "import subprocess; subprocess.run(['/bin/sh', '-c', 'echo RAN-A-$((1+1))-PROGRAM'])"
    ),
    "os.posix_spawn": (
        "pid = os.posix_spawn('/bin/sh', ['sh', '-c', 'echo RAN-A-$((1+1))-PROGRAM'], {}); "
        "os.waitpid(pid, 0)"
    ),
    "os.execv": "os.execv('/bin/sh', ['sh', '-c', 'echo RAN-A-$((1+1))-PROGRAM'])",
    "_posixsubprocess.fork_exec": (
        "import _posixsubprocess; r, w = os.pipe(); "
        "pid = _posixsubprocess.fork_exec([b'/bin/sh', b'-c', b'echo RAN-A-$((1+1))-PROGRAM'], "
        "[b'/bin/sh'], True, (w,), None, None, -1, -1, -1, -1, -1, -1, r, w, True, False, "
        "-1, None, None, None, -1, None, False); os.waitpid(pid, 0)"
    ),
    "ctypes system": (
        "import ctypes; code = ctypes.CDLL(None).system(b'echo RAN-A-$((1+1))-PROGRAM'); "
        "assert code == 0, f'system() returned {code}'"
    ),
    "ctypes fork and exec": (
        "import ctypes; libc = ctypes.CDLL(None, use_errno=True); pid = libc.fork()\n"
        "    if pid == 0:\n"
        "        libc.execv(b'/bin/sh', (ctypes.c_char_p * 4)(b'sh', b'-c', "
        "b'echo RAN-A-$((1+1))-PROGRAM', None)); os._exit(3)\n"
        "    assert pid > 0, f'fork failed: errno {ctypes.get_errno()}'\n"
        "    os.waitpid(pid, 0)"
    ),
}


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="fork_exec's arguments are 3.11's")
@pytest.mark.parametrize("how", sorted(PROGRAMS))
async def test_no_program_can_be_run(how: str) -> None:
    source = f"import os\ndef grade(sample, item):\n    {PROGRAMS[how]}\n    return 1.0\n"
    async with WorkerPool(1) as pool:
        result = await pool.run(source, {}, {})
        assert_contained(result, "RAN-A-2-PROGRAM")
        after = await pool.run(ECHO, {}, {"value": 0.5})
    assert after.value == 0.5


async def test_fifty_forks_leave_nothing_behind() -> None:
    marker = f"rbc-{uuid.uuid4().hex[:8]}"
    source = f"""
import ctypes, os, time
def grade(sample, item):
    libc = ctypes.CDLL(None, use_errno=True)
    children = 0
    for _ in range(50):
        pid = libc.fork()
        if pid == 0:
            libc.prctl(15, b"{marker}", 0, 0, 0)  # PR_SET_NAME: findable from the host
            libc.setsid()
            time.sleep(600)
            os._exit(0)
        children += pid > 0
    print("children", children)
    if children == 0:
        raise PermissionError("no fork succeeded")
    return float(children)
"""
    async with WorkerPool(1) as pool:
        result = await pool.run(source, {}, {})
        assert_contained(result)
        assert processes_matching(marker) == []
        assert (await pool.run(ECHO, {}, {"value": 0.5})).value == 0.5
    assert processes_matching(marker) == []


WRITES = {
    "root": "'/escape-test'",
    "etc": "'/etc/escape-test'",
    "usr": "'/usr/escape-test'",
    "python prefix": "os.path.join(sys.prefix, 'escape-test')",
    "site-packages": "os.path.join(os.path.dirname(os.__file__), 'escape-test')",
    "host folder": "item['host_dir'] + '/escape-test'",
    "dev": "'/dev/escape-test'",
}


@pytest.mark.parametrize("where", sorted(WRITES))
async def test_no_write_outside_the_scratch_folder(where: str, tmp_path: Path) -> None:
    source = (
        "import os, sys\n"
        "def grade(sample, item):\n"
        f"    path = {WRITES[where]}\n"
        "    with open(path, 'w') as f:\n"
        "        f.write('escaped')\n"
        "    return 1.0\n"
    )
    async with WorkerPool(1) as pool:
        result = await pool.run(source, {}, {"host_dir": str(tmp_path)})
    assert_contained(result)
    assert not (tmp_path / "escape-test").exists()


async def test_the_scratch_folder_is_private(tmp_path: Path) -> None:
    name = f"rubricate-escape-{uuid.uuid4().hex}"
    source = (
        "import os, tempfile\n"
        "def grade(sample, item):\n"
        f"    for folder in ('/tmp', tempfile.gettempdir(), os.getcwd()):\n"
        f"        open(os.path.join(folder, '{name}'), 'w').write('x')\n"
        "    return 1.0\n"
    )
    async with WorkerPool(1) as pool:
        result = await pool.run(source, {}, {})
        assert result.ok, result.details  # the grader's own scratch space is writable
        for folder in ("/tmp", os.environ.get("TMPDIR", "/tmp"), "/var/tmp"):
            assert not (Path(folder) / name).exists(), (
                f"the scratch write reached the host {folder}"
            )


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "/etc/shadow", "/etc/hostname", "home file", "host file"]
)
async def test_the_users_files_cannot_be_read(path: str, tmp_path: Path) -> None:
    private = tmp_path / "private.txt"
    private.write_text("PRIVATE-CONTENT-7d1e")
    home = Path.home() / f".rubricate-escape-{uuid.uuid4().hex[:8]}"
    home.write_text("PRIVATE-CONTENT-7d1e")
    try:
        target = {"home file": str(home), "host file": str(private)}.get(path, path)
        async with WorkerPool(1) as pool:
            result = await pool.run(READ, {}, {"path": target})
    finally:
        home.unlink()
    host_text = (
        Path(target).read_text(encoding="utf-8", errors="replace") if Path(target).exists() else ""
    )
    first_line = host_text.splitlines()[0] if host_text.strip() else "PRIVATE-CONTENT-7d1e"
    assert_contained(result, "PRIVATE-CONTENT-7d1e", first_line)


async def test_the_home_folder_cannot_be_listed() -> None:
    """Python may live under the home folder (pyenv): then its path exists, nothing else."""
    marker = Path.home() / f".rubricate-escape-{uuid.uuid4().hex[:8]}"
    marker.write_text("x")
    source = "import os\ndef grade(s, i):\n    print(os.listdir(i['home']))\n    return 1.0"
    try:
        async with WorkerPool(1) as pool:
            result = await pool.run(source, {}, {"home": str(Path.home())})
    finally:
        marker.unlink()
    assert marker.name not in result.stdout
    if result.ok:  # the home folder holds Python's installation: only that is visible
        prefixes = {sys.prefix, sys.base_prefix, os.path.realpath(sys.executable)}
        visible = eval(result.stdout)  # noqa: S307 - a list of names printed by the grader
        for name in visible:
            assert any(p.startswith(str(Path.home() / name)) for p in prefixes), name


SOCKETS = {
    "inet": "s = socket.socket(); s.settimeout(2); s.connect(('127.0.0.1', item['port']))",
    "inet6": (
        "s = socket.socket(socket.AF_INET6); s.settimeout(2); s.connect(('::1', item['port']))"
    ),
    "unix path": "s = socket.socket(socket.AF_UNIX); s.connect(item['unix'])",
    "unix abstract": "s = socket.socket(socket.AF_UNIX); s.connect(item['abstract'])",
    "native inet": (
        "import ctypes; libc = ctypes.CDLL(None, use_errno=True); "
        "fd = libc.socket(2, 1, 0); assert fd >= 0, f'socket(): errno {ctypes.get_errno()}'; "
        "addr = struct.pack('<HH4s8x', 2, socket.htons(item['port']), bytes([127, 0, 0, 1])); "
        "code = libc.connect(fd, addr, 16); "
        "assert code == 0, f'connect(): errno {ctypes.get_errno()}'"
    ),
}


@pytest.mark.parametrize("kind", sorted(SOCKETS))
async def test_no_socket_reaches_anything(kind: str, tmp_path: Path) -> None:
    inet = socket.socket()
    inet.bind(("127.0.0.1", 0))
    inet.listen()
    inet.setblocking(False)
    unix_path = str(tmp_path / "s.sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(unix_path)
    unix.listen()
    unix.setblocking(False)
    abstract_name = f"\0rubricate-escape-{uuid.uuid4().hex}"
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(abstract_name)
    abstract.listen()
    abstract.setblocking(False)
    source = (
        f"import socket, struct\ndef grade(sample, item):\n    {SOCKETS[kind]}\n    return 1.0\n"
    )
    item = {"port": inet.getsockname()[1], "unix": unix_path, "abstract": abstract_name}
    try:
        async with WorkerPool(1) as pool:
            result = await pool.run(source, {}, item)
        assert_contained(result)
        for server in (inet, unix, abstract):
            with pytest.raises(BlockingIOError):
                server.accept()  # nobody connected
    finally:
        for server in (inet, unix, abstract):
            server.close()


def _forged_frame(value: float) -> bytes:
    body = json.dumps({"ok": True, "value": value, "stdout": "", "kind": None}).encode()
    return struct.pack(">I", len(body)) + body


FORGE = f"""
import os, struct
FRAME = {_forged_frame(42.0)!r}
def grade(sample, item):
    written = []
    for fd in range(3, 1024):
        try:
            os.write(fd, FRAME)
            written.append(fd)
        except OSError:
            pass
    for name in os.listdir("/proc/self/fd") + ["0", "1", "2"]:
        try:
            fd = os.open(f"/proc/self/fd/{{name}}", os.O_WRONLY)
            os.write(fd, FRAME)
            written.append(name)
        except OSError:
            pass
    try:
        for name in os.listdir(f"/proc/{{os.getppid()}}/fd"):
            try:
                fd = os.open(f"/proc/{{os.getppid()}}/fd/{{name}}", os.O_WRONLY)
                os.write(fd, FRAME * 3)
                written.append("parent " + name)
            except OSError:
                pass
    except OSError:
        pass
    return float(item["value"])
"""


async def test_a_forged_reply_changes_no_reward() -> None:
    other = "def grade(sample, item):\n    return float(item['value']) + 1000\n"
    async with WorkerPool(1) as pool:
        first = await pool.run(FORGE, {}, {"value": 0.25})
        assert first.value != 42.0
        assert first.value == 0.25 or (not first.ok and first.details.strip())
        # the next calls (the same grader and others) get their own rewards, in order
        for value in (0.1, 0.2, 0.3):
            assert (await pool.run(ECHO, {}, {"value": value})).value == value
            assert (await pool.run(other, {}, {"value": value})).value == value + 1000
        again = await pool.run(FORGE, {}, {"value": 0.75})
        assert again.value != 42.0
        assert (await pool.run(ECHO, {}, {"value": 0.9})).value == 0.9


async def test_a_forged_reply_then_an_exception_is_an_error() -> None:
    source = f"""
import os
FRAME = {_forged_frame(42.0)!r}
def grade(sample, item):
    for fd in range(1024):
        try:
            os.write(fd, FRAME)
        except OSError:
            pass
    raise ValueError("the real outcome")
"""
    async with WorkerPool(1) as pool:
        result = await pool.run(source, {}, {})
        assert not result.ok and result.value != 42.0
        assert (await pool.run(ECHO, {}, {"value": 0.5})).value == 0.5


@pytest.mark.parametrize(
    "body",
    [
        "data = bytearray(3 * 1024**3)",
        "chunks = []\n    while True:\n        chunks.append(bytearray(50 * 1024**2))",
        "import numpy as np\n    x = np.ones((40000, 40000))",
    ],
    ids=["one 3 GB block", "50 MB at a time", "numpy"],
)
async def test_memory_is_limited(body: str) -> None:
    async with WorkerPool(1, memory_mb=1024) as pool:
        result = await pool.run(f"def grade(sample, item):\n    {body}\n    return 1.0\n", {}, {})
        assert result.kind == "memory", (result.kind, result.details)
        assert (await pool.run(ECHO, {}, {"value": 0.5})).value == 0.5


@pytest.mark.parametrize(
    "body",
    [
        "while True:\n        pass",
        "import re\n    re.match(r'(a+)+$', 'a' * 64 + 'b')",  # native code, holds the GIL
        "import threading\n    for _ in range(4):\n"
        "        threading.Thread(target=lambda: [0 for _ in iter(int, 1)]).start()\n"
        "    [0 for _ in iter(int, 1)]",
    ],
    ids=["python loop", "regex in C", "threads"],
)
async def test_cpu_is_limited(body: str) -> None:
    async with WorkerPool(1, timeout_s=1.5) as pool:
        result = await pool.run(f"def grade(sample, item):\n    {body}\n    return 1.0\n", {}, {})
        assert result.kind == "timeout", (result.kind, result.details)
        assert "1.5 s" in result.details
        assert (await pool.run(ECHO, {}, {"value": 0.5})).value == 0.5


async def test_huge_output_is_cut_and_never_reaches_the_disk() -> None:
    source = (
        "import os\n"
        "def grade(sample, item):\n"
        "    block = b'y' * (1 << 20)\n"
        "    for _ in range(1100):\n"
        "        os.write(1, block)\n"
        "    return 1.0\n"
    )
    async with WorkerPool(1) as pool:
        result = await pool.run(source, {}, {})
    assert result.ok, (result.kind, result.details)
    assert len(result.stdout) < 70_000 and "truncated" in result.stdout


async def test_the_supervisor_cannot_be_signalled() -> None:
    source = (
        "import os, signal\n"
        "def grade(sample, item):\n"
        "    os.kill(os.getppid(), signal.SIGSTOP)\n"
        "    return 1.0\n"
    )
    async with WorkerPool(1, timeout_s=5) as pool:
        result = await pool.run(source, {}, {})
        assert_contained(result)
        assert (await pool.run(ECHO, {}, {"value": 0.5})).value == 0.5


async def test_a_rubric_check_gets_the_same_sandbox(tmp_path: Path) -> None:
    """A rubric's ``check: {python: ...}`` compiles to a python grader: the same limits."""
    from rubricate.cli import run

    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(
        "rubric: 1\nid: peek\ntitle: Peek\ntask: Say hi.\ncriteria:\n"
        "  - id: peek\n    weight: 1\n    check:\n      python: |\n"
        "        import os\n"
        "        def grade(sample, item):\n"
        "            pid = os.getppid()\n"
        "            data = open(f'/proc/self/../{pid}/environ', 'rb').read()\n"
        "            print(data)\n"
        "            return 1.0\n",
        encoding="utf-8",
    )
    items = tmp_path / "items.jsonl"
    items.write_text('{"id": "a"}\n', encoding="utf-8")
    samples = tmp_path / "samples.jsonl"
    samples.write_text('{"item_id": "a", "output_text": "hi"}\n', encoding="utf-8")
    out = tmp_path / "records.jsonl"
    code = await asyncio.to_thread(
        run,
        ["grade", str(rubric), "--items", str(items), "--samples", str(samples),
         "--out", str(out)],
    )  # fmt: skip
    assert code == 1  # the one sample is unscored: more than --max-unscored, a failed run
    text = out.read_text(encoding="utf-8")
    assert SECRET not in text
    record = json.loads(text)
    assert record["scored"] is False and record["error"]


async def test_a_reply_forged_after_the_call_shifts_nothing() -> None:
    source = f"""
import os, threading, time
FRAME = {_forged_frame(42.0)!r}
def forge():
    time.sleep(0.2)
    for fd in range(1024):
        try:
            os.write(fd, FRAME)
        except OSError:
            pass
def grade(sample, item):
    threading.Thread(target=forge).start()
    return float(item["value"])
"""
    async with WorkerPool(1) as pool:
        assert (await pool.run(source, {}, {"value": 0.25})).value == 0.25
        await asyncio.sleep(1.0)
        assert (await pool.run(ECHO, {}, {"value": 0.5})).value == 0.5
        again = await pool.run(source, {}, {"value": 0.75})
        assert again.value == 0.75
        assert "wrote to the reply channel after its reply" in again.stdout
        assert pool.started == 1
