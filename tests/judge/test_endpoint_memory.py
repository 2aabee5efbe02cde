"""What the client learned of an endpoint is kept in the call store for later runs.

A run against a known endpoint (same store, base URL and model) starts from the kept
:class:`~rubricate.judge.endpoint.Profile`: no probe for a request kind the endpoint answered
before (its first calls go out together instead of one judge latency after the first) and no
attempt in a format the endpoint refused.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from rubricate.judge.calls import ClientSettings, ModelRequest
from rubricate.judge.client import open_client
from rubricate.judge.retry import RetryPolicy
from rubricate.judge.store import CallStore
from rubricate.testing import FakeOpenAI
from tests.judge.fakes import VERDICT_SCHEMA as SCHEMA


def judge(text: str) -> ModelRequest:
    return ModelRequest(
        model="judge",
        messages=({"role": "system", "content": "Judge."}, {"role": "user", "content": text}),
        json_schema=SCHEMA,
    )


async def run(server: FakeOpenAI, store: Path, texts: list[str], **changes: object) -> dict:
    """Grade ``texts`` concurrently with a fresh client on ``store``; its endpoint report."""
    settings = ClientSettings(base_url=server.base_url, store_path=str(store), timeout_s=5.0,
                              concurrency=8, max_retries=3).model_copy(update=changes)  # fmt: skip
    client = open_client(settings, retry=RetryPolicy(base_s=0.01, cap_s=0.05))
    assert client is not None
    async with client:
        replies = await asyncio.gather(*(client.call(judge(t)) for t in texts))
        report = client.endpoint_report()["models"]["judge"]
    assert all(r.ok for r in replies), [r.error for r in replies]
    return report


def formats(server: FakeOpenAI, since: int = 0) -> list[str]:
    bodies = [r.body for r in server.model_requests()[since:]]
    return [b.get("response_format", {}).get("type", "none") for b in bodies]


def test_a_later_run_sends_no_format_the_endpoint_refused(tmp_path: Path) -> None:
    """llama-cpp-python refuses json_schema (HTTP 500): the first run learns it once; the
    second run, on the same store, never sends json_schema again."""
    store = tmp_path / "calls.sqlite"
    with FakeOpenAI(imitate="llama-cpp-python") as server:
        first = asyncio.run(run(server, store, [f"one {i}" for i in range(4)]))
        seen = len(server.model_requests())
        second = asyncio.run(run(server, store, [f"two {i}" for i in range(8)]))
        assert formats(server)[:seen].count("json_schema") == 1
        assert formats(server, seen) == ["json_object"] * 8  # no refused attempt, no probe
    assert first["remembered_from"] is None
    assert second["remembered_from"].startswith("the call store (saved by an earlier run at ")
    assert second["structured_output"] == "json_object"
    assert second["structured_output_state"] == "accepted"
    assert "json_schema refused (HTTP 500)" in second["learned"][0]


def test_a_kind_answered_before_is_not_probed_again(tmp_path: Path) -> None:
    """With a fresh store the first call goes alone (the probe) and at most 7 of 8 are ever
    in flight together; on a store that knows the endpoint all 8 go out at once."""
    with FakeOpenAI(latency=0.3) as server:
        asyncio.run(run(server, tmp_path / "fresh.sqlite", [f"fresh {i}" for i in range(8)]))
        assert server.max_in_flight == 7
    store = tmp_path / "known.sqlite"
    with FakeOpenAI(latency=0.3) as server:
        asyncio.run(run(server, store, ["teach"]))
        asyncio.run(run(server, store, [f"known {i}" for i in range(8)]))
        assert server.max_in_flight == 8


def test_a_profile_kept_for_another_endpoint_or_model_is_not_used(tmp_path: Path) -> None:
    store = tmp_path / "calls.sqlite"
    with FakeOpenAI(imitate="llama-cpp-python") as server:
        asyncio.run(run(server, store, ["one"]))
    with FakeOpenAI(imitate="llama-cpp-python") as other:  # another port: another endpoint
        report = asyncio.run(run(other, store, ["two"]))
        assert formats(other) == ["json_schema", "json_object"]
    assert report["remembered_from"] is None


@pytest.mark.parametrize(
    "kept",
    ["not json", json.dumps({"structured": "telepathy", "probed": [[True, False, False]]}),
     json.dumps([1, 2])],  # fmt: skip
)
def test_a_kept_profile_this_version_cannot_read_is_learned_again(
    tmp_path: Path, kept: str
) -> None:
    store = tmp_path / "calls.sqlite"
    with FakeOpenAI(imitate="llama-cpp-python") as server:
        CallStore(store).close()
        with sqlite3.connect(store) as conn:
            conn.execute("INSERT INTO endpoints VALUES (?, 'judge', ?, 0)", (server.base_url, kept))
        report = asyncio.run(run(server, store, ["one"]))
        assert formats(server) == ["json_schema", "json_object"]
    assert report["remembered_from"] is None


def test_a_server_that_changed_is_learned_again_from_its_refusals(tmp_path: Path) -> None:
    """The store says json_schema was answered; the server (restarted as llama-cpp-python)
    now refuses it: every call still gets its answer, in JSON mode."""
    store = tmp_path / "calls.sqlite"
    with FakeOpenAI() as server:
        asyncio.run(run(server, store, ["openai-like"]))
        with sqlite3.connect(store) as conn:
            (kept,) = conn.execute("SELECT profile FROM endpoints").fetchone()
        assert json.loads(kept)["structured_confirmed"] is True
    with FakeOpenAI(imitate="llama-cpp-python") as server:
        with sqlite3.connect(store) as conn:
            conn.execute("UPDATE endpoints SET base_url = ?", (server.base_url,))
        report = asyncio.run(run(server, store, [f"now {i}" for i in range(4)]))
    assert report["structured_output"] == "json_object"


def test_a_forced_format_wins_over_the_kept_profile(tmp_path: Path) -> None:
    store = tmp_path / "calls.sqlite"
    with FakeOpenAI(imitate="llama-cpp-python") as server:
        asyncio.run(run(server, store, ["one"]))
        seen = len(server.model_requests())
        report = asyncio.run(run(server, store, ["two"], structured_output="instruction"))
        assert formats(server, seen) == ["none"]
    assert report["structured_output_state"] == "forced by --structured-output"


def test_a_run_in_a_forced_format_leaves_the_next_free_run_its_probe(tmp_path: Path) -> None:
    """What a forced run answered says nothing of json_schema: the next run still probes."""
    store = tmp_path / "calls.sqlite"
    with FakeOpenAI(imitate="llama-cpp-python") as server:
        asyncio.run(run(server, store, ["forced"], structured_output="json_object"))
        seen = len(server.model_requests())
        asyncio.run(run(server, store, [f"free {i}" for i in range(4)]))
        assert formats(server, seen).count("json_schema") == 1  # probed, refused once


def test_cache_clear_forgets_the_endpoints(tmp_path: Path) -> None:
    store = tmp_path / "calls.sqlite"
    with FakeOpenAI() as server:
        asyncio.run(run(server, store, ["one"]))
        base_url = server.base_url
    with CallStore(store) as opened:
        assert len(opened.endpoint_profiles(base_url)) == 1
        assert opened.clear()["endpoints"] == 1
        assert opened.endpoint_profiles(base_url) == {}
