"""``rubricate export verifiers``: the bundle's files and the grading part of its Rubric (no
verifiers installed here; ``vf-eval`` runs the bundle in
tests/conformance/trainers/test_verifiers.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from rubricate.cli import run as cli
from rubricate.errors import InputError
from rubricate.export.rewards.common import UnscoredRewardError
from rubricate.export.rewards.verifiers import (
    SCORED_METRIC,
    VerifiersReward,
    plain_messages,
    reward_functions,
)
from rubricate.testing import FakeOpenAI
from rubricate.testing.script import Fault
from tests.export.test_trl_async import JUDGED

ROOT = Path(__file__).resolve().parents[2]


def _export(tmp_path: Path, capsys: pytest.CaptureFixture, *options: str) -> tuple[int, Path]:
    out = tmp_path / "vf"
    code = cli(["export", "verifiers", str(ROOT / "examples/eurovoc/rubric.yaml"), "--out",
                str(out), *options])  # fmt: skip
    capsys.readouterr()
    return code, out


def test_bundle_is_an_installable_environment(tmp_path: Path, capsys: pytest.CaptureFixture):
    code, out = _export(tmp_path, capsys)
    assert code == 0
    module = out / "rubricate_eurovoc_domains.py"
    text = module.read_text()
    assert "def load_environment(" in text and 'ON_ERROR = "raise"' in text
    compile(text, str(module), "exec")  # valid Python (importing it needs verifiers)
    pyproject = (out / "pyproject.toml").read_text()
    assert 'name = "rubricate-eurovoc-domains"' in pyproject
    assert '"rubricate_eurovoc_domains.py"' in pyproject and '"grader.json"' in pyproject
    lines = (ROOT / "examples/eurovoc/items.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(x) for x in lines]
    rows = [json.loads(x) for x in (out / "dataset.jsonl").read_text().splitlines()]
    assert [json.loads(r["info"]) for r in rows] == [
        {k: v for k, v in item.items() if k != "messages"} for item in items
    ]
    assert all(r["prompt"][-1]["role"] == "user" for r in rows)
    readme = (out / "README.md").read_text()
    assert "vf-eval rubricate-eurovoc-domains -m MODEL -b BASE_URL -k API_KEY_VAR" in readme


def test_verifiers_takes_no_missing_reward(tmp_path: Path, capsys: pytest.CaptureFixture):
    out = tmp_path / "vf"
    rubric = str(ROOT / "examples/eurovoc/rubric.yaml")
    code = cli(["export", "verifiers", rubric, "--out", str(out), "--on-error", "none"])
    assert code == 2 and "verifiers cannot leave one response out" in capsys.readouterr().err


class _Model:
    """Stands for a verifiers (pydantic) message model."""

    def __init__(self, **fields: Any) -> None:
        self.fields = fields

    def model_dump(self, exclude_none: bool = False) -> dict[str, Any]:
        return {k: v for k, v in self.fields.items() if v is not None or not exclude_none}


def test_message_models_and_tool_calls_become_chat_dicts():
    call = _Model(id="c1", name="lookup", arguments='{"q": 1}')
    message = _Model(role="assistant", content="done", tool_calls=[call], reasoning_content=None)
    assert plain_messages([message]) == [
        {
            "role": "assistant",
            "content": "done",
            "tool_calls": [
                {"id": "c1", "type": "function",
                 "function": {"name": "lookup", "arguments": '{"q": 1}'}}
            ],
        }
    ]  # fmt: skip


def _grader(tmp_path: Path) -> dict:
    from rubricate.export.rewards.bundle import compile_for_bundle
    from rubricate.rubrics.loader import load_rubric

    rubric = tmp_path / "judged.yaml"
    rubric.write_text(JUDGED)
    return compile_for_bundle(load_rubric(rubric), None).grader


def _states() -> list[dict[str, Any]]:
    return [
        {"info": json.dumps({"id": i, "question": "q"}),
         "completion": [_Model(role="assistant", content=text)]}
        for i, text in enumerate(["good [[PASS]]", "bad", "broken [[PASS]]"])
    ]  # fmt: skip


@pytest.fixture
def judge(fake_openai_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    monkeypatch.setenv("RUBRICATE_STORE", "none")
    monkeypatch.setenv("RUBRICATE_ERROR_RETRIES", "0")
    fake_openai_env.fault(Fault.reply_text("no verdict"), times=100, match="broken")
    return fake_openai_env


def test_value_policy_flags_the_rollout_and_gives_criteria_the_value(
    tmp_path: Path, judge: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("RUBRICATE_ON_ERROR", raising=False)
    reward = VerifiersReward(_grader(tmp_path), on_error="value:0")
    funcs, weights = reward_functions(reward, "judged_reward", "judged/")
    states = _states()
    try:
        asyncio.run(reward.grade_states(states))
        asked = len(judge.requests)
        values = [[asyncio.run(f(state=s)) for f in funcs] for s in states]
    finally:
        reward.grader.close()
    assert [f.__name__ for f in funcs][0] == "judged_reward"
    assert [f.__name__ for f in funcs][-1] == SCORED_METRIC
    assert weights == [1.0] + [0.0] * (len(funcs) - 1)
    assert [v[0] for v in values] == [1.0, 0.0, 0.0] and [v[-1] for v in values] == [1, 1, 0]
    assert len(judge.requests) == asked  # the functions read the group's grades
    assert states[2]["rubricate"]["scored"] is False and states[2]["rubricate"]["error"]


def test_raise_policy_leaves_grade_states(tmp_path: Path, judge: FakeOpenAI):
    reward = VerifiersReward(_grader(tmp_path), on_error="raise")
    try:
        with pytest.raises(UnscoredRewardError, match="1 of 3 completions could not be graded"):
            asyncio.run(reward.grade_states(_states()))
    finally:
        reward.grader.close()
    with pytest.raises(InputError):
        VerifiersReward(_grader(tmp_path), on_error="none")


def test_developer_messages_become_system_messages(tmp_path: Path, capsys: pytest.CaptureFixture):
    """verifiers 0.3 refuses a ``developer`` message ("Unknown role: developer", seen running
    the accordance_tax bundle in vf-eval); the row's instructions go as its system message."""
    out = tmp_path / "vf"
    rubric = str(ROOT / "examples/accordance_tax/rubric.yaml")
    assert cli(["export", "verifiers", rubric, "--out", str(out)]) == 0
    capsys.readouterr()
    rows = [json.loads(x) for x in (out / "dataset.jsonl").read_text().splitlines()]
    roles = [[m["role"] for m in row["prompt"]] for row in rows]
    assert roles and all(r == ["system", "user"] for r in roles), roles
