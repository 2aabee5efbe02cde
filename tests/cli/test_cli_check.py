"""``rubricate check`` through the real entry point (``rubricate.cli.run``) and the script."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rubricate.cli import run
from tests.strategies import FULL_ITEMS, FULL_RUBRIC

DATA = Path(__file__).parent.parent / "data" / "bad_rubrics"
EXAMPLES = Path(__file__).parent.parent.parent / "examples"
LINE = re.compile(r"^[^:\n]+:\d+:\d+: (?:[^ ]+: )?.+ \[[a-z-]+(?:, (?:warning|info))?\]$")
UNREADABLE = {
    "binary.yaml",
    "comments_only.yaml",
    "empty.yaml",
    "not_utf8.yaml",
    "syntax_error.yaml",
    "tab_indented.yaml",
}


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "rubric.yaml"
    path.write_text(FULL_RUBRIC, encoding="utf-8")
    return path


@pytest.fixture
def items(tmp_path: Path) -> Path:
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(item) + "\n" for item in FULL_ITEMS), encoding="utf-8")
    return path


def test_clean_rubric_exits_0(good: Path, items: Path, capsys: pytest.CaptureFixture) -> None:
    assert run(["check", str(good), "--items", str(items)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{good}:47:13: criteria[6].weight: " + (
        '"length" has weight 0: it is computed and reported (tracked) but does not count in '
        "the score [tracked-criterion, info]\n"
    )
    assert err == "rubricate: 1 info in 1 file\n"


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.yaml")))
def test_every_bad_rubric_fails_with_located_lines(
    name: str, capsys: pytest.CaptureFixture
) -> None:
    code = run(["check", str(DATA / name)])
    out, err = capsys.readouterr()
    expected = 2 if name in UNREADABLE else (0 if name == "python_import.yaml" else 1)
    assert code == expected
    lines = out.splitlines()
    assert lines and all(LINE.match(line) for line in lines), out
    assert all(line.startswith(str(DATA / name) + ":") for line in lines)
    assert "Traceback" not in out + err
    assert re.fullmatch(r"rubricate: .* in 1 file\n", err)


def test_warnings_fail_only_with_strict(capsys: pytest.CaptureFixture) -> None:
    path = str(DATA / "python_import.yaml")
    assert run(["check", path]) == 0
    assert run(["check", "--strict", path]) == 1
    assert "[python-import, warning]" in capsys.readouterr().out


def test_several_files_and_the_worst_exit_code(good: Path, capsys: pytest.CaptureFixture) -> None:
    code = run(["check", str(good), str(DATA / "wrong_type.yaml"), str(DATA / "empty.yaml")])
    out, err = capsys.readouterr()
    assert code == 2
    assert len(out.splitlines()) == 3
    assert err == "rubricate: 2 errors, 1 info in 3 files\n"


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert run(["check", str(tmp_path / "nope.yaml")]) == 2
    assert capsys.readouterr().out == (
        f"{tmp_path / 'nope.yaml'}: no such rubric file; check the path [unreadable]\n"
    )


def test_directory_means_its_rubric(good: Path, capsys: pytest.CaptureFixture) -> None:
    assert run(["check", str(good.parent)]) == 0
    assert str(good) in capsys.readouterr().out


def test_json_format(capsys: pytest.CaptureFixture) -> None:
    assert run(["check", "--json", str(DATA / "many_problems.yaml")]) == 1
    problems = json.loads(capsys.readouterr().out)
    assert len(problems) == 5
    assert problems[2] == {
        "file": str(DATA / "many_problems.yaml"),
        "line": 9,
        "col": 13,
        "path": "criteria[0].weight",
        "message": 'must be a number, got "high"',
        "severity": "error",
        "rule": "wrong-type",
        "node": ["criteria", 0, "weight"],
    }


def test_json_format_clean_is_an_empty_list(good: Path, capsys: pytest.CaptureFixture) -> None:
    good.write_text(FULL_RUBRIC.replace("weight: 0\n", "weight: 0.1\n"), encoding="utf-8")
    assert run(["check", "--format", "json", str(good)]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_github_format(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "a,b.yaml"
    shutil.copy(DATA / "wrong_type.yaml", path)
    assert run(["check", "--format", "github", str(path), str(DATA / "python_import.yaml")]) == 1
    out = capsys.readouterr().out.splitlines()
    escaped = str(path).replace(",", "%2C").replace(":", "%3A")
    assert out[0] == (
        f"::error file={escaped},line=12,col=13,title=wrong-type::"
        'criteria[1].weight: must be a number, got "high"'
    )
    assert out[1].startswith("::warning file=") and ",title=python-import::" in out[1]


def test_github_escapes_newlines() -> None:
    from rubricate.commands.check import github_annotation
    from rubricate.rubrics.problems import Problem

    problem = Problem("f.yaml", None, None, "", "two\nlines 100%", "info", "r")
    assert github_annotation(problem) == "::notice file=f.yaml,title=r::two%0Alines 100%25"


def test_items_template_problem(good: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    items = tmp_path / "items.jsonl"
    items.write_text('{"message": "m", "amount": "$1", "days": 3}\n{"message": "m"}\n', "utf-8")
    assert run(["check", str(good), "--items", str(items)]) == 1
    out = capsys.readouterr().out
    assert "reference: template variable {{ item.amount }}: 1 of 2 items in" in out
    assert "(line 2)" in out


def test_bad_items_line_is_named(good: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    items = tmp_path / "items.jsonl"
    items.write_text('{"message": "m"}\n{"message": \n', encoding="utf-8")
    assert run(["check", str(good), "--items", str(items)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"rubricate: error: {items}:2:")
    assert "not valid JSON" in err and len(err.splitlines()) == 1


def test_no_argument_is_a_usage_error(capsys: pytest.CaptureFixture) -> None:
    assert run(["check"]) == 2
    assert capsys.readouterr().err == (
        "rubricate: error: check: missing argument 'RUBRIC...' (see rubricate check --help)\n"
    )


@pytest.mark.parametrize("example", ["accordance_tax", "eurovoc", "citations"])
def test_shipped_examples_pass(example: str, capsys: pytest.CaptureFixture) -> None:
    folder = EXAMPLES / example
    if not (folder / "rubric.yaml").exists():
        pytest.skip(f"example {example} not present")
    args = ["check", str(folder / "rubric.yaml"), "--items", str(folder / "items.jsonl")]
    assert run(args) == 0, capsys.readouterr().out


@pytest.mark.subprocess
def test_console_script_on_corrupted_copies(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "rubricate"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "rubricate.cli"]
    names = ["wrong_type.yaml", "unknown_key.yaml", "tab_indented.yaml", "binary.yaml"]
    done = subprocess.run(
        [*command, "check", *(str(DATA / n) for n in names)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert len(done.stdout.splitlines()) == 4
    assert all(LINE.match(line) for line in done.stdout.splitlines())
    assert "Traceback" not in done.stderr
    assert done.stderr == "rubricate: 4 errors in 4 files\n"
