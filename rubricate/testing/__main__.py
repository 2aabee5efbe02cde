"""Run the loopback server in its own process: ``python -m rubricate.testing [--latency S]
[--imitate llama-cpp-python]``.

Prints one JSON line ``{"base_url": "http://127.0.0.1:PORT/v1", "pid": N}`` on stdout once it
serves, then serves until its stdin closes (so it dies with the process that started it) or it
gets SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from rubricate.testing.imitations import IMITATIONS
from rubricate.testing.server import FakeOpenAI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rubricate.testing")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--flip-p", type=float, default=0.0, help="verdict flip probability")
    parser.add_argument(
        "--imitate",
        choices=sorted(IMITATIONS),
        default="openai",
        help="answer as this server does (rubricate.testing.imitations)",
    )
    args = parser.parse_args(argv)
    fake = FakeOpenAI(latency=args.latency, port=args.port, imitate=args.imitate)
    fake.policy.flip_p = args.flip_p
    with fake:
        print(json.dumps({"base_url": fake.base_url, "pid": os.getpid()}), flush=True)
        try:
            sys.stdin.read()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
