"""``multi``: concurrent sub-graders, the formula, and error propagation."""

from __future__ import annotations

import asyncio
import time

import pytest

from rubricate.judge.calls import ModelReply, ModelRequest
from rubricate.judge.runtime import Runtime
from rubricate.judge.sample import make_sample
from tests.judge.fakes import ScriptedClient, score_reply, text_reply

NAME = {
    "name": "name_grader",
    "type": "text_similarity",
    "input": "{{ sample.output_json.name }}",
    "reference": "{{ item.name }}",
    "evaluation_metric": "rouge_1",
}
EMAIL = {
    "name": "email_grader",
    "type": "string_check",
    "input": "{{ sample.output_json.email }}",
    "reference": "{{ item.email }}",
    "operation": "eq",
}
GUIDE_EXAMPLE = {
    "type": "multi",
    "name": "contact",
    "graders": {"name": NAME, "email": EMAIL},
    "calculate_output": "(name + email) / 2",
}
ITEM = {"name": "John Doe", "email": "john.doe@gmail.com"}


async def _grade(grader: dict, text: str, client: ScriptedClient | None = None):  # noqa: ANN202
    async with Runtime(client) as rt:
        return await rt.grade(grader, ITEM, make_sample(text))


async def test_the_graders_guide_example() -> None:
    record = await _grade(GUIDE_EXAMPLE, '{"name": "John Smith", "email": "john.doe@gmail.com"}')
    # rouge_1("John Smith", "John Doe"): P = R = 1/2 -> F = 0.5; email eq -> 1; (0.5 + 1) / 2
    assert record.scored and record.reward == pytest.approx(0.75)
    assert record.sub_rewards == {"name": pytest.approx(0.5), "email": 1.0}
    assert record.metadata.scores == record.sub_rewards
    assert record.metadata.type == "multi" and record.metadata.name == "contact"


async def test_a_failed_sub_grader_makes_the_record_unscored() -> None:
    record = await _grade(GUIDE_EXAMPLE, '{"name": "John Doe"}')  # no email in the output
    assert not record.scored and record.reward == 0.0
    assert record.metadata.errors.flags() == ["invalid_variable_error"]
    assert set(record.sub_errors) == {"email"} and "output_json.email" in record.sub_errors["email"]
    assert record.sub_rewards == {"name": 1.0}  # what did succeed
    assert "email" in (record.error or "")


@pytest.mark.parametrize(
    "formula, words",
    [
        ("name / (email - 1)", ["division by zero"]),
        ("name + phone", ["unknown name", "phone"]),
        ("name +", ["expected"]),
        ("name ** 2", ["'^'"]),
    ],
)
async def test_formula_errors(formula: str, words: list[str]) -> None:
    grader = {**GUIDE_EXAMPLE, "calculate_output": formula}
    record = await _grade(grader, '{"name": "John Doe", "email": "john.doe@gmail.com"}')
    assert not record.scored and record.metadata.errors.flags() == ["formula_parse_error"]
    for word in words:
        assert word in (record.error or "")
    assert record.sub_rewards == {"name": 1.0, "email": 1.0}


async def test_formula_output_is_not_clipped() -> None:
    grader = {**GUIDE_EXAMPLE, "calculate_output": "name + email - 3"}
    record = await _grade(grader, '{"name": "John Doe", "email": "john.doe@gmail.com"}')
    assert record.scored and record.reward == -1.0


def _judge(name: str) -> dict:
    return {
        "type": "score_model",
        "name": name,
        "model": "judge",
        "input": [{"role": "user", "content": f"{name}: {{{{ sample.output_text }}}}"}],
        "range": [0, 1],
    }


async def test_sub_graders_run_concurrently_and_merge_calls() -> None:
    class SlowClient(ScriptedClient):
        async def call(self, request: ModelRequest, repeat: int = 0) -> ModelReply:
            await asyncio.sleep(0.3)
            self.requests.append((request, repeat))
            value = 7 if "c:" in request.messages[0]["content"] else 0.5
            return score_reply(value, model=request.model, tokens=(100, 10))

    grader = {
        "type": "multi",
        "name": "rubric",
        "graders": {k: _judge(k) for k in ("a", "b", "c")},
        "calculate_output": "(a + b + c) / 3",
    }
    client = SlowClient()
    start = time.perf_counter()
    record = await _grade(grader, "answer", client)
    assert time.perf_counter() - start < 0.8  # three 0.3 s calls at once, not 0.9 s
    # c replied 7 on [0, 1]: the platform's reward uses 1.0, but the record is unscored
    assert not record.scored and record.reward == pytest.approx((0.5 + 0.5 + 1.0) / 3)
    assert record.clipped == ["c"] and record.metadata.errors.model_grader_clipped
    assert record.sub_rewards == {"a": 0.5, "b": 0.5}  # c is not a score
    assert record.error.startswith("model_grader_clipped: c: the judge replied 7")
    assert sorted(call.grader for call in record.calls) == ["rubric.a", "rubric.b", "rubric.c"]
    assert record.metadata.token_usage == 330
    assert record.model_grader_token_usage_per_model["judge"]["total_tokens"] == 330


async def test_judge_parse_error_in_a_sub_grader() -> None:
    grader = {
        "type": "multi",
        "name": "rubric",
        "graders": {"a": _judge("a"), "exact": {**EMAIL, "input": "x", "reference": "x"}},
        "calculate_output": "a + exact",
    }
    record = await _grade(grader, "answer", ScriptedClient([text_reply("no idea")]))
    assert not record.scored
    assert record.metadata.errors.flags() == ["model_grader_parse_error"]
    assert record.sub_rewards == {"exact": 1.0}
    assert record.calls[0].raw == "no idea"


async def test_python_sub_grader_output_is_kept() -> None:
    grader = {
        "type": "multi",
        "name": "m",
        "graders": {
            "py": {
                "type": "python",
                "name": "py",
                "source": "def grade(sample, item):\n    print('checked')\n    return 0.25",
            },
            "email": EMAIL,
        },
        "calculate_output": "py + email",
    }
    record = await _grade(grader, '{"email": "john.doe@gmail.com"}')
    assert record.reward == 1.25 and "checked" in record.stdout


async def test_a_clipped_sub_grader_counts_only_when_asked() -> None:
    grader = {"type": "multi", "name": "rubric", "calculate_output": "(a + b) / 2",
              "graders": {k: _judge(k) for k in ("a", "b")}}  # fmt: skip
    client = ScriptedClient([score_reply(7.5), score_reply(0.5)])
    async with Runtime(client, score_clipped=True) as rt:
        record = await rt.grade(grader, ITEM, make_sample("x"))
    assert record.scored and record.reward == pytest.approx(0.75)
    assert record.sub_rewards == {"a": 1.0, "b": 0.5}
    assert record.metadata.errors.model_grader_clipped and record.clipped == ["a"]


async def test_a_clipped_and_a_failed_sub_grader_is_a_plain_failure() -> None:
    grader = {"type": "multi", "name": "rubric", "calculate_output": "(a + b) / 2",
              "graders": {k: _judge(k) for k in ("a", "b")}}  # fmt: skip
    record = await _grade(grader, "x", ScriptedClient([score_reply(7.5), text_reply("no")]))
    assert not record.scored and record.reward == 0.0
    assert record.metadata.errors.model_grader_clipped
    assert record.metadata.errors.model_grader_parse_error
