"""``--verify``: the Lambda, invoked in its own process, beside the calibrated grader."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from rubricate.export.bedrock.verify import verify_bedrock
from rubricate.export.verify.render import render_verification
from rubricate.judge.calls import ClientSettings
from rubricate.testing import Fault
from rubricate.testing.server import FakeOpenAI
from tests.export.bedrock.conftest import DETERMINISTIC, EXAMPLES, cli, export_args


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_every_deterministic_part_is_equal(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    calibration = EXAMPLES / name / "calibration.jsonl"
    code = cli(export_args(name, tmp_path / "b", "--verify", str(calibration), "--json"))
    data = json.loads(capsys.readouterr().out)["verification"]
    assert code == 0
    assert data["answers"] > 20 and data["answers_without_reward"] == 0
    assert data["deterministic_failures"] == [] and data["errors"] == []
    assert data["deterministic_parts"] == 3 * data["answers"]
    assert data["max_deterministic_difference"] == 0.0
    assert data["max_total_difference"] == 0.0


def test_the_tax_example_with_a_judge(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_openai_env: FakeOpenAI,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    calibration = EXAMPLES / "accordance_tax" / "calibration.jsonl"
    code = cli(export_args("accordance_tax", tmp_path / "b", "--verify", str(calibration)))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "verdict: every deterministic part equal" in out
    assert "judged parts: 345, mean absolute difference 0.0000" in out
    lambda_calls = [
        r
        for r in fake_openai_env.model_requests()
        if "Python-urllib" in r.headers.get("user-agent", "")
    ]
    assert len(lambda_calls) == 345  # 23 answers x 15 judged parts, from the Lambda's process


def test_a_lambda_that_computes_something_else_fails(tmp_path: Path) -> None:
    out = tmp_path / "b"
    assert cli(export_args("eurovoc", out)) == 0
    grader = json.loads((out / "grader.json").read_text())
    grader["calculate_output"] = "precision"
    grader["graders"]["f1"]["source"] = (
        grader["graders"]["f1"]["source"].replace("def grade(", "def _grade(", 1)
        + "\ndef grade(sample, item):\n    return 0.5 * _grade(sample, item)\n"
    )
    with zipfile.ZipFile(out / "lambda.zip") as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    files["grader.json"] = json.dumps(grader).encode()
    with zipfile.ZipFile(out / "lambda.zip", "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    verification = verify_bedrock(
        out,
        calibration_set=EXAMPLES / "eurovoc" / "calibration.jsonl",
        rubric=EXAMPLES / "eurovoc" / "rubric.yaml",
        settings=ClientSettings(store_path=None),
    )
    rendered = render_verification(verification)
    assert rendered.failed
    assert "f1: calibrated 1.000000 != bedrock 0.500000" in rendered.failure


def test_a_lambda_whose_judge_fails_shows_no_reward_never_a_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_openai_env: FakeOpenAI
) -> None:
    """The Lambda's judge calls (urllib) get garbage; the calibrated grader's calls do not."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "b"
    assert cli(export_args("accordance_tax", out)) == 0
    first = (EXAMPLES / "accordance_tax" / "calibration.jsonl").read_text().splitlines()[0]
    item = json.loads(first)
    item["answers"] = item["answers"][:1]
    calset = tmp_path / "one.jsonl"
    calset.write_text(json.dumps(item) + "\n")
    fake_openai_env.fault(
        Fault.reply_text("I cannot grade this."),
        times=1000,
        match=lambda r: "Python-urllib" in r.headers.get("user-agent", ""),
    )
    verification = verify_bedrock(
        out,
        calibration_set=calset,
        rubric=EXAMPLES / "accordance_tax" / "rubric.yaml",
        settings=ClientSettings(base_url=fake_openai_env.base_url, store_path=None, max_retries=1),
    )
    [answer] = verification.answers
    assert answer.calibrated is not None and answer.form is None
    assert answer.error is not None and answer.error.startswith("RewardBatchError: ")
    assert "judge reply did not parse" in answer.error
    assert all(part.form is None for part in answer.parts)
    rendered = render_verification(verification)
    assert rendered.failed and "did not run" in rendered.failure
