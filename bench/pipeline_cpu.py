"""rubricate's own CPU per judge call, without HTTP: ``calibrate`` against an in-process judge.

``bench/judge_throughput.py`` measures the real pipelines over HTTP; on a shared 2-core machine
its CPU per call moves by +-15 % from run to run, because most of a call's CPU is aiohttp, the
event loop and the kernel's socket work, which move with the host. A change to rubricate's own
code of a few per cent is lost in that. This benchmark takes HTTP out: ``rubricate calibrate``
of the shipped accordance rubric runs as the console script runs it (``rubricate.cli.main``, in
a fresh process per run), with the direct lane's POST (:class:`rubricate.judge.direct.DirectLane`)
answered in-process by the loopback judge's own answering logic
(:meth:`rubricate.testing.FakeOpenAI.answer`, the same verdicts and reply bodies as over HTTP,
no latency). The fake judge's CPU is measured and subtracted. What is left is rubricate's own
work per call: rendering, keys, claims and commits (the call store's writer thread included),
the limiter, reading the reply, accounting, the graders, the records.

Printed per version (this checkout; with ``--baseline DIR`` an older ``rubricate`` package too,
run alternately in the same rounds), the median of ``--runs`` runs with its range:

- ``own ms/call``: the process's CPU from the first call to the last (every thread), the fake
  judge's taken out, per judge call; of which ``main thread`` (the event loop);
- start-up (imports, loading and compiling the rubric) and the tables and report after the last
  call, in seconds, not per call.

With ``--instructions`` it counts instead of timing: each version runs twice under Cachegrind
(``valgrind --tool=cachegrind``; 4 and 12 answers, 2 repeats: 120 and 360 judge calls), each
child stopped right after grading, and the difference of the two runs' instructions over the
difference of their calls is the instructions per judge call (every thread; the in-process
judge's included; what a run does once cancels out). Repeatable to ~1 %, where CPU time moves
by +-8 %, so a change of a few per cent shows; it does not count the kernel's work (writes,
sockets) and weighs an instruction alike whatever it costs.

Run: ``python bench/pipeline_cpu.py [--runs 5] [--repeats 5] [--baseline DIR] [--json]``;
``--instructions [--baseline DIR]`` (~1 minute per version); ``--quick``
(tests/test_bench_smoke.py): one run, one repeat, two answers. ``DIR`` holds the older
``rubricate`` package (``git archive OLD rubricate | tar -x -C DIR``), not the package itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import judge_throughput as shared  # the sibling benchmark's helpers (same folder)

ROOT = shared.ROOT
BASE_URL = "http://127.0.0.1:9/v1"
"""Never connected to: every POST is answered in-process."""


def child(opts: argparse.Namespace) -> dict[str, Any]:
    """One ``calibrate`` in this process, the lane answered by the fake judge; the figures."""
    from rubricate.calibration.run import execution
    from rubricate.judge import direct
    from rubricate.testing import FakeOpenAI
    from rubricate.testing.messages import FakeRequest

    fake = FakeOpenAI()  # not started: only its answering logic is used
    judge = {"cpu": 0.0, "calls": 0}

    async def post(self: Any, path: str, body: bytes, headers: Any, timeout: float) -> Any:
        await asyncio.sleep(0)  # an answer comes back on a later turn of the loop, as over HTTP
        started = time.thread_time()
        request = FakeRequest(method="POST", path="/v1" + path, headers={},
                              body=json.loads(body), raw=body)  # fmt: skip
        answer = fake.answer("/v1" + path, request, live=True)
        reply = direct.DirectReply(answer.status, {}, json.dumps(answer.body).encode())
        judge["cpu"] += time.thread_time() - started
        judge["calls"] += 1
        return reply

    direct.DirectLane.post = post  # type: ignore[method-assign]
    marks: dict[str, float] = {}
    open_streams = execution.RunWriter.open_streams
    grades = execution.CalibrationKind.grades

    def opened(self: Any) -> None:  # grading starts right after the streams open
        marks.update(process=time.process_time(), main=time.thread_time())
        judge["cpu"] = 0.0
        open_streams(self)

    def graded(*args: Any, **kwargs: Any) -> Any:  # the first step after the last call
        if "process_end" not in marks:
            marks.update(process_end=time.process_time(), main_end=time.thread_time())
        if opts.stop_after_grading:  # --instructions: the tables and report are not counted
            import rubricate

            package = str(Path(rubricate.__file__).parent)
            out = sys.__stdout__  # _run_cli sends the command's own output to stderr
            assert out is not None
            out.write(json.dumps({"exit": 0, "package": package, "calls": judge["calls"]}) + "\n")
            out.flush()
            os._exit(0)
        return grades(*args, **kwargs)

    execution.RunWriter.open_streams = opened  # type: ignore[method-assign]
    execution.CalibrationKind.grades = graded  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as folder:
        calset = shared._subset(Path(folder), opts.answers)
        code = shared._run_cli(["calibrate", str(shared.RUBRIC), "--set", str(calset),
                                "--repeats", str(opts.repeats), "--base-url", BASE_URL,
                                "--concurrency", "64", "--store", str(Path(folder) / "s.sqlite"),
                                "--out", str(Path(folder) / "run")])  # fmt: skip
    end = time.process_time()
    calls = judge["calls"]
    own = marks["process_end"] - marks["process"] - judge["cpu"]
    main = marks["main_end"] - marks["main"] - judge["cpu"]
    import rubricate

    return {
        "exit": code,
        "package": str(Path(rubricate.__file__).parent),
        "calls": calls,
        "own_ms_per_call": own / calls * 1000,
        "main_ms_per_call": main / calls * 1000,
        "judge_ms_per_call": judge["cpu"] / calls * 1000,
        "startup_s": marks["process"],
        "report_s": end - marks["process_end"],
    }


FIGURES = ("own_ms_per_call", "main_ms_per_call", "judge_ms_per_call", "startup_s", "report_s")


def _run(opts: argparse.Namespace, source: str | None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", "--repeats", str(opts.repeats)]
    if opts.answers is not None:
        command += ["--answers", str(opts.answers)]
    figures = shared.run_child(command, source, timeout=900)
    if "error" not in figures and figures["exit"] != 0:
        return {"error": f"calibrate exited {figures['exit']}"}
    return figures


INSTRUCTION_SIZES = {"full": (4, 12, 2), "quick": (1, 2, 1)}
"""``--instructions``: (answers in the smaller run, answers in the larger, repeats)."""

_I_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def _instructions(source: str | None, answers: int, repeats: int) -> dict[str, Any]:
    """One child under Cachegrind, stopped right after grading: its calls and the instructions
    the whole process executed (every thread; the in-process judge's included)."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "cachegrind.log"  # valgrind's summary, apart from the child's
        command = ["valgrind", "--tool=cachegrind", "--cache-sim=no",
                   "--cachegrind-out-file=/dev/null", f"--log-file={log}", sys.executable,
                   __file__, "--child", "--stop-after-grading", "--repeats", str(repeats),
                   "--answers", str(answers)]  # fmt: skip
        figures = shared.run_child(command, source, timeout=1800)
        found = _I_REFS.search(log.read_text(encoding="utf-8")) if log.exists() else None
    if "error" in figures:
        return figures
    if found is None:
        return {"error": f"no instruction count in valgrind's output ({log.name})"}
    figures["instructions"] = int(found[1].replace(",", ""))
    return figures


def instruction_rows(opts: argparse.Namespace, versions: dict[str, str | None]) -> list[dict]:
    """Per version, the instructions per judge call: two runs of different sizes under
    Cachegrind, the difference of their instructions over the difference of their calls (what
    is done once, start-up and loading the rubric, cancels out)."""
    small, large, repeats = INSTRUCTION_SIZES["quick" if opts.quick else "full"]
    rows = []
    for name, source in versions.items():
        runs = [_instructions(source, answers, repeats) for answers in (small, large)]
        failed = [r for r in runs if "error" in r]
        if failed:
            rows.append({"version": name, "error": failed[0]["error"]})
            continue
        calls = runs[1]["calls"] - runs[0]["calls"]
        per_call = (runs[1]["instructions"] - runs[0]["instructions"]) / calls
        once = runs[0]["instructions"] - per_call * runs[0]["calls"]
        rows.append({"version": name, "package": runs[0]["package"],
                     "calls": [r["calls"] for r in runs],
                     "instructions": [r["instructions"] for r in runs],
                     "instructions_per_call": round(per_call), "once": round(once)})  # fmt: skip
    return rows


def _print_instructions(rows: list[dict]) -> None:
    print(f"{'version':14} {'calls':>11} {'instructions per call':>22} {'once (start-up)':>16}")
    for r in rows:
        if "error" in r:
            print(f"{r['version']:14} {'-':>11}  {r['error']}")
            continue
        calls = "/".join(str(c) for c in r["calls"])
        print(f"{r['version']:14} {calls:>11} {r['instructions_per_call']:>22,} "
              f"{r['once']:>16,}")  # fmt: skip
    _print_ratio(rows, "instructions_per_call", "instructions per call", 3)
    print("\ninstructions per call: the difference between two runs of different sizes under "
          "Cachegrind, every thread, the in-process judge's included (the same code in both "
          "versions unless rubricate.testing changed); deterministic to within ~1 %, where "
          "CPU time moves by +-8 %")


def _summary(name: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    failed = [r for r in runs if "error" in r]
    if failed:
        return {"version": name, "error": failed[0]["error"]}
    row: dict[str, Any] = {"version": name, "package": runs[0]["package"], "runs": len(runs),
                           "calls": runs[0]["calls"]}  # fmt: skip
    for key in FIGURES:
        values = [r[key] for r in runs]
        row[key] = round(statistics.median(values), 3)
        row[f"{key}_range"] = [round(min(values), 3), round(max(values), 3)]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per version: medians, ranges")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--answers", type=int, default=None, help="first N answers only")
    parser.add_argument("--baseline", metavar="DIR",
                        help="also run the rubricate package in DIR, alternately "
                        "(git archive OLD rubricate | tar -x -C DIR)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="small and fast (the smoke test)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions per call under Cachegrind (valgrind) instead "
                        "of timing CPU: deterministic, ~60x slower")  # fmt: skip
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stop-after-grading", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        print(json.dumps(child(opts)))
        return 0
    if opts.quick:
        opts.runs, opts.repeats, opts.answers = 1, 1, 2
    if opts.runs < 1:
        parser.error("--runs must be at least 1")
    if opts.baseline and (problem := shared.baseline_problem(opts.baseline)):
        parser.error(problem)
    if opts.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind on PATH (Debian: apt-get install valgrind)")
    packages = [ROOT / "rubricate", *([Path(opts.baseline)] if opts.baseline else [])]
    shared._compile_bytecode(packages)
    versions = {"this checkout": None, **({"baseline": opts.baseline} if opts.baseline else {})}
    if opts.instructions:
        found = instruction_rows(opts, versions)
        if opts.json:
            print(json.dumps({"rows": found}, indent=2))
        else:
            _print_instructions(found)
        return 1 if any("error" in r for r in found) else 0
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in versions}
    load = os.getloadavg()[0]
    for _ in range(opts.runs):  # alternately, so that the host's drift touches both alike
        for name, source in versions.items():
            runs[name].append(_run(opts, source))
    rows = [_summary(name, found) for name, found in runs.items()]
    if opts.json:
        print(json.dumps({"load_average_1m_before": load, "rows": rows}, indent=2))
    else:
        _print(rows, load)
    return 1 if any("error" in r for r in rows) else 0


