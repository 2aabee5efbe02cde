"""Without bubblewrap: ``required`` refuses to run python graders, ``best-effort`` runs them
with the inner layers only, says so on stderr and in every result, and still refuses the
Python-level ways into the parent's environment."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from rubricate.cli import run
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


def _grade_files(tmp_path: Path) -> list[str]:
    grader = tmp_path / "grader.json"
    grader.write_text(json.dumps({"type": "python", "name": "py", "source": ECHO}))
    items = tmp_path / "items.jsonl"
    items.write_text('{"id": "a"}\n')
    samples = tmp_path / "samples.jsonl"
    samples.write_text('{"item_id": "a", "output_text": "x"}\n')
    return [str(grader), "--items", str(items), "--samples", str(samples)]


def test_the_command_line_refuses_when_the_sandbox_is_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no bwrap to be found
    monkeypatch.delenv("RUBRICATE_SANDBOX", raising=False)  # restored after the test
    code = run(["grade", *_grade_files(tmp_path), "--sandbox", "required"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().count("\n") == 0 and "bubblewrap" in err and "--sandbox" in err


def test_best_effort_records_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("RUBRICATE_SANDBOX", "best-effort")
    out = tmp_path / "records.jsonl"
    assert run(["grade", *_grade_files(tmp_path), "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    assert record["reward"] == 0.5
    assert record["sandbox"].startswith("best-effort (missing: bubblewrap (bwrap is not installed")
