"""Model graders through the real client (``openai`` SDK) against the loopback server."""

from __future__ import annotations

import json

import pytest

from rubricate.judge.calls import ClientSettings
from rubricate.judge.client import open_client
from rubricate.judge.runtime import Runtime
from rubricate.judge.sample import make_sample
from rubricate.testing import FakeOpenAI, Fault, Verdict
from rubricate.testing.replies import last_user_text

SCORE = {
    "type": "score_model",
    "name": "judge",
    "model": "o4-mini-2025-04-16",
    "input": [
        {"role": "system", "content": "Grade the answer against the reference."},
        {"role": "user", "content": "Reference: {{ item.ref }}\nAnswer: {{ sample.output_text }}"},
    ],
    "range": [0, 1],
    "sampling_params": {"seed": 7, "max_completions_tokens": 500},
}


@pytest.fixture
def settings(client_settings: ClientSettings) -> ClientSettings:
    return client_settings.model_copy(update={"max_retries": 0})


async def _grade(settings: ClientSettings, grader: dict, item: dict, text: str, repeat: int = 0):  # noqa: ANN202
    async with open_client(settings) as client, Runtime(client) as rt:  # type: ignore[union-attr]
        return await rt.grade(grader, item, make_sample(text), repeat=repeat)


async def test_score_through_the_sdk(fake_openai: FakeOpenAI, settings: ClientSettings) -> None:
    record = await _grade(settings, SCORE, {"ref": "Paris"}, "[[PASS]] Paris")
    assert record.scored and record.reward == 1.0
    body = fake_openai.model_requests()[0].body
    assert body["model"] == "o4-mini-2025-04-16" and body["seed"] == 7
    assert body["max_completion_tokens"] == 500
    schema = body["response_format"]["json_schema"]
    assert schema["name"] == "score_model_result" and schema["strict"] is True
    assert body["messages"][1]["content"] == "Reference: Paris\nAnswer: [[PASS]] Paris"
    call = record.calls[0]
    assert json.loads(call.raw or "")["result"] == 1.0
    assert record.metadata.token_usage and record.metadata.token_usage > 0


async def test_out_of_range_reply_is_clipped(
    fake_openai: FakeOpenAI, settings: ClientSettings
) -> None:
    record = await _grade(settings, SCORE, {"ref": "x"}, "[[SCORE=7]] essay")
    assert not record.scored and record.reward == 1.0 and record.clipped == ["judge"]
    assert record.metadata.errors.model_grader_clipped
    assert record.calls[0].result == 7.0


@pytest.mark.parametrize(
    "fault, flag",
    [
        (Fault.reply_text('{"result": 0.'), "model_grader_parse_error"),
        (Fault.reply_text("The answer is good, I'd say 0.9."), "model_grader_parse_error"),
        (Fault.reply_text('{"result": "high", "steps": []}'), "model_grader_parse_error"),
        (Fault.refusal(), "model_grader_refusal_error"),
        (Fault.truncated(), "model_grader_parse_error"),
        (Fault.status(500), "model_grader_server_error"),
        (Fault.bad_body(), "model_grader_server_error"),
    ],
)
async def test_bad_replies_are_error_records(
    fake_openai: FakeOpenAI, settings: ClientSettings, fault: Fault, flag: str
) -> None:
    fake_openai.fault(fault)
    record = await _grade(settings, SCORE, {"ref": "x"}, "[[PASS]] x")
    assert not record.scored and record.reward == 0.0
    assert record.metadata.errors.flags() == [flag]
    assert record.error
    assert len(record.calls) == 1


async def test_server_error_details(fake_openai: FakeOpenAI, settings: ClientSettings) -> None:
    fake_openai.fail(503, message="overloaded")
    record = await _grade(settings, SCORE, {"ref": "x"}, "x")
    details = record.metadata.errors.model_grader_server_error_details or ""
    assert details.startswith("server_error") and "503" in record.error  # type: ignore[operator]


async def test_repeats_reach_the_server_and_reruns_replay(
    fake_openai: FakeOpenAI, settings: ClientSettings
) -> None:
    for repeat in (0, 1):
        await _grade(settings, SCORE, {"ref": "x"}, "[[PASS]] x", repeat=repeat)
    assert fake_openai.count() == 2  # two real samples
    again = await _grade(settings, SCORE, {"ref": "x"}, "[[PASS]] x", repeat=1)
    assert fake_openai.count() == 2 and again.calls[0].cached  # replayed from the store
    assert again.reward == 1.0


async def test_label_model_through_the_sdk(
    fake_openai: FakeOpenAI, settings: ClientSettings
) -> None:
    grader = {
        "type": "label_model",
        "name": "verdict",
        "model": "gpt-4.1-mini",
        "input": [{"role": "user", "content": "{{ sample.output_text }}"}],
        "labels": ["pass", "fail"],
        "passing_labels": ["pass"],
    }
    # the fake judge answers a label: "pass" when the prompt has the marker, else "fail"
    fake_openai.policy.score = lambda request: Verdict(
        "[[PASS]]" in last_user_text(request.body),
        "pass" if "[[PASS]]" in last_user_text(request.body) else "fail",
    )
    good = await _grade(settings, grader, {}, "[[PASS]] fine")
    bad = await _grade(settings, grader, {}, "wrong")
    assert (good.reward, good.calls[0].label) == (1.0, "pass")
    assert (bad.reward, bad.calls[0].label) == (0.0, "fail")
    assert good.scored and bad.scored


async def test_cosine_through_the_sdk(fake_openai: FakeOpenAI, settings: ClientSettings) -> None:
    grader = {
        "type": "text_similarity",
        "name": "cos",
        "input": "{{ sample.output_text }}",
        "reference": "{{ item.ref }}",
        "evaluation_metric": "cosine",
    }
    same = await _grade(settings, grader, {"ref": "the cat sat"}, "the cat sat")
    other = await _grade(settings, grader, {"ref": "the cat sat"}, "quarterly tax filing")
    assert same.reward == pytest.approx(1.0)
    assert other.reward < same.reward
    assert fake_openai.model_requests("/v1/embeddings")[0].body["model"] == "text-embedding-3-large"


async def test_multi_with_judges_through_the_sdk(
    fake_openai: FakeOpenAI, settings: ClientSettings
) -> None:
    judge = {
        **SCORE,
        "input": [{"role": "user", "content": "{{ item.marker }} {{ sample.output_text }}"}],
    }
    grader = {
        "type": "multi",
        "name": "rubric",
        "graders": {
            "a": {**judge, "name": "a"},
            "b": {
                **judge,
                "name": "b",
                "input": [{"role": "user", "content": "{{ sample.output_text }}"}],
            },
            "exact": {
                "type": "string_check",
                "name": "exact",
                "input": "{{ sample.output_text }}",
                "reference": "ok",
                "operation": "eq",
            },
        },
        "calculate_output": "0.5 * a + 0.25 * b + 0.25 * exact",
    }
    record = await _grade(settings, grader, {"marker": "[[PASS]]"}, "ok")
    assert record.scored
    assert record.sub_rewards == {"a": 1.0, "b": 0.0, "exact": 1.0}
    assert record.reward == pytest.approx(0.75)
    assert sorted(c.grader for c in record.calls) == ["rubric.a", "rubric.b"]
