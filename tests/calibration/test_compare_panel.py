"""``--compare panel=A,B,C``: three noisy judges and their majority panel, against the loopback
judge. Each judge flips a verdict with probability 0.2, independently, so the majority of three
errs with probability 3p^2(1-p) + p^3 = 0.104 (the binomial tail; PoLL, arXiv 2404.18796, makes
the same argument for juries): the panel's verdicts are steadier and closer to the truth than
any single judge's, and the panel's arm makes no new call (its judge sub-graders send the
requests the single judges sent, replayed from the call store)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from rubricate.calibration.compare.arms import parse_compare
from rubricate.calibration.compare.run import prepare_arms, run_comparison
from rubricate.calibration.run.session import CalibrateRequest
from rubricate.cli import run as cli
from rubricate.errors import InputError
from rubricate.judge.calls import ClientSettings
from rubricate.rubrics.lint import load_checked_rubric
from rubricate.testing import FakeOpenAI
from tests.calibration.calib_fixtures import scripted_judge, write_rubric, write_set

JUDGES = ("judge-a", "judge-b", "judge-c")
CRITERIA = ["a", "b", "c"]


def test_the_panel_spec_adds_one_arm_per_judge_then_the_panel(tmp_path: Path) -> None:
    rubric = load_checked_rubric(write_rubric(tmp_path / "r.yaml", CRITERIA)).rubric
    arms = parse_compare("panel=x,y,z", rubric)
    assert [a.name for a in arms] == ["judge-x", "judge-y", "judge-z", "panel-majority"]
    assert arms[-1].panel == ("x", "y", "z") and arms[-1].rule == "majority"
    assert parse_compare("panel:mean=x,y", rubric)[-1].name == "panel-mean"
    for bad in ("panel:median=x,y", "judge:mean=x,y", "panel=x"):
        with pytest.raises(InputError, match="--compare"):
            parse_compare(bad, rubric)


def test_a_majority_panel_of_noisy_judges_beats_each_of_them(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    rubric = write_rubric(tmp_path / "rubric.yaml", CRITERIA)
    truth = {"great": CRITERIA, "fair": ["a"], "poor": []}
    calset = write_set(tmp_path / "set.jsonl", 12, truth)
    judges = {m: scripted_judge(dict.fromkeys(CRITERIA, 0.2), seed=m) for m in JUDGES}
    fake_openai.policy.score = lambda request: judges[request.body["model"]](request)
    request = CalibrateRequest(rubric=rubric, calibration_set=calset, out=tmp_path / "cmp",
                               repeats=4, figures=False)  # fmt: skip
    spec = "panel=" + ",".join(JUDGES)
    out, arms = prepare_arms(request, spec)
    result = asyncio.run(run_comparison(out, spec, arms, client_settings))
    rows = {r["arm"]: r for r in result.data["arms"]}
    panel = rows["panel-majority"]
    singles = [rows[f"judge-{m}"] for m in JUDGES]
    assert all(panel["mean_flip_p"] < s["mean_flip_p"] for s in singles), rows
    assert all(panel["auc"] >= s["auc"] for s in singles), rows
    # the panel asks every judge: three times the calls of one judge, all replayed
    assert panel["judge_calls"] == 3 * singles[0]["judge_calls"] == 3 * 36 * 4 * 3
    usage = json.loads((out / "arms" / "panel-majority" / "run.json").read_text())["usage"]
    assert usage["calls"] == 0 and usage["cached"] == 3 * 36 * 4 * 3
    # replayed calls count with the tokens they used when made (not 0)
    assert panel["tokens"] == sum(s["tokens"] for s in singles) > 0
    manifest = json.loads((out / "arms" / "panel-majority" / "run.json").read_text())
    assert manifest["panel"] == {"judges": list(JUDGES), "rule": "majority"}
    assert panel["grader_sha256"] not in {s["grader_sha256"] for s in singles}
    page = (out / "comparison.md").read_text()
    assert "panel-majority" in page
    # the panel's grader is the one `rubricate compile --panel` writes
    compiled = tmp_path / "panel.json"
    assert cli(["compile", str(rubric), "--panel", ",".join(JUDGES), "-o", str(compiled)]) == 0
    ran = (out / "arms" / "panel-majority" / "grader.json").read_bytes()
    assert ran == compiled.read_bytes()


def test_report_only_rebuilds_a_panel_run_with_its_pooled_verdicts(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    """A panel run's report rebuilt from its files equals the one written at the end."""
    rubric = write_rubric(tmp_path / "rubric.yaml", CRITERIA)
    calset = write_set(tmp_path / "set.jsonl", 4, {"great": CRITERIA, "poor": []})
    judges = {m: scripted_judge(dict.fromkeys(CRITERIA, 0.3), seed=m) for m in JUDGES[:2]}
    fake_openai.policy.score = lambda request: judges[request.body["model"]](request)
    out = tmp_path / "run"
    code = cli(["calibrate", str(rubric), "--set", str(calset), "--out", str(out), "--repeats",
                "3", "--no-figures", "--panel", ",".join(JUDGES[:2]), "--base-url",
                client_settings.base_url or "", "--format", "json"])  # fmt: skip
    assert code == 0
    first = json.loads((out / "report.json").read_text())
    assert cli(["calibrate", "--report-only", "--out", str(out), "--no-figures"]) == 0
    again = json.loads((out / "report.json").read_text())
    assert again["stability"] == first["stability"]
    assert again["discrimination"] == first["discrimination"]
