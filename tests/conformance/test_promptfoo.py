"""promptfoo: the real ``promptfoo eval`` (pinned, on the Node.js it needs) runs the config
``rubricate export promptfoo`` writes, as a user would launch it (the bundle README's line).

The models under test are the loopback server: the exported config gets one provider per
sample (``--provider openai:chat:sample-K``), and the server answers provider K with the K-th
sample of the item whose messages it received, so each test's output is a known sample. The
rewards promptfoo records (our assertion's score) must equal ``rubricate grade``'s on the same
(item, sample) pairs; an unscored pair must be a failed test whose reason says it could not be
graded, never a number that passes for a grade.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rubricate.cli import run
from rubricate.testing import FakeOpenAI
from tests.conformance import cases, tools
from tests.conformance.conftest import ConformanceLog, tool_missing

pytestmark = [pytest.mark.subprocess, pytest.mark.slow]

UNSCORED_WORDS = "could not be graded"
PYTHON_ERROR = "Error running Python script"
"""How promptfoo's reason starts when the assertion raised; it then records a score of 0, which
is not a grade (one such 0 passed for a reward once in CI: issue 20)."""


def _generate_from(case: cases.Case, seen: list[Any]):
    """The loopback server's candidate model: provider K answers the K-th sample of the item
    whose RFT-row messages it received (anything else is recorded as unknown)."""
    from rubricate.datasets.rft_rows import build_row
    from rubricate.rubrics.loader import load_rubric

    task = load_rubric(case.rubric).rubric.task
    by_messages = {}
    for item in case.items:
        row, _, _ = build_row(item, task=task, developer=None, fields=set(item))
        assert row is not None
        by_messages[json.dumps(row["messages"], sort_keys=True)] = item["id"]

    def generate(request) -> str | None:
        body = request.body or {}
        model = str(body.get("model", ""))
        if not model.startswith("sample-"):
            return None  # a judge call: the score policy answers
        key = json.dumps(body.get("messages"), sort_keys=True)
        if key not in by_messages:
            seen.append(body.get("messages"))
            return "UNKNOWN PROMPT"
        return case.sample_of(by_messages[key], int(model.removeprefix("sample-")))

    return generate


def _promptfoo_env(tool: tools.Promptfoo, fake: FakeOpenAI, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_"))}
    env.update(
        PATH=f"{tool.node_bin}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
        + env.get("PATH", ""),
        # the bundle README's settings: promptfoo's python is the one with rubricate
        PROMPTFOO_PYTHON=sys.executable,
        OPENAI_BASE_URL=fake.base_url,
        OPENAI_API_KEY="sk-conformance-not-a-key",
        # keep promptfoo offline and out of the user's folders
        PROMPTFOO_DISABLE_TELEMETRY="1",
        PROMPTFOO_DISABLE_UPDATE="1",
        PROMPTFOO_DISABLE_SHARING="1",
        PROMPTFOO_CONFIG_DIR=str(home / "promptfoo"),
        HOME=str(home),
        # the assertion's judge: no retry backoff, its own call store
        RUBRICATE_MAX_RETRIES="0",
        RUBRICATE_STORE=str(home / "calls.sqlite"),
    )
    return env


def _rewards(output: dict[str, Any], case: cases.Case) -> tuple[list[float | None], list[str]]:
    """Our assertion's reward per pair in ``case.pairs()`` order (None: the test failed because
    the pair could not be graded), and the problems seen."""
    problems = []
    found: dict[tuple[int, int], float | None] = {}
    results = output["results"]["results"]
    for result in results:
        k = int(result["provider"]["id"].rsplit("-", 1)[1])
        i = result["testIdx"]
        grading = result.get("gradingResult") or {}
        ours = (grading.get("componentResults") or [{}])[0]
        reason = str(ours.get("reason") or result.get("error") or "")
        if UNSCORED_WORDS in reason:
            if result["success"] or ours.get("pass"):
                problems.append(f"test {i}/sample {k}: unscored but passed")
            found[(i, k)] = None
        elif result.get("failureReason") == 2:  # promptfoo's ERROR: not a grade either
            problems.append(f"test {i}/sample {k}: promptfoo error: {reason[:200]}")
        elif reason.startswith(PYTHON_ERROR):  # our assertion raised: promptfoo scores it 0
            problems.append(f"test {i}/sample {k}: the assertion raised: {reason[:600]}")
            found[(i, k)] = float("nan")
        else:
            found[(i, k)] = ours.get("score")
    if len(results) != len(case.pairs()):
        problems.append(f"{len(results)} promptfoo results for {len(case.pairs())} pairs")
    return [found.get(pair, float("nan")) for pair in case.pairs()], problems


@pytest.mark.parametrize("name", cases.CASES)
def test_promptfoo_eval_gives_rubricate_grades_rewards(
    name: str, conformance: ConformanceLog, fake_openai: FakeOpenAI, tmp_path: Path
):
    tool = tools.promptfoo()
    if tool is None:
        tool_missing("promptfoo", name, f"promptfoo {tools.PROMPTFOO_VERSION} not installed; "
                     + tools.INSTALL_HINT)  # fmt: skip
    assert tool is not None
    case = cases.build(name, tmp_path / "case")
    cases.script_judge(fake_openai)
    expected = cases.expected_rewards(case, fake_openai, tmp_path)
    if name in ("judged", "accordance_tax"):  # the failure paths are really exercised
        assert None in expected

    bundle = tmp_path / "bundle"
    providers = [f"--provider=openai:chat:sample-{k}" for k in range(cases.SAMPLES_PER_ITEM)]
    code = run(["export", "promptfoo", str(case.rubric), "--items", str(case.items_path),
                "--out", str(bundle), "--pass-threshold", "0.5", *providers])  # fmt: skip
    assert code == 0
    unknown: list[Any] = []
    fake_openai.generate = _generate_from(case, unknown)
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [str(tool.promptfoo), "eval", "--no-cache", "--no-progress-bar", "--no-table",
         "--max-concurrency", "2", "--output", str(out)],
        cwd=bundle, env=_promptfoo_env(tool, fake_openai, tmp_path / "home"),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    # promptfoo exits 100 when a test fails (an unscored pair, a sample below the threshold)
    assert proc.returncode in (0, 100), proc.stdout[-3000:] + proc.stderr[-3000:]
    actual, problems = _rewards(json.loads(out.read_text("utf-8")), case)
    outcome = conformance.record("promptfoo", name, expected=expected, actual=actual)
    assert not problems, problems  # first: a raised assertion explains a reward that differs
    assert outcome.verdict == "equal", outcome.detail
    assert not unknown, f"the model was sent messages no RFT row has: {unknown[0]}"
