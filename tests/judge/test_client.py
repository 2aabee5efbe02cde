"""The model client against the loopback server: answers, replays, errors, fallbacks."""

from __future__ import annotations

import asyncio
import time

import pytest

from rubricate.judge.breaker import EndpointDown
from rubricate.judge.calls import ClientSettings, ModelRequest
from rubricate.judge.client import open_client
from rubricate.judge.retry import RetryPolicy
from rubricate.testing import FakeOpenAI, Fault
from tests.judge.fakes import VERDICT_SCHEMA as SCHEMA

FAST = RetryPolicy(base_s=0.01, cap_s=0.05)


def judge(text: str = "an answer [[PASS]]", **kwargs) -> ModelRequest:
    return ModelRequest(
        model="gpt-4.1-mini",
        messages=({"role": "system", "content": "Judge."}, {"role": "user", "content": text}),
        json_schema=SCHEMA,
        **kwargs,
    )


def client_for(settings: ClientSettings, retry: RetryPolicy = FAST, **changes):
    client = open_client(settings.model_copy(update={"max_retries": 3, **changes}), retry=retry)
    assert client is not None
    return client


async def test_generate_sends_structured_output_and_parses_reply(fake_openai, client_settings):
    request = judge(temperature=0.0, seed=7, max_completion_tokens=300, reasoning_effort="low")
    async with client_for(client_settings) as client:
        reply = await client.call(request)
    assert reply.ok and not reply.cached and reply.attempts == 1
    assert reply.text == '{"explanation": "criterion met", "criteria_met": true}'
    assert reply.usage.input_tokens > 0 and reply.model == "gpt-4.1-mini"
    sent = fake_openai.model_requests()[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.body["response_format"] == {"type": "json_schema", "json_schema": SCHEMA}
    assert sent.body["seed"] == 7 and sent.body["temperature"] == 0.0
    assert sent.body["max_completion_tokens"] == 300 and sent.body["reasoning_effort"] == "low"
    assert sent.headers["x-rubricate-call"] == request.key(0)


async def test_the_answer_is_committed_before_it_is_returned(fake_openai, client_settings):
    import sqlite3

    async with client_for(client_settings) as client:
        reply = await client.call(judge())
        reader = sqlite3.connect(client_settings.store_path)  # another connection sees it now
        try:
            row = reader.execute("SELECT text FROM calls WHERE key = ?", (judge().key(0),))
            assert row.fetchone() == (reply.text,)
        finally:
            reader.close()


async def test_replays_from_the_store_and_repeats_are_separate_calls(fake_openai, client_settings):
    request = judge()
    async with client_for(client_settings) as client:
        first = await client.call(request, repeat=0)
        second = await client.call(request, repeat=1)
    async with client_for(client_settings) as client:
        again = await client.call(request, repeat=0)
        assert client.usage.cached == 1 and client.usage.calls == 0
    assert fake_openai.count() == 2
    assert again.cached and again.text == first.text and again.usage == first.usage
    assert not second.cached


async def test_no_cache_calls_again_but_still_records(fake_openai, client_settings):
    request = judge()
    async with client_for(client_settings) as client:
        await client.call(request)
    async with client_for(client_settings, use_cache=False) as client:
        reply = await client.call(request)
        assert client.store is not None and client.store.count() == 1
    assert not reply.cached and fake_openai.count() == 2


async def test_identical_concurrent_calls_are_made_once(fake_openai, client_settings):
    fake_openai.latency = 0.1
    async with client_for(client_settings) as client:
        replies = await asyncio.gather(*(client.call(judge()) for _ in range(5)))
    assert fake_openai.count() == 1 and len({r.text for r in replies}) == 1


async def test_a_joined_call_survives_the_first_caller_being_cancelled(
    fake_openai, client_settings
):
    fake_openai.latency = 0.2
    async with client_for(client_settings) as client:
        first = asyncio.create_task(client.call(judge()))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(client.call(judge()))
        await asyncio.sleep(0.05)
        first.cancel()
        reply = await second
    assert first.cancelled() and reply.ok and fake_openai.count() == 2


async def test_embeddings(fake_openai, client_settings):
    request = ModelRequest(kind="embed", model="text-embedding-3-small", inputs=("a b", "c d"))
    async with client_for(client_settings) as client:
        reply = await client.call(request)
    async with client_for(client_settings) as client:
        replayed = await client.call(request)
    assert reply.ok and len(reply.embeddings) == 2 and len(reply.embeddings[0]) == 64
    assert replayed.cached and replayed.embeddings == reply.embeddings
    assert fake_openai.model_requests()[0].body["encoding_format"] == "float"


@pytest.mark.parametrize("header", ["retry_after", "retry_after_ms"])
async def test_retries_honour_retry_after(fake_openai, client_settings, header):
    value = 0.4 if header == "retry_after" else 400
    fake_openai.fail(429, times=2, **{header: value})
    async with client_for(client_settings) as client:
        reply = await client.call(judge())
    assert reply.ok and reply.attempts == 3
    starts = [r.started for r in fake_openai.model_requests()]
    assert all(b - a >= 0.4 for a, b in zip(starts, starts[1:], strict=False))


async def test_503_with_retry_after_is_retried(fake_openai, client_settings):
    fake_openai.fail(503, retry_after=0.2)
    async with client_for(client_settings) as client:
        reply = await client.call(judge())
    starts = [r.started for r in fake_openai.model_requests()]
    assert reply.ok and reply.attempts == 2 and starts[1] - starts[0] >= 0.2


async def test_budget_spent_gives_a_clear_final_error(fake_openai, client_settings):
    fake_openai.fail(500, times=10, message="upstream exploded")
    async with client_for(client_settings) as client:
        reply = await client.call(judge())
        assert client.usage.errors == {"server_error": 1} and client.usage.attempts == 4
        assert client.store is not None and client.store.count() == 0
        stored = client.store.query("SELECT kind, attempts FROM errors")
    assert reply.error is not None and reply.error.kind == "server_error"
    assert reply.error.message == "HTTP 500: upstream exploded (gave up after 4 attempts)"
    assert reply.error.status_code == 500 and "upstream exploded" in reply.error.body
    assert fake_openai.count() == 4 and stored == [("server_error", 4)]


async def test_rate_limited_after_every_retry(fake_openai, client_settings):
    fake_openai.fail(429, times=10)
    async with client_for(client_settings) as client:
        reply = await client.call(judge())
    assert reply.error.kind == "rate_limited" and reply.attempts == 4


@pytest.mark.parametrize(("status", "kind"), [(400, "bad_request"), (404, "bad_request")])
async def test_client_errors_are_not_retried(fake_openai, client_settings, status, kind):
    fake_openai.fail(status)
    async with client_for(client_settings) as client:
        reply = await client.call(judge())
    assert reply.error.kind == kind and reply.attempts == 1 and fake_openai.count() == 1


@pytest.mark.parametrize("status", [401, 403])
async def test_a_refused_key_is_not_retried_and_stops_the_run(fake_openai, client_settings, status):
    fake_openai.fail(status)
    async with client_for(client_settings) as client:
        with pytest.raises(EndpointDown, match=f"refused the credentials \\(HTTP {status}"):
            await client.call(judge())
    assert fake_openai.count() == 1


async def test_timeout_then_success(fake_openai, client_settings):
    fake_openai.fault(Fault.hang())
    async with client_for(client_settings, timeout_s=1.0) as client:
        reply = await client.call(judge())
    assert reply.ok and reply.attempts == 2


async def test_timeout_after_every_retry(fake_openai, client_settings):
    fake_openai.fault(Fault.hang(), times=10)
    async with client_for(client_settings, timeout_s=0.2, max_retries=1) as client:
        reply = await client.call(judge())
    assert reply.error.kind == "timeout"
    assert reply.error.message == "no answer within 0.2s (gave up after 2 attempts)"


async def test_connection_error(tmp_path):
    with FakeOpenAI() as server:
        url = server.base_url
    settings = ClientSettings(base_url=url, store_path=str(tmp_path / "s.sqlite"))
    async with client_for(settings, max_retries=1) as client:
        reply = await client.call(judge())
    assert reply.error.kind == "connection" and reply.attempts == 2


async def test_unreadable_body_is_a_retried_server_error(fake_openai, client_settings):
    fake_openai.fault(Fault.bad_body())
    async with client_for(client_settings) as client:
        reply = await client.call(judge())
    assert reply.ok and reply.attempts == 2


async def test_refusal_and_truncation(fake_openai, client_settings):
    fake_openai.fault(Fault.refusal("no."), match="refuse me")
    fake_openai.fault(Fault.truncated(), match="cut me")
    async with client_for(client_settings) as client:
        refused = await client.call(judge("refuse me"))
        cut = await client.call(judge("cut me", max_completion_tokens=5))
        assert client.usage.errors == {"refusal": 1, "truncated": 1} and client.usage.calls == 2
    assert refused.error.kind == "refusal" and refused.refusal == "no." and refused.text is None
    assert cut.error.kind == "truncated" and "max_completion_tokens=5" in cut.error.message
    assert cut.text and not cut.text.endswith("}")
    async with client_for(client_settings) as client:  # billed answers replay with their error
        replayed = await client.call(judge("refuse me"))
    assert replayed.cached and replayed.error.kind == "refusal" and fake_openai.count() == 2


async def test_malformed_judge_json_is_returned_as_text(fake_openai, client_settings):
    fake_openai.fault(Fault.reply_text('{"result": 0.'))
    async with client_for(client_settings) as client:
        reply = await client.call(judge())
    assert reply.ok and reply.text == '{"result": 0.'


async def test_structured_output_rejection_falls_back_and_is_remembered(
    fake_openai, client_settings
):
    fake_openai.reject_structured_outputs = True
    async with client_for(client_settings) as client:
        first = await client.call(judge("one"))
        second = await client.call(judge("two"))
    formats = [r.body.get("response_format") for r in fake_openai.model_requests()]
    with_schema = {"type": "json_object", "schema": SCHEMA["schema"]}
    assert formats == [{"type": "json_schema", "json_schema": SCHEMA}, with_schema, with_schema]
    assert first.ok and second.ok and first.attempts == 2 and second.attempts == 1
    async with client_for(client_settings) as client:
        modes = client.store.query("SELECT DISTINCT mode FROM calls")
    assert modes == [("json_object",)]
    system = fake_openai.model_requests()[1].body["messages"][0]["content"]
    assert system.startswith("Judge.") and '"criteria_met"' in system


async def test_json_mode_rejection_falls_back_to_an_instruction(fake_openai, client_settings):
    fake_openai.reject_structured_outputs = fake_openai.reject_json_object = True
    async with client_for(client_settings) as client:
        reply = await client.call(judge())
    sent = [r.body.get("response_format") for r in fake_openai.model_requests()]
    assert [f and (f["type"], "schema" in f) for f in sent] == [
        ("json_schema", False), ("json_object", True), ("json_object", False), None]  # fmt: skip
    last = fake_openai.model_requests()[-1].body
    assert reply.ok and reply.attempts == 4 and "response_format" not in last
    assert "JSON Schema" in last["messages"][0]["content"]


async def test_responses_api(fake_openai, client_settings):
    request = judge(max_completion_tokens=50, reasoning_effort="low", seed=3)
    async with client_for(client_settings, api="responses") as client:
        reply = await client.call(request)
    sent = fake_openai.model_requests()[0]
    assert sent.path == "/v1/responses" and reply.ok and '"criteria_met": true' in reply.text
    assert sent.body["text"]["format"]["type"] == "json_schema"
    assert sent.body["max_output_tokens"] == 50 and sent.body["reasoning"] == {"effort": "low"}
    assert "seed" not in sent.body


async def test_responses_api_missing_falls_back_to_chat(fake_openai, client_settings):
    fake_openai.responses_api = False
    async with client_for(client_settings, api="responses") as client:
        first = await client.call(judge("one"))
        await client.call(judge("two"))
    paths = [r.path for r in fake_openai.model_requests()]
    assert first.ok and paths == ["/v1/responses", "/v1/chat/completions", "/v1/chat/completions"]


def test_open_client_needs_an_endpoint(tmp_path, monkeypatch):
    settings = ClientSettings(store_path=None)
    assert open_client(settings) is None
    assert open_client(settings, azure=True) is None
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdefgh")
    assert open_client(settings) is not None


async def test_base_url_without_key_works_with_a_placeholder(fake_openai, client_settings):
    async with client_for(client_settings) as client:
        reply = await client.call(judge())
    assert reply.ok and fake_openai.model_requests()[0].authorized


async def test_usage_and_cost(fake_openai, client_settings):
    async with client_for(client_settings) as client:
        await client.call(judge())
        await client.call(judge(), repeat=1)
        usage = client.usage
    assert usage.calls == 2 and usage.attempts == 2 and usage.cost_usd > 0
    per = usage.by_model["gpt-4.1-mini"]
    expected = (per.input_tokens * 0.4 + per.output_tokens * 1.6) / 1e6
    assert usage.cost_usd == pytest.approx(expected)
    assert "2 calls (0 from the store, 0 errors)" in usage.summary()


async def test_concurrency_never_exceeds_the_limit(fake_openai, client_settings):
    fake_openai.latency = 0.05
    async with client_for(client_settings, concurrency=5) as client:
        started = time.perf_counter()
        replies = await asyncio.gather(*(client.call(judge(f"a{i}")) for i in range(40)))
        elapsed = time.perf_counter() - started
    assert all(r.ok for r in replies)
    assert fake_openai.max_in_flight == 5 and client.limiter.max_in_flight == 5
    assert elapsed >= 8 * 0.05


async def test_works_over_httpx_when_aiohttp_is_missing(
    fake_openai, client_settings, tmp_path, monkeypatch
):
    import openai

    def missing(**kwargs):
        raise RuntimeError("To use the aiohttp client you must have installed aiohttp")

    monkeypatch.setattr(openai, "DefaultAioHttpClient", missing)
    fake_openai.fault(Fault.hang(), match="slow")
    async with client_for(client_settings, timeout_s=1.0, max_retries=0) as client:
        assert (await client.call(judge())).ok
        assert (await client.call(judge("slow"))).error.kind == "timeout"
    with FakeOpenAI() as server:
        url = server.base_url
    settings = ClientSettings(base_url=url, store_path=str(tmp_path / "s.sqlite"))
    async with client_for(settings, max_retries=0) as client:
        assert (await client.call(judge())).error.kind == "connection"


async def test_azure_deployments_live_and_batch(fake_openai, tmp_path, monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", fake_openai.base_url.removesuffix("/v1"))
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-key-0123456789")
    settings = ClientSettings(store_path=str(tmp_path / "calls.sqlite"))
    async with open_client(settings, azure=True) as client:
        reply = await client.call(judge())
    sent = fake_openai.requests[-1]
    assert reply.ok and sent.path == "/v1/chat/completions" and sent.authorized
    async with open_client(settings.model_copy(update={"batch": True}), azure=True) as client:
        client.batch.idle_s, client.batch.poll_s = 0.02, 0.02
        batched = await client.call(judge(), repeat=1)
    line = fake_openai.model_requests(batch=True)[0]
    assert batched.ok and fake_openai.batches and line.identity == judge().key(1)
    assert next(iter(fake_openai.batches.values()))["endpoint"] == "/chat/completions"
