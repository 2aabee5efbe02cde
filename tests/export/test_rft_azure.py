"""``export rft --platform azure`` and ``check --platform azure``: Azure AI Foundry's rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.cli import run
from rubricate.export.rft.azure_profile import (
    ALLOWED_GRADER_MODELS,
    closest_model,
    grader_findings,
)

ROOT = Path(__file__).resolve().parents[2]
TAX = ROOT / "examples" / "accordance_tax"
EUROVOC = ROOT / "examples" / "eurovoc"

JUDGED = """\
rubric: 1
id: short-memo
title: A short memo
task: "Write a memo about {{ item.topic }}."
judge: {model: MODEL}
criteria:
  - id: clear
    text: The memo is written in plain language.
    weight: 1
"""

DEFAULT_JUDGE = """\
rubric: 1
id: short-memo
title: A short memo
task: "Write a memo about {{ item.topic }}."
criteria:
  - id: clear
    text: The memo is written in plain language.
    weight: 1
"""

PYTHON_IMPORTS = """\
rubric: 1
id: code-check
title: Python checks
task: "Answer about {{ item.topic }}."
criteria:
  - id: uses-numpy
    weight: 1
    check:
      python: |
        import numpy
        import requests

        def grade(sample, item):
            return 1.0
"""


def _rows(path: Path, n: int, start: int = 0) -> Path:
    rows = [{"id": f"r{i}", "topic": f"tax case {i}"} for i in range(start, start + n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _export(rubric: Path, tmp_path: Path, *extra: str) -> int:
    tmp_path.mkdir(exist_ok=True)
    train, valid = _rows(tmp_path / "train.jsonl", 12), _rows(tmp_path / "valid.jsonl", 4, 100)
    return run(
        ["export", "rft", str(rubric), "--train", str(train), "--valid", str(valid),
         "--model", "o4-mini-2025-04-16", "--out", str(tmp_path / "out"), *extra]
    )  # fmt: skip


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("rubricate: error:")]


def test_a_rubric_judged_by_o4_mini_exits_2_with_one_line_naming_the_allowed_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    code = run(
        ["export", "rft", str(TAX / "rubric.yaml"), "--train", str(TAX / "train.jsonl"),
         "--valid", str(TAX / "valid.jsonl"), "--model", "o4-mini-2025-04-16",
         "--out", str(tmp_path / "out"), "--platform", "azure"]
    )  # fmt: skip
    stderr = capsys.readouterr().err
    assert code == 2
    problem, summary = _errors(stderr)
    assert problem.startswith(f"rubricate: error: {TAX / 'rubric.yaml'}:95:10: judge.model: ")
    assert "o4-mini-2025-04-16 cannot grade Azure AI Foundry RFT jobs" in problem
    assert "did you mean o3-mini-2025-01-31?" in problem
    assert "gpt-4o-2024-08-06" in problem and "o3-mini-2025-01-31" in problem
    assert all(model in problem for model in ALLOWED_GRADER_MODELS)
    assert "nothing was written" in summary
    assert not (tmp_path / "out").exists()


def test_the_same_rubric_exports_for_openai(tmp_path: Path):
    code = run(
        ["export", "rft", str(TAX / "rubric.yaml"), "--train", str(TAX / "train.jsonl"),
         "--valid", str(TAX / "valid.jsonl"), "--model", "o4-mini-2025-04-16",
         "--out", str(tmp_path / "out")]
    )  # fmt: skip
    assert code == 0 and (tmp_path / "out" / "grader.json").is_file()


def test_check_platform_azure_prints_the_same_line(capsys: pytest.CaptureFixture[str]):
    assert run(["check", str(TAX / "rubric.yaml")]) == 0
    capsys.readouterr()
    assert run(["check", str(TAX / "rubric.yaml"), "--platform", "azure"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{TAX / 'rubric.yaml'}:95:10: judge.model: o4-mini-2025-04-16 cannot grade Azure AI "
        "Foundry RFT jobs; did you mean o3-mini-2025-01-31? Allowed grader models: "
        + ", ".join(ALLOWED_GRADER_MODELS)
        + " [azure-grader-model]"
    ]


def test_check_platform_azure_json(capsys: pytest.CaptureFixture[str]):
    assert run(["check", str(TAX / "rubric.yaml"), "--platform", "azure", "--json"]) == 1
    (problem,) = json.loads(capsys.readouterr().out)
    assert problem["rule"] == "azure-grader-model" and problem["path"] == "judge.model"
    assert (problem["line"], problem["col"], problem["severity"]) == (95, 10, "error")


def test_check_platform_azure_passes_a_checks_only_rubric():
    assert run(["check", str(EUROVOC / "rubric.yaml"), "--platform", "azure"]) == 0


@pytest.mark.parametrize("model", ["gpt-4o-2024-08-06", "o3-mini-2025-01-31"])
def test_an_allowed_grader_model_exports(
    tmp_path: Path, model: str, capsys: pytest.CaptureFixture[str]
):
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(JUDGED.replace("MODEL", model), encoding="utf-8")
    assert _export(rubric, tmp_path, "--platform", "azure") == 0, capsys.readouterr().err
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    platform = manifest["platform"]
    assert platform["name"] == "azure" and model in platform["grader_models"]
    assert platform["limits"]["spending_pause_usd"] == 5000
    assert platform["limits"]["python_runtime"] == "2 minutes"
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "## Azure AI Foundry" in readme and "pauses" in readme and "1 core" in readme
    grader = json.loads((tmp_path / "out" / "grader.json").read_text())
    assert grader["graders"]["clear"]["model"] == model


def test_the_default_judge_model_is_named_as_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(DEFAULT_JUDGE, encoding="utf-8")
    assert _export(rubric, tmp_path, "--platform", "azure") == 2
    (problem, _) = _errors(capsys.readouterr().err)
    assert "judge.model: o4-mini-2025-04-16 (the default judge model) cannot grade" in problem


def test_a_near_miss_model_gets_its_did_you_mean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(JUDGED.replace("MODEL", "gpt-4o"), encoding="utf-8")
    assert _export(rubric, tmp_path, "--platform", "azure") == 2
    (problem, _) = _errors(capsys.readouterr().err)
    assert ":5:16: judge.model: gpt-4o cannot grade" in problem
    assert "did you mean gpt-4o-2024-08-06?" in problem


@pytest.mark.parametrize("target", ["python", "multi"])
def test_python_imports_outside_the_runtime_are_errors_at_their_line(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
):
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(PYTHON_IMPORTS, encoding="utf-8")
    assert _export(rubric, tmp_path, "--platform", "azure", "--target", target) == 2
    (problem, _) = _errors(capsys.readouterr().err)
    # line 11 of the file is `import requests` (line 2 of the block); numpy is provided
    assert f'{rubric}:11:9: criteria[0].check.python: imports "requests"' in problem
    assert "use the standard library or one of: ast-grep-py, deepdiff" in problem
    assert _export(rubric, tmp_path / "o", "--platform", "openai") == 0


@pytest.mark.parametrize(
    ("model", "closest"),
    [
        ("o4-mini-2025-04-16", "o3-mini-2025-01-31"),
        ("gpt-4o", "gpt-4o-2024-08-06"),
        ("gpt-4.1-mini", "gpt-4.1-mini-2025-04-14"),
        ("o3-mini", "o3-mini-2025-01-31"),
    ],
)
def test_closest_model(model: str, closest: str):
    assert closest_model(model) == closest


def test_grader_findings_on_grader_json():
    grader = {
        "type": "multi",
        "name": "m",
        "calculate_output": "a + b + c + d + e",
        "graders": {
            "a": {"type": "label_model", "name": "a", "model": "o3-mini-2025-01-31",
                  "input": [], "labels": ["x"], "passing_labels": ["x"]},
            "b": {"type": "text_similarity", "name": "b", "input": "", "reference": "",
                  "evaluation_metric": "cosine"},
            "c": {"type": "python", "name": "c",
                  "source": "import numpy, rdkit, skbio\nfrom . import x\n" + "#" * 262_144},
            "d": {"type": "score_model", "name": "d", "model": "gpt-4o-mini", "input": []},
            "e": {"type": "text_similarity", "name": "e", "input": "", "reference": "",
                  "evaluation_metric": "rouge_l"},
        },
    }  # fmt: skip
    found = {(f.grader, f.rule, f.value) for f in grader_findings(grader)}
    assert found == {
        (("a",), "azure-grader-type", None),
        (("b",), "azure-metric", None),
        (("c",), "azure-python-size", None),
        (("c",), "azure-python-import", "."),
        (("d",), "azure-grader-model", "gpt-4o-mini"),
    }


def test_python_source_size_limit_is_under_256_kb():
    small = {"type": "python", "name": "p", "source": "#" * (256 * 1024 - 1)}
    big = {"type": "python", "name": "p", "source": "#" * (256 * 1024)}
    assert grader_findings(small) == []
    assert [f.rule for f in grader_findings(big)] == ["azure-python-size"]
