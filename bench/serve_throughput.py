"""Throughput of ``rubricate serve`` next to the runtime called directly, in one run.

For two graders:

- ``string_check`` (``ilike``): the HTTP and JSON overhead dominates;
- ``score_model`` judged by the loopback OpenAI-compatible server with a fixed latency
  (``--latency``, default 50 ms), run in its own process (``python -m rubricate.testing``) so
  that neither side shares an interpreter with it: the judge dominates;

it grades ``--pairs`` synthetic pairs twice, in batches of ``--batch`` pairs over ``--clients``
connections (default 64), each side first warmed with the same batches:

1. over HTTP: a ``rubricate serve`` process (``--workers`` server processes, on 127.0.0.1)
   receiving ``POST /grade`` requests from an aiohttp client in this process;
2. directly: :class:`rubricate.Grader` (the public API) in this process, the same
   batches, the same concurrency;

and prints requests/s, p50 and p99 request latency and pairs/s for HTTP, pairs/s and p99 batch
latency direct, and the ratio HTTP / direct. No call store (every judge call is made), so both
sides pay the same judge work.

Run: ``python bench/serve_throughput.py [--pairs 20000] [--model-pairs 2000] [--batch 16]
[--clients 64] [--workers 1] [--latency 0.05] [--json]``.
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

import rubricate
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


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def _over_http(url: str, batches: list[list], clients: int) -> tuple[float, int, list]:
    """POST every batch with ``clients`` connections; wall time, pairs graded, latencies."""
    queue: asyncio.Queue = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    graded = 0
    latencies: list[float] = []

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal graded
        while not queue.empty():
            batch = queue.get_nowait()
            sent = time.perf_counter()
            async with session.post(f"{url}/grade", json=batch) as response:
                data = await response.json()
                assert response.status == 200, data
            latencies.append(time.perf_counter() - sent)
            graded += sum(1 for r in data["rewards"] if r is not None)

    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        return time.perf_counter() - started, graded, latencies


async def _direct(
    grader: dict, settings: ClientSettings | None, batches: list[list], clients: int,
    warm: list[list],
) -> tuple[float, int, list]:  # fmt: skip
    """The same batches through the public Grader in this process, warmed like the server."""
    service = rubricate.load_grader(grader, settings, concurrency=128, retries=0)
    await service.aopen()
    slots = asyncio.Semaphore(clients)
    graded = 0
    latencies: list[float] = []

    async def one(batch: list, keep: bool) -> None:
        nonlocal graded
        async with slots:
            sent = time.perf_counter()
            pairs = [(p["item"], make_sample(p["output_text"])) for p in batch]
            records = await service.ascore_many(pairs)  # await first: `graded +=` would read early
            if keep:
                latencies.append(time.perf_counter() - sent)
                graded += sum(1 for r in records if r.scored)

    try:
        await asyncio.gather(*(one(batch, False) for batch in warm))  # the server's warm-up
        started = time.perf_counter()
        await asyncio.gather(*(one(batch, True) for batch in batches))
        return time.perf_counter() - started, graded, latencies
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
    warm = _batches(_pairs(args.batch * args.clients), args.batch)  # the same for both sides
    for batch in warm:
        for pair in batch:
            pair["output_text"] += " (warm-up)"
    settings = ClientSettings(base_url=base_url, store_path=None, concurrency=64)
    proc, url = _serve(grader, args.workers, base_url, folder)
    try:
        asyncio.run(_over_http(url, warm, args.clients))  # warm up (workers, pools)
        http_s, http_graded, http_lat = asyncio.run(_over_http(url, batches, args.clients))
    finally:
        proc.terminate()
        proc.wait(30)
    direct_s, direct_graded, direct_lat = asyncio.run(
        _direct(grader, settings, batches, args.clients, warm)
    )
    assert http_graded == direct_graded == n, (http_graded, direct_graded, n)
    return {
        "grader": label,
        "pairs": n,
        "batch": args.batch,
        "connections": args.clients,
        "http_requests_per_s": round(len(batches) / http_s, 1),
        "http_pairs_per_s": round(n / http_s, 1),
        "http_p50_ms": round(_percentile(http_lat, 0.5) * 1000, 1),
        "http_p99_ms": round(_percentile(http_lat, 0.99) * 1000, 1),
        "direct_pairs_per_s": round(n / direct_s, 1),
        "direct_p99_ms": round(_percentile(direct_lat, 0.99) * 1000, 1),
        "http_over_direct": round(direct_s / http_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=20000)
    parser.add_argument("--model-pairs", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--clients", type=int, default=64, help="connections")
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
        f"load average before the run: {load:.2f} on {os.cpu_count()} CPUs; {args.clients} "
        f"connections, batches of {args.batch} pairs; both sides warmed with the same batches"
    )
    head = f"{'grader':28} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'pairs/s':>8}"
    print(f"{head} {'direct pairs/s':>15} {'direct p99':>11} {'HTTP/direct':>12}")
    for r in rows:
        print(
            f"{r['grader']:28} {r['http_requests_per_s']:>7} {r['http_p50_ms']:>7} "
            f"{r['http_p99_ms']:>7} {r['http_pairs_per_s']:>8} {r['direct_pairs_per_s']:>15} "
            f"{r['direct_p99_ms']:>11} {r['http_over_direct']:>12}"
        )


if __name__ == "__main__":
    main()
