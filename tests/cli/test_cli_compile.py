"""``rubricate compile`` through the command line's real entry point."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rubricate.cli import run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TAX = EXAMPLES / "accordance_tax" / "rubric.yaml"
EUROVOC = EXAMPLES / "eurovoc" / "rubric.yaml"


def test_grader_json_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["compile", str(TAX)]) == 0
    out, err = capsys.readouterr()
    grader = json.loads(out)
    assert grader["type"] == "multi" and grader["name"] == "accordance-s-corp-2024"
    assert out.endswith("}\n") and err == ""


def test_output_file_holds_the_same_bytes(tmp_path: Path, capsys) -> None:
    target = tmp_path / "grader.json"
    assert run(["compile", str(TAX)]) == 0
    printed = capsys.readouterr().out
    assert run(["compile", str(TAX), "-o", str(target)]) == 0
    line = capsys.readouterr().out
    data = target.read_bytes()
    assert data == printed.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    assert (
        line
        == f"{target}: multi grader 'accordance-s-corp-2024', 28 sub-graders, sha256 {digest}\n"
    )
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_json_summary(tmp_path: Path, capsys) -> None:
    target = tmp_path / "g.json"
    assert run(["compile", str(EUROVOC), "-o", str(target), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["target"] == "multi" and summary["output"] == str(target)
    assert summary["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert summary["bytes"] == len(target.read_bytes())
    assert [s["name"] for s in summary["subgraders"]] == ["f1", "precision", "recall"]
    assert summary["subgraders"][0] == {
        "name": "f1",
        "criterion": "f1",
        "role": "check",
        "type": "python",
    }
    assert summary["formula"] == "min(1, max(0, (f1)))"
    assert "grader" not in summary
    assert run(["compile", str(EUROVOC), "--target", "python", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["target"] == "python" and summary["subgraders"] == []
    assert summary["formula"] is None and summary["grader"]["type"] == "python"


@pytest.mark.parametrize("target", ["multi", "score_model", "python"])
def test_every_target_is_deterministic(target: str, capsys) -> None:
    outputs = []
    for _ in range(2):
        assert run(["compile", str(EUROVOC), "--target", target]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and json.loads(outputs[0])["type"] == target


def _error(argv: list[str], capsys) -> str:
    code = run(argv)
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("rubricate: error: ") and err.count("\n") == 1
    return err


def test_errors_are_one_line_exit_2(tmp_path: Path, capsys) -> None:
    err = _error(["compile", str(TAX), "--target", "python"], capsys)
    assert "need a judge" in err and "--target multi" in err
    err = _error(["compile", str(tmp_path / "missing.yaml")], capsys)
    assert "missing.yaml" in err
    bad = tmp_path / "bad.yaml"
    text = TAX.read_text(encoding="utf-8").replace("weight: 0.15", 'weight: "high"', 1)
    bad.write_text(text, encoding="utf-8")
    err = _error(["compile", str(bad)], capsys)
    assert "bad.yaml:" in err and "weight" in err
    err = _error(["compile", str(TAX), "-o", str(tmp_path / "nowhere" / "g.json")], capsys)
    assert "does not exist" in err


def test_colliding_names_are_reported(tmp_path: Path, capsys) -> None:
    rubric = tmp_path / "r.yaml"
    rubric.write_text(
        "rubric: 1\nid: r\ntitle: T\ncriteria:\n"
        "  - {id: a-b, text: A, weight: 1}\n  - {id: a_b, text: B, weight: 1}\n",
        encoding="utf-8",
    )
    err = _error(["compile", str(rubric)], capsys)
    # refused by the lint gate, at the line and column of the second id
    assert f"{rubric}:6:10: criteria[1].id: " in err and '"a_b" and "a-b" (line 5)' in err


@pytest.mark.subprocess
def test_console_script(tmp_path: Path) -> None:
    exe = shutil.which("rubricate") or str(Path(sys.executable).with_name("rubricate"))
    done = subprocess.run(
        [exe, "compile", str(EUROVOC), "--target", "python", "-o", str(tmp_path / "g.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))["type"] == "python"
