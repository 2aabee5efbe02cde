"""``score_model`` and ``label_model`` with a scripted client: prompts, verdicts, errors."""

from __future__ import annotations

from typing import Any

import pytest

from rubricate.judge.graders.base import GradeContext
from rubricate.judge.graders.judge_reply import SCORE_SCHEMA
from rubricate.judge.graders.model_graders import grade_label_model, grade_score_model
from rubricate.judge.sample import make_sample
from tests.judge.fakes import ScriptedClient, error_reply, score_reply, text_reply

SCORE = {
    "type": "score_model",
    "name": "quality",
    "model": "o4-mini-2025-04-16",
    "input": [
        {"role": "system", "content": "Score 1 for a match, 0.5 partial, else 0."},
        {
            "role": "user",
            "type": "message",
            "content": [
                {"type": "input_text", "text": "Reference: {{ item.reference_answer }}"},
                {"type": "input_text", "text": "Answer: {{ sample.output_text }}"},
                {"type": "input_image", "image_url": "{{ item.image }}", "detail": "low"},
            ],
        },
    ],
    "range": [0, 1],
    "sampling_params": {
        "seed": 42,
        "temperature": 0.2,
        "top_p": 0.9,
        "max_completions_tokens": 2048,
        "reasoning_effort": "low",
    },
}
ITEM = {"reference_answer": "Paris", "image": "https://example.invalid/p.png"}
SAMPLE = make_sample("It is Paris.")


async def _score(client: ScriptedClient | None, grader: dict = SCORE, **ctx: Any):  # noqa: ANN202
    return await grade_score_model(
        grader, ITEM, SAMPLE, GradeContext(client=client, **ctx), grader["name"]
    )


async def test_request_is_rendered_with_schema_and_sampling() -> None:
    client = ScriptedClient([score_reply(0.5)])
    record = await _score(client, repeat=3)
    request, repeat = client.requests[0]
    assert repeat == 3
    assert request.model == "o4-mini-2025-04-16"
    assert request.json_schema == SCORE_SCHEMA
    assert (request.seed, request.temperature, request.top_p) == (42, 0.2, 0.9)
    assert request.max_completion_tokens == 2048 and request.reasoning_effort == "low"
    assert request.messages[0] == {
        "role": "system",
        "content": "Score 1 for a match, 0.5 partial, else 0.",
    }
    assert request.messages[1] == {
        "role": "user",
        "content": [
            {"type": "input_text", "text": "Reference: Paris"},
            {"type": "input_text", "text": "Answer: It is Paris."},
            {"type": "input_image", "image_url": "https://example.invalid/p.png", "detail": "low"},
        ],
    }
    assert record.scored and record.reward == 0.5
    call = record.calls[0]
    assert call.messages == list(request.messages)
    assert call.key == request.key(3) and call.grader == "quality"
    assert call.raw is not None and '"result": 0.5' in call.raw
    assert call.result == 0.5 and call.steps == [{"description": "checked", "conclusion": "ok"}]


async def test_repeats_are_distinct_store_keys() -> None:
    client = ScriptedClient([score_reply(1.0), score_reply(0.0)])
    first = await _score(client, repeat=0)
    second = await _score(client, repeat=1)
    assert first.calls[0].key != second.calls[0].key
    assert client.requests[0][0] == client.requests[1][0]  # same request, another repeat


@pytest.mark.parametrize(
    "result, bounds, reward, clipped",
    [
        (7, [0, 1], 1.0, True),
        (-0.5, [0, 1], 0.0, True),
        (1, [0, 1], 1.0, False),
        (7, [0, 10], 7.0, False),
        (12, [0, 10], 10.0, True),
        (-3, [-5, 5], -3.0, False),
    ],
)
async def test_out_of_range_is_flagged_clipped_and_unscored(result, bounds, reward, clipped) -> None:  # noqa: ANN001,E501
    record = await _score(ScriptedClient([score_reply(result)]), {**SCORE, "range": bounds})
    assert record.reward == reward  # the platform's clipped value, as a trainer would get
    assert record.clipped == (["quality"] if clipped else [])
    assert record.metadata.errors.model_grader_clipped is clipped
    assert record.scored is not clipped  # never averaged as a score
    if clipped:
        assert record.error == (
            f"model_grader_clipped: the judge replied {result:g}, outside the range "
            f"[{bounds[0]:g}, {bounds[1]:g}]; the platform clips it to {reward:g}"
        )
        # the platform has no such flag: the API-shaped record leaves it out
        assert "model_grader_clipped" not in record.api_shape()["metadata"]["errors"]
    assert record.calls[0].result == result  # the unclipped value is kept


async def test_clipped_results_count_as_scored_only_when_asked() -> None:
    record = await _score(ScriptedClient([score_reply(7)]), score_clipped=True)
    assert record.scored and record.reward == 1.0 and record.error is None
    assert record.metadata.errors.model_grader_clipped and record.clipped == ["quality"]


