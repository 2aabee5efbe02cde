"""The reward server: every route in process (Starlette's TestClient), then over a real socket
on 127.0.0.1 with a model grader judged by the loopback server."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.testclient import TestClient

from rubricate.errors import InputError
from rubricate.export.serve.app import ServeConfig, create_app
from rubricate.judge.calls import ClientSettings
from rubricate.testing import FakeOpenAI

CHECK = {
    "type": "string_check",
    "name": "capital",
    "input": "{{ sample.output_text }}",
    "reference": "{{ item.answer }}",
    "operation": "ilike",
}
MULTI = {
    "type": "multi",
    "name": "quiz",
    "graders": {
        "capital": CHECK,
        "judge": {
            "type": "score_model",
            "name": "judge",
            "model": "gpt-4o-mini",
            "input": [{"role": "user", "content": "Grade: {{ sample.output_text }}"}],
            "range": [0, 1],
        },
    },
    "calculate_output": "0.5 * capital + 0.5 * judge",
}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(ServeConfig(CHECK, max_pairs=3, max_body_bytes=2000))) as c:
        yield c


def test_grade_batch(client: TestClient):
    body = [
        {"item": {"answer": "Paris"}, "output_text": "It is paris."},
        {"item": {"answer": "Rome"}, "sample": {"output_text": "Bonn"}},
        {"item": {}, "output_text": "Rome"},
    ]
    answer = client.post("/grade", json=body).json()
    assert answer["rewards"] == [1.0, 0.0, None]  # the error is null, never 0
    first, _, third = answer["results"]
    assert first["metadata"]["errors"]["invalid_variable_error"] is False and first["scored"]
    assert third["metadata"]["errors"]["invalid_variable_error"] and not third["scored"]
    assert "calls" not in first and answer["grader"]["name"] == "capital"
    assert answer["summary"] == {
        "pairs": 3,
        "scored": 2,
        "unscored": 1,
        "errors_by_flag": {"invalid_variable_error": 1},
    }
    wrapped = client.post("/grade", json={"pairs": body[:1], "include_calls": True}).json()
    assert wrapped["results"][0]["calls"] == []


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{", 400, "not JSON"),
        (b"[]", 422, "no pairs"),
        (b'{"pairs": 3}', 422, "list of pairs"),
        (b'[{"output_text": "x"}]', 422, "pairs[0]: item"),
        (b'[{"item": {}}]', 422, "pairs[0]: output_text"),
        (b'[{"item": {}, "output_text": "x", "output_tools": 1}]', 422, "output_tools"),
        (json.dumps([{"item": {}, "output_text": "x"}] * 4).encode(), 413, "at most 3"),
        (json.dumps([{"item": {"a": "x" * 3000}, "output_text": "x"}]).encode(), 413, "2000"),
    ],
)
def test_bad_requests(client: TestClient, body: bytes, status: int, words: str):
    answer = client.post("/grade", content=body)
    assert answer.status_code == status and words in answer.json()["error"]


def test_graders_run_route(client: TestClient):
    answer = client.post(
        "/v1/fine_tuning/alpha/graders/run",
        json={"grader": CHECK, "model_sample": "paris", "item": {"answer": "Paris"}},
    ).json()
    assert answer["reward"] == 1.0 and answer["metadata"]["type"] == "string_check"
    assert answer["scored"] is True
    other = client.post(
        "/v1/fine_tuning/alpha/graders/run",
        json={"grader": {**CHECK, "operation": "eq"}, "model_sample": "x"},
    )
    assert other.status_code == 422 and "runs grader 'capital' only" in other.json()["error"]


def test_openrlhf_route(client: TestClient):
    body = {
        "query": ["<s>Q: capital of France? A: Paris", "Q: capital of Italy? A: Bonn"],
        "prompts": ["Q: capital of France? A:", "Q: capital of Italy? A:"],
        "labels": [json.dumps({"answer": "Paris"}), json.dumps({"answer": "Rome"})],
    }
    answer = client.post("/openrlhf", json=body).json()
    assert answer["rewards"] == [1.0, 0.0] == answer["scores"]
    assert answer["extra_logs"]["rubricate_scored"] == [1.0, 1.0]
    assert client.post("/get_reward", json=body).json()["rewards"] == [1.0, 0.0]
    broken = {**body, "labels": ["Paris", "Rome"]}  # not items: {"label": ...} has no answer
    failed = client.post("/openrlhf", json=broken)
    assert failed.status_code == 502 and "2 of 2 completions could not be graded" in failed.text
    mismatch = client.post("/openrlhf", json={**body, "prompts": ["other", "Q"]})
    assert mismatch.status_code == 502  # an unscored pair under raise, not a 422 of the batch
    assert "query[0]: the query does not contain its prompt" in mismatch.text


def test_openrlhf_value_policy():
    with TestClient(create_app(ServeConfig(CHECK, on_error="value:-1"))) as c:
        answer = c.post("/openrlhf", json={"query": ["x"], "labels": ["no item"]}).json()
    assert answer["rewards"] == [-1.0] and answer["extra_logs"]["rubricate_scored"] == [0.0]


def test_skip_is_refused_for_openrlhf():
    with pytest.raises(InputError, match="openrlhf cannot leave one response out"):
        create_app(ServeConfig(CHECK, on_error="skip"))


def test_health_and_metrics(client: TestClient):
    client.post("/grade", json=[{"item": {"answer": "a"}, "output_text": "a"}])
    client.post("/grade", json=[{"item": {}, "output_text": "a"}])
    client.post("/grade", content=b"{")
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["pairs"] == 2 and health["unscored"] == 1
    assert len(health["grader"]["sha256"]) == 64
    text = client.get("/metrics").text
    assert 'rubricate_requests_total{route="/grade",status="200"} 2.0' in text
    assert 'rubricate_requests_total{route="/grade",status="400"} 1.0' in text
    assert "rubricate_pairs_graded_total 2.0" in text
    assert 'rubricate_grade_errors_total{flag="invalid_variable_error"} 1.0' in text
    assert 'rubricate_request_seconds_count{route="/grade"} 3.0' in text


class _Server:
    """uvicorn in a thread on a free loopback port."""

    def __init__(self, app) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def _post(url: str, body: object) -> dict:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_real_socket_with_a_model_grader(fake_openai: FakeOpenAI, tmp_path: Path):
    settings = ClientSettings(
        base_url=fake_openai.base_url, store_path=str(tmp_path / "c.sqlite"), timeout_s=5
    )
    app = create_app(ServeConfig(MULTI, settings=settings))
    with _Server(app) as url:
        pairs = [
            {"item": {"answer": "Paris"}, "output_text": "Paris [[PASS]]"},
            {"item": {"answer": "Paris"}, "output_text": "Paris"},
            {"item": {"answer": "Rome"}, "output_text": "Bonn"},
        ]
        answer = _post(f"{url}/grade", pairs)
        assert answer["rewards"] == [1.0, 0.5, 0.0]
        assert answer["results"][0]["sub_rewards"] == {"capital": 1.0, "judge": 1.0}
        again = _post(f"{url}/grade", pairs[:1])  # replayed from the call store
        assert again["rewards"] == [1.0]
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
            metrics = response.read().decode()
        assert "rubricate_model_calls_total 3.0" in metrics
        assert "rubricate_model_cache_hits_total 1.0" in metrics
        with pytest.raises(urllib.error.HTTPError) as refused:
            _post(f"{url}/grade", [])
        refused.value.close()
        assert refused.value.code == 422
    assert len(fake_openai.requests) == 3


def test_retried_pairs_are_counted_once_in_health_and_metrics(fake_openai: FakeOpenAI):
    """The server grades through the public Grader; the re-graded attempts its stats count
    reach ``/metrics`` (rubricate_pair_retries) and ``/health`` alike."""
    from rubricate.testing.script import Fault

    settings = ClientSettings(base_url=fake_openai.base_url, store_path=None, timeout_s=5)
    fake_openai.fault(Fault.reply_text("no verdict here"))  # the first judge reply only
    with TestClient(create_app(ServeConfig(MULTI, settings=settings))) as c:
        pairs = [{"item": {"answer": "Paris"}, "output_text": "Paris [[PASS]]"}]
        assert c.post("/grade", json={"pairs": pairs}).json()["rewards"] == [1.0]
        assert c.post("/grade", json={"pairs": pairs}).json()["rewards"] == [1.0]
        health = c.get("/health").json()
        assert (health["batches"], health["pairs"], health["retried"]) == (2, 2, 1)
        assert "rubricate_pair_retries_total 1.0" in c.get("/metrics").text
