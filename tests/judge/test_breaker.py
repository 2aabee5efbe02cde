"""Fail fast (issue 14, finding 2): a dead endpoint or a refused key stops the run."""

from __future__ import annotations

import asyncio
import socket

import pytest

from rubricate.judge import breaker
from rubricate.judge.breaker import Breaker, EndpointDown, endpoint_name
from rubricate.judge.calls import ClientSettings, ModelRequest
from rubricate.judge.client import open_client
from rubricate.judge.retry import RetryPolicy
from rubricate.judge.tasks import gather_or_cancel
from rubricate.testing import FakeOpenAI


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_connection_failures_open_it_only_after_the_limit_and_the_outage() -> None:
    clock = Clock()
    fuse = Breaker(3, endpoint="http://x/v1", clock=clock)
    for _ in range(5):  # many failures at once: a blip, not yet an outage
        fuse.failed("connection", "cannot reach the endpoint: refused")
    clock.now = breaker.MIN_OUTAGE_S
    with pytest.raises(EndpointDown, match=r"cannot reach the model endpoint http://x/v1 "
                       r"\(refused\) after 6 consecutive failed connection attempts"):  # fmt: skip
        fuse.failed("connection", "cannot reach the endpoint: refused")
    with pytest.raises(EndpointDown):  # stays open
        fuse.check()


def test_an_answer_resets_the_count_and_other_errors_do_not_count() -> None:
    clock = Clock()
    fuse = Breaker(2, clock=clock)
    fuse.failed("connection", "refused")
    clock.now = 100.0
    fuse.answered()
    fuse.failed("connection", "refused")
    for kind in ("server_error", "rate_limited", "timeout", "bad_request"):
        fuse.failed(kind, "HTTP 500")  # the endpoint is there
    fuse.failed("connection", "refused")
    fuse.check()  # never two connection failures in a row


def test_a_refused_key_opens_it_at_once_and_zero_never_opens_on_connections() -> None:
    with pytest.raises(EndpointDown, match=r"refused the credentials \(HTTP 401: bad key\)"):
        Breaker(20).failed("auth", "HTTP 401: bad key")
    clock = Clock()
    never = Breaker(0, clock=clock)
    for _ in range(100):
        clock.now += 1.0
        never.failed("connection", "refused")
    never.check()


def test_the_endpoint_is_named_without_credentials() -> None:
    assert endpoint_name("https://user:secret@host:8443/v1?key=abc#x") == "https://host:8443/v1"
    assert endpoint_name(None) == "the OpenAI API"


async def test_gather_or_cancel_stops_the_others() -> None:
    finished: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(10)
        finished.append("slow")

    async def boom() -> None:
        await asyncio.sleep(0)
        raise EndpointDown("down")

    with pytest.raises(EndpointDown):
        await gather_or_cancel([slow(), boom(), slow()])
    await asyncio.sleep(0)
    assert finished == []


REQUEST = ModelRequest(model="m", messages=({"role": "user", "content": "hi"},))


async def test_the_client_raises_once_the_key_is_refused(fake_openai: FakeOpenAI, client_settings):
    fake_openai.fail(403, times=10)
    client = open_client(client_settings, retry=RetryPolicy(base_s=0.01, cap_s=0.02))
    assert client is not None
    async with client:
        with pytest.raises(EndpointDown, match="HTTP 403"):
            await client.call(REQUEST)
        with pytest.raises(EndpointDown):  # not sent again
            await client.call(REQUEST, repeat=1)
    assert fake_openai.count() == 1


async def test_the_client_stops_on_a_dead_endpoint(
    monkeypatch: pytest.MonkeyPatch, client_settings: ClientSettings
) -> None:
    monkeypatch.setattr(breaker, "MIN_OUTAGE_S", 0.0)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = client_settings.model_copy(update={
        "base_url": f"http://127.0.0.1:{port}/v1", "max_connection_failures": 4,
        "max_retries": 100})  # fmt: skip
    client = open_client(settings, retry=RetryPolicy(base_s=0.001, cap_s=0.002))
    assert client is not None
    async with client:
        with pytest.raises(EndpointDown, match="after 4 consecutive failed connection"):
            await client.call(REQUEST)
