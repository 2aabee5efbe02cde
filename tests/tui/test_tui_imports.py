"""Only ``rubricate.tui`` imports Textual, and only when a UI runs; the TUI's computing
modules are Textual-free (they are what the tests call directly)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import rubricate

TEXTUAL_FREE_TUI = (
    "rubricate.tui.editor.document",
    "rubricate.tui.review.data",
    "rubricate.tui.review.agreement",
    "rubricate.tui.review.reasoning",
    "rubricate.tui.review.matrix",
    "rubricate.tui.review.science",
)


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}; import sys; print('\\n'.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(out.split())


def _textual(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "textual" or m.startswith("textual.")}


def test_nothing_outside_tui_imports_textual() -> None:
    names = [
        info.name
        for info in pkgutil.walk_packages(rubricate.__path__, "rubricate.")
        if not info.name.startswith(("rubricate.tui", "rubricate.testing"))
        and not info.name.endswith("__main__")
    ]
    loaded = _loaded_after("; ".join(f"import {name}" for name in names))
    assert not _textual(loaded)


def test_help_and_the_tui_commands_module_do_not_load_textual() -> None:
    code = (
        "from rubricate.cli import run; import contextlib, io; "
        "f = io.StringIO(); ctx = contextlib.redirect_stdout(f); ctx.__enter__(); "
        "run(['--help']); run(['edit', '--help']); run(['review', '--help']); "
        "ctx.__exit__(None, None, None)"
    )
    assert not _textual(_loaded_after(code))


def test_the_tui_computing_modules_are_textual_free() -> None:
    assert not _textual(_loaded_after("; ".join(f"import {m}" for m in TEXTUAL_FREE_TUI)))


def test_styles_ship_with_the_package() -> None:
    from rubricate.tui.editor.app import EditorApp
    from rubricate.tui.review.app import ReviewApp

    for app in (EditorApp, ReviewApp):
        paths = app.CSS_PATH if isinstance(app.CSS_PATH, list) else [app.CSS_PATH]
        for path in paths:
            assert path.is_file(), path  # package data: hatchling ships every file
