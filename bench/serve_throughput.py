"""Throughput of ``rubricate serve`` next to the runtime called directly, in one run.

For two graders:

- ``string_check`` (``ilike``): the HTTP and JSON overhead dominates;
- ``score_model`` judged by the loopback OpenAI-compatible server with a fixed latency
  (``--latency``, default 50 ms), run in its own process (``python -m rubricate.testing``) so
  that neither side shares an interpreter with it: the judge dominates;

it grades ``--pairs`` synthetic pairs twice, in batches of ``--batch`` pairs with ``--clients``
batches in flight:

1. over HTTP: a ``rubricate serve`` process (``--workers`` server processes, on 127.0.0.1)
   receiving ``POST /grade`` requests from an aiohttp client in this process;
2. directly: :class:`rubricate.export.rewards.runtime.GraderService` in this process, the same
   batches, the same concurrency;

and prints requests/s and pairs/s for HTTP, pairs/s direct, and the ratio HTTP / direct. No
call store (every judge call is made), so both sides pay the same judge work.

Run: ``python bench/serve_throughput.py [--pairs 20000] [--model-pairs 2000] [--batch 64]
[--clients 8] [--workers 1] [--latency 0.05] [--json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from rubricate.export.rewards.runtime import GraderService
from rubricate.judge.calls import ClientSettings
from rubricate.judge.sample import make_sample

CHECK = {
    "type": "string_check",
    "name": "capital",
    "input": "{{ sample.output_text }}",
    "reference": "{{ item.answer }}",
    "operation": "ilike",
}
JUDGE = {
    "type": "score_model",
    "name": "judge",
    "model": "gpt-4o-mini",
    "input": [{"role": "user", "content": "Grade answer {{ item.id }}: {{ sample.output_text }}"}],
    "range": [0, 1],
}


def _pairs(n: int) -> list[dict[str, Any]]:
    return [
        {"item": {"id": i, "answer": "Paris"}, "output_text": f"answer {i}: it is paris [[PASS]]"}
        for i in range(n)
    ]


def _batches(pairs: list, size: int) -> list[list]:
    return [pairs[i : i + size] for i in range(0, len(pairs), size)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _over_http(url: str, batches: list[list], clients: int) -> tuple[float, int]:
    queue: asyncio.Queue = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    graded = 0

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal graded
        while not queue.empty():
            batch = queue.get_nowait()
            async with session.post(f"{url}/grade", json=batch) as response:
                data = await response.json()
                assert response.status == 200, data
            graded += sum(1 for r in data["rewards"] if r is not None)

    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        return time.perf_counter() - started, graded


async def _direct(
    grader: dict, settings: ClientSettings | None, batches: list[list], clients: int
) -> tuple[float, int]:
    service = GraderService(grader, settings, concurrency=128, retries=0)
    await service.start()
    slots = asyncio.Semaphore(clients)
    graded = 0

    async def one(batch: list) -> None:
        nonlocal graded
        async with slots:
            pairs = [(p["item"], make_sample(p["output_text"])) for p in batch]
            records = await service.grade(pairs)  # await first: `graded +=` would read early
            graded += sum(1 for r in records if r.scored)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(one(batch) for batch in batches))
        return time.perf_counter() - started, graded
    finally:
        await service.aclose()


def _serve(grader: dict, workers: int, base_url: str | None, folder: Path) -> tuple[Any, str]:
    path = folder / f"{grader['name']}.json"
    path.write_text(json.dumps(grader), encoding="utf-8")
    port = _free_port()
    command = [sys.executable, "-m", "rubricate.cli", "serve", str(path), "--port", str(port)]
    command += ["--workers", str(workers), "--store", "none", "--concurrency", "64"]
    command += ["--retries", "0", "--max-pairs", "100000"]
    if base_url:
        command += ["--base-url", base_url]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_"))}
    proc = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL, cwd=folder)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("rubricate serve did not start") from None
            time.sleep(0.1)
    return proc, url


def _measure(
    label: str,
    grader: dict,
    n: int,
    args: argparse.Namespace,
    folder: Path,
    base_url: str | None,
) -> dict[str, Any]:
    batches = _batches(_pairs(n), args.batch)
    settings = ClientSettings(base_url=base_url, store_path=None, concurrency=64)
    proc, url = _serve(grader, args.workers, base_url, folder)
    try:
        asyncio.run(_over_http(url, batches[:2], args.clients))  # warm up (workers, pools)
        http_s, http_graded = asyncio.run(_over_http(url, batches, args.clients))
    finally:
        proc.terminate()
        proc.wait(30)
    direct_s, direct_graded = asyncio.run(_direct(grader, settings, batches, args.clients))
    assert http_graded == direct_graded == n, (http_graded, direct_graded, n)
    return {
        "grader": label,
        "pairs": n,
        "batch": args.batch,
        "http_requests_per_s": round(len(batches) / http_s, 1),
        "http_pairs_per_s": round(n / http_s, 1),
        "direct_pairs_per_s": round(n / direct_s, 1),
        "http_over_direct": round(direct_s / http_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=20000)
    parser.add_argument("--model-pairs", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(_measure("string_check", CHECK, args.pairs, args, Path(tmp), None))
        judge = subprocess.Popen(
            [sys.executable, "-m", "rubricate.testing", "--latency", str(args.latency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert judge.stdout is not None
            base_url = json.loads(judge.stdout.readline())["base_url"]
            label = f"score_model ({args.latency * 1000:.0f} ms judge)"
            rows.append(_measure(label, JUDGE, args.model_pairs, args, Path(tmp), base_url))
        finally:
            judge.terminate()
            judge.wait(30)
    if args.json:
        print(json.dumps({"load_average_1m": load, "rows": rows}, indent=2))
        return
    print(
        f"load average before the run: {load:.2f}; {args.clients} batches of {args.batch} in flight"
    )
    head = f"{'grader':32} {'req/s':>8} {'pairs/s HTTP':>13} {'pairs/s direct':>15}"
    print(f"{head} {'HTTP/direct':>12}")
    for r in rows:
        print(
            f"{r['grader']:32} {r['http_requests_per_s']:>8} {r['http_pairs_per_s']:>13} "
            f"{r['direct_pairs_per_s']:>15} {r['http_over_direct']:>12}"
        )


if __name__ == "__main__":
    main()
