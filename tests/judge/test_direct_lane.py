"""The direct HTTP lane (rubricate.judge.direct): used where it can be, and every reply and
failure it gives is the one the SDK path gives (``RUBRICATE_HTTP=sdk``), against the real
loopback server."""

from __future__ import annotations

import openai
import pytest

from rubricate.judge.calls import ClientSettings, ModelReply, ModelRequest
from rubricate.judge.client import open_client
from rubricate.judge.direct import DirectLane, lane_for
from rubricate.judge.retry import RetryPolicy
from rubricate.testing import FakeOpenAI, Fault

SCHEMA = {
    "name": "verdict",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {"explanation": {"type": "string"}, "criteria_met": {"type": "boolean"}},
        "required": ["explanation", "criteria_met"],
        "additionalProperties": False,
    },
}
FAST = RetryPolicy(base_s=0.01, cap_s=0.05)


def _request(text: str) -> ModelRequest:
    return ModelRequest(
        model="gpt-4.1-mini",
        messages=({"role": "system", "content": "Judge."}, {"role": "user", "content": text}),
        json_schema=SCHEMA,
    )


def _shape(reply: ModelReply) -> tuple:
    error = reply.error
    failure = None if error is None else (error.kind, error.message, error.status_code, error.body)
    return reply.text, reply.refusal, reply.attempts, failure


async def _call(settings: ClientSettings, request: ModelRequest, retries: int) -> ModelReply:
    client = open_client(settings.model_copy(update={"max_retries": retries}), retry=FAST)
    assert client is not None
    async with client:
        return await client.call(request)


def test_a_plain_openai_client_gets_a_lane_and_azure_or_a_double_does_not(monkeypatch):
    monkeypatch.setenv("RUBRICATE_HTTP", "direct")
    plain = openai.AsyncOpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    lane = lane_for(plain)
    assert isinstance(lane, DirectLane) and lane_for(plain) is lane  # made once
    assert lane.base_url == "http://127.0.0.1:9/v1"
    assert lane.headers["Authorization"] == "Bearer sk-test"
    assert "Idempotency-Key" not in lane.headers and "x-stainless-retry-count" not in lane.headers
    azure = openai.AsyncAzureOpenAI(
        api_key="k", azure_endpoint="https://x.openai.azure.com", api_version="2024-10-21"
    )
    assert lane_for(azure) is None
    assert lane_for(object()) is None
    for off in ("sdk", ""):  # opt-in: without RUBRICATE_HTTP=direct, the SDK path
        monkeypatch.setenv("RUBRICATE_HTTP", off)
        fresh = openai.AsyncOpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
        assert lane_for(fresh) is None


FAULTS = {
    "answer": None,
    "429 with Retry-After, then 500s": [Fault.status(429, retry_after=0.01), Fault.status(500)],
    "400 with a message": [Fault.status(400, message="bad response_format")],
    "body that is not JSON": [Fault.bad_body()],
    "reply text cut short": [Fault.reply_text('{"explanation": "x", "criteria_met": tr')],
    "refusal": [Fault.refusal()],
}


@pytest.mark.parametrize("name", list(FAULTS))
async def test_every_reply_and_failure_is_the_sdk_paths(name, client_settings, monkeypatch):
    results = {}
    for http in ("direct", "sdk"):
        monkeypatch.setenv("RUBRICATE_HTTP", http)
        with FakeOpenAI() as server:
            for fault in FAULTS[name] or ():
                server.fault(fault, times=3)
            settings = client_settings.model_copy(
                update={"base_url": server.base_url, "store_path": None}
            )
            results[http] = _shape(await _call(settings, _request(f"answer {name}"), retries=2))
            headers = server.model_requests()[0].headers  # logged without credentials
            assert headers["user-agent"].startswith("AsyncOpenAI/Python")
            assert headers["x-rubricate-call"] == _request(f"answer {name}").key(0)
    assert results["direct"] == results["sdk"]


async def test_a_refused_connection_and_a_timeout_read_as_through_the_sdk(
    client_settings, monkeypatch
):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    kinds = {}
    for http in ("direct", "sdk"):
        monkeypatch.setenv("RUBRICATE_HTTP", http)
        settings = client_settings.model_copy(
            update={"base_url": closed, "store_path": None, "max_connection_failures": 100}
        )
        refused = await _call(settings, _request("nobody home"), retries=0)
        assert refused.error is not None
        assert refused.error.message.startswith("cannot reach the endpoint: ")
        with FakeOpenAI() as server:
            server.fault(Fault.hang(seconds=2.0))
            settings = client_settings.model_copy(
                update={"base_url": server.base_url, "store_path": None, "timeout_s": 0.2}
            )
            hung = await _call(settings, _request("hang"), retries=0)
        assert hung.error is not None
        kinds[http] = (refused.error.kind, hung.error.kind, hung.error.message)
    assert kinds["direct"] == kinds["sdk"] == ("connection", "timeout", "no answer within 0.2s")


@pytest.mark.parametrize(
    "raised",
    [ConnectionResetError("Connection reset by peer"), RuntimeError("Session is closed"),
     OSError(24, "Too many open files")],  # fmt: skip
    ids=["reset", "closed-session", "oserror"],
)
async def test_whatever_the_lane_raises_is_a_failed_attempt_not_a_crash(
    raised, client_settings, monkeypatch
):
    # the SDK wraps every transport exception as APIConnectionError; the lane let anything
    # but aiohttp's own errors escape, and an escaped exception ends the grade (a promptfoo
    # assertion then scores 0: issue 20)
    async def post(self, *args, **kwargs):
        raise raised

    monkeypatch.setenv("RUBRICATE_HTTP", "direct")
    monkeypatch.setattr(DirectLane, "post", post)
    with FakeOpenAI() as server:
        settings = client_settings.model_copy(
            update={"base_url": server.base_url, "store_path": None}
        )
        reply = await _call(settings, _request("unlucky"), retries=1)
    assert reply.error is not None and reply.error.kind == "connection"
    assert reply.error.message.startswith(f"cannot reach the endpoint: {raised}")
    assert reply.attempts == 2  # retryable, as through the SDK
