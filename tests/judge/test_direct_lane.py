"""The direct HTTP lane (rubricate.judge.direct): used where it can be, and every reply and
failure it gives is the one the SDK path gives (``RUBRICATE_HTTP=sdk``), against the real
loopback server."""

from __future__ import annotations

import os

import openai
import pytest

from rubricate.judge.calls import ClientSettings, ModelReply, ModelRequest
from rubricate.judge.client import open_client
from rubricate.judge.direct import DirectLane, lane_for_openai
from rubricate.judge.retry import RetryPolicy
from rubricate.testing import FakeOpenAI, Fault
from tests.judge.fakes import VERDICT_SCHEMA as SCHEMA

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


def test_the_lane_sends_the_headers_the_sdk_client_would(monkeypatch):
    monkeypatch.setenv("OPENAI_ORG_ID", "org-1")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-1")
    monkeypatch.delenv("RUBRICATE_HTTP", raising=False)
    lane = lane_for_openai("sk-test", "http://127.0.0.1:9/v1")
    assert isinstance(lane, DirectLane) and lane.base_url == "http://127.0.0.1:9/v1"
    sdk = openai.AsyncOpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    sent = {**sdk.default_headers, **sdk.auth_headers}
    expected = {
        name: value
        for name, value in sent.items()
        if isinstance(value, str) and not name.lower().startswith("x-stainless")
    }
    assert lane.headers == expected  # the SDK's telemetry headers (X-Stainless-*) are not sent
    assert lane_for_openai("sk-test", None).base_url == str(  # type: ignore[union-attr]
        openai.AsyncOpenAI(api_key="sk-test").base_url
    ).rstrip("/")


def test_the_sdk_path_where_the_lane_cannot_follow(monkeypatch, client_settings):
    monkeypatch.setenv("RUBRICATE_HTTP", "sdk")
    assert lane_for_openai("sk-test", "http://127.0.0.1:9/v1") is None
    monkeypatch.delenv("RUBRICATE_HTTP")
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "x")  # a variable the SDK may act on, the lane not
    assert lane_for_openai("sk-test", "http://127.0.0.1:9/v1") is None
    monkeypatch.delenv("OPENAI_ADMIN_KEY")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k")
    settings = client_settings.model_copy(
        update={"base_url": "https://x.openai.azure.com", "store_path": None, "azure": True}
    )
    azure = open_client(settings)
    assert azure is not None and azure.lane is None  # deployment routing stays in the SDK


def test_judge_calls_through_the_lane_never_import_the_sdk(tmp_path):
    # importing openai costs ~0.5 s of CPU at start-up, a third of a small run's client CPU
    import subprocess
    import sys

    script = (
        "import asyncio, sys\n"
        "from rubricate.judge.calls import ClientSettings, ModelRequest\n"
        "from rubricate.judge.client import open_client\n"
        "async def main():\n"
        "    client = open_client(ClientSettings(base_url=sys.argv[1], store_path=None))\n"
        "    async with client:\n"
        "        reply = await client.call(ModelRequest(model='m', messages=(\n"
        "            {'role': 'user', 'content': 'hello'},)))\n"
        "    assert reply.error is None, reply.error\n"
        "asyncio.run(main())\n"
        "print('openai' in sys.modules)\n"
    )
    with FakeOpenAI() as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "RUBRICATE_"))}
        done = subprocess.run([sys.executable, "-c", script, server.base_url], env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"


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


class _ForwardProxy:
    """A plain-HTTP forward proxy on 127.0.0.1 that records each request line it forwards."""

    def __init__(self) -> None:
        import http.client
        import http.server
        import threading
        from urllib.parse import urlsplit

        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _forward(self) -> None:
                seen.append(f"{self.command} {self.path}")
                target = urlsplit(self.path)  # a proxied request names the absolute URL
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                hop = ("proxy-connection", "connection", "host")
                headers = {k: v for k, v in self.headers.items() if k.lower() not in hop}
                upstream.request(self.command, target.path, body=body or None, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = _forward

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _no_proxy_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        for variable in (name, name.lower()):
            monkeypatch.delenv(variable, raising=False)


@pytest.mark.parametrize("http", ["direct", "sdk"])
async def test_a_proxy_named_in_the_environment_carries_the_judge_calls(
    http, client_settings, monkeypatch
):
    # the SDK's HTTP client sends through HTTP(S)_PROXY / ALL_PROXY (trust_env); the lane
    # connected directly, past a proxy a corporate network requires: where the environment
    # names a proxy, judge calls take the SDK path (fails on the code before: 0 requests seen)
    _no_proxy_named(monkeypatch)
    monkeypatch.setenv("RUBRICATE_HTTP", http)
    proxy = _ForwardProxy()
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        with FakeOpenAI() as server:
            base_url = server.base_url
            settings = client_settings.model_copy(update={"base_url": base_url, "store_path": None})
            reply = await _call(settings, _request("through the proxy"), retries=0)
    finally:
        proxy.close()
    assert reply.error is None, reply.error
    assert proxy.seen == [f"POST {base_url}/chat/completions"]


def test_no_proxy_star_or_no_proxy_at_all_keeps_the_lane(monkeypatch):
    _no_proxy_named(monkeypatch)
    monkeypatch.delenv("RUBRICATE_HTTP", raising=False)
    assert lane_for_openai("sk-test", "http://127.0.0.1:9/v1") is not None
    monkeypatch.setenv("https_proxy", "http://proxy.internal:3128")
    assert lane_for_openai("sk-test", "http://127.0.0.1:9/v1") is None
    monkeypatch.setenv("NO_PROXY", "example.com, *")  # the SDK ignores every proxy then
    assert lane_for_openai("sk-test", "http://127.0.0.1:9/v1") is not None