def _print(rows: list[dict[str, Any]], load: float) -> None:
    print(f"1-minute load average before the bench: {load:.2f} on {os.cpu_count()} CPUs")
    print(f"{'version':14} {'calls':>6} {'own ms/call':>18} {'main thread':>18} "
          f"{'judge (out)':>12} {'start-up s':>11} {'report s':>9}")  # fmt: skip
    for r in rows:
        if "error" in r:
            print(f"{r['version']:14} {'-':>6}  {r['error']}")
            continue
        print(f"{r['version']:14} {r['calls']:>6} {_spread(r, 'own_ms_per_call'):>18} "
              f"{_spread(r, 'main_ms_per_call'):>18} {r['judge_ms_per_call']:>12.3f} "
              f"{r['startup_s']:>11.2f} {r['report_s']:>9.2f}")  # fmt: skip
    _print_ratio(rows, "own_ms_per_call", "own CPU per call", 2)
    print("\nown: rubricate's CPU per judge call from the first call to the last, every thread "
          "(the call store's writer too), the in-process judge's CPU taken out; start-up and "
          "the report are once per run, not per call")


def _print_ratio(rows: list[dict[str, Any]], key: str, what: str, digits: int) -> None:
    """With a baseline row beside this checkout's, both measured: baseline / this, of ``key``."""
    if len(rows) == 2 and all("error" not in r for r in rows):
        ratio = rows[1][key] / rows[0][key]
        print(f"\nbaseline / this checkout, {what}: {ratio:.{digits}f}x")


def _spread(row: dict[str, Any], key: str) -> str:
    low, high = row[f"{key}_range"]
    return f"{row[key]:.3f} ({low:.3f}-{high:.3f})" if row["runs"] > 1 else f"{row[key]:.3f}"


if __name__ == "__main__":
    sys.exit(main())
