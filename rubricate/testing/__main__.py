"""Run the loopback server in its own process: ``python -m rubricate.testing [--latency S]
[--imitate llama-cpp-python]``.

Prints one JSON line ``{"base_url": "http://127.0.0.1:PORT/v1", "pid": N}`` on stdout once it
serves. By default it serves until its stdin closes, so it dies with the process that started
it (the benchmarks rely on this), and says so on stderr when it stops; started in the
background from a shell (``&``, where stdin is closed at once) it would stop at once, so pass
``--until-killed`` to serve until SIGTERM or Ctrl-C instead. Besides the model, files and batch
routes it serves the fine-tuning routes (:mod:`.finetune_routes`), so ``rubricate jobs`` can be
tried offline.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from rubricate.testing import finetune_routes
from rubricate.testing.imitations import IMITATIONS
from rubricate.testing.server import FakeOpenAI

DESCRIPTION = """\
A loopback OpenAI-compatible server (127.0.0.1 only) for trying rubricate offline: chat
completions, responses, embeddings, files, batches and fine-tuning jobs. Prints
{"base_url": ..., "pid": ...} on stdout once it serves.

How it stops: by default when its stdin closes (it dies with the process that started it),
with a line on stderr saying so; started with & from a shell, stdin is closed at once, so use
--until-killed there. SIGTERM and Ctrl-C always stop it.

  python -m rubricate.testing --until-killed --port 8765 &
  export OPENAI_BASE_URL=http://127.0.0.1:8765/v1 OPENAI_API_KEY=sk-loopback  # any key
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rubricate.testing",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--flip-p", type=float, default=0.0, help="verdict flip probability")
    parser.add_argument(
        "--imitate",
        choices=sorted(IMITATIONS),
        default="openai",
        help="answer as this server does (rubricate.testing.imitations)",
    )
    parser.add_argument(
        "--until-killed",
        action="store_true",
        help="serve until SIGTERM or Ctrl-C, whatever stdin does (for `&` in a shell)",
    )
    args = parser.parse_args(argv)
    fake = FakeOpenAI(latency=args.latency, port=args.port, imitate=args.imitate)
    fake.policy.flip_p = args.flip_p
    finetune_routes.install(fake)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with fake:
        print(json.dumps({"base_url": fake.base_url, "pid": os.getpid()}), flush=True)
        try:
            if args.until_killed:
                while not stop.wait(3600):
                    pass
            else:
                threading.Thread(target=_wait_for_stdin, args=(stop,), daemon=True).start()
                stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


def _wait_for_stdin(stop: threading.Event) -> None:
    sys.stdin.read()
    print(
        "python -m rubricate.testing: stdin closed: stopping (--until-killed serves until killed)",
        file=sys.stderr,
        flush=True,
    )
    stop.set()


if __name__ == "__main__":
    sys.exit(main())
