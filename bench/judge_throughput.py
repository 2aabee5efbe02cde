"""Throughput of the real pipelines against one loopback judge, side by side, in one run.

For each setting (``--settings``, default ``64x0.2,256x0.05``: concurrency x judge latency in
seconds) it starts ``python -m rubricate.testing --latency L`` in its own process (so the
judge's CPU is never counted as the client's) and runs, one after the other against that same
server, each driver in a fresh process:

- ``bare``: the floor of a Python client: ``C`` aiohttp requests in flight, tiny chat bodies,
  nothing else (no SDK, no store, no grading);
- ``bare, rubric bodies``: the same client sending, in turn, the very bodies ``calibrate,
  new`` sent (~14 kB judge prompts, each five times as the repeats are): what this endpoint
  allows a minimal client with rubricate's payload (on a shared machine the judge server's
  own CPU for a large body is part of it); the ``/bodies`` column is each driver's ratio to
  it, the share of the gap that rubricate itself costs;
- ``calibrate, new``: ``rubricate calibrate examples/accordance_tax/rubric.yaml --set
  calibration.jsonl --repeats R`` (the shipped rubric: judge prompts of ~5,000 tokens, 15
  judged sub-graders per grade; ``R = 5``: 1,725 calls), fresh call store: the first run
  against this endpoint, which probes it (its first judge call goes alone, one latency);
- ``calibrate``: the same, again with a fresh store holding only what the first run kept of
  the endpoint (:mod:`rubricate.judge.endpoint` profiles; no call): every call live, no
  probe, as a team's reruns against its judge are;
- ``grade``: ``rubricate grade`` of the same rubric on as many samples (each calibration answer
  in ``R`` variants), fresh store knowing the endpoint as ``calibrate``'s;
- ``serve``: ``rubricate serve`` of the compiled accordance grader (a judged rubric), the same
  samples posted to ``POST /grade`` in batches of 2 pairs (30 judge calls), one batch more in
  flight than fill the server's ``C`` judge slots (the calls beyond ``C`` wait in the server's
  limiter, as a training step's completions do); the server process's CPU is the client CPU;
- promptfoo and Inspect when installed (``bench/peers/``; skipped with a line otherwise).

Before the drivers run, the package's bytecode is compiled (as an installed package has it;
see :func:`_compile_bytecode`). For every driver it prints calls/s, the ratio to the ideal
``C / L`` and to the bare client, and the client's CPU per judge call: the whole process's
CPU time (user + system, python graders' worker processes included) divided by the judge
calls. For ``calibrate`` what follows
the last judge call (the grades table and ``grades.csv``, ``run.json``, statistics, report
files, figures: the work a run does once, whatever its size) is measured and printed
separately, not in the per-call figure, and the per-call CPU is split into start-up (imports,
loading and compiling the rubric, before the first call) and grading. Beside it, the loopback
judge's own CPU per call while that driver ran (``judge ms``), the ``judge cap``: the calls/s
the judge answers at that cost on one core (it is one Python process; its handler threads share
one GIL), and the ``CPU cap``: the calls/s the machine's cores allow client and judge together
(cores x 1000 / (client ms + judge ms)). Both are bounds of CPU alone (the judge's threads
release the GIL in the kernel, so a saturated judge may pass its cap by a few per cent); a
larger body costs the judge CPU too, so a driver sending rubricate's ~14 kB prompts meets a
lower judge cap than the bare client's tiny ones.

Run: ``python bench/judge_throughput.py [--settings 64x0.2,256x0.05] [--repeats 5] [--json]
[--runs N] [--baseline DIR]``.

- ``--runs N``: every driver N times per setting, in rounds; each figure is printed as the
  median of the N with its range (on a machine shared with other work one run's CPU per call
  moves by +-15 %);
- ``--baseline DIR``: ``DIR`` holds an older ``rubricate`` package; each pipeline is run with
  it too, right after, against the same server (before and after in one run); its store is
  seeded with the endpoint too when that version keeps endpoints, and the row says whether;
- ``--quick`` (what tests/test_bench_smoke.py runs): one small setting, one repeat, a subset
  of the answers and no peers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "accordance_tax"
RUBRIC = EXAMPLE / "rubric.yaml"
CALSET = EXAMPLE / "calibration.jsonl"
DRIVERS = ("bare", "calibrate", "grade", "serve")
BODIES = "bare, rubric bodies"
"""The bare client sending the very bodies ``calibrate, new`` sent (~14 kB each)."""


# ---------------------------------------------------------------- child side (one driver)
def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _subset(folder: Path, answers: int | None) -> Path:
    """The calibration set, cut to its first ``answers`` answers (None: all of it)."""
    if answers is None:
        return CALSET
    lines, left = [], answers
    for line in CALSET.read_text(encoding="utf-8").splitlines():
        if left <= 0:
            break
        row = json.loads(line)
        row["answers"] = row["answers"][:left]
        left -= len(row["answers"])
        lines.append(json.dumps(row))
    path = folder / "calibration.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _grade_inputs(folder: Path, calset: Path, variants: int) -> tuple[Path, Path, int]:
    """Items and samples for ``rubricate grade``: every answer of ``calset`` in ``variants``
    variants (a trailing line ``(variant k)``: distinct prompts, so distinct calls)."""
    items, samples = [], []
    for line in calset.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        items.append({"id": row["id"], "messages": row["messages"]})
        for answer in row["answers"]:
            for k in range(variants):
                text = answer["text"] + (f"\n\n(variant {k})" if k else "")
                samples.append({"item_id": row["id"], "output_text": text})
    items_path, samples_path = folder / "items.jsonl", folder / "samples.jsonl"
    items_path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    samples_path.write_text("".join(json.dumps(s) + "\n" for s in samples), encoding="utf-8")
    return items_path, samples_path, len(samples)


def _judged_calls(store: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(str(store))
    try:
        return int(conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0])
    finally:
        conn.close()


def _write_bodies(store: Path, out: Path) -> None:
    """The HTTP body of every call the run at ``store`` made, in the order they were kept,
    one JSON per line (for the ``bare, rubric bodies`` driver): encoded as the client encodes
    them (:func:`rubricate.judge.transport.encoded_body`), for the endpoint as the run left it
    known in the store (its roles and output-limit fields: :meth:`Profile.shape`)."""
    from rubricate.judge import wire
    from rubricate.judge.endpoint import Profile
    from rubricate.judge.store import CallStore, request_from_json
    from rubricate.judge.transport import encoded_body

    with CallStore(store) as calls:
        shapes: dict[str, wire.Shape] = {}
        for base_url, model, memory, saved_at in calls.query(
            "SELECT base_url, model, profile, saved_at FROM endpoints"
        ):
            profile = Profile.for_endpoint(base_url, model)
            profile.recall(json.loads(memory), saved_at)
            shapes[model] = profile.shape()
        lines = []
        for key, mode in calls.query("SELECT key, mode FROM calls ORDER BY created_at"):
            text = calls.request_json(key)
            if text is not None and mode:
                request = request_from_json(text)
                shape = shapes.get(request.model, wire.OPENAI_SHAPE)
                lines.append(encoded_body(request, mode, shape))
    out.write_bytes(b"\n".join(lines) + b"\n")


def _endpoints(store: Path) -> list[list[Any]]:
    """What the run kept of the endpoint in ``store`` (the endpoints table's rows)."""
    import sqlite3

    conn = sqlite3.connect(str(store))
    try:
        return [list(row) for row in conn.execute("SELECT * FROM endpoints")]
    except sqlite3.OperationalError:  # a store of a version that keeps no endpoints
        return []
    finally:
        conn.close()


def _seed_store(store: Path, endpoints: str | None) -> bool:
    """A fresh store that knows the endpoint as an earlier run left it (``--endpoints``: a
    JSON file of endpoints rows): no call kept, so every call is live. False when there is
    nothing to seed or the package's store keeps no endpoints (an older ``--baseline``)."""
    if not endpoints:
        return False
    import sqlite3

    from rubricate.judge.store import CallStore

    CallStore(store).close()
    rows = json.loads(Path(endpoints).read_text(encoding="utf-8"))
    conn = sqlite3.connect(str(store))
    try:
        with conn:
            conn.executemany("INSERT INTO endpoints VALUES (?, ?, ?, ?)", rows)
    except sqlite3.OperationalError:  # no endpoints table: this version probes every run
        return False
    finally:
        conn.close()
    return True


def _run_cli(args: list[str]) -> int:
    """The ``rubricate`` console script on ``args``, in this process (its entry point, with
    what it sets up before it runs a command, e.g. :mod:`rubricate.gcpolicy`)."""
    from rubricate.cli import main

    sys.argv = ["rubricate", *args]
    with contextlib.redirect_stdout(sys.stderr):
        try:
            main()
        except SystemExit as done:
            return done.code if isinstance(done.code, int) else int(done.code is not None)
    return 0


def child_calibrate(opts: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """``rubricate calibrate`` in this process; what follows the last judge call (the grades
    table, ``grades.csv``, ``run.json``, statistics, report files, figures) timed apart."""
    from rubricate.calibration.run import execution

    grading: dict[str, float] = {}

    def after_grading(function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if "wall" not in grading:  # the first step after the last call: grading is over
                grading["wall"] = time.perf_counter()
                grading["cpu_end"] = _cpu_self() + _cpu_children()
            return function(*args, **kwargs)

        return wrapper

    kind = execution.CalibrationKind
    kind.grades = after_grading(kind.grades)  # type: ignore[method-assign]
    original_open = execution.RunWriter.open_streams

    def open_streams(self: Any) -> None:  # grading starts right after the streams open
        grading["start"] = time.perf_counter()
        grading["cpu_start"] = _cpu_self() + _cpu_children()
        original_open(self)

    execution.RunWriter.open_streams = open_streams  # type: ignore[method-assign]
    calset = _subset(folder, opts.answers)
    store = folder / "calls.sqlite"
    known = _seed_store(store, opts.endpoints)
    code = _run_cli(["calibrate", str(RUBRIC), "--set", str(calset), "--repeats",
                     str(opts.repeats), "--base-url", opts.base_url, "--concurrency",
                     str(opts.concurrency), "--store", str(store), "--out",
                     str(folder / "run")])  # fmt: skip
    cpu, end = _cpu_self() + _cpu_children(), time.perf_counter()
    if opts.bodies_out and code == 0:
        _write_bodies(store, Path(opts.bodies_out))
    return {
        "exit": code,
        "endpoint_known": known,
        "calls": _judged_calls(store),
        "wall_s": grading["wall"] - grading["start"],
        "cpu_s": grading["cpu_end"],
        "report_cpu_s": cpu - grading["cpu_end"],
        "startup_cpu_s": grading["cpu_start"],
        "grading_cpu_s": grading["cpu_end"] - grading["cpu_start"],
        "workers_cpu_s": _cpu_children(),
        "report_wall_s": end - grading["wall"],
        "endpoints": _endpoints(store),
    }


def child_grade(opts: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """``rubricate grade`` of the rubric on every answer in ``--repeats`` variants."""
    from rubricate.judge.runtime import Runtime

    calset = _subset(folder, opts.answers)
    items, samples, _ = _grade_inputs(folder, calset, opts.repeats)
    span: dict[str, float] = {}
    original = Runtime.grade_many

    async def grade_many(self: Any, *args: Any, **kwargs: Any) -> Any:
        span["start"] = time.perf_counter()
        try:
            return await original(self, *args, **kwargs)
        finally:
            span["end"] = time.perf_counter()

    Runtime.grade_many = grade_many  # type: ignore[method-assign]
    store = folder / "calls.sqlite"
    known = _seed_store(store, opts.endpoints)
    code = _run_cli(["grade", str(RUBRIC), "--items", str(items), "--samples", str(samples),
                     "--base-url", opts.base_url, "--concurrency", str(opts.concurrency),
                     "--store", str(store), "--out", str(folder / "records.jsonl"),
                     "--max-unscored", "1"])  # fmt: skip
    return {
        "exit": code,
        "endpoint_known": known,
        "calls": _judged_calls(store),
        "wall_s": span["end"] - span["start"],
        "cpu_s": _cpu_self() + _cpu_children(),
    }


def child_bare(opts: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """``--calls`` chat requests, ``--concurrency`` in flight, with aiohttp alone: tiny ones,
    or with ``--bodies FILE`` the exact bodies a calibrate run sent (one JSON per line, in
    turn)."""
    import aiohttp

    bodies = Path(opts.bodies).read_bytes().splitlines() if opts.bodies else []
    headers = {"content-type": "application/json"}

    async def main() -> tuple[float, int]:
        left = list(range(opts.calls))
        done = 0
        url = opts.base_url.rstrip("/") + "/chat/completions"

        async def worker(session: aiohttp.ClientSession) -> None:
            nonlocal done
            while left:
                i = left.pop()
                if bodies:
                    sent = session.post(url, data=bodies[i % len(bodies)], headers=headers)
                else:
                    body = {"model": "gpt-4.1-mini",
                            "messages": [{"role": "user", "content": f"q{i}"}]}  # fmt: skip
                    sent = session.post(url, json=body)
                async with sent as response:
                    await response.read()
                    done += response.status == 200

        connector = aiohttp.TCPConnector(limit=opts.concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            started = time.perf_counter()
            await asyncio.gather(*(worker(session) for _ in range(opts.concurrency)))
            return time.perf_counter() - started, done

    wall, done = asyncio.run(main())
    return {"exit": 0 if done == opts.calls else 1, "calls": done, "wall_s": wall,
            "cpu_s": _cpu_self()}  # fmt: skip


def _proc_cpu(pid: int) -> float:
    """User + system CPU of process ``pid`` and of its waited-for children (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_serve(opts: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """``rubricate serve`` of the compiled accordance grader; ``POST /grade`` batches."""
    import aiohttp

    calset = _subset(folder, opts.answers)
    _, samples_path, _ = _grade_inputs(folder, calset, opts.repeats)
    items = {json.loads(line)["id"]: json.loads(line) for line in calset.open(encoding="utf-8")}
    samples = [json.loads(line) for line in samples_path.open(encoding="utf-8")]
    pairs = [{"item": {"id": s["item_id"], "messages": items[s["item_id"]]["messages"]},
              "output_text": s["output_text"]} for s in samples]  # fmt: skip
    port = _free_port()
    command = [sys.executable, "-m", "rubricate.cli", "serve", str(RUBRIC), "--port", str(port),
               "--store", "none", "--concurrency", str(opts.concurrency), "--retries", "0",
               "--workers", "1", "--base-url", opts.base_url]  # fmt: skip
    proc = subprocess.Popen(command, env=child_env(), stderr=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, cwd=folder)  # fmt: skip
    try:
        _wait_port(port, proc)
        url = f"http://127.0.0.1:{port}/grade"
        per_batch = 2
        batches = [pairs[i : i + per_batch] for i in range(0, len(pairs), per_batch)]
        # one batch more than the server's judge slots hold, so that a slot freed while a
        # batch waits for its slowest call finds a call of the next batch: the server, not
        # this driver, sets the pace (C // 30 batches left 4 of 64 slots idle by construction
        # and every slot of a batch idle between its last answer and the next POST: 0.80 of
        # ideal at 64 x 200 ms, against 0.95 kept busy)
        in_flight = -(-opts.concurrency // (per_batch * 15)) + 1

        async def post_all(todo: list[list[dict]]) -> int:
            queue = list(reversed(todo))
            graded = 0

            async def one(session: aiohttp.ClientSession) -> None:
                nonlocal graded
                while queue:
                    batch = queue.pop()
                    async with session.post(url, json=batch) as response:
                        data = await response.json()
                        assert response.status == 200, data
                    graded += sum(1 for r in data["rewards"] if r is not None)

            timeout = aiohttp.ClientTimeout(total=900)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                await asyncio.gather(*(one(session) for _ in range(in_flight)))
            return graded

        warm = [[{**p, "output_text": p["output_text"] + " (warm-up)"} for p in b]
                for b in batches[:in_flight]]  # fmt: skip
        asyncio.run(post_all(warm))  # the same warm-up as the other drivers' imports
        cpu0, wall0 = _proc_cpu(proc.pid), time.perf_counter()
        graded = asyncio.run(post_all(batches))
        wall, cpu = time.perf_counter() - wall0, _proc_cpu(proc.pid) - cpu0
    finally:
        proc.terminate()
        proc.wait(30)
    return {"exit": 0 if graded == len(pairs) else 1, "calls": len(pairs) * 15, "wall_s": wall,
            "cpu_s": cpu, "pairs": len(pairs)}  # fmt: skip


def _wait_port(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("rubricate serve did not start") from None
            time.sleep(0.1)


CHILDREN = {"bare": child_bare, "calibrate": child_calibrate, "grade": child_grade,
            "serve": child_serve}  # fmt: skip


# ---------------------------------------------------------------- parent side
def _run_child(
    driver: str, opts: argparse.Namespace, base_url: str, calls: int, source: str | None = None,
    endpoints: str | None = None, name: str | None = None, bodies: str | None = None,
    bodies_out: str | None = None,
) -> dict:  # fmt: skip
    """One driver in a fresh process; ``source``: a folder holding another ``rubricate``
    package to run instead of this one (``--baseline``); ``endpoints``: a JSON file of what
    an earlier run kept of the endpoint, put in the driver's fresh store; ``bodies``: the
    request bodies a bare client sends; ``bodies_out``: where calibrate writes the ones it
    sent."""
    command = [sys.executable, __file__, "--child", driver, "--base-url", base_url,
               "--concurrency", str(opts.concurrency), "--repeats", str(opts.repeats),
               "--calls", str(calls)]  # fmt: skip
    if opts.answers is not None:
        command += ["--answers", str(opts.answers)]
    if endpoints:
        command += ["--endpoints", endpoints]
    command += ["--bodies", bodies] if bodies else []
    command += ["--bodies-out", bodies_out] if bodies_out else []
    name = name or driver
    if source:
        name = f"{name} (baseline)"
    judge_before = _proc_cpu(opts.judge_pid) if opts.judge_pid else None
    row = {"driver": name, **run_child(command, source, timeout=1800)}
    if judge_before is not None:  # the judge answers no one else while this driver runs
        row["judge_cpu_s"] = _proc_cpu(opts.judge_pid) - judge_before
    return row


def child_env(source: str | None = None) -> dict[str, str]:
    """A child's environment: no ``OPENAI_*`` / ``AZURE_*`` variable (the loopback judge needs
    no key; none is read or passed on); ``source``: a folder whose ``rubricate`` package the
    child imports first (``--baseline``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_"))}
    if source:
        env["PYTHONPATH"] = os.pathsep.join([source, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def run_child(command: list[str], source: str | None, *, timeout: float) -> dict[str, Any]:
    """Run a child benchmark process; its figures (the JSON of its last line of output), or
    ``{"error": the last line of its stderr}``."""
    done = subprocess.run(command, capture_output=True, text=True, env=child_env(source),
                          timeout=timeout)  # fmt: skip
    if done.returncode != 0 or not done.stdout.strip():
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _peers(opts: argparse.Namespace, base_url: str, calls: int) -> list[dict]:
    sys.path.insert(0, str(ROOT / "bench"))
    from peers import run_peers  # type: ignore[import-not-found]

    return list(run_peers(base_url, opts.concurrency, calls))


def _compile_bytecode(folders: list[Path]) -> None:
    """Compile the packages' bytecode first, as an installed package has it: with
    ``PYTHONDONTWRITEBYTECODE`` set (as on the machines this project is built on) every child
    would otherwise compile rubricate's ~330 modules from source, ~0.12 s of start-up CPU
    that no installed copy pays."""
    import compileall

    for folder in folders:
        compileall.compile_dir(str(folder), quiet=1)


MAX_LATENCY_S = 10.0
"""A judge slower than this is a typo (``64x200`` for 200 ms waited 200 s per call)."""


def baseline_problem(folder: str) -> str | None:
    """Why ``--baseline folder`` cannot be run, or None: it must hold a ``rubricate`` package
    (the folder goes first on the children's PYTHONPATH; a folder that holds none lets every
    "baseline" child import this checkout's package instead, silently)."""
    path = Path(folder)
    if (path / "rubricate" / "__init__.py").is_file():
        return None
    if path.name == "rubricate" and (path / "__init__.py").is_file():
        return (f"--baseline {folder} is the package itself; give the folder that holds it: "
                f"--baseline {path.parent}")  # fmt: skip
    return (f"--baseline {folder} holds no rubricate package (make one with: git archive OLD "
            f"rubricate | tar -x -C {folder})")  # fmt: skip


def _setting(text: str) -> tuple[int, float]:
    """``CONCURRENCYxLATENCY``: the latency in seconds (``64x0.2``, ``64x0.2s``) or in
    milliseconds with ``ms`` (``64x200ms``); :class:`ValueError` says what is wrong."""
    parts = text.strip().lower().split("x")
    usage = f"{text!r}: write CONCURRENCYxLATENCY, e.g. 64x0.2 or 64x200ms"
    if len(parts) != 2:
        raise ValueError(usage)
    latency_text, scale = parts[1], 1.0
    if latency_text.endswith("ms"):
        latency_text, scale = latency_text[:-2], 0.001
    elif latency_text.endswith("s"):
        latency_text = latency_text[:-1]
    try:
        concurrency, latency = int(parts[0]), float(latency_text) * scale
    except ValueError:
        raise ValueError(usage) from None
    if concurrency < 1:
        raise ValueError(f"{text!r}: the concurrency must be at least 1")
    if not 0 <= latency <= MAX_LATENCY_S:
        hint = f"; for milliseconds write {parts[0]}x{parts[1]}ms" if latency > 0 else ""
        raise ValueError(
            f"{text!r}: the latency must be 0-{MAX_LATENCY_S:g} s (this asks for "
            f"{latency:g} s per call{hint})"
        )
    return concurrency, latency


def _start_judge(latency: float) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "rubricate.testing", "--latency", str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    return server, json.loads(server.stdout.readline())["base_url"]


def shared_cpu_ceiling(client_ms: float, judge_ms: float, cpus: int) -> float:
    """The calls/s a machine of ``cpus`` cores allows when the client and the judge share it:
    each call costs ``client_ms + judge_ms`` of CPU (a bound: it assumes no idle core)."""
    return cpus * 1000.0 / (client_ms + judge_ms)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", default="64x0.2,256x0.05",
                        help="CONCURRENCYxLATENCY pairs, comma-separated; the latency in "
                        "seconds (64x0.2) or with ms (64x200ms)")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--answers", type=int, default=None, help="first N answers only")
    parser.add_argument("--drivers", default=",".join(DRIVERS))
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--runs", type=int, default=1,
                        help="rounds of every driver per setting: medians and ranges printed")
    parser.add_argument("--baseline", metavar="DIR",
                        help="also run each pipeline with the rubricate package in DIR "
                        "(git archive OLD rubricate | tar -x -C DIR)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="small and fast (the smoke test)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=64, help=argparse.SUPPRESS)
    parser.add_argument("--calls", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--endpoints", help=argparse.SUPPRESS)
    parser.add_argument("--bodies", help=argparse.SUPPRESS)
    parser.add_argument("--bodies-out", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    opts.judge_pid = None
    if opts.child:
        with tempfile.TemporaryDirectory() as folder:
            figures = CHILDREN[opts.child](opts, Path(folder))
        print(json.dumps(figures))
        return 0
    if opts.quick:
        opts.settings, opts.repeats, opts.answers, opts.no_peers = "16x0.01", 1, 2, True
    try:  # every setting read before any judge starts: a typo costs nothing
        settings = [_setting(text) for text in opts.settings.split(",")]
    except ValueError as bad:
        parser.error(f"--settings {bad}")
    if opts.baseline and (problem := baseline_problem(opts.baseline)):
        parser.error(problem)
    _compile_bytecode([ROOT / "rubricate", *([Path(opts.baseline)] if opts.baseline else [])])
    drivers = [d for d in opts.drivers.split(",") if d]
    load = os.getloadavg()[0]
    results = []
    keep = tempfile.TemporaryDirectory()
    for opts.concurrency, latency in settings:
        server, base_url = _start_judge(latency)
        opts.judge_pid = server.pid
        rounds: list[dict] = []
        try:
            for _ in range(opts.runs):  # each round: every driver once, in the same order
                rows = _round(opts, drivers, base_url, Path(keep.name))
                if not opts.no_peers:
                    rows += _peers(opts, base_url, _calls_of(rows))
                rounds.append(_figures(opts.concurrency, latency, rows))
        finally:
            server.stdin.close()  # type: ignore[union-attr]
            server.wait(timeout=30)
        results.append(_median_of(rounds))
    keep.cleanup()
    if opts.json:
        print(json.dumps({"load_average_1m_before": load, "cpus": os.cpu_count(),
                          "settings": results}, indent=2))  # fmt: skip
    else:
        _print(results, load)
    failed = [r for s in results for r in s["rows"] if r.get("error") or r.get("exit")]
    return 1 if failed else 0


def _calls_of(rows: list[dict]) -> int:
    return next((int(r["calls"]) for r in rows if r.get("calls")), 1725)


def _round(opts: argparse.Namespace, drivers: list[str], base_url: str, keep: Path) -> list[dict]:
    """Every driver once against the judge at ``base_url``, each in a fresh process."""
    rows: list[dict] = []
    calls = 0
    known = None
    bodies = keep / "bodies.jsonl"
    bodies.unlink(missing_ok=True)
    for driver in ["calibrate", *[d for d in drivers if d != "calibrate"]]:
        if driver not in drivers:
            continue
        if driver == "calibrate":  # first a new endpoint, then the same one known
            first = _run_child(driver, opts, base_url, 1725, name="calibrate, new",
                               bodies_out=str(bodies))  # fmt: skip
            calls = int(first.get("calls") or 0)
            rows.append(first)
            endpoints = first.pop("endpoints", None)
            if endpoints:
                known = str(keep / "endpoints.json")
                Path(known).write_text(json.dumps(endpoints), "utf-8")
        row = _run_child(driver, opts, base_url, calls or 1725, endpoints=known)
        calls = calls or int(row.get("calls") or 0)
        row.pop("endpoints", None)
        rows.append(row)
        if driver == "bare" and bodies.exists():  # the same, sending calibrate's own bodies
            rows.append(_run_child(driver, opts, base_url, calls or 1725, bodies=str(bodies),
                                   name=BODIES))  # fmt: skip
        if opts.baseline and driver != "bare":  # seeded too, if its store keeps them
            rows.append(_run_child(driver, opts, base_url, calls, opts.baseline,
                                   endpoints=known))  # fmt: skip
    return rows


SPREAD = ("calls_per_s", "of_ideal", "of_bare", "of_bodies", "cpu_ms_per_call",
          "judge_cpu_ms_per_call", "judge_ceiling_calls_per_s", "cpu_ceiling_calls_per_s")
"""Figures reported as the median of ``--runs`` rounds, with their lowest and highest."""
CPU_PARTS = ("startup_cpu_s", "grading_cpu_s", "report_cpu_s")
"""calibrate's CPU seconds before the first call, while grading, and after the last call."""


def _median_of(rounds: list[dict]) -> dict:
    """One setting's figures over its rounds: each driver's median (and range) per figure."""
    if len(rounds) == 1:
        return rounds[0]
    merged = dict(rounds[0], rows=[])
    for first in rounds[0]["rows"]:
        same = [r for one in rounds for r in one["rows"] if r["driver"] == first["driver"]]
        measured = [r for r in same if "calls_per_s" in r]
        if len(measured) < len(same):  # a failed or skipped round: show that, not a median
            merged["rows"].append(next(r for r in same if "calls_per_s" not in r))
            continue
        row = dict(first, runs=len(measured))
        for key in SPREAD + CPU_PARTS:
            values = [r[key] for r in measured if r.get(key) is not None]
            if len(values) == len(measured):
                row[key] = round(statistics.median(values), 3)
                if key in SPREAD:
                    row[f"{key}_range"] = [min(values), max(values)]
        merged["rows"].append(row)
    return merged


def _rate_of(rows: list[dict], driver: str) -> float | None:
    row = next((r for r in rows if r["driver"] == driver and r.get("calls")), None)
    return row["calls"] / row["wall_s"] if row and "wall_s" in row else None


def _figures(concurrency: int, latency: float, rows: list[dict]) -> dict:
    ideal = concurrency / latency
    bare_rate, bodies_rate = (_rate_of(rows, name) for name in ("bare", BODIES))
    for row in rows:
        if "wall_s" not in row or not row.get("calls"):
            continue
        rate = row["calls"] / row["wall_s"]
        row["calls_per_s"] = round(rate, 1)
        row["of_ideal"] = round(rate / ideal, 3)
        row["of_bare"] = round(rate / bare_rate, 3) if bare_rate else None
        row["of_bodies"] = round(rate / bodies_rate, 3) if bodies_rate else None
        row["cpu_ms_per_call"] = round(row["cpu_s"] / row["calls"] * 1000, 3)
        if "judge_cpu_s" in row:
            judge_ms = row["judge_cpu_s"] / row["calls"] * 1000
            client_s = row.get("grading_cpu_s", row["cpu_s"])  # CPU while calls are made
            row["judge_cpu_ms_per_call"] = round(judge_ms, 3)
            row["cpu_ceiling_calls_per_s"] = round(shared_cpu_ceiling(
                client_s / row["calls"] * 1000, judge_ms, os.cpu_count() or 1), 1)
            row["judge_ceiling_calls_per_s"] = round(1000.0 / judge_ms, 1) if judge_ms else None
        for key in CPU_PARTS:
            if key in row:
                row[key] = round(row[key], 2)
    return {"concurrency": concurrency, "latency_s": latency, "ideal_calls_per_s": ideal,
            "rows": rows}  # fmt: skip


def _print(results: list[dict], load: float) -> None:
    print(f"1-minute load average before the bench: {load:.2f} on {os.cpu_count()} CPUs "
          "(other work on the machine lowers every ratio)")  # fmt: skip
    for setting in results:
        c, lat, ideal = setting["concurrency"], setting["latency_s"], setting["ideal_calls_per_s"]
        print(f"\n{c} in flight x {lat * 1000:g} ms judge: ideal {ideal:,.0f} calls/s")
        print(f"{'driver':22} {'calls':>6} {'calls/s':>9} {'/ideal':>7} {'/bare':>6} "
              f"{'/bodies':>7} {'CPU ms/call':>12} {'judge ms':>8} {'judge cap':>9} "
              f"{'CPU cap':>8}  notes")  # fmt: skip
        for r in setting["rows"]:
            if "calls_per_s" not in r:
                print(f"{r['driver']:22} {'-':>6}  {r.get('error') or r.get('skipped')}")
                continue
            note = "endpoint known (no probe); " if r.get("endpoint_known") else ""
            if r.get("runs", 1) > 1:
                low, high = r["of_ideal_range"]
                cpu_low, cpu_high = r["cpu_ms_per_call_range"]
                note += (f"median of {r['runs']} runs (/ideal {low}-{high}, CPU "
                         f"{cpu_low}-{cpu_high} ms/call); ")  # fmt: skip
            if "report_cpu_s" in r:
                note += (f"start-up {r['startup_cpu_s']:.2f} s + grading "
                        f"{r['grading_cpu_s']:.2f} s CPU; tables and report "
                        f"{r['report_cpu_s']:.2f} s (not in ms/call)")  # fmt: skip
            print(f"{r['driver']:22} {r['calls']:>6} {r['calls_per_s']:>9} {r['of_ideal']:>7} "
                  f"{_or_dash(r['of_bare']):>6} {_or_dash(r.get('of_bodies')):>7} "
                  f"{r['cpu_ms_per_call']:>12} {_or_dash(r.get('judge_cpu_ms_per_call')):>8} "
                  f"{_or_dash(r.get('judge_ceiling_calls_per_s')):>9} "
                  f"{_or_dash(r.get('cpu_ceiling_calls_per_s')):>8}  {note}")  # fmt: skip
    print("\n/bare: of the bare client's calls/s (tiny bodies); /bodies: of the bare client "
          f"sending calibrate's own bodies ({BODIES!r}): the same payload, no rubricate; "
          "judge ms: the loopback judge's CPU per call while this driver ran; judge cap: the "
          "calls/s the judge answers at that cost with one core (one Python process: its "
          f"threads share one GIL); CPU cap: the calls/s {os.cpu_count()} cores allow client and "
          "judge together, at the client's CPU per call while calling (calibrate: grading, "
          "start-up left out) plus the judge's")


def _or_dash(value: float | None) -> str:
    return "-" if value is None else str(value)


if __name__ == "__main__":
    sys.exit(main())
