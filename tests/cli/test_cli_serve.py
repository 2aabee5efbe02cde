"""``rubricate serve``: refusals at startup, and a real server process answering over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rubricate.cli import run

ROOT = Path(__file__).resolve().parents[2]


def test_model_grader_without_endpoint_stops_at_startup(capsys):
    code = run(["serve", str(ROOT / "examples" / "accordance_tax" / "rubric.yaml")])
    assert code == 2
    assert "no endpoint is configured" in capsys.readouterr().err


def test_bad_on_error_and_bad_grader(tmp_path: Path, capsys):
    rubric = str(ROOT / "examples" / "eurovoc" / "rubric.yaml")
    assert run(["serve", rubric, "--on-error", "skip"]) == 2
    assert "use raise or value:X" in capsys.readouterr().err
    grader = tmp_path / "g.json"
    grader.write_text(json.dumps({"type": "string_check", "name": "x"}), encoding="utf-8")
    assert run(["serve", str(grader)]) == 2
    assert capsys.readouterr().err.startswith(f"rubricate: error: {grader}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.subprocess
def test_serves_over_http_and_stops_on_sigterm(tmp_path: Path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rubricate.cli", "serve", str(ROOT / "examples/eurovoc/rubric.yaml"),
         "--port", str(port), "--store", "none"],
        cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    assert json.loads(response.read())["grader"]["name"] == "eurovoc-domains"
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        body = json.dumps(
            [{"item": {"domains": ["trade", "law"]}, "output_text": '{"domains": ["trade"]}'}]
        ).encode()
        request = urllib.request.Request(f"{url}/grade", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["rewards"] == [pytest.approx(2 / 3)]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    # uvicorn shuts down gracefully, then re-raises the signal it caught (exit -SIGTERM)
    assert proc.returncode in (0, -15) and "Traceback" not in err
    assert "rubricate: serving multi grader 'eurovoc-domains'" in err
    assert f"http://127.0.0.1:{port}" in err


def test_strip_token_none_goes_alone(capsys):
    rubric = str(ROOT / "examples" / "eurovoc" / "rubric.yaml")
    assert run(["serve", rubric, "--strip-token", "none", "--strip-token", "</s>"]) == 2
    assert "--strip-token none cuts nothing: give it alone" in capsys.readouterr().err
