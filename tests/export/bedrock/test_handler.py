"""The reward Lambda's handler, invoked in a separate process with Lambda-shaped events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rubricate.export.bedrock.invoke import invoke_package
from rubricate.export.bedrock.package import build_package
from rubricate.judge.calls import ClientSettings
from rubricate.judge.sample import make_sample
from rubricate.judge.service import RewardRuntime
from rubricate.testing import Fault
from rubricate.testing.pytest_plugin import FAKE_API_KEY
from rubricate.testing.server import FakeOpenAI

CHECKS = {
    "type": "multi",
    "name": "checks",
    "graders": {
        "has_label": {
            "type": "python",
            "source": "def grade(sample, item):\n"
            "    return 1.0 if item['label'] in sample['output_text'] else 0.25\n",
        },
        "exact": {
            "type": "string_check", "name": "exact", "operation": "eq",
            "input": "{{ sample.output_json.label }}", "reference": "{{ item.label }}",
        },
        "tracked": {"type": "python", "source": "def grade(sample, item):\n    return 0.5\n"},
    },
    "calculate_output": "0.75 * has_label + 0.25 * exact",
}  # fmt: skip
PROMPT = "Label {{ item.label }}: {{ sample.output_text }}"
JUDGED = {
    "type": "multi",
    "name": "judged",
    "graders": {
        "check": CHECKS["graders"]["has_label"],
        "judge": {
            "type": "score_model", "name": "judge", "model": "gpt-4o-mini", "range": [0, 1],
            "input": [{"role": "user", "content": PROMPT}],
        },
    },
    "calculate_output": "0.5 * check + 0.5 * judge",
}  # fmt: skip


def _package(tmp_path: Path, grader: dict[str, Any]) -> Path:
    path = tmp_path / "lambda.zip"
    path.write_bytes(build_package(json.dumps(grader, indent=2)).data)
    return path


def _sample(sample_id: str, answer: str, label: str, *, shape: str = "top") -> dict[str, Any]:
    messages = [
        {"role": "system", "content": "Classify."},
        {"role": "user", "content": "Review: great"},
        {"role": "assistant", "content": answer},
    ]
    reference = {"id": "item-1", "label": label}
    if shape == "metadata":  # Bedrock User Guide's input structure
        return {"id": sample_id, "messages": messages, "metadata": {"reference_answer": reference}}
    return {"id": sample_id, "messages": messages, "reference_answer": reference}


def _env(fake: FakeOpenAI | None = None, retries: int = 0) -> dict[str, str]:
    env = {"RUBRICATE_MAX_RETRIES": str(retries)}
    if fake is not None:
        env |= {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": FAKE_API_KEY}
    return env


def test_a_batch_gets_one_reward_per_sample_equal_to_the_local_runtime(tmp_path: Path) -> None:
    answers = [('{"label": "positive"}', "positive"), ('{"label": "negative"}', "positive")]
    event = [
        _sample("a", answers[0][0], answers[0][1], shape="top"),
        _sample("b", answers[1][0], answers[1][1], shape="metadata"),
    ]
    [response] = invoke_package(_package(tmp_path, CHECKS), [event], _env())
    assert "function_error" not in response
    payload = response["payload"]
    assert [entry["id"] for entry in payload] == ["a", "b"]
    runtime = RewardRuntime(CHECKS, ClientSettings(store_path=None))
    try:
        records = runtime.grade(
            [({"id": "item-1", "label": label}, make_sample(text)) for text, label in answers]
        )
    finally:
        runtime.close()
    for entry, record in zip(payload, records, strict=True):
        assert entry["aggregate_reward_score"] == record.reward
        metrics = {m["name"]: m for m in entry["metrics_list"]}
        assert {k: m["value"] for k, m in metrics.items()} == record.sub_rewards
        assert metrics["has_label"]["type"] == "Reward" and metrics["tracked"]["type"] == "Metric"
    assert payload[0]["aggregate_reward_score"] == 1.0
    assert payload[1]["aggregate_reward_score"] == 0.75 * 0.25  # label missing, not exact


def test_exact_needs_json_so_a_plain_answer_is_an_error_not_a_zero(tmp_path: Path) -> None:
    """``{{ sample.output_json.label }}`` on a non-JSON answer: no reward, reported."""
    grader = {**CHECKS, "graders": {"exact": CHECKS["graders"]["exact"]},
              "calculate_output": "exact"}  # fmt: skip
    [response] = invoke_package(_package(tmp_path, grader), [[_sample("x", "plain", "p")]], _env())
    assert response["function_error"] == "Unhandled"
    assert response["payload"]["errorType"] == "RewardBatchError"
    assert "output_json" in response["payload"]["errorMessage"]


def test_a_single_sample_object_gets_a_single_object(tmp_path: Path) -> None:
    [response] = invoke_package(
        _package(tmp_path, CHECKS), [_sample("s", '{"label": "p"}', "p")], _env()
    )
    assert response["payload"]["id"] == "s"
    assert response["payload"]["aggregate_reward_score"] == 1.0


def test_judged_parts_reach_the_endpoint_from_the_environment(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    event = [_sample("j", "positive [[PASS]]", "positive")]
    [response] = invoke_package(_package(tmp_path, JUDGED), [event], _env(fake_openai))
    assert "function_error" not in response, response
    [entry] = response["payload"]
    assert entry["aggregate_reward_score"] == 1.0
    [request] = fake_openai.model_requests()
    assert request.body["response_format"]["type"] == "json_schema"
    assert "Label positive: positive [[PASS]]" in json.dumps(request.body["messages"])


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (Fault.status(500), "HTTP 500 from the judge endpoint"),
        (Fault.reply_text("no verdict in this reply"), "judge reply did not parse"),
        (Fault.bad_body(), "judge reply did not parse"),
        (Fault.refusal(), "the judge refused"),
    ],
)
def test_a_judge_failure_fails_the_invocation_never_a_zero(
    tmp_path: Path, fake_openai: FakeOpenAI, fault: Fault, words: str
) -> None:
    fake_openai.fault(fault, times=100)
    event = [_sample("ok", '{"label": "p"}', "p"), _sample("bad", "p [[PASS]]", "p")]
    [response] = invoke_package(_package(tmp_path, JUDGED), [event], _env(fake_openai, 1))
    assert response["function_error"] == "Unhandled"
    payload = response["payload"]
    assert payload["errorType"] == "RewardBatchError"
    assert words in payload["errorMessage"], payload["errorMessage"]
    assert "2 of 2 samples have no reward" in payload["errorMessage"]
    assert "(after 2 attempts)" in payload["errorMessage"]
    assert "aggregate_reward_score" not in json.dumps(response)
    assert fake_openai.count() == 4  # two samples, two attempts each


def test_a_transient_judge_error_is_retried(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.fail(503, times=1)
    event = [_sample("r", "p [[PASS]]", "p")]
    [response] = invoke_package(_package(tmp_path, JUDGED), [event], _env(fake_openai, 2))
    assert response["payload"][0]["aggregate_reward_score"] == 1.0
    assert fake_openai.count() == 2


def test_a_sample_without_the_assistant_turn_is_an_error(tmp_path: Path) -> None:
    sample = _sample("n", "x", "p")
    sample["messages"] = sample["messages"][:-1]
    [response] = invoke_package(_package(tmp_path, CHECKS), [[sample]], _env())
    assert "not the assistant's answer" in response["payload"]["errorMessage"]


def test_the_handler_sees_no_site_packages(tmp_path: Path) -> None:
    grader = {"type": "python", "name": "np",
              "source": "import rapidfuzz\ndef grade(sample, item):\n    return 1.0\n"}  # fmt: skip
    [response] = invoke_package(_package(tmp_path, grader), [[_sample("n", "x", "p")]], _env())
    assert "No module named 'rapidfuzz'" in response["payload"]["errorMessage"]
