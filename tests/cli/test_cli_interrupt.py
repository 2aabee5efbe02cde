"""Ctrl-C (SIGINT) on a real ``rubricate calibrate`` process: exit 130, what was paid is kept.

130 is the shell's code for a process ended by SIGINT (128 + 2); 2 is rubricate's usage-error
code and must not be reused for it. The store keeps every answer received before the signal,
so the rerun replays them instead of paying again, and stderr says so.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "accordance_tax"
K = 5


def _stored(path: Path) -> int:
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.subprocess
def test_sigint_exits_130_and_keeps_what_was_paid(fake_openai_env, tmp_path: Path) -> None:
    fake = fake_openai_env
    fake.answer_limit = K
    store = tmp_path / "calls.sqlite"
    command = [
        sys.executable, "-m", "rubricate.cli", "calibrate", str(EXAMPLE / "rubric.yaml"),
        "--set", str(EXAMPLE / "calibration.jsonl"), "--out", str(tmp_path / "run"),
        "--repeats", "1", "--no-figures", "--store", str(store), "--json",
    ]  # fmt: skip
    # SIGINT as a terminal's Ctrl-C delivers it: a test run started in the background by a
    # non-interactive shell (`pytest &`) inherits SIGINT *ignored*, and so would the child
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ), preexec_fn=_default_sigint)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while _stored(store) < K:
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the child never stored K answers"
            time.sleep(0.02)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:  # a child that did not stop must not outlive the test
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith("rubricate: interrupted"), err
    assert f"{K} paid model calls are kept" in lines[-1] and "rerun" in lines[-1], err
    assert _stored(store) == K
    conn = sqlite3.connect(store)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
    fake.answer_limit = None
    fake.drop_blocked()
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    usage = json.loads(rerun.stdout)["usage"]
    assert usage["cached"] == K  # what the interrupted run paid for is replayed, not paid again
