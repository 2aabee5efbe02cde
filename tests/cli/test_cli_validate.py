"""``rubricate validate GRADER.json [--remote]`` through the command line's real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.cli import run
from rubricate.testing import finetune_routes
from rubricate.testing.server import FakeOpenAI, FakeResponse

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GOOD = {
    "type": "string_check",
    "name": "label",
    "input": "{{ sample.output_text }}",
    "reference": "{{ item.label }}",
    "operation": "eq",
}


def _write(tmp_path: Path, grader: object, name: str = "grader.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(grader), encoding="utf-8")
    return path


@pytest.mark.parametrize("example", ["accordance_tax", "citations", "eurovoc"])
def test_compiled_examples_are_valid(example: str, tmp_path: Path, capsys) -> None:
    grader = tmp_path / "g.json"
    assert run(["compile", str(EXAMPLES / example / "rubric.yaml"), "-o", str(grader)]) == 0
    capsys.readouterr()
    assert run(["validate", str(grader)]) == 0
    out = capsys.readouterr().out
    assert out.endswith("is valid\n")


def test_problems_exit_1_with_one_line_each(tmp_path: Path, capsys) -> None:
    bad = {
        "type": "multi",
        "name": "m",
        "graders": {
            "a": {**GOOD, "operation": "equals"},
            "b": {"type": "python", "name": "p", "source": "def grade(sample):\n    return 1"},
        },
        "calculate_output": "a + c",
    }
    path = _write(tmp_path, bad)
    assert run(["validate", str(path)]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines == [
        f"{path}: graders.a.operation: must be one of eq, ne, like, ilike",
        f"{path}: graders.b.source: grade must take exactly two arguments: def grade(sample, item)",
        f"{path}: calculate_output: reads c, which no sub-grader is named",
        f"{path}: openai models: grader.graders.a: rejected by openai's StringCheckGrader: "
        "operation: Input should be 'eq', 'ne', 'like' or 'ilike'",
    ]
    assert err == f"rubricate: error: {path}: 4 problems\n"


def test_json_output_and_warnings(tmp_path: Path, capsys) -> None:
    nameless = {k: v for k, v in GOOD.items() if k != "name"}
    path = _write(tmp_path, nameless)
    code = run(["validate", str(path), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["file"] == str(path)
    assert report["remote"] == {"checked": False, "ok": None, "message": None}
    assert any("name" in w for w in report["warnings"])
    assert code == (0 if report["ok"] else 1)
    assert report["ok"] == (report["errors"] == [])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "grader.json:1:2: not valid JSON"),
        ("[1]", "grader.json: a grader is a JSON object ({...}), got list"),
    ],
)
def test_unreadable_files_exit_2(tmp_path: Path, capsys, content: str, message: str) -> None:
    path = tmp_path / "grader.json"
    path.write_text(content, encoding="utf-8")
    assert run(["validate", str(path)]) == 2
    assert message in capsys.readouterr().err
    assert run(["validate", str(tmp_path / "missing.json")]) == 2


def test_remote_validation_through_the_sdk(
    tmp_path: Path, fake_openai_env: FakeOpenAI, capsys
) -> None:
    state = finetune_routes.install(fake_openai_env)
    good = _write(tmp_path, GOOD)
    assert run(["validate", str(good), "--remote"]) == 0
    assert capsys.readouterr().out.endswith("is valid locally and by the API\n")
    assert state.validated == [{"grader": GOOD}]
    # the API refuses what the local checks let pass: its message is reported, exit 1
    refusal = FakeResponse(400, {"error": {"message": "model gpt-x is not a grader model"}})
    fake_openai_env.add_route(
        "POST", "/v1/fine_tuning/alpha/graders/validate", lambda server, request: refusal
    )
    assert run(["validate", str(good), "--remote", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["remote"]["ok"] is False
    assert "model gpt-x is not a grader model" in report["remote"]["message"]
    assert report["errors"][-1].startswith("remote: cannot validate the grader remotely: HTTP 400")


def test_remote_without_an_endpoint_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert run(["validate", str(_write(tmp_path, GOOD)), "--remote"]) == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err


def _judge(name: str) -> dict:
    return {
        "type": "score_model", "name": name, "model": "o4-mini-2025-04-16", "range": [0, 1],
        "input": [{"role": "user", "content": "Is it right? {{ sample.output_text }}"}],
    }  # fmt: skip


def test_a_regex_that_does_not_compile_is_not_valid(tmp_path: Path, capsys) -> None:
    """What compile used to write for tests/data/bad_rubrics/bad_regex.yaml."""
    from rubricate.rubrics.compile.embed import grader_source

    source = grader_source(title="The regex check of criterion ownership.", origin="a test",
                           entry="check_regex", name="CHECK",
                           config={"kind": "regex", "regex": "33\\.33%(\\s+",
                                   "ignore_case": False})  # fmt: skip
    grader = {"type": "multi", "name": "bad", "calculate_output": "gate * ownership",
              "graders": {"gate": {"type": "python", "name": "gate", "source": source},
                          "ownership": _judge("ownership")}}  # fmt: skip
    literal = dict(grader, graders={"gate": {"type": "python", "name": "gate", "source": (
        "import re\n\ndef grade(sample, item):\n"
        "    return 1.0 if re.search(r'[z-a]', sample['output_text']) else 0.0\n")},
        "ownership": _judge("ownership")})  # fmt: skip
    for case in (grader, literal):
        path = _write(tmp_path, case)
        assert run(["validate", str(path)]) == 1
        out = capsys.readouterr().out
        assert "graders.gate.source: regex" in out and "does not compile" in out, out
        assert "is valid" not in out


def test_duplicate_subgrader_names_are_not_valid(tmp_path: Path, capsys) -> None:
    """JSON keeps the last of two equal keys: one sub-grader silently replaced the other."""
    first, second = json.dumps(_judge("ownership")), json.dumps(_judge("closing"))
    text = ('{"type": "multi", "name": "twice", "calculate_output": "0.5 * ownership + '
            f'0.5 * closing", "graders": {{"ownership": {first}, "closing": {second}, '
            f'"ownership": {first}}}}}')  # fmt: skip
    path = tmp_path / "twice.json"
    path.write_text(text, encoding="utf-8")
    assert run(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert 'graders: key "ownership" appears twice' in out and "is valid" not in out
    assert run(["grade", str(path), "--items", str(path), "--samples", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rubricate: error: {path}: graders: key \"ownership\" appears twice")


def test_a_formula_counting_a_subgrader_twice_is_warned(tmp_path: Path, capsys) -> None:
    """What compile used to write for two criteria sharing the id ``ownership``."""
    grader = {"type": "multi", "name": "doubled",
              "calculate_output": "min(1, max(0, (0.4 * ownership + 0.2 * closing + "
                                  "0.4 * ownership)))",
              "graders": {"ownership": _judge("ownership"), "closing": _judge("closing")}}
    assert run(["validate", str(_write(tmp_path, grader))]) == 0
    out = capsys.readouterr().out
    assert "warning: calculate_output: reads ownership 2 times" in out, out
