"""OpenRLHF: its real remote reward client (``openrlhf`` 0.11.2 from PyPI) against a real
``rubricate serve`` process, with a real tokenizer's special tokens in every query.

:mod:`tests.conformance.openrlhf_driver` runs OpenRLHF's single-turn rollout code in the tools
venv: the item's messages through a locally trained ChatML tokenizer's chat template, the
sample's tokens plus ``<|im_end|>`` as the engine's answer, the query decoded with the special
tokens and posted by OpenRLHF's own client. Under the default ``--on-error raise`` an unscored
pair gets no reward in OpenRLHF (its client retries the 502, then gives up: ``None``), which is
how ``rubricate grade`` reports it; under ``value:X`` it gets X, flagged in ``extra_logs``,
whose keys are the same in every answer.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from rubricate.datasets.rft_rows import build_row
from rubricate.rubrics.loader import load_rubric
from rubricate.testing import FakeOpenAI
from tests.conformance import cases, tools
from tests.conformance.conftest import ConformanceLog, tool_missing

pytestmark = [pytest.mark.subprocess, pytest.mark.slow]
DRIVER = Path(__file__).with_name("openrlhf_driver.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serve(case: cases.Case, fake: FakeOpenAI, folder: Path, *extra: str) -> Iterator[str]:
    """``rubricate serve RUBRIC`` in its own process; yields its OpenRLHF URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_"))}
    env["OPENAI_API_KEY"] = "sk-conformance-not-a-key"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rubricate.cli", "serve", str(case.rubric), "--port", str(port),
         "--base-url", fake.base_url, "--store", "none", "--max-retries", "0", *extra],
        cwd=folder, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "rubricate serve did not start"
                time.sleep(0.1)
        yield f"{url}/openrlhf"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
        assert "Traceback" not in err, err


def _client(python: Path, url: str, case: cases.Case) -> list[dict[str, Any]]:
    task = load_rubric(case.rubric).rubric.task
    pairs, texts = [], []
    for i, k in case.pairs():
        item = case.items[i]
        row, _, _ = build_row(item, task=task, developer=None, fields=set(item))
        assert row is not None
        pairs.append({"messages": row["messages"], "label": json.dumps(item),
                      "response": case.samples[i][k]})  # fmt: skip
        texts += [m["content"] for m in row["messages"]] + [case.samples[i][k]]
    proc = subprocess.run(
        [str(python), str(DRIVER)],
        input=json.dumps({"url": url, "pairs": pairs, "texts": texts}),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout)


def _reward(answer: dict[str, Any]) -> float | None:
    reward = answer["reward"]
    return None if reward is None else float(reward[0])


@pytest.mark.parametrize("name", cases.CASES)
def test_openrlhf_client_gets_rubricate_grades_rewards(
    name: str, conformance: ConformanceLog, fake_openai: FakeOpenAI, tmp_path: Path
):
    python = tools.openrlhf_python()
    if python is None:
        tool_missing("openrlhf", name, f"OpenRLHF {tools.OPENRLHF_VERSION} tools venv not "
                     "installed; " + tools.INSTALL_HINT)  # fmt: skip
    assert python is not None
    case = cases.build(name, tmp_path / "case")
    cases.script_judge(fake_openai)
    expected = cases.expected_rewards(case, fake_openai, tmp_path)
    if name in ("judged", "accordance_tax"):  # the failure paths are really exercised
        assert None in expected

    with _serve(case, fake_openai, tmp_path) as url:  # --on-error raise, the default
        answers = _client(python, url, case)
    assert all(a["query"].endswith("<|im_end|>") for a in answers)  # the tokenizer's eos
    actual = [_reward(a) for a in answers]
    outcome = conformance.record("openrlhf", name, expected=expected, actual=actual)
    assert outcome.verdict == "equal", outcome.detail

    with _serve(case, fake_openai, tmp_path, "--on-error", "value:-1") as url:
        answers = _client(python, url, case)
    keys = {frozenset(a["extra_logs"]) for a in answers}
    assert len(keys) == 1, f"extra_logs keys differ between answers: {keys}"
    for answer, want in zip(answers, expected, strict=True):
        assert _reward(answer) == (-1.0 if want is None else pytest.approx(want))
        assert answer["extra_logs"]["rubricate_scored"] == [0.0 if want is None else 1.0]
        assert all(math.isfinite(v) for values in answer["extra_logs"].values() for v in values)
