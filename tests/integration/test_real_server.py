"""``grade``, ``calibrate`` and ``baseline`` against a real OpenAI-compatible server and model.

llama-cpp-python 0.3.36's server with Gemma 3 270M (see ``conftest.py``; ``.ci/run`` installs
them and makes these tests required in CI). The server refuses ``response_format``
``json_schema`` and the ``developer`` role with HTTP 500 and reads only ``max_tokens``: every
judged criterion used to come back unscored, and ``baseline`` failed on every shipped
example (issue 16). The model is a useless judge; what is checked here is the protocol: every
call is answered, replies are held to the judge schema, reports are complete, and nothing is
unscored for a protocol reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from rubricate.cli import run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ("accordance_tax", "citations", "eurovoc")
PROTOCOL_ERRORS = ("server_error", "bad_request", "connection", "timeout", "auth",
                   "rate_limited", "not_configured")  # fmt: skip
"""Call-error kinds that would mean the client and the server did not understand each other."""

pytestmark = [pytest.mark.real_server, pytest.mark.timeout(1800)]

RUBRIC = """\
rubric: 1
id: capital-check
title: Capital city answers
task: Name the capital of the country in the question, in one sentence.
judge:
  model: gemma-3-270m
  temperature: 0
  max_completion_tokens: 200
criteria:
  - id: names-capital
    text: The answer names the correct capital city.
    weight: 1
  - id: one-sentence
    text: The answer is a single sentence.
    weight: 1
"""


def _client(base_url: str, store: Path) -> list[str]:
    return ["--base-url", base_url, "--store", str(store), "--concurrency", "2",
            "--timeout", "900", "--max-retries", "2"]  # fmt: skip


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _no_protocol_error(text: str | None) -> None:
    assert not any(f"({kind})" in (text or "") for kind in PROTOCOL_ERRORS), text


def test_grade_two_criteria_every_call_scored_and_held_to_the_schema(
    real_server: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(RUBRIC, encoding="utf-8")
    items = _write(tmp_path / "items.jsonl", [
        {"id": "fr", "question": "What is the capital of France?"},
        {"id": "de", "question": "What is the capital of Germany?"},
    ])  # fmt: skip
    samples = _write(tmp_path / "samples.jsonl", [
        {"item_id": "fr", "output_text": "The capital of France is Paris."},
        {"item_id": "de", "output_text": "Bonn, I think. Or maybe Munich."},
    ])  # fmt: skip
    out = tmp_path / "records.jsonl"
    code = run(["grade", str(rubric), "--items", str(items), "--samples", str(samples),
                "--out", str(out), *_client(real_server, tmp_path / "calls.sqlite")])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "samples: 2  scored: 2  unscored: 0" in captured.out, captured.out + captured.err
    assert "json_schema refused (HTTP 500); now json_object" in captured.err
    calls = [c for line in out.read_text().splitlines() for c in json.loads(line)["calls"]]
    assert len(calls) == 4  # two criteria, two samples: every call answered and scored
    for call in calls:
        reply = json.loads(call["raw"])  # constrained decoding: always the judge's JSON
        assert set(reply) == {"result", "steps"} and call["result"] is not None
        assert call["error"] is None


def test_calibrate_tiny_set_reports_complete(
    real_server: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(RUBRIC, encoding="utf-8")
    calset = _write(tmp_path / "set.jsonl", [
        {"id": "fr", "question": "What is the capital of France?", "answers": [
            {"id": "fr-great", "tier": "great", "text": "The capital of France is Paris."},
            {"id": "fr-poor", "tier": "poor", "text": "Lyon, and also Marseille. Maybe."}]},
    ])  # fmt: skip
    out = tmp_path / "run"
    code = run(["calibrate", str(rubric), "--set", str(calset), "--repeats", "2",
                "--out", str(out), "--no-figures",
                *_client(real_server, tmp_path / "calls.sqlite")])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "complete" and manifest["judged_run"] is True
    assert manifest["usage"]["calls"] == 8 and manifest["usage"]["local"] is True
    assert not set(manifest["usage"]["errors"]) & set(PROTOCOL_ERRORS)
    profile = manifest["endpoint"]["models"]["gemma-3-270m"]
    assert profile["structured_output"] == "json_object"
    assert profile["structured_output_state"] == "accepted"
    for name in ("report.json", "report.md", "report.html", "grades.csv"):
        assert (out / name).stat().st_size > 0
    grades = pd.read_csv(out / "grades.csv")
    for error in grades["error"].dropna():
        _no_protocol_error(error)
        assert "judge call failed" not in error


@pytest.mark.parametrize("example", EXAMPLES)
def test_baseline_on_every_shipped_train_set(
    example: str, real_server: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = ROOT / "examples" / example
    out = tmp_path / "run"
    code = run(["baseline", str(folder / "rubric.yaml"), "--items", str(folder / "train.jsonl"),
                "--model", "gemma-3-270m", "--samples", "1", "--max-output-tokens", "16",
                "--max-unscored", "1",  # a 16-token cap truncates most answers: unscored
                "--out", str(out), "--no-figures",
                *_client(real_server, tmp_path / "calls.sqlite")])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "complete"
    rows = len((folder / "train.jsonl").read_text().splitlines())
    samples = pd.read_csv(out / "samples.csv")
    assert len(samples) == rows  # every row sampled (developer messages went as system)
    assert (samples["output_tokens"] <= 16).all()  # the cap reached the server as max_tokens
    for error in samples["error"].dropna():
        _no_protocol_error(error)
    profile = manifest["endpoint"]["models"]["gemma-3-270m"]
    assert profile["developer_role"] == "sent as system"
    assert "max_tokens" in profile["output_limit_fields"]
    assert profile["output_limit_ignored"] is False
    assert not set(manifest["usage"]["errors"]) & set(PROTOCOL_ERRORS)
    assert (out / "report.json").stat().st_size > 0
