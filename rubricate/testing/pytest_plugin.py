"""pytest fixtures for the loopback OpenAI-compatible server.

Register with ``pytest_plugins = ["rubricate.testing.pytest_plugin"]`` in a ``conftest.py``.

- ``fake_openai``: a started :class:`~rubricate.testing.server.FakeOpenAI` (fresh per test,
  no latency); script it in the test, read ``.requests``, ``.answered``, ``.max_in_flight``.
- ``fake_openai_env``: the same server, with ``OPENAI_BASE_URL`` pointing at it and
  ``OPENAI_API_KEY`` set to :data:`FAKE_API_KEY`, so ``open_client(ClientSettings())`` and CLI
  commands reach it with no flag.
- ``client_settings``: ``ClientSettings`` for the fake server with a store in ``tmp_path`` and
  a short timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rubricate.judge.calls import ClientSettings
from rubricate.testing.server import FakeOpenAI

FAKE_API_KEY = "sk-rubricate-test-KEY-0123456789abcdef"
"""A recognisable fake key: tests grep stores, logs and errors for it."""


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A loopback OpenAI-compatible server, stopped after the test."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def fake_openai_env(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    """``fake_openai`` with ``OPENAI_BASE_URL`` and a fake ``OPENAI_API_KEY`` in the env."""
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    return fake_openai


@pytest.fixture
def client_settings(fake_openai: FakeOpenAI, tmp_path: Path) -> ClientSettings:
    """Settings reaching ``fake_openai`` with a store under ``tmp_path`` and a 5 s timeout.

    ``local=False``: the loopback server plays OpenAI's API, priced from the default table
    (a real server on 127.0.0.1 would be a local one, with no cost).
    """
    return ClientSettings(
        base_url=fake_openai.base_url,
        store_path=str(tmp_path / "calls.sqlite"),
        timeout_s=5.0,
        concurrency=8,
        local=False,
    )
