"""``rubricate calibrate --compare``: every shipped example, per criterion vs holistic, against
the loopback judge; bad specs exit 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.cli import run
from rubricate.testing import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ("accordance_tax", "eurovoc", "citations")
FILES = ("comparison.json", "comparison.md", "comparison.html")


def _compare(example: str, out: Path, *extra: str) -> int:
    folder = ROOT / "examples" / example
    return run(["calibrate", str(folder / "rubric.yaml"), "--set",
                str(folder / "calibration.jsonl"), "--experts", str(folder / "experts.csv"),
                "--out", str(out), "--no-figures", *extra])  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_compares_per_criterion_with_holistic(
    example: str, fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "cmp"
    args = ("--compare", "mode=per_criterion,holistic", "--repeats", "2",
            "--store", str(tmp_path / "calls.sqlite"))  # fmt: skip
    assert _compare(example, out, *args) == 0
    text = capsys.readouterr().out
    for name in FILES:
        assert (out / name).is_file(), name
    data = json.loads((out / "comparison.json").read_text())
    rows = {r["arm"]: r for r in data["arms"]}
    assert list(rows) == ["per_criterion", "holistic"]
    assert rows["per_criterion"]["target"] == "multi"
    assert rows["holistic"]["target"] == "score_model"
    for arm, row in rows.items():
        manifest = json.loads((out / "arms" / arm / "run.json").read_text())
        assert manifest["status"] == "complete" and manifest["repeats"] == 2
        assert manifest["grader_sha256"] == row["grader_sha256"]
        assert (out / "arms" / arm / "report.html").is_file()
    assert rows["per_criterion"]["grader_sha256"] != rows["holistic"]["grader_sha256"]
    assert data["recommendation"]["arm"] in rows
    # the holistic arm always asks the judge for one score: every answer, every repeat
    assert rows["holistic"]["judge_calls"] == 2 * json.loads(
        (out / "arms" / "holistic" / "run.json").read_text())["counts"]["answers"]  # fmt: skip
    if example != "accordance_tax":  # checks only: the per-criterion arm makes no call
        assert rows["per_criterion"]["judge_calls"] == 0
    page = (out / "comparison.md").read_text()
    assert "| arm | grader SHA-256 | verdict |" in page and "Rule: prefer arms" in page
    html = (out / "comparison.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<table>" in html
    assert "recommended: " in text and "highest flip probability" in text


def test_a_bad_spec_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert _compare("eurovoc", tmp_path / "o", "--compare", "mode=per_criterion,flat") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--compare" in err[0] and "unknown mode 'flat'" in err[0]
    assert _compare("eurovoc", tmp_path / "o", "--compare", "judge=only-one") == 2
    assert "at least 2 arms" in capsys.readouterr().err
    assert _compare("eurovoc", tmp_path / "o", "--compare", "judge=a,b", "--repeats", "auto") == 2
    assert "--repeats auto is not supported" in capsys.readouterr().err
    assert _compare("eurovoc", tmp_path / "o", "--compare", "judge=a,b", "--report-only") == 2
    assert "drop --compare" in capsys.readouterr().err
    spec = ("--compare", "mode=per_criterion,holistic")
    assert _compare("eurovoc", tmp_path / "o", *spec, "--target", "multi") == 2
    assert "--target and --compare mode=" in capsys.readouterr().err
    assert _compare("eurovoc", tmp_path / "o", "--compare", "judge=a,b", "--judge-model", "c") == 2
    assert "--judge-model and --compare judge=" in capsys.readouterr().err
    # a checks-only rubric judges nothing: every judge= arm is the same grader
    assert _compare("eurovoc", tmp_path / "o", "--compare", "judge=a,b") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "compile to the same grader" in err[0]
    assert not (tmp_path / "o").exists()  # refused before anything is written


def test_json_output_names_the_recommended_grader(
    fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "cmp"
    spec = "judge=judge-one,judge-two"
    assert _compare("accordance_tax", out, "--compare", spec, "--repeats", "1",
                    "--store", str(tmp_path / "c.sqlite"), "--json") == 0  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert [a["arm"] for a in summary["arms"]] == ["judge-judge-one", "judge-judge-two"]
    rec = summary["recommendation"]
    assert rec["arm"] in ("judge-judge-one", "judge-judge-two") and rec["reason"]
    assert summary["files"] == [str(out / name) for name in FILES]
    models = {r["judge_model"] for r in summary["rows"]}
    assert models == {"judge-one", "judge-two"}
    assert {r.body["model"] for r in fake_openai_env.model_requests()} == models
