"""verifiers: the exported environment, run by the real ``vf-eval`` command line as the
bundle's README gives it, scores every rollout with the rewards ``rubricate grade`` gives.

The loopback server plays both models: the policy (``-m conformance-policy``), whose replies to
an item's prompt are the case's samples for that item, one per rollout (``-r 4``), and the
judge. ``vf-eval`` loads the environment module by its id (the bundle folder on
``PYTHONPATH``, which is what ``pip install -e`` gives), runs every item (``-n -1``) and saves
each rollout (``-s``): its ``info`` (the item), completion, reward and metrics. The bundles
are exported with ``--on-error value:0``: a rollout whose grade fails is 0 with the
``rubricate_scored`` metric 0 (counted as no reward only when flagged); with the default
``raise``, ``vf-eval`` stops.
"""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from rubricate.testing import FakeOpenAI
from rubricate.testing.replies import last_user_text
from tests.conformance.conftest import ConformanceLog
from tests.conformance.trainers.cases import EXAMPLES, POLICY_MODEL, ROOT, Case, tool_env
from tests.conformance.trainers.support import export, trainer_python

pytestmark = pytest.mark.timeout(1200)


def _launch(bundle: Path) -> list[str]:
    """The README's ``vf-eval`` command, split into words."""
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    (line,) = [x for x in readme.splitlines() if x.startswith("vf-eval ")]
    return line.split()


class Policy:
    """The policy model's replies: each item's samples, one per request, in turn."""

    def __init__(self, bundle: Path, case: Case) -> None:
        lines = (bundle / "dataset.jsonl").read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines]
        self.by_prompt = {
            row["prompt"][-1]["content"]: json.loads(row["info"])["id"] for row in rows
        }
        self.samples = case.samples
        self.handed: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, request: Any) -> str | None:
        body = request.body or {}
        if body.get("model") != POLICY_MODEL:
            return None  # a judge call: the score policy answers
        item_id = self.by_prompt[last_user_text(body)]
        with self.lock:
            turn = self.handed.get(item_id, 0)
            self.handed[item_id] = turn + 1
        return self.samples[item_id][turn % len(self.samples[item_id])]


def vf_eval(
    python: Path, bundle: Path, case: Case, loopback: FakeOpenAI, out: Path
) -> tuple[subprocess.CompletedProcess, list[dict]]:
    words = _launch(bundle)
    args = {"MODEL": POLICY_MODEL, "BASE_URL": loopback.base_url, "API_KEY_VAR": "OPENAI_API_KEY"}
    command = [str(python.with_name("vf-eval")), *(args.get(w, w) for w in words[1:])]
    command += ["-o", str(out), "-d", "-C", "rubricate"]
    loopback.generate = Policy(bundle, case)
    try:
        done = subprocess.run(
            command,
            env=tool_env(loopback, PYTHONPATH=f"{bundle}:{ROOT}"),
            cwd=bundle,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    finally:
        loopback.generate = None
    (out / "vf-eval.log").parent.mkdir(parents=True, exist_ok=True)
    (out / "vf-eval.log").write_text(done.stdout + "\n" + done.stderr, encoding="utf-8")
    rows = []
    for path in out.rglob("results.jsonl"):
        rows += [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
    return done, rows


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.parametrize("example", EXAMPLES)
def test_verifiers_rewards_equal_rubricate_grade(
    example: str,
    cases: dict[str, Case],
    loopback: FakeOpenAI,
    tmp_path: Path,
    conformance: ConformanceLog,
):
    python = trainer_python("verifiers", "verifiers", example)
    case = cases[example]
    bundle = export("verifiers", case, tmp_path / "bundle", "--on-error", "value:0")
    done, rows = vf_eval(python, bundle, case, loopback, tmp_path / "out")
    assert done.returncode == 0, done.stderr[-4000:]
    expected, actual, seen = [], [], []
    for row in rows:
        info = row["info"] if isinstance(row["info"], dict) else json.loads(row["info"])
        text = row["completion"][-1]["content"]
        key = (info["id"], text)
        seen.append(key)
        want = case.expected[key]
        metrics = row["metrics"]
        flagged = metrics["rubricate_scored"] == 0
        if flagged:
            assert row["reward"] == 0.0  # the value:0 the bundle was exported with
        expected.append(want.reward)
        actual.append(None if flagged else row["reward"])
        for name, value in metrics.items():
            if "/" in name:  # <grader>/<criterion>
                criterion = name.rsplit("/", 1)[-1]
                expected.append(
                    want.sub_rewards.get(criterion) if want.reward is not None else None
                )
                actual.append(None if flagged else value)
    assert sorted(seen) == sorted(case.pairs())
    outcome = conformance.record("verifiers", example, expected=expected, actual=actual)
    assert outcome.verdict == "equal", outcome.detail


def test_verifiers_stops_on_a_failed_grade_by_default(
    cases: dict[str, Case], loopback: FakeOpenAI, tmp_path: Path
):
    python = trainer_python("verifiers", "verifiers", "judged")
    case = cases["judged"]
    bundle = export("verifiers", case, tmp_path / "bundle")
    done, rows = vf_eval(python, bundle, case, loopback, tmp_path / "out")
    assert done.returncode != 0 and not rows
    assert "could not be graded" in done.stdout + done.stderr
