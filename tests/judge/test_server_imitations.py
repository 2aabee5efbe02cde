"""The model client against the loopback server imitating real OpenAI-compatible servers.

The imitations (:mod:`rubricate.testing.imitations`) answer as llama-cpp-python 0.3's server,
llama.cpp's ``llama-server``, vLLM and Ollama do; the real llama-cpp-python server is in
``tests/integration/test_real_server.py``. The first four tests reproduce the defects of
issue 16 (they failed on the client that only knew OpenAI's conventions).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from rubricate.judge.calls import ClientSettings, ModelRequest
from rubricate.judge.client import open_client
from rubricate.judge.retry import RetryPolicy
from rubricate.testing import FakeOpenAI, Generated
from tests.judge.fakes import VERDICT_SCHEMA as SCHEMA

FAST = RetryPolicy(base_s=0.01, cap_s=0.05)


def judge(text: str = "an answer [[PASS]]", **kwargs) -> ModelRequest:  # noqa: ANN003
    return ModelRequest(
        model="judge",
        messages=({"role": "system", "content": "Judge."}, {"role": "user", "content": text}),
        json_schema=SCHEMA,
        **kwargs,
    )


def generation(text: str = "Write a memo.", **kwargs) -> ModelRequest:  # noqa: ANN003
    return ModelRequest(
        model="cand",
        messages=(
            {"role": "developer", "content": "Be precise."},
            {"role": "user", "content": text},
        ),  # fmt: skip
        **kwargs,
    )


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(imitate=getattr(request, "param", "llama-cpp-python")) as fake:
        yield fake


def client_for(server: FakeOpenAI, tmp_path, **changes):  # noqa: ANN001, ANN003, ANN201
    settings = ClientSettings(base_url=server.base_url, store_path=str(tmp_path / "c.sqlite"),
                              timeout_s=5.0, concurrency=8, max_retries=3)  # fmt: skip
    client = open_client(settings.model_copy(update=changes), retry=FAST)
    assert client is not None
    return client


def _verdict(text: str | None) -> dict:
    data = json.loads(text or "")
    assert set(data) == {"explanation", "criteria_met"}
    return data


# ---------------------------------------------------------------- defects 1-4 (issue 16)
async def test_llama_cpp_python_500_on_json_schema_falls_back_to_json_mode(server, tmp_path):
    """Defect 1: llama-cpp-python answers json_schema with HTTP 500; that is a refusal of the
    format (not a server error to retry six times), and JSON mode with the schema follows."""
    async with client_for(server, tmp_path) as client:
        reply = await client.call(judge())
    assert reply.ok and _verdict(reply.text)["criteria_met"] is True
    statuses = [r.status for r in server.model_requests()]
    formats = [r.body["response_format"]["type"] for r in server.model_requests()]
    assert statuses == [500, 200] and formats == ["json_schema", "json_object"]
    profile = client.endpoint_report()["models"]["judge"]
    assert profile["structured_output"] == "json_object"
    assert profile["structured_output_state"] == "accepted"
    assert "json_schema refused (HTTP 500)" in profile["learned"][0]


async def test_output_limit_goes_under_the_name_the_server_reads(server, tmp_path):
    """Defect 2: llama-cpp-python reads max_tokens, not max_completion_tokens: a limit sent
    only as the latter leaves the reply uncapped."""
    server.generate = lambda request: Generated("word " * 400)
    async with client_for(server, tmp_path) as client:
        reply = await client.call(generation(max_completion_tokens=32))
    sent = server.model_requests()[0].body
    assert sent["max_tokens"] == 32
    assert reply.error is not None and reply.error.kind == "truncated"  # the server capped it
    assert "max_tokens" in reply.error.message


async def test_developer_role_goes_as_system_to_a_local_server(server, tmp_path):
    """Defect 3: llama-cpp-python refuses the developer role (HTTP 500), which broke baseline
    on every shipped example."""
    server.generate = lambda request: Generated("A memo.")
    async with client_for(server, tmp_path) as client:
        reply = await client.call(generation())
    assert reply.ok and reply.text == "A memo."
    roles = [m["role"] for m in server.model_requests()[0].body["messages"]]
    assert roles == ["system", "user"] and server.count() == 1


@pytest.mark.parametrize("server", ["llama-server"], indirect=True)
async def test_json_mode_sends_the_schema_that_constrains_decoding(server, tmp_path):
    """Defect 4: in JSON mode the schema goes along (``response_format.schema``); llama.cpp
    constrains decoding to it. Without it a small model writes JSON of its own shape."""
    server.reject_structured_outputs = True  # a llama-server build without json_schema
    async with client_for(server, tmp_path) as client:
        replies = await asyncio.gather(*(client.call(judge(f"answer {i}")) for i in range(6)))
    assert all(r.ok for r in replies)
    assert all(_verdict(r.text) for r in replies)  # every reply follows the schema
    last = server.model_requests()[-1].body["response_format"]
    assert last == {"type": "json_object", "schema": SCHEMA["schema"]}


# ---------------------------------------------------------------- the probe
async def test_queued_calls_wait_for_the_probe_instead_of_all_trying_the_refused_format(
    server, tmp_path
):
    async with client_for(server, tmp_path, concurrency=8) as client:
        replies = await asyncio.gather(*(client.call(judge(f"answer {i}")) for i in range(24)))
    assert all(r.ok for r in replies)
    formats = [r.body["response_format"]["type"] for r in server.model_requests()]
    assert formats.count("json_schema") == 1 and len(formats) == 25


@pytest.mark.parametrize("server", ["llama-cpp-python"], indirect=True)
async def test_a_mode_learned_while_queued_is_used_after_the_wait(server, tmp_path):
    """Calls of another kind (no probe shared) still pick the mode after their slot."""
    async with client_for(server, tmp_path, concurrency=1) as client:
        first = asyncio.ensure_future(client.call(judge("one", seed=1)))
        second = asyncio.ensure_future(client.call(judge("two", max_completion_tokens=400)))
        assert all(r.ok for r in await asyncio.gather(first, second))
    formats = [r.body["response_format"]["type"] for r in server.model_requests()]
    assert formats.count("json_schema") == 1


@pytest.mark.parametrize("server", ["llama-cpp-python"], indirect=True)
async def test_a_forced_format_is_not_fallen_back_from(server, tmp_path):
    async with client_for(server, tmp_path, structured_output="json_schema") as client:
        reply = await client.call(judge())
    assert reply.error is not None and reply.error.kind == "bad_request"
    assert "--structured-output json_schema is forced" in reply.error.message
    assert server.count() == 1  # refused, not retried


@pytest.mark.parametrize("server", ["llama-cpp-python"], indirect=True)
async def test_forcing_json_object_sends_the_schema_first(server, tmp_path):
    async with client_for(server, tmp_path, structured_output="json_object") as client:
        reply = await client.call(judge())
        report = client.endpoint_report()
    assert reply.ok and server.count() == 1
    assert server.model_requests()[0].body["response_format"]["schema"] == SCHEMA["schema"]
    assert report["models"]["judge"]["structured_output_state"] == "forced by --structured-output"


@pytest.mark.parametrize("server", ["llama-cpp-python"], indirect=True)
async def test_responses_api_missing_then_json_schema_refused(server, tmp_path):
    async with client_for(server, tmp_path, api="responses") as client:
        reply = await client.call(judge())
        report = client.endpoint_report()["models"]["judge"]
    paths = [(r.path, r.status) for r in server.model_requests()]
    chat = "/v1/chat/completions"
    assert reply.ok and paths == [("/v1/responses", 404), (chat, 500), (chat, 200)]
    assert report["responses_api"] is False and report["structured_output"] == "json_object"


# ---------------------------------------------------------------- each server
@pytest.mark.parametrize("server", ["vllm", "llama-server", "ollama"], indirect=True)
async def test_servers_with_structured_outputs_get_json_schema_at_once(server, tmp_path):
    async with client_for(server, tmp_path) as client:
        reply = await client.call(judge(max_completion_tokens=300))
    sent = server.model_requests()
    assert reply.ok and len(sent) == 1 and _verdict(reply.text)["criteria_met"] is True
    assert sent[0].body["response_format"]["type"] == "json_schema"
    assert sent[0].body["max_tokens"] == sent[0].body["max_completion_tokens"] == 300


@pytest.mark.parametrize("server", ["ollama", "vllm", "llama-server"], indirect=True)
async def test_developer_messages_reach_every_server_as_system(server, tmp_path):
    """Ollama would drop a developer message silently: it never gets one."""
    seen: list[list[str]] = []

    def generate(request):  # noqa: ANN001, ANN202
        seen.append([m["role"] for m in request.body["messages"]])
        return Generated("ok")

    server.generate = generate
    async with client_for(server, tmp_path) as client:
        assert (await client.call(generation())).ok
    assert seen == [["system", "user"]]


async def test_openai_keeps_its_own_conventions(tmp_path, monkeypatch):
    """Against OpenAI's API: developer stays developer, the limit is max_completion_tokens."""
    from rubricate.judge.endpoint import Profile

    profile = Profile.for_endpoint(None, "gpt-4.1-mini")
    assert profile.openai and profile.developer_role
    assert profile.token_fields == ("max_completion_tokens",)
    azure = Profile.for_endpoint("https://x.openai.azure.com", "m", azure=True)
    assert azure.developer_role and azure.token_fields == ("max_completion_tokens",)
    local = Profile.for_endpoint("http://127.0.0.1:8080/v1", "m")
    assert not local.developer_role
    assert local.token_fields == ("max_tokens", "max_completion_tokens")
