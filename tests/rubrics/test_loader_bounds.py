"""Loading is bounded: a pathological rubric is one clear line, or simply works.

Each case runs the real command line in a child process with a memory cap (1.5 GiB of address
space) and a time limit, so the code before the fix fails the test (a MemoryError or
RecursionError traceback, or a timeout) instead of taking the machine down: a 15 kB alias bomb
used to take 3 GB and a minute; 150-deep nesting and 1,000 flat criteria ended in
RecursionError.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CAP = textwrap.dedent(
    """
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
    from rubricate.cli import main
    sys.argv = ["rubricate", *sys.argv[1:]]
    main()
    """
)

HEAD = {"rubric": 1, "id": "bounds", "title": "Bounds", "task": "Answer the question."}


def _rubricate(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "capped.py"
    script.write_text(CAP, encoding="utf-8")
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)  # fmt: skip


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The problem: ``check`` prints it on stdout (its tally on stderr), other commands print
    ``rubricate: error: ...`` on stderr; either way exactly one line."""
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    lines = [line for line in (done.stdout or done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines[:5]
    return lines[0]


def _alias_bomb(depth: int = 9) -> str:
    lines = ["rubric: 1", "id: bomb", "title: Bomb", "task: Answer.",
             "criteria:", "  - {id: a, text: Says a, weight: 1}",
             "lol0: &b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]  # fmt: skip
    for level in range(1, depth + 1):
        lines.append(f"lol{level}: &b{level} [" + ", ".join([f"*b{level - 1}"] * 10) + "]")
    lines.append(f"reference: *b{depth}")
    return "\n".join(lines) + "\n"


def _nested(depth: int) -> dict:
    leaf: dict = {"id": "leaf", "text": "Says it", "weight": 1}
    for level in range(depth):
        leaf = {"id": f"g{level}", "weight": 1, "children": [leaf]}
    return {**HEAD, "criteria": [leaf]}


def _nested_text(depth: int) -> str:
    """:func:`_nested` as JSON text, written without recursion (json.dumps would recurse)."""
    opening = "".join(
        f'{{"id": "g{depth - 1 - i}", "weight": 1, "children": [' for i in range(depth)
    )
    leaf = '{"id": "leaf", "text": "Says it", "weight": 1}'
    head = json.dumps(HEAD)[:-1]
    return f'{head}, "criteria": [{opening}{leaf}{"]}" * depth}]}}'



@pytest.mark.subprocess
@pytest.mark.parametrize("command", ["check", "compile"])
def test_an_alias_bomb_is_one_line_not_gigabytes(command: str, tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(_alias_bomb(), encoding="utf-8")
    done = _rubricate(tmp_path, command, str(path))
    assert done.returncode == 2
    line = _one_line(done)
    assert f"{path}:" in line and "aliases" in line and "expand" in line, line


@pytest.mark.subprocess
def test_an_alias_that_contains_itself_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("rubric: 1\nid: loop\ntitle: L\ncriteria: &c\n  - {id: a, text: A, "
                    "weight: 1, children: *c}\n", encoding="utf-8")  # fmt: skip
    for command in ("check", "compile"):
        done = _rubricate(tmp_path, command, str(path))
        assert done.returncode == 2
        assert "refers to itself" in _one_line(done)


@pytest.mark.subprocess
@pytest.mark.parametrize("depth", [150, 2000])
def test_deep_nesting_is_one_line(depth: int, tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(_nested_text(depth), encoding="utf-8")
    for command in ("check", "compile"):
        done = _rubricate(tmp_path, command, str(path))
        assert done.returncode == 2, done.stderr[-2000:]
        line = _one_line(done)
        assert f"{path}:1:" in line and "nested more than" in line, line


@pytest.mark.subprocess
def test_a_deep_value_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep_value.yaml"
    text = json.dumps({**HEAD, "criteria": [{"id": "a", "text": "A", "weight": 1}]})
    path.write_text(text[:-1] + ', "reference": ' + "[" * 3000 + "]" * 3000 + "}",
                    encoding="utf-8")  # fmt: skip
    done = _rubricate(tmp_path, "check", str(path))
    assert done.returncode == 2 and "nested more than" in _one_line(done)


@pytest.mark.subprocess
def test_groups_nested_deeper_than_a_formula_can_hold_are_a_lint_error(tmp_path: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text(json.dumps(_nested(20)), encoding="utf-8")
    done = _rubricate(tmp_path, "check", str(path))
    assert done.returncode == 1, done.stderr
    assert "[group-depth]" in done.stdout and "nested 20 groups deep" in done.stdout
    done = _rubricate(tmp_path, "compile", str(path))
    assert done.returncode == 2 and "nested 20 groups deep" in _one_line(done)


def _worst_case_groups(depth: int, width: int, top_width: int) -> dict:
    """``depth`` nested groups, each also holding ``width`` checks (so its sum is chunked), a
    levelled judged criterion at the bottom, ``top_width`` checks beside the top group."""

    def fill(prefix: str, n: int) -> list[dict]:
        return [{"id": f"{prefix}-{i}", "weight": 0.5, "check": {"contains": "x"}}
                for i in range(n)]  # fmt: skip

    node: dict = {"id": "lv", "text": "Explains", "weight": 1,
                  "levels": {0: "no", 1: "some", 2: "yes"}}  # fmt: skip
    for level in range(depth):
        node = {"id": f"g{level}", "weight": 1, "children": [node, *fill(f"f{level}", width)]}
    return {**HEAD, "score": {"range": [-1, 2]}, "criteria": [node, *fill("top", top_width)]}


@pytest.mark.subprocess
def test_the_deepest_groups_check_allows_compile_and_run(tmp_path: Path) -> None:
    from rubricate.judge.formula import parse
    from rubricate.rubrics.compile.formula import MAX_GROUP_DEPTH, SUM_CHUNK

    path = tmp_path / "groups.yaml"
    rubric = _worst_case_groups(MAX_GROUP_DEPTH, SUM_CHUNK + 1, SUM_CHUNK**2 + 1)
    path.write_text(json.dumps(rubric), encoding="utf-8")
    done = _rubricate(tmp_path, "check", str(path))
    assert done.returncode == 0, done.stdout[-2000:]
    done = _rubricate(tmp_path, "compile", str(path), "-o", str(tmp_path / "g.json"))
    assert done.returncode == 0, done.stderr[-2000:]
    grader = json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))
    names = parse(grader["calculate_output"]).names  # the runtime's parser takes it
    assert names == set(grader["graders"])


@pytest.mark.subprocess
def test_a_thousand_flat_criteria_simply_work(tmp_path: Path) -> None:
    path = tmp_path / "flat.yaml"
    criteria = [{"id": f"c{i}", "text": f"Mentions fact {i}", "weight": 0.001} for i in range(1000)]
    path.write_text(json.dumps({**HEAD, "criteria": criteria}), encoding="utf-8")
    assert _rubricate(tmp_path, "check", str(path)).returncode == 0
    out = tmp_path / "g.json"
    done = _rubricate(tmp_path, "compile", str(path), "-o", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    done = _rubricate(tmp_path, "validate", str(out))
    assert done.returncode == 0, done.stdout[-2000:]
    from rubricate.judge.formula import parse

    grader = json.loads(out.read_text(encoding="utf-8"))
    assert len(parse(grader["calculate_output"]).names) == 1000


@pytest.mark.subprocess
def test_a_file_over_the_size_limit_is_one_line(tmp_path: Path) -> None:
    from rubricate.rubrics.loader import MAX_RUBRIC_BYTES

    path = tmp_path / "big.yaml"
    padding = "x" * (MAX_RUBRIC_BYTES + 10)
    path.write_text(json.dumps({**HEAD, "reference": padding, "criteria": [
        {"id": "a", "text": "A", "weight": 1}]}), encoding="utf-8")  # fmt: skip
    done = _rubricate(tmp_path, "check", str(path))
    assert done.returncode == 2
    assert "rubric files are limited to" in _one_line(done)
