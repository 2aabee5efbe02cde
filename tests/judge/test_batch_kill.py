"""A batch run killed between the provider accepting ``batches.create`` and the store
recording the batch (a real subprocess, SIGKILL from inside the server's create handler), then
rerun: one batch at the provider, every line paid once (issue 15, finding 4: the old code
submitted a second batch on resume, paying every line twice)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from rubricate.judge.calls import ModelRequest
from rubricate.judge.client import open_client
from rubricate.judge.store import INTENT_PREFIX, CallStore
from rubricate.testing import batches as fake_batches

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from rubricate.judge.calls import ClientSettings, ModelRequest
    from rubricate.judge.client import open_client

    async def main(store, n):
        settings = ClientSettings(store_path=store, batch=True, timeout_s=60)
        requests = [
            ModelRequest(model="gpt-4.1-mini", messages=({"role": "user", "content": f"q{i}"},))
            for i in range(n)
        ]
        async with open_client(settings) as client:
            client.batch.idle_s, client.batch.poll_s = 0.05, 0.05
            replies = await asyncio.gather(*(client.call(r) for r in requests))
            recovered = len(client.batch.recovered)
        bad = [r.error for r in replies if not r.ok]
        print(f"{sum(r.cached for r in replies)} cached, {len(bad)} errors, "
              f"{recovered} recovered", flush=True)
        return 1 if bad else 0

    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]))))
    """
)
N = 6


@pytest.mark.subprocess
def test_a_kill_right_after_batches_create_pays_once(fake_openai_env, tmp_path):
    fake = fake_openai_env
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    command = [sys.executable, str(script), str(tmp_path / "calls.sqlite"), str(N)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def create_then_die(server, request):  # noqa: ANN001, ANN202
        response = fake_batches._create_batch(server, request)  # the provider accepted it
        os.kill(child.pid, signal.SIGKILL)  # ... and the client dies before hearing so
        child.wait(timeout=10)
        return response

    fake.add_route("POST", "/v1/batches", create_then_die)
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL and len(fake.batches) == 1
    fake.add_route("POST", "/v1/batches", fake_batches._create_batch)

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.strip() == "0 cached, 0 errors, 1 recovered"
    assert len(fake.batches) == 1, "the rerun submitted (and paid for) a second batch"
    assert len(fake.answered) == N and set(fake.answered.values()) == {1}


def _requests(n: int) -> list[ModelRequest]:
    return [
        ModelRequest(model="gpt-4.1-mini", messages=({"role": "user", "content": f"q{i}"},))
        for i in range(n)
    ]


def _record_intent(path: str, requests: list[ModelRequest]) -> str:
    intent = INTENT_PREFIX + "0" * 32
    with CallStore(path) as store:
        entries = [(r.key(0), r.canonical_json(), "chat") for r in requests]
        store.add_batch(intent, "/chat/completions", None, entries)
    return intent


async def test_an_intent_the_provider_never_saw_is_submitted_again(fake_openai, client_settings):
    """Killed after recording the intent but before ``batches.create`` reached the provider:
    nothing was paid, so the rerun submits those calls (once)."""
    requests = _requests(3)
    intent = _record_intent(client_settings.store_path, requests)
    async with open_client(client_settings.model_copy(update={"batch": True})) as client:
        client.batch.idle_s, client.batch.poll_s = 0.05, 0.02
        replies = await asyncio.gather(*(client.call(r) for r in requests))
        assert client.batch.recovered == [] and len(client.batch.submitted) == 1
    assert all(r.ok for r in replies) and len(fake_openai.batches) == 1
    with CallStore(client_settings.store_path) as store:
        assert intent not in store.open_batches()


async def test_an_intent_that_cannot_be_looked_up_fails_rather_than_pays_twice(
    fake_openai, client_settings
):
    requests = _requests(2)
    intent = _record_intent(client_settings.store_path, requests)

    def broken(server, request):  # noqa: ANN001, ANN202
        from rubricate.testing.messages import FakeResponse

        return FakeResponse(503, {"error": {"message": "listing is down"}})

    fake_openai.add_route("GET", "/v1/batches", broken)
    settings = client_settings.model_copy(update={"batch": True, "max_retries": 0})
    async with open_client(settings) as client:
        client.batch.idle_s = 0.05
        replies = await asyncio.gather(*(client.call(r) for r in requests))
    assert not any(r.ok for r in replies) and not fake_openai.batches
    assert all(intent in r.error.message and "rerun" in r.error.message for r in replies)
    with CallStore(client_settings.store_path) as store:
        assert intent in store.open_batches()  # kept for the rerun to look up
