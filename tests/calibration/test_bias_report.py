"""The bias-correction section of the calibration report: a loopback calibration of the shipped
accordance_tax example with its experts.csv shows it in all three formats; without expert
grades it is *not assessed* with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.cli import run
from rubricate.judge.calls import ClientSettings
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


def _biased_judge(sensitivity: float, false_met: float):  # noqa: ANN202
    """A loopback judge that says met to a truly met answer with probability ``sensitivity``
    and to a not-met one with ``false_met`` (1 - specificity): seeded per answer."""
    from tests.calibration.calib_fixtures import _CRITERION, _unit, last_user_text, prompt_text

    def score(request) -> bool:  # noqa: ANN001
        body = request.body or {}
        found = _CRITERION.search(prompt_text(body))
        criterion = found.group(1) if found else ""
        answer = last_user_text(body)
        p = sensitivity if f"[[MET:{criterion}]]" in answer else false_met
        return _unit("bias", f"{criterion}\x1f{answer}") < p

    return score


def test_a_scripted_biased_judge_is_corrected_by_a_third_of_expert_labels(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    """Loopback judge with sensitivity 0.6 and specificity 0.98 on criterion ``a``; the truth:
    met on every great answer and no other (share 1/3). The judge alone says ~0.21; experts who
    know the truth grade every third answer; the PPI interval covers 1/3, the judge's does not."""
    import asyncio

    from rubricate.calibration.run.execution import execute
    from rubricate.calibration.run.session import CalibrateRequest, prepare
    from tests.calibration.calib_fixtures import write_rubric, write_set

    fake_openai.policy.score = _biased_judge(0.6, 0.02)
    rubric = write_rubric(tmp_path / "rubric.yaml", ["a"])
    calset = write_set(tmp_path / "set.jsonl", 60, {"great": ["a"], "fair": [], "poor": []})
    lines = ["item_id,answer_id,expert,criterion_id,score"]
    for i in range(60):
        tier = ("great", "fair", "poor")[i % 3]  # every item once, each tier on 20 items
        lines.append(f"item-{i},{tier}-{i},oracle,a,{int(tier == 'great')}")
    experts = tmp_path / "experts.csv"
    experts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    request = CalibrateRequest(rubric=rubric, calibration_set=calset, out=tmp_path / "run",
                               repeats=1, figures=False, experts=experts)  # fmt: skip
    outcome = asyncio.run(execute(prepare(request), client_settings))
    section = outcome.data["bias_correction"]
    target = next(t for t in section["targets"] if t["target"] == "a")
    figures = target["all"]
    assert (figures["n_labeled"], figures["n_units"]) == (60, 180)
    truth = 1 / 3
    uncorrected, ppi, rogan = figures["uncorrected"], figures["ppi"], figures["rogan_gladen"]
    assert not uncorrected["low"] <= truth <= uncorrected["high"], uncorrected
    assert ppi["low"] <= truth <= ppi["high"], ppi
    assert rogan["low"] <= truth <= rogan["high"], rogan
    accuracy = target["accuracy"]
    assert accuracy["n_positive"] == 20 and accuracy["n_negative"] == 40
    assert accuracy["sensitivity_low"] <= 0.6 <= accuracy["sensitivity_high"]
    assert accuracy["specificity_low"] <= 0.98 <= accuracy["specificity_high"]
    assert [target["tiers"][t]["n_labeled"] for t in ("great", "fair", "poor")] == [20] * 3
    great = target["tiers"]["great"]  # truly all met; the judge sees ~60 %
    assert great["ppi"]["low"] <= 1.0 <= great["ppi"]["high"], great
    assert great["uncorrected"]["high"] < 1.0
