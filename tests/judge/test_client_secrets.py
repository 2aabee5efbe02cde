"""No API key appears in the store, the logs, errors, usage or reprs, even on failures."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rubricate.judge.breaker import EndpointDown
from rubricate.judge.calls import ClientSettings, ModelRequest
from rubricate.judge.client import open_client
from rubricate.judge.retry import RetryPolicy
from rubricate.testing import Fault
from rubricate.testing.pytest_plugin import FAKE_API_KEY


def _request(text: str) -> ModelRequest:
    return ModelRequest(model="gpt-4.1-mini", messages=({"role": "user", "content": text},))


async def test_the_key_is_never_stored_logged_or_shown(fake_openai_env, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    fake = fake_openai_env
    echo = f"Incorrect API key provided: {FAKE_API_KEY}. Bearer {FAKE_API_KEY}"
    fake.fail(401, message=echo, match="auth")
    fake.fail(500, times=2, message=echo, match="server")
    fake.fail(429, times=5, message=echo, retry_after=0.01, match="limited")
    fake.fault(Fault.hang(), times=5, match="slow")
    fake.fault(Fault.refusal("I will not."), match="refuse")
    store = tmp_path / "calls.sqlite"
    settings = ClientSettings(store_path=str(store), timeout_s=1.0, max_retries=1)
    client = open_client(settings, retry=RetryPolicy(base_s=0.01, cap_s=0.02))
    assert client is not None
    replies = []
    async with client:
        for text in ("ok", "server", "limited", "slow", "refuse"):
            replies.append(await client.call(_request(text)))
        with pytest.raises(EndpointDown) as refused:  # a refused key stops the run
            await client.call(_request("auth"))
        shown = [repr(client), repr(client.store), client.usage.model_dump_json()]
    assert [r.error.kind if r.error else None for r in replies] == [
        None,
        "server_error",
        "rate_limited",
        "timeout",
        "refusal",
    ]
    shown.append(str(refused.value))
    assert all(r.authorized for r in fake.model_requests())  # the key was really sent
    texts = [r.model_dump_json() for r in replies] + shown + [caplog.text]
    files = [p for p in Path(tmp_path).iterdir() if p.name.startswith("calls.sqlite")]
    assert files and all(FAKE_API_KEY.encode() not in p.read_bytes() for p in files)
    assert all(FAKE_API_KEY not in text for text in texts)
    assert FAKE_API_KEY[-12:] not in "".join(texts)
    assert "***" in str(refused.value) and "***" in replies[1].error.message
