"""The collector policy of rubricate's own processes (rubricate.gcpolicy, issue 20).

The console script and the reward server's worker processes raise the young-generation
threshold (fewer collections per judge call); importing rubricate or calling it from Python
leaves the host program's collector alone. The first two tests fail on the code before the
policy (the threshold stayed at CPython's 700).
"""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rubricate.gcpolicy import YOUNG_THRESHOLD, tune

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import gc, sys
{setup}
try:
    {call}
except SystemExit:
    pass
print(*gc.get_threshold())
"""


def _threshold_after(call: str, setup: str = "import rubricate.cli") -> tuple[int, ...]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup, call=call)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return tuple(int(part) for part in done.stdout.split()[-3:])


@pytest.fixture
def restored() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_the_console_script_raises_the_young_threshold() -> None:
    main = "sys.argv = ['rubricate', '--version']; rubricate.cli.main()"
    assert _threshold_after(main) == (YOUNG_THRESHOLD, 10, 10)


def test_a_serve_worker_process_raises_it_too(
    monkeypatch: pytest.MonkeyPatch, restored: None
) -> None:
    import rubricate.export.serve.app as app

    seen: list[tuple[int, ...]] = []
    monkeypatch.setenv(app.CONFIG_ENV, "{}")
    monkeypatch.setattr(app.ServeConfig, "from_json", classmethod(lambda cls, text: text))
    monkeypatch.setattr(app, "create_app", lambda config: seen.append(gc.get_threshold()))
    gc.set_threshold(700, 10, 10)
    app.app_from_env()
    assert seen == [(YOUNG_THRESHOLD, 10, 10)]


def test_importing_or_calling_rubricate_from_python_leaves_the_collector_alone() -> None:
    assert _threshold_after("rubricate.cli.run(['--version'])") == (700, 10, 10)
    assert _threshold_after("rubricate.api.Grader", setup="import rubricate.api") == (700, 10, 10)


def test_a_higher_threshold_or_a_disabled_collector_is_kept(restored: None) -> None:
    gc.set_threshold(50_000, 20, 30)
    tune()
    assert gc.get_threshold() == (50_000, 20, 30)
    gc.set_threshold(0, 10, 10)  # collection disabled by the host: stays disabled
    tune()
    assert gc.get_threshold() == (0, 10, 10)
    gc.set_threshold(700, 5, 7)
    tune()
    assert gc.get_threshold() == (YOUNG_THRESHOLD, 5, 7)
