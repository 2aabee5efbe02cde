"""Without bubblewrap: ``required`` refuses to run python graders, ``best-effort`` runs them
with the inner layers only, says so on stderr and in every result, and still refuses the
Python-level ways into the parent's environment."""

from __future__ import annotations

import logging
import os

import pytest

from rubricate.errors import GraderError
from rubricate.judge.sandbox.isolation import sandbox_mode
from rubricate.judge.sandbox.pool import WorkerPool
from tests.judge.sandbox.helpers import ENVIRON_TRICKS, SECRET, assert_contained, read_via

pytestmark = pytest.mark.subprocess

ECHO = "def grade(sample, item):\n    return 0.5\n"


async def test_required_refuses_without_bubblewrap() -> None:
    async with WorkerPool(1, sandbox="required", bwrap=None) as pool:
        with pytest.raises(GraderError, match="bubblewrap"):
            await pool.run(ECHO, {}, {})
    assert pool.started == 0


async def test_required_refuses_when_bubblewrap_cannot_start() -> None:
    async with WorkerPool(1, sandbox="required", bwrap="/bin/false") as pool:
        with pytest.raises(GraderError, match="could not start a sandbox"):
            await pool.run(ECHO, {}, {})


@pytest.mark.parametrize("bwrap", [None, "/bin/false"], ids=["missing", "broken"])
async def test_best_effort_runs_and_says_what_is_missing(
    bwrap: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="rubricate.judge.sandbox"):
        async with WorkerPool(1, sandbox="best-effort", bwrap=bwrap) as pool:
            first = await pool.run(ECHO, {}, {})
            second = await pool.run(ECHO, {}, {})
    assert first.value == second.value == 0.5
    assert pool.isolation is not None and not pool.isolation.complete
    assert first.sandbox.startswith("best-effort (missing: bubblewrap")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "WEAKER isolation" in warnings[0]
    assert "bubblewrap" in warnings[0]


def test_the_mode_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUBRICATE_SANDBOX", raising=False)
    assert sandbox_mode() == "best-effort"
    monkeypatch.setenv("RUBRICATE_SANDBOX", "Required")
    assert sandbox_mode() == "required"
    assert sandbox_mode("best-effort") == "best-effort"
    monkeypatch.setenv("RUBRICATE_SANDBOX", "strict")
    with pytest.raises(GraderError, match="RUBRICATE_SANDBOX: unknown sandbox mode 'strict'"):
        sandbox_mode()


@pytest.mark.parametrize("whose", ["parent", "rubricate"])
@pytest.mark.parametrize("trick", sorted(ENVIRON_TRICKS))
async def test_path_tricks_are_refused_by_the_audit_hook(
    trick: str, whose: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    expression, setup = ENVIRON_TRICKS[trick]
    pid = {"parent": None, "rubricate": os.getpid()}[whose]
    async with WorkerPool(1, sandbox="best-effort", bwrap=None) as pool:
        result = await pool.run(read_via(expression, setup), {}, {"pid": pid})
    assert_contained(result)
    assert "other processes' /proc entries" in result.details
