"""``python -m rubricate.testing`` in its own process (issue 14, finding 9): started in the
background (stdin closed) it kept nothing running and said nothing; it had no fine-tuning
routes, so the README's ``jobs`` step could not be tried offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rubricate.cli import run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _start(*args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "rubricate.testing", *args],
        stdin=subprocess.DEVNULL,  # as under `&` in a script: stdin is closed at once
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    return process, json.loads(first)["base_url"] if first else ""


def test_a_closed_stdin_stops_it_and_says_so() -> None:
    process, _ = _start()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "stdin closed: stopping (--until-killed serves until killed)" in err


def test_help_documents_how_it_stops() -> None:
    done = subprocess.run([sys.executable, "-m", "rubricate.testing", "--help"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "--until-killed" in done.stdout and "stdin" in done.stdout


def test_until_killed_serves_the_readme_jobs_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    process, base_url = _start("--until-killed")
    try:
        assert base_url.startswith("http://127.0.0.1:")
        assert process.poll() is None  # stdin is closed, and it still serves
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback-not-a-key")
        monkeypatch.chdir(tmp_path)
        folder = EXAMPLES / "accordance_tax"
        assert run(["export", "rft", str(folder / "rubric.yaml"), "--train",
                    str(folder / "train.jsonl"), "--valid", str(folder / "valid.jsonl"),
                    "--model", "o4-mini-2025-04-16", "--out", "out/rft"]) == 0  # fmt: skip
        capsys.readouterr()
        assert run(["jobs", "submit", "out/rft", "--json"]) == 0
        job_id = json.loads(capsys.readouterr().out)["submission"]["job_id"]
        assert run(["jobs", "status", job_id, "--follow", "--poll", "0"]) == 0
        assert f"job {job_id}: succeeded" in capsys.readouterr().out
    finally:
        process.terminate()
        process.communicate(timeout=60)
    assert process.returncode == 0
