"""Deterministic TUI tests: no cursor blink, no animations, a fixed theme; helpers to wait
until workers and debounce timers are done.

Every app runs headlessly at 100 x 30 unless a test says otherwise.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

SIZE = (100, 30)
EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(autouse=True)
def _deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setattr(Input, "cursor_blink", False)
    monkeypatch.setattr(TextArea, "cursor_blink", False)


@pytest.fixture(autouse=True)
def _short_delays(monkeypatch: pytest.MonkeyPatch) -> None:
    """Debounce delays short enough for tests (the behaviour is the same)."""
    monkeypatch.setattr("rubricate.tui.editor.detail.APPLY_DELAY", 0.05)
    monkeypatch.setattr("rubricate.tui.editor.checking.LINT_DELAY", 0.02)
    monkeypatch.setattr("rubricate.tui.review.grading_flow.AGREEMENT_DELAY", 0.05)


@pytest.fixture(scope="session")
def science_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A comparison (``cmp/``) and an invariance probe (``inv/``) written once per session by
    the real ``rubricate calibrate`` against the loopback judge (``science_fixture``)."""
    from tests.tui.science_fixture import generate

    return generate(tmp_path_factory.mktemp("science"))


@pytest.fixture
def science(science_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's copy of ``science_source``, its working directory (paths are relative)."""
    folder = tmp_path / "science"
    shutil.copytree(science_source, folder, ignore=shutil.ignore_patterns(".rubricate"))
    monkeypatch.chdir(folder)
    return folder
