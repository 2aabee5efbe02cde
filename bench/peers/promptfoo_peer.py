"""promptfoo's ``llm-rubric`` on the loopback judge: one judge call per test.

The generation is promptfoo's ``echo`` provider (no call), so every call the judge sees is a
rubric grading; ``-j`` sets the calls in flight. Needs ``promptfoo`` on PATH (``npm i -g
promptfoo``). Docs: promptfoo "Model-graded metrics" (llm-rubric, ``defaultTest.options.
provider``) and "OpenAI provider" (``apiBaseUrl``).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

NAME = "promptfoo"


def run(base_url: str, concurrency: int, calls: int) -> dict:
    exe = shutil.which("promptfoo")
    if exe is None:
        return {"driver": NAME, "skipped": "not installed (npm i -g promptfoo)"}
    with tempfile.TemporaryDirectory() as folder:
        config = {
            "prompts": ["Answer {{i}}: the S corporation allocates income per share per day."],
            "providers": ["echo"],
            "defaultTest": {
                "options": {
                    "provider": {
                        "id": "openai:chat:gpt-4.1-mini",
                        "config": {"apiBaseUrl": base_url, "apiKey": "sk-loopback"},
                    }
                },
                "assert": [{"type": "llm-rubric", "value": "States the allocation per day."}],
            },
            "tests": [{"vars": {"i": i}} for i in range(calls)],
        }
        path = Path(folder) / "promptfooconfig.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        env = {**os.environ, "PROMPTFOO_DISABLE_TELEMETRY": "1", "PROMPTFOO_CACHE_ENABLED": "false"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([exe, "eval", "-c", str(path), "-j", str(concurrency),
                               "--no-cache", "--no-progress-bar", "-o",
                               str(Path(folder) / "out.json")],
                              cwd=folder, env=env, capture_output=True, text=True,
                              timeout=3600)  # fmt: skip
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 100):  # 100: some assertions failed, which is fine here
        return {"driver": NAME, "error": (done.stderr.strip().splitlines() or ["?"])[-1][:200]}
    return {"driver": NAME, "calls": calls, "wall_s": wall, "cpu_s": cpu,
            "note": "wall includes node start-up"}  # fmt: skip
