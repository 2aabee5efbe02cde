"""The python-grader sandbox: limits, isolation, warm reuse, and recovery after failures."""

from __future__ import annotations

import asyncio
import os
import socket
import time

import pytest

from rubricate.judge.sandbox.pool import WorkerPool

pytestmark = pytest.mark.subprocess

ECHO = """
def grade(sample, item):
    print("seen", sample["output_text"])
    return 1.0 if sample["output_text"] == item["answer"] else 0.0
"""

COUNTER = """
import random
LOADED = random.randrange(1, 10**6)  # a new number each time the module is loaded
CALLS = 0
def grade(sample, item):
    global CALLS
    CALLS += 1
    return CALLS + LOADED * 1000
"""


async def test_value_and_stdout() -> None:
    async with WorkerPool(1) as pool:
        result = await pool.run(ECHO, {"output_text": "Paris"}, {"answer": "Paris"})
        assert result.ok and result.value == 1.0
        assert result.stdout == "seen Paris\n"
        result = await pool.run(ECHO, {"output_text": "Lyon"}, {"answer": "Paris"})
        assert result.ok and result.value == 0.0 and result.stdout == "seen Lyon\n"


async def test_workers_are_warm_and_reused() -> None:
    async with WorkerPool(1) as pool:
        values = [(await pool.run(COUNTER, {}, {})).value for _ in range(5)]
    loads = {int(v) // 1000 for v in values}
    assert len(loads) == 1  # one process, the module loaded once
    assert [int(v) % 1000 for v in values] == [1, 2, 3, 4, 5]  # module code ran once
    assert pool.started == 1


async def test_one_process_per_call_mode() -> None:
    async with WorkerPool(1, max_calls_per_worker=1) as pool:
        values = [(await pool.run(COUNTER, {}, {})).value for _ in range(3)]
    assert len({int(v) // 1000 for v in values}) == 3
    assert [int(v) % 1000 for v in values] == [1, 1, 1]


async def test_infinite_loop_times_out_and_the_pool_recovers() -> None:
    async with WorkerPool(1, timeout_s=0.5) as pool:
        start = time.perf_counter()
        result = await pool.run(
            "def grade(s, i):\n    print('looping')\n    while True:\n        pass", {}, {}
        )
        assert time.perf_counter() - start < 5
        assert result.kind == "timeout" and "0.5 s" in result.details
        assert "looping" in result.stdout
        again = await pool.run(ECHO, {"output_text": "a"}, {"answer": "a"})
        assert again.ok and again.value == 1.0
        assert pool.started == 1  # only the stuck grader's process was replaced


async def test_a_4_gb_allocation_hits_the_memory_limit() -> None:
    async with WorkerPool(1, memory_mb=1024) as pool:
        result = await pool.run(
            "def grade(s, i):\n    data = bytearray(4 * 1024**3)\n    return 1.0", {}, {}
        )
        assert result.kind == "memory"
        assert (await pool.run(ECHO, {"output_text": "a"}, {"answer": "a"})).value == 1.0
        assert pool.started == 1  # only the grader's process was replaced, not the worker


async def test_sockets_are_refused_but_the_parent_keeps_its_network() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        source = (
            "import socket\n"
            "def grade(s, i):\n"
            f"    socket.socket().connect(('127.0.0.1', {port}))\n"
            "    return 1.0\n"
        )
        async with WorkerPool(1) as pool:
            result = await pool.run(source, {}, {})
            assert result.kind == "runtime_error"
            assert "no network access" in result.details
            dns = await pool.run(
                "import socket\ndef grade(s, i):\n    socket.getaddrinfo('example.com', 80)", {}, {}
            )
            assert dns.kind == "runtime_error" and "host names" in dns.details
            assert pool.network in ("namespace", "audit-hook")
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass  # the parent is unharmed
    finally:
        server.close()


async def test_exception_is_a_runtime_error_with_the_graders_traceback() -> None:
    source = (
        "def grade(sample, item):\n    return helper()\n\ndef helper():\n    raise KeyError('x')"
    )
    async with WorkerPool(1) as pool:
        result = await pool.run(source, {}, {})
    assert result.kind == "runtime_error"
    assert 'File "<grader>", line 5, in helper' in result.details
    assert "raise KeyError('x')" in result.details  # the grader's own source line
    assert result.details.strip().endswith("KeyError: 'x'")
    assert "worker_main" not in result.details


@pytest.mark.parametrize(
    "body, words",
    [
        ("return 'a string'", ["str", "must return a number"]),
        ("return None", ["NoneType"]),
        ("return float('nan')", ["nan", "finite"]),
        ("return float('inf')", ["inf", "finite"]),
        ("raise SystemExit(3)", ["exit(3)"]),
        ("return 10**400", ["int", "not a float"]),
        ("import subprocess; subprocess.run(['true'])", ["start processes"]),
        ("import os; os.system('true')", ["start processes"]),
    ],
)
async def test_bad_results_are_runtime_errors(body: str, words: list[str]) -> None:
    async with WorkerPool(1) as pool:
        result = await pool.run(f"def grade(sample, item):\n    {body}\n", {}, {})
        assert result.kind == "runtime_error"
        for word in words:
            assert word in result.details
        assert (await pool.run(ECHO, {"output_text": ""}, {"answer": ""})).value == 1.0


@pytest.mark.parametrize(
    "source, words",
    [
        ("x = 1", ["no grade(sample, item) function"]),
        ("def grade(s, i) return 1", ["SyntaxError"]),
        ("import not_a_real_module_xyz\ndef grade(s, i):\n    return 1", ["ModuleNotFoundError"]),
    ],
)
async def test_sources_that_do_not_load(source: str, words: list[str]) -> None:
    async with WorkerPool(1) as pool:
        result = await pool.run(source, {}, {})
    assert result.kind == "runtime_error"
    for word in words:
        assert word in result.details


async def test_a_grader_that_swaps_stdout_does_not_break_capture() -> None:
    swap = "import io, sys\ndef grade(s, i):\n    sys.stdout = io.StringIO()\n    return 1.0"
    async with WorkerPool(1) as pool:
        assert (await pool.run(swap, {}, {})).ok
        result = await pool.run(ECHO, {"output_text": "x"}, {"answer": "x"})
        assert result.ok and result.stdout == "seen x\n"
        assert pool.started == 1


async def test_a_crash_loses_only_the_worker() -> None:
    async with WorkerPool(1) as pool:
        result = await pool.run(
            "import os\ndef grade(s, i):\n    print('bye')\n    os._exit(7)", {}, {}
        )
        assert result.kind == "crashed" and "exit code 7" in result.details
        assert "bye" in result.stdout
        assert (await pool.run(ECHO, {"output_text": "a"}, {"answer": "a"})).value == 1.0


async def test_no_access_to_the_parents_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUBRICATE_TEST_SECRET", "sk-not-a-real-key")
    source = (
        "import os, json\n"
        "def grade(s, i):\n"
        "    print(json.dumps(sorted(os.environ)))\n"
        "    return 1.0\n"
    )
    peek = (
        "import os\n"
        "def grade(s, i):\n"
        "    return len(open(f'/proc/{os.getppid()}/environ').read())\n"
    )
    async with WorkerPool(1, extra_env={"NLTK_DATA": "/nowhere"}) as pool:
        result = await pool.run(source, {}, {})
        peeked = await pool.run(peek, {}, {})
    import json

    names = set(json.loads(result.stdout))
    assert "RUBRICATE_TEST_SECRET" not in names
    assert names <= {
        "PATH",
        "HOME",
        "TMPDIR",
        "LANG",
        "LC_ALL",
        "NLTK_DATA",
        "LC_CTYPE",
        "PWD",  # bubblewrap sets it (the scratch folder)
        "OPENBLAS_CORETYPE",
        "OPENBLAS_L2_SIZE",
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
    }
    assert peeked.kind == "runtime_error" and "other processes" in peeked.details


async def test_workers_run_in_parallel() -> None:
    sleepy = "import time\ndef grade(s, i):\n    time.sleep(0.4)\n    return 1.0"
    async with WorkerPool(2) as pool:
        await asyncio.gather(pool.run(sleepy, {}, {}), pool.run(sleepy, {}, {}))  # warm up
        start = time.perf_counter()
        results = await asyncio.gather(*(pool.run(sleepy, {}, {}) for _ in range(4)))
        elapsed = time.perf_counter() - start
    assert all(r.value == 1.0 for r in results)
    assert elapsed < 1.5  # 4 calls of 0.4 s on 2 workers: about 0.8 s, not 1.6 s


async def test_numpy_works_under_the_memory_limit() -> None:
    source = "import numpy as np\ndef grade(s, i):\n    return np.float64(np.mean([0.5, 1.0]))"
    async with WorkerPool(1) as pool:
        result = await pool.run(source, {}, {})
    assert result.ok and result.value == 0.75


async def test_non_json_input_is_reported() -> None:
    async with WorkerPool(1) as pool:
        result = await pool.run(ECHO, {"output_text": object()}, {})
    assert result.kind == "bad_input"


async def test_close_kills_busy_workers() -> None:
    pool = WorkerPool(1, timeout_s=30)
    task = asyncio.create_task(pool.run("def grade(s, i):\n    while True:\n        pass", {}, {}))
    await asyncio.sleep(0.5)
    await pool.close()
    result = await asyncio.wait_for(task, 5)
    assert result.kind == "crashed"
    with pytest.raises(RuntimeError, match="closed"):
        await pool.run(ECHO, {}, {})


def test_worker_script_has_no_side_effects_on_import() -> None:
    import rubricate.judge.sandbox.worker_main as worker

    assert callable(worker.main)
    assert os.environ.get("RUBRICATE_WORKER") is None
