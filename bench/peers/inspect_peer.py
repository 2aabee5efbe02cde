"""Inspect AI's ``model_graded_qa`` on the loopback judge: one judge call per sample.

The solver sets a fixed answer (no generation call), so every call the judge sees is a
grading; ``max_connections`` sets the calls in flight. Needs ``inspect_ai`` importable. Docs:
Inspect "Scorers" (``model_graded_qa``) and "Models" (``openai/...`` with
``model_base_url``).
"""

from __future__ import annotations

import importlib.util
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

NAME = "inspect"

TASK = textwrap.dedent(
    """
    from inspect_ai import Task, task
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ModelOutput
    from inspect_ai.scorer import model_graded_qa
    from inspect_ai.solver import solver

    @solver
    def fixed():
        async def solve(state, generate):
            state.output = ModelOutput.from_content("openai/gpt-4.1-mini", "per share per day")
            return state
        return solve

    @task
    def bench():
        samples = [Sample(input=f"question {i}", target="per share per day")
                   for i in range({calls})]
        return Task(dataset=samples, solver=fixed(), scorer=model_graded_qa())
    """
)


def run(base_url: str, concurrency: int, calls: int) -> dict:
    if importlib.util.find_spec("inspect_ai") is None:
        return {"driver": NAME, "skipped": "not installed (pip install inspect-ai)"}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench_task.py"
        path.write_text(TASK.replace("{calls}", str(calls)), encoding="utf-8")
        command = [sys.executable, "-m", "inspect_ai", "eval", str(path),
                   "--model", "openai/gpt-4.1-mini", "--model-base-url", base_url,
                   "--max-connections", str(concurrency), "--no-log-samples",
                   "--log-dir", str(Path(folder) / "logs"), "--display", "none"]  # fmt: skip
        env = {"OPENAI_API_KEY": "sk-loopback", "PATH": "/usr/bin:/bin"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                              timeout=3600)  # fmt: skip
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        return {"driver": NAME, "error": (done.stderr.strip().splitlines() or ["?"])[-1][:200]}
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"driver": NAME, "calls": calls, "wall_s": wall, "cpu_s": cpu,
            "note": "wall includes start-up"}  # fmt: skip
