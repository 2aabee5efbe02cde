"""The bias-correction section of the calibration report: a loopback calibration of the shipped
accordance_tax example with its experts.csv shows it in all three formats; without expert
grades it is *not assessed* with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.cli import run
from rubricate.testing import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
TAX = ROOT / "examples" / "accordance_tax"


def _calibrate(out: Path, *extra: str) -> int:
    return run(["calibrate", str(TAX / "rubric.yaml"), "--set", str(TAX / "calibration.jsonl"),
                "--out", str(out), "--repeats", "2", "--no-figures", *extra])  # fmt: skip


@pytest.mark.slow
def test_loopback_calibration_with_experts_reports_corrected_means(
    fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "run"
    assert _calibrate(out, "--experts", str(TAX / "experts.csv"),
                      "--store", str(tmp_path / "calls.sqlite")) == 0  # fmt: skip
    capsys.readouterr()
    section = json.loads((out / "report.json").read_text())["bias_correction"]
    assert section["assessed"] is True and section["reason"] is None
    assert "prediction-powered inference" in section["method"]
    assert "Rogan-Gladen" in section["second_method"]
    targets = {t["target"]: t for t in section["targets"]}
    assert "__total__" in targets and targets["__total__"]["binary"] is False
    binary = [t for t in targets.values() if t["binary"]]
    assert binary, "the example's met / not-met criteria are corrected"
    for target in binary:
        accuracy = target["accuracy"]
        assert (
            accuracy["tp"] + accuracy["fp"] + accuracy["fn"] + accuracy["tn"]
            == (target["n_labeled"])
        )
        figures = target["all"]
        if figures["ppi"] is not None:
            ppi = figures["ppi"]
            assert ppi["low"] <= ppi["estimate"] <= ppi["high"]
        assert set(target["tiers"]) <= {"great", "fair", "poor", "adversarial"}
    markdown = (out / "report.md").read_text()
    assert "### Mean scores corrected with the expert grades" in markdown
    assert "| score | tier | graded | sensitivity |" in markdown
    assert "corrected (PPI)" in (out / "report.html").read_text()


def test_without_experts_the_section_is_not_assessed(
    fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "run"
    assert _calibrate(out, "--store", str(tmp_path / "calls.sqlite")) == 0
    capsys.readouterr()
    section = json.loads((out / "report.json").read_text())["bias_correction"]
    assert section["assessed"] is False and "no expert grades" in section["reason"]
    assert section["targets"] == []
    assert "Not assessed: no expert grades" in (out / "report.md").read_text()
