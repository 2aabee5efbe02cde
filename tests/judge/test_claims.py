"""Claims (:mod:`rubricate.judge.claims`): processes sharing one call store pay once.

Issue 15, finding 4: two processes sharing one store paid for everything twice, and a
resumed run's cost counted only its own process. Real subprocesses against the loopback
server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from rubricate.judge import claims
from rubricate.judge.calls import ModelReply, Usage
from rubricate.judge.pricing import default_prices
from rubricate.judge.store import CallStore
from rubricate.judge.usage import RunUsage

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from rubricate.judge.calls import ClientSettings, ModelRequest
    from rubricate.judge.client import open_client

    async def main(store, n):
        settings = ClientSettings(store_path=store, concurrency=16, timeout_s=60)
        requests = [
            ModelRequest(model="gpt-4.1-mini", messages=({"role": "user", "content": f"q{i}"},))
            for i in range(n)
        ]
        async with open_client(settings) as client:
            replies = await asyncio.gather(*(client.call(r) for r in requests))
            usage = client.usage
        bad = [r.error for r in replies if not r.ok]
        orphaned = getattr(usage, "orphaned", "?")  # (the old code had none)
        print(f"{usage.calls} made, {usage.cached} replayed, {orphaned} orphaned, "
              f"{len(bad)} errors", flush=True)
        return 1 if bad else 0

    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]))))
    """
)
N = 8


def _wait(predicate, what: str, timeout: float = 30.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@pytest.mark.subprocess
def test_two_processes_sharing_a_store_pay_once(fake_openai_env, tmp_path):
    fake = fake_openai_env
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    command = [sys.executable, str(script), str(tmp_path / "calls.sqlite"), str(N)]
    # every answer takes 3 s: the first process's calls are in flight (after its endpoint
    # probe, the first call, has been answered alone) when the second asks for the same ones
    fake.latency = 3.0
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait(lambda: fake.in_flight >= N - 1, "the first process never sent its calls")
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out_first, err_first = first.communicate(timeout=60)
    out_second, err_second = second.communicate(timeout=60)
    assert first.returncode == 0 and second.returncode == 0, err_first + err_second
    assert len(fake.answered) == N and set(fake.answered.values()) == {1}, "a call paid twice"
    assert out_first.startswith(f"{N} made, 0 replayed")
    assert out_second.startswith(f"0 made, {N} replayed, 0 orphaned, 0 errors")


def test_a_replayed_answer_reports_what_it_cost_when_it_was_made():
    """A resumed run's cost covers every process: the replays' original cost is kept apart."""
    usage = RunUsage()
    prices = default_prices()
    reply = ModelReply(text="{}", usage=Usage(input_tokens=1_000_000, output_tokens=0))
    usage.record("gpt-4.1-mini", reply, prices)
    usage.record("gpt-4.1-mini", reply.model_copy(update={"cached": True}), prices)
    assert usage.calls == 1 and usage.cached == 1
    assert usage.replayed_cost_usd == pytest.approx(usage.cost_usd) and usage.cost_usd > 0
    assert "the replayed answers cost ~$" in usage.summary()


@pytest.mark.subprocess
def test_calls_a_killed_process_had_in_flight_are_counted_as_orphaned(fake_openai_env, tmp_path):
    fake = fake_openai_env
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    command = [sys.executable, str(script), str(tmp_path / "calls.sqlite"), str(N)]
    fake.answer_limit = 3
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait(lambda: fake.answered_total >= 3 and fake.in_flight >= N - 3, "the child stalled")
    time.sleep(0.2)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=10)
    fake.answer_limit = None
    fake.drop_blocked()
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.startswith(f"{N - 3} made, 3 replayed, {N - 3} orphaned, 0 errors")
    with CallStore(tmp_path / "calls.sqlite") as store:
        assert store.query("SELECT COUNT(*) FROM claims") == [(0,)]  # every claim released


def test_owner_liveness(tmp_path):
    assert claims.owner_alive(claims.owner_id())
    assert claims.owner_alive("another-host:1")  # trusted: cannot be checked from here
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert not claims.owner_alive(f"{claims.HOST}:{done.stdout.strip()}")
    with CallStore(tmp_path / "s.sqlite") as store:
        assert store.claim("k", "a:1") is None and store.claim("k", "a:1") is None
        assert store.claim("k", "b:2") == "a:1"
        assert not store.take_over("k", "b:2", "c:3") and store.take_over("k", "b:2", "a:1")
        store.release("k", "a:1")
        assert store.claim("k", "c:3") == "b:2"
        store.release("k", "b:2")
        assert store.claim("k", "c:3") is None
    assert os.getpid() > 0
