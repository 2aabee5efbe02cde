"""``rubricate baseline`` corrects each model's mean score with the expert grades of its samples
(the run's ``experts.csv``, as ``rubricate review`` appends them): loopback judge with known
sensitivity / specificity, scripted samples with known truth."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from rubricate.calibration.baseline.execution import execute_baseline
from rubricate.calibration.baseline.prepare import BaselineRequest, prepare_baseline
from rubricate.judge.calls import ClientSettings
from rubricate.testing import FakeOpenAI
from tests.calibration.baseline_fixtures import script_samples
from tests.calibration.calib_fixtures import answer_text, write_rubric
from tests.calibration.test_bias_report import _biased_judge

MODEL, N_ITEMS, SAMPLES = "cand-a", 40, 3


def _prepare(tmp_path: Path):  # noqa: ANN202
    rubric = write_rubric(tmp_path / "rubric.yaml", ["a"])
    items = tmp_path / "items.jsonl"
    rows = [{"id": f"q{i}", "messages": [{"role": "user", "content": f"Question {i}?"}]}
            for i in range(N_ITEMS)]  # fmt: skip
    items.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    request = BaselineRequest(rubric=rubric, items=items, models=(MODEL,), samples=SAMPLES,
                              out=tmp_path / "run", figures=False)  # fmt: skip
    return prepare_baseline(request)


def test_expert_grades_of_samples_correct_the_baseline_mean(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    prepared = _prepare(tmp_path)
    # sample 0 of every item truly meets criterion a, samples 1 and 2 do not: truth 1/3
    texts = {f"q{i}": [answer_text(["a"] if k == 0 else [], tag=f"q{i}-{k}")
                       for k in range(SAMPLES)] for i in range(N_ITEMS)}  # fmt: skip
    script_samples(fake_openai, prepared, {MODEL: texts})
    fake_openai.policy.score = _biased_judge(0.6, 0.02)
    first = asyncio.run(execute_baseline(prepared, client_settings))
    section = first.data["bias_correction"][MODEL]
    assert section["assessed"] is False and "no expert grades" in section["reason"]
    assert "corrected with the expert grades" not in (tmp_path / "run" / "report.md").read_text()
    # an expert grades every sample of the first 20 items (as review's expert mode appends)
    experts = tmp_path / "run" / "experts.csv"
    with experts.open("a", encoding="utf-8") as out:
        for i in range(20):
            for k in range(SAMPLES):
                out.write(f"q{i},{MODEL}#{k},oracle,a,{int(k == 0)}\n")
    sent = fake_openai.count()
    second = asyncio.run(execute_baseline(_prepare(tmp_path), client_settings))
    assert fake_openai.count() == sent  # the rerun replays every call
    section = second.data["bias_correction"][MODEL]
    assert section["assessed"] is True
    target = next(t for t in section["targets"] if t["target"] == "a")
    figures = target["all"]
    assert (figures["n_labeled"], figures["n_units"]) == (60, 120)
    ppi, uncorrected = figures["ppi"], figures["uncorrected"]
    assert ppi["low"] <= 1 / 3 <= ppi["high"], ppi
    assert uncorrected["high"] < 1 / 3, uncorrected
    assert target["accuracy"]["n_positive"] == 20 and target["accuracy"]["n_negative"] == 40
    markdown = (tmp_path / "run" / "report.md").read_text()
    assert "## Mean scores corrected with the expert grades" in markdown
    assert f"| `{MODEL}` | `a` | all | 60/120 |" in markdown
