"""The shared reward runtime: background loop, retries of transient failures, settings."""

from __future__ import annotations

import pickle
import threading

import pytest

from rubricate.errors import InputError
from rubricate.judge.calls import ClientSettings
from rubricate.judge.sample import make_sample
from rubricate.judge.service import (
    GraderService,
    RewardRuntime,
    settings_from_env,
    uses_models,
)
from rubricate.testing import FakeOpenAI
from rubricate.testing.script import Fault

CHECK = {
    "type": "string_check",
    "name": "capital",
    "input": "{{ sample.output_text }}",
    "reference": "{{ item.answer }}",
    "operation": "ilike",
}
JUDGE = {
    "type": "score_model",
    "name": "judge",
    "model": "gpt-4o-mini",
    "input": [{"role": "user", "content": "Grade this answer: {{ sample.output_text }}"}],
    "range": [0, 1],
}


def test_grades_a_batch_from_several_threads_on_one_loop():
    runtime = RewardRuntime(CHECK)
    pairs = [
        ({"answer": "Paris"}, make_sample("It is paris.")),
        ({"answer": "Rome"}, make_sample("Bonn")),
    ]
    results: list = []

    def work() -> None:
        results.append([r.reward for r in runtime.grade(pairs)])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert results == [[1.0, 0.0]] * 4
        assert runtime.stats.pairs == 8 and runtime.stats.unscored == 0
    finally:
        runtime.close()
    runtime.close()  # twice is fine


def test_a_missing_variable_is_unscored_and_counted_by_flag():
    runtime = RewardRuntime(CHECK)
    try:
        (record,) = runtime.grade([({}, make_sample("Paris"))])
        assert runtime.stats.as_dict()["errors_by_flag"] == {"invalid_variable_error": 1}
        assert runtime.stats.retried == 0  # deterministic: not graded again
    finally:
        runtime.close()
    assert not record.scored and record.metadata.errors.invalid_variable_error


async def test_a_judge_reply_that_does_not_parse_is_graded_again_with_the_next_repeat(
    fake_openai: FakeOpenAI, client_settings: ClientSettings
):
    fake_openai.fault(Fault.reply_text('{"result": 0.'))  # the first reply is cut off
    service = GraderService(JUDGE, client_settings, retries=2)
    try:
        records = await service.grade([({}, make_sample("fine [[PASS]]"))])
    finally:
        await service.aclose()
    assert records[0].scored and records[0].reward == 1.0
    assert service.stats.retried == 1 and service.stats.model_calls == 1
    assert len(fake_openai.requests) == 2


async def test_without_retries_the_parse_error_stays_an_error(
    fake_openai: FakeOpenAI, client_settings: ClientSettings
):
    fake_openai.fault(Fault.reply_text("no json at all"))
    service = GraderService(JUDGE, client_settings, retries=0)
    try:
        (record,) = await service.grade([({}, make_sample("fine [[PASS]]"))])
    finally:
        await service.aclose()
    assert not record.scored and record.metadata.errors.model_grader_parse_error
    assert service.stats.errors_by_flag["model_grader_parse_error"] == 1


def test_a_model_grader_without_endpoint_is_refused_on_first_use():
    runtime = RewardRuntime(JUDGE, ClientSettings(store_path=None))
    try:
        with pytest.raises(InputError, match="no endpoint is configured"):
            runtime.grade([({}, make_sample("x"))])
    finally:
        runtime.close()


def test_pickles_as_its_configuration():
    runtime = RewardRuntime(CHECK, python_workers=3)
    runtime.grade([({"answer": "a"}, make_sample("a"))])
    try:
        copy = pickle.loads(pickle.dumps(runtime))
        assert copy.options == {"python_workers": 3} and copy._loop is None
        assert copy.grade([({"answer": "a"}, make_sample("A"))])[0].reward == 1.0
        copy.close()
    finally:
        runtime.close()


def test_settings_from_env():
    settings = settings_from_env(
        {"RUBRICATE_CONCURRENCY": "4", "RUBRICATE_STORE": "none", "RUBRICATE_NO_CACHE": "1"}
    )
    assert settings.concurrency == 4 and settings.store_path is None and not settings.use_cache
    assert settings_from_env({}).store_path == ".rubricate/calls.sqlite"
    with pytest.raises(InputError, match="RUBRICATE_TIMEOUT"):
        settings_from_env({"RUBRICATE_TIMEOUT": "soon"})
    with pytest.raises(InputError, match="RUBRICATE_API"):
        settings_from_env({"RUBRICATE_API": "grpc"})
    forced = settings_from_env({"RUBRICATE_STRUCTURED_OUTPUT": "json_object"})
    assert forced.structured_output == "json_object"
    with pytest.raises(InputError, match="RUBRICATE_STRUCTURED_OUTPUT"):
        settings_from_env({"RUBRICATE_STRUCTURED_OUTPUT": "yaml"})


def test_uses_models():
    assert uses_models(JUDGE) and not uses_models(CHECK)
    assert uses_models({"type": "multi", "graders": {"a": CHECK, "b": JUDGE}})
