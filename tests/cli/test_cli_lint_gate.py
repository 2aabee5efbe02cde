"""Every command that compiles a rubric refuses one that ``check`` rejects: one line, exit 2.

A duplicate id used to compile into a ``multi`` grader whose formula named one sub-grader
twice (its weight doubled, the summary counting sub-graders the JSON did not hold); a regex that
does not compile was compiled into a grader that errors on every sample. ``compile``,
``export`` (rft and the trainer bundles), ``calibrate``, ``baseline``, ``grade`` given a rubric,
and ``serve`` now stop before compiling, with the first lint error (file, line, column, field,
how to fix) and how many more there are.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rubricate.cli import run

ROOT = Path(__file__).resolve().parents[2]
TAX = ROOT / "examples" / "accordance_tax"

DOUBLED = """\
rubric: 1
id: doubled
title: Two criteria share an id
task: Allocate the S corporation's income for the year.
criteria:
  - id: ownership
    text: Identifies Alex 33.33%, Barbara 33.33% then 20%, Chris 33.33%, Dana 13.33%
    weight: 0.4
  - id: closing
    text: Explains why closing of the books changes the allocation
    weight: 0.2
  - id: ownership
    text: Says that Dana's share is 13.33%
    weight: 0.4
"""

BAD_REGEX = ROOT / "tests" / "data" / "bad_rubrics" / "bad_regex.yaml"


@pytest.fixture
def rubrics(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    doubled = tmp_path / "doubled.yaml"
    doubled.write_text(DOUBLED, encoding="utf-8")
    return {
        "duplicate-id": (doubled, f'{doubled}:12:9: criteria[2].id: duplicate id "ownership"'),
        "bad-regex": (BAD_REGEX, f"{BAD_REGEX}:9:28: criteria[0].check.regex:"),
    }


def _commands(rubric: Path, tmp: Path) -> dict[str, list[str]]:
    r = str(rubric)
    return {
        "compile": ["compile", r],
        "compile-json": ["compile", r, "--json", "-o", str(tmp / "g.json")],
        "grade": ["grade", r, "--items", str(TAX / "items.jsonl"),
                  "--samples", str(ROOT / "examples" / "eurovoc" / "samples.jsonl")],
        "calibrate": ["calibrate", r, "--set", str(TAX / "calibration.jsonl"),
                      "--out", str(tmp / "run"), "--repeats", "1", "--no-figures"],
        "baseline": ["baseline", r, "--items", str(TAX / "items.jsonl"), "--model", "m",
                     "--out", str(tmp / "base")],
        "export-rft": ["export", "rft", r, "--train", str(TAX / "train.jsonl"),
                       "--valid", str(TAX / "valid.jsonl"), "--model", "o4-mini-2025-04-16",
                       "--out", str(tmp / "rft")],
        "export-trl": ["export", "trl", r, "--out", str(tmp / "trl")],
        "export-verl": ["export", "verl", r, "--out", str(tmp / "verl")],
        "export-promptfoo": ["export", "promptfoo", r, "--out", str(tmp / "pf"),
                             "--items", str(TAX / "items.jsonl")],
    }  # fmt: skip


COMMANDS = ("compile", "compile-json", "grade", "calibrate", "baseline", "export-rft",
            "export-trl", "export-verl", "export-promptfoo")  # fmt: skip


@pytest.mark.parametrize("rule", ["duplicate-id", "bad-regex"])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_rubric_check_rejects_is_refused_in_one_line(
    command: str, rule: str, rubrics, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    rubric, where = rubrics[rule]
    code = run(_commands(rubric, tmp_path)[command])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    lines = captured.err.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith(f"rubricate: error: {where}"), captured.err
    assert captured.out == ""
    assert not (tmp_path / "g.json").exists()
    assert not any((tmp_path / name).exists() for name in ("rft", "trl", "verl", "pf"))


@pytest.mark.subprocess
@pytest.mark.parametrize("rule", ["duplicate-id", "bad-regex"])
def test_serve_refuses_it_at_startup(rule: str, rubrics, fake_openai_env) -> None:
    rubric, where = rubrics[rule]
    done = subprocess.run(
        [sys.executable, "-m", "rubricate.cli", "serve", str(rubric), "--port", "0",
         "--store", "none"],
        capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith(f"rubricate: error: {where}")


def test_the_doubled_weight_never_reaches_a_grader(rubrics) -> None:
    """The library API refuses too: ``compile_rubric`` on a rubric with a duplicate id."""
    from rubricate.errors import InputError
    from rubricate.rubrics.compile import compile_rubric
    from rubricate.rubrics.loader import load_rubric

    loaded = load_rubric(rubrics["duplicate-id"][0])
    for target in ("multi", "score_model"):
        with pytest.raises(InputError, match='duplicate id "ownership"'):
            compile_rubric(loaded.rubric, target)
