"""Fixtures of the sandbox tests.

Every test here runs python graders under the real sandbox (bubblewrap), with an API key in
the test process's environment that no grader may see, and checks afterwards that no worker
process is left. Without ``bwrap`` on the PATH the tests are skipped, unless
``RUBRICATE_SANDBOX_TESTS=required`` (as CI sets it), which turns a missing sandbox into a
failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.judge.sandbox.helpers import SECRET, wait_until_gone, worker_needle

pytestmark = pytest.mark.subprocess


@pytest.fixture(autouse=True)
def _real_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if shutil.which("bwrap") is None:
        if os.environ.get("RUBRICATE_SANDBOX_TESTS") == "required":
            pytest.fail("bubblewrap (bwrap) is not installed; the sandbox tests need it")
        pytest.skip("bubblewrap (bwrap) is not installed")
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("RUBRICATE_SANDBOX", "required")
    yield
    left = wait_until_gone(worker_needle())
    assert not left, f"worker processes left behind: {left}"
