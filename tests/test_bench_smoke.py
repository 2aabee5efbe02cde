"""Every benchmark under bench/ still runs, in a quick mode (small sizes; no figure is judged
here: the benchmarks print ratios measured side by side, and timed assertions do not belong
in tests)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
QUICK = {
    "adaptive_repeats.py": ["--items", "3", "--target-ci", "0.3"],
    "grade_throughput.py": ["--samples", "40", "--cold-samples", "8", "--workers", "1"],
    "judge_throughput.py": ["--quick"],
    "pipeline_cpu.py": ["--quick"],
    "serve_throughput.py": ["--pairs", "200", "--model-pairs", "40", "--batch", "16",
                            "--clients", "2", "--latency", "0.01"],
    "stats_scale.py": ["--units", "200", "--raters", "8", "--repeats", "1"],
}  # fmt: skip


def _judge_throughput() -> Any:
    """bench/judge_throughput.py as a module (its pure helpers)."""
    sys.path.insert(0, str(BENCH))
    try:
        import judge_throughput  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(BENCH))
    return judge_throughput


def test_every_benchmark_has_a_quick_mode() -> None:
    assert sorted(p.name for p in BENCH.glob("*.py")) == sorted(QUICK)


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.parametrize("script", sorted(QUICK))
def test_benchmark_runs(script: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(BENCH / script), *QUICK[script]], cwd=tmp_path,
                          capture_output=True, text=True, timeout=280)  # fmt: skip
    # stats_scale exits 1 when a speed target is missed: a figure, not a failure of the script
    assert done.returncode in ((0, 1) if script == "stats_scale.py" else (0,)), done.stderr[-2000:]
    assert done.stdout.strip(), "the benchmark printed nothing"
    assert "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.subprocess
def test_judge_throughput_rounds_give_medians_and_ranges(tmp_path: Path) -> None:
    """``--runs N``: each driver N times, its figures the median of the N with their range."""
    done = subprocess.run(
        [sys.executable, str(BENCH / "judge_throughput.py"), "--quick", "--runs", "3",
         "--drivers", "bare", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (row,) = json.loads(done.stdout)["settings"][0]["rows"]
    assert row["driver"] == "bare" and row["runs"] == 3
    for figure in ("calls_per_s", "of_ideal", "cpu_ms_per_call", "judge_cpu_ms_per_call"):
        low, high = row[f"{figure}_range"]
        assert low <= row[figure] <= high


def test_the_cpu_cap_is_what_the_cores_allow_client_and_judge_together() -> None:
    """0.5 ms of client CPU and 0.5 ms of the judge's per call: two cores answer 2,000 calls/s,
    one core 1,000; a judge twice as costly for a larger body lowers the cap (4/3 as many ms)."""
    ceiling = _judge_throughput().shared_cpu_ceiling
    assert ceiling(0.5, 0.5, 2) == 2000.0
    assert ceiling(0.5, 0.5, 1) == 1000.0
    assert ceiling(0.5, 1.0, 2) == pytest.approx(2000.0 * 1.0 / 1.5)


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("setting", "words"),
    [("64x200", "200 s per call; for milliseconds write 64x200ms"),
     ("64", "CONCURRENCYxLATENCY"), ("0x0.2", "the concurrency must be at least 1"),
     ("64x-1", "the latency must be 0-10 s"), ("64xfast", "CONCURRENCYxLATENCY")],
)  # fmt: skip
def test_judge_throughput_refuses_a_setting_it_cannot_mean(
    setting: str, words: str, tmp_path: Path
) -> None:
    """``--settings 64x200`` once waited 200 s per judge call without a word (the latency is
    in seconds); a setting the bench cannot mean stops it at once, exit 2, saying why."""
    done = subprocess.run(
        [sys.executable, str(BENCH / "judge_throughput.py"), "--settings", setting],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert words in done.stderr and setting in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("script", ["judge_throughput.py", "pipeline_cpu.py"])
def test_a_baseline_folder_without_the_package_in_it_stops_the_bench(
    script: str, tmp_path: Path
) -> None:
    """``--baseline DIR/rubricate`` (the package, not the folder holding it) put a folder on
    PYTHONPATH that holds no ``rubricate``: every "baseline" row ran this checkout's package,
    and a day's side-by-side comparisons compared the code with itself without a word. The
    bench now stops at once, exit 2, naming the folder to give."""
    package = tmp_path / "old" / "rubricate"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--baseline", str(package)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"--baseline {tmp_path / 'old'}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("text", "parsed"), [("64x0.2", (64, 0.2)), ("256X50ms", (256, 0.05)),
                                              ("16x0.01s", (16, 0.01))])  # fmt: skip
def test_judge_throughput_reads_latency_in_seconds_or_ms(
    text: str, parsed: tuple[int, float]
) -> None:
    judge_throughput = _judge_throughput()
    assert judge_throughput._setting(text) == parsed


@pytest.mark.slow
@pytest.mark.subprocess
def test_judge_throughput_bare_client_sends_calibrates_own_bodies(tmp_path: Path) -> None:
    """The ``bare, rubric bodies`` row: the bare client sending the bodies calibrate sent (the
    same payload, no rubricate), as many calls; each driver's ratio to it is ``of_bodies``."""
    done = subprocess.run(
        [sys.executable, str(BENCH / "judge_throughput.py"), "--quick", "--drivers",
         "bare,calibrate", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {r["driver"]: r for r in json.loads(done.stdout)["settings"][0]["rows"]}
    assert set(rows) == {"calibrate, new", "calibrate", "bare", "bare, rubric bodies"}
    bodies = rows["bare, rubric bodies"]
    assert bodies["calls"] == rows["calibrate"]["calls"] > 0 and bodies["exit"] == 0
    assert bodies["of_bodies"] == 1.0
    assert rows["calibrate"]["of_bodies"] == pytest.approx(
        rows["calibrate"]["calls_per_s"] / bodies["calls_per_s"], abs=0.002
    )


def test_judge_throughput_writes_the_bodies_calibrate_sent(tmp_path: Path) -> None:
    """What the bare client sends is built from the call store as rubricate sends it: the
    request kept (content-addressed) and the mode it was sent in."""
    judge_throughput = _judge_throughput()
    from rubricate.judge import wire
    from rubricate.judge.calls import ModelReply, ModelRequest
    from rubricate.judge.endpoint import Profile
    from rubricate.judge.store import CallStore, Op

    request = ModelRequest(
        model="o4-mini", max_completion_tokens=64,
        messages=({"role": "developer", "content": "be strict"},
                  {"role": "user", "content": "grade é"}),
    )  # fmt: skip
    local = Profile.for_endpoint("http://127.0.0.1:8000/v1", "o4-mini")  # system, both fields
    with CallStore(tmp_path / "calls.sqlite") as store:
        for repeat in (0, 1):
            store.put(request.key(repeat), request, ModelReply(text="{}"), mode="json_schema")
        store.apply([Op("endpoint", local.base_url, model="o4-mini",
                        profile=json.dumps(local.memory()))])  # fmt: skip
    judge_throughput._write_bodies(tmp_path / "calls.sqlite", tmp_path / "bodies.jsonl")
    lines = (tmp_path / "bodies.jsonl").read_text(encoding="utf-8").splitlines()
    sent = wire.build_body(request, "json_schema", local.shape())
    assert sent["messages"][0]["role"] == "system" and "max_tokens" in sent
    assert [json.loads(line) for line in lines] == [sent] * 2


@pytest.mark.slow
@pytest.mark.subprocess
def test_pipeline_cpu_answers_every_call_in_process(tmp_path: Path) -> None:
    """The in-process judge answers every call of the quick calibrate (2 answers x 1 repeat x
    15 judged criteria), nothing goes over the network, and the package measured is this
    checkout's."""
    done = subprocess.run(
        [sys.executable, str(BENCH / "pipeline_cpu.py"), "--quick", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (row,) = json.loads(done.stdout)["rows"]
    assert row["calls"] == 30
    assert Path(row["package"]) == BENCH.parent / "rubricate"
    assert 0 < row["main_ms_per_call"] <= row["own_ms_per_call"]
    assert row["judge_ms_per_call"] > 0


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_pipeline_cpu_counts_instructions_per_call(tmp_path: Path) -> None:
    """``--instructions --quick``: two runs under Cachegrind (1 and 2 answers: 15 and 30
    calls), each stopped after grading; the difference per call is positive and smaller than
    what one run does once (start-up), and the package counted is this checkout's."""
    done = subprocess.run(
        [sys.executable, str(BENCH / "pipeline_cpu.py"), "--instructions", "--quick", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (row,) = json.loads(done.stdout)["rows"]
    assert row["calls"] == [15, 30]
    assert Path(row["package"]) == BENCH.parent / "rubricate"
    assert 0 < row["instructions_per_call"] < row["once"]
    assert row["instructions"][1] > row["instructions"][0]