async def test_default_range_is_0_to_1() -> None:
    grader = {k: v for k, v in SCORE.items() if k != "range"}
    record = await _score(ScriptedClient([score_reply(3)]), grader)
    assert record.reward == 1.0 and record.clipped == ["quality"] and not record.scored


@pytest.mark.parametrize(
    "reply_text",
    ["I'd give it 0.8", '{"result": "high"}', '{"result": 0.', '{"steps": []}', ""],
)
async def test_unparseable_reply_is_unscored_not_zero(reply_text: str) -> None:
    record = await _score(ScriptedClient([text_reply(reply_text)]))
    assert not record.scored
    assert record.reward == 0.0  # what the platform would return, but flagged
    assert record.metadata.errors.flags() == ["model_grader_parse_error"]
    assert record.calls[0].raw == reply_text and record.calls[0].error
    assert record.calls[0].result is None


async def test_prose_around_json_is_tolerated() -> None:
    text = 'Let me think.\n```json\n{"result": 0.25, "steps": []}\n```'
    record = await _score(ScriptedClient([text_reply(text)]))
    assert record.scored and record.reward == 0.25


async def test_refusal() -> None:
    record = await _score(ScriptedClient([error_reply("refusal", "I can't help with that.")]))
    assert not record.scored and record.metadata.errors.flags() == ["model_grader_refusal_error"]
    assert "I can't help" in (record.error or "")


async def test_truncated_reply_is_a_parse_error() -> None:
    record = await _score(ScriptedClient([error_reply("truncated", "finish_reason=length")]))
    assert record.metadata.errors.flags() == ["model_grader_parse_error"]


@pytest.mark.parametrize("kind", ["server_error", "rate_limited", "timeout", "connection", "auth"])
async def test_call_failures_are_server_errors_with_details(kind: str) -> None:
    record = await _score(ScriptedClient([error_reply(kind, "gave up after 6 retries", 503)]))
    errors = record.metadata.errors
    assert not record.scored and errors.flags() == ["model_grader_server_error"]
    assert errors.model_grader_server_error_details == f"{kind}: gave up after 6 retries"
    assert len(record.calls) == 1


async def test_no_client_means_not_run() -> None:
    record = await _score(None)
    errors = record.metadata.errors
    assert not record.scored and errors.model_grader_server_error
    assert errors.model_grader_server_error_details == "not_configured"
    assert "no model endpoint is configured" in (record.error or "")
    assert record.calls == []


async def test_missing_variable_makes_no_call() -> None:
    client = ScriptedClient()
    record = await grade_score_model(SCORE, {}, SAMPLE, GradeContext(client=client), "q")
    assert record.metadata.errors.flags() == ["invalid_variable_error"]
    assert client.requests == []


async def test_token_usage_is_recorded_per_model() -> None:
    record = await _score(ScriptedClient([score_reply(1, model="o4-mini-x", tokens=(120, 30))]))
    assert record.metadata.token_usage == 150
    assert record.metadata.sampled_model_name == "o4-mini-x"
    usage = record.model_grader_token_usage_per_model["o4-mini-2025-04-16"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (
        120,
        30,
        150,
    )


LABEL = {
    "type": "label_model",
    "name": "sentiment",
    "model": "gpt-4.1-mini",
    "input": [{"role": "user", "content": "Classify: {{ sample.output_text }}"}],
    "labels": ["positive", "neutral", "negative"],
    "passing_labels": ["positive", "neutral"],
}


@pytest.mark.parametrize(
    "text, reward, label",
    [
        ('{"result": "positive", "steps": []}', 1.0, "positive"),
        ('{"result": "neutral", "steps": []}', 1.0, "neutral"),
        ('{"result": "negative", "steps": []}', 0.0, "negative"),
        ("negative", 0.0, "negative"),
    ],
)
async def test_label_model(text: str, reward: float, label: str) -> None:
    client = ScriptedClient([text_reply(text)])
    record = await grade_label_model(
        LABEL, {}, make_sample("great!"), GradeContext(client=client), "s"
    )
    assert record.scored and record.reward == reward
    assert record.calls[0].label == label
    request = client.requests[0][0]
    assert request.json_schema is not None
    assert request.json_schema["schema"]["properties"]["result"]["enum"] == LABEL["labels"]
    assert request.messages[0]["content"] == "Classify: great!"


async def test_label_outside_labels_is_a_parse_error() -> None:
    client = ScriptedClient([text_reply('{"result": "ecstatic"}')])
    record = await grade_label_model(LABEL, {}, make_sample("x"), GradeContext(client=client), "s")
    assert not record.scored and record.metadata.errors.flags() == ["model_grader_parse_error"]
    assert "ecstatic" in (record.error or "")
