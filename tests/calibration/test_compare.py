"""``--compare``: the spec, the pure table and recommendation, and two scripted judges ranked."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from rubricate.calibration.compare.arms import parse_compare
from rubricate.calibration.compare.run import prepare_arms, run_comparison
from rubricate.calibration.compare.table import NOT_ASSESSED, arm_row, cell, recommend
from rubricate.calibration.run.session import CalibrateRequest
from rubricate.errors import InputError
from rubricate.judge.calls import ClientSettings
from rubricate.rubrics.lint import load_checked_rubric
from rubricate.testing import FakeOpenAI
from tests.calibration.calib_fixtures import scripted_judge, write_rubric, write_set


def _data(status: str = "ready", auc: float | None = 0.9, flips: tuple = (0.0, 0.1),
          cost: float | None = 0.01, sha: str = "ab" * 32) -> dict:  # fmt: skip
    return {
        "run": {"grader_sha256": sha, "target": "multi", "judge_model": "m", "judged_run": True},
        "verdict": {"status": status},
        "stability": {"headline": {"icc": {"value": 0.8}},
                      "criteria": [{"criterion": f"c{i}", "flip_p": f} for i, f in
                                   enumerate(flips)]},  # fmt: skip
        "discrimination": {"headline": None if auc is None else {
            "auc": {"estimate": auc}, "order": {"share": 1.0},
            "adversarial": [{"outscores": True}, {"outscores": False}]}},  # fmt: skip
        "agreement": None,
        "cost": None if cost is None else {"calls": 10, "cached": 2, "input_tokens": 100,
                                           "output_tokens": 5, "cost_usd": cost,
                                           "replayed_cost_usd": 0.0, "unpriced": [],
                                           "local": False},  # fmt: skip
    }


def test_a_row_reads_every_figure_and_missing_ones_are_not_assessed() -> None:
    row = arm_row("x", _data())
    assert row["max_flip_p"] == 0.1 and row["mean_flip_p"] == pytest.approx(0.05)
    assert row["icc"] == 0.8 and row["auc"] == 0.9 and row["order_share"] == 1.0
    assert row["adversarial_beat_fair"] == 1 and row["judge_calls"] == 12
    assert row["tokens"] == 105 and row["cost_usd"] == 0.01
    assert row["expert_mae"] is None and cell("expert_mae", row["expert_mae"]) == NOT_ASSESSED
    bare = arm_row("y", _data(auc=None, flips=(), cost=None))
    for key in ("auc", "order_share", "adversarial_beat_fair", "max_flip_p", "mean_flip_p",
                "judge_calls", "tokens", "cost_usd"):  # fmt: skip
        assert bare[key] is None, key  # never 0
        assert cell(key, bare[key]) == NOT_ASSESSED
    local = _data(cost=0.0)
    local["cost"]["local"] = True
    assert arm_row("l", local)["cost_usd"] == 0.0  # a local endpoint costs nothing: measured
    offline = _data()
    offline["run"]["judged_run"] = False  # no endpoint: the judge's cost was not measured
    row = arm_row("o", offline)
    assert row["cost_usd"] is None and row["judge_calls"] is None and row["tokens"] is None
    agreed = _data()
    agreed["agreement"] = {"total": {"grader_vs_mean": {"mae": {"estimate": 0.25}}},
                           "criteria": [{"grader_f1": 0.5}, {"grader_f1": 1.0}, {"mean": 2}]}
    assert arm_row("e", agreed)["expert_mae"] == 0.25
    assert arm_row("e", agreed)["expert_f1"] == 0.75
    unpriced = _data()
    unpriced["cost"]["unpriced"] = ["some-model"]
    assert arm_row("z", unpriced)["cost_usd"] is None


def test_the_recommendation_follows_the_rule_in_order() -> None:
    def rank(*arms: tuple[str, dict]) -> dict:
        return recommend([arm_row(name, data) for name, data in arms])

    # ready beats a higher AUC
    got = rank(("a", _data("not_ready", auc=0.99)), ("b", _data("ready", auc=0.7)))
    assert got["arm"] == "b" and "verdict is ready" in got["reason"]
    # then higher AUC
    got = rank(("a", _data(auc=0.8)), ("b", _data(auc=0.9)))
    assert got["arm"] == "b" and "higher AUC" in got["reason"]
    # then lower highest flip probability
    got = rank(("a", _data(flips=(0.3,))), ("b", _data(flips=(0.05,))))
    assert got["arm"] == "b" and "flip probability" in got["reason"]
    # then lower cost; a cost not assessed ranks below a measured one
    got = rank(("a", _data(cost=0.02)), ("b", _data(cost=0.01)), ("c", _data(cost=None)))
    assert got["ranking"] == ["b", "a", "c"] and "cost" in got["reason"]
    # an AUC not assessed ranks below a measured one; a full tie keeps the spec's order
    assert rank(("a", _data(auc=None)), ("b", _data(auc=0.5)))["arm"] == "b"
    tie = rank(("a", _data()), ("b", _data()))
    assert tie["arm"] == "a" and "tied" in tie["reason"]
    assert "prefer arms whose calibration verdict is ready" in tie["rule"]


@pytest.mark.parametrize(
    ("spec", "words"),
    [("mode=per_criterion", "at least 2 arms"), ("mode=per_criterion,flat", "unknown mode"),
     ("judge=a,a", "repeated"), ("panel:median=a,b", "expected mode="), ("panel=a", "at least 2"),
     ("holistic", "expected mode=")],
)  # fmt: skip
def test_bad_specs_are_one_line_naming_the_option(tmp_path: Path, spec: str, words: str) -> None:
    rubric = load_checked_rubric(write_rubric(tmp_path / "r.yaml", ["a", "b"])).rubric
    with pytest.raises(InputError) as caught:
        parse_compare(spec, rubric)
    message = str(caught.value)
    assert message.startswith("--compare") and words in message and "\n" not in message


def test_the_arms_of_each_kind(tmp_path: Path) -> None:
    rubric = load_checked_rubric(write_rubric(tmp_path / "r.yaml", ["a", "b"])).rubric
    arms = parse_compare("mode=per_criterion,holistic", rubric)
    assert [(a.name, a.target) for a in arms] == [("per_criterion", "multi"),
                                                   ("holistic", "score_model")]  # fmt: skip
    arms = parse_compare("judge=gpt-4.1, org/model:7b", rubric)
    assert [(a.name, a.judge_model) for a in arms] == [("judge-gpt-4.1", "gpt-4.1"),
                                                        ("judge-org_model_7b", "org/model:7b")]


def test_repeats_auto_is_refused(tmp_path: Path) -> None:
    request = CalibrateRequest(rubric=write_rubric(tmp_path / "r.yaml", ["a"]),
                               calibration_set=tmp_path / "set.jsonl", repeats=None)  # fmt: skip
    with pytest.raises(InputError, match="--repeats auto is not supported"):
        prepare_arms(request, "judge=a,b")


def test_two_judges_with_different_flip_rates_are_ranked(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    criteria = ["a", "b", "c"]
    rubric = write_rubric(tmp_path / "rubric.yaml", criteria)
    truth = {"great": criteria, "fair": ["a"], "poor": []}
    calset = write_set(tmp_path / "set.jsonl", 10, truth, adversarial=True)
    judges = {"steady-judge": scripted_judge(dict.fromkeys(criteria, 0.0)),
              "shaky-judge": scripted_judge(dict.fromkeys(criteria, 0.3), seed="1")}  # fmt: skip
    fake_openai.policy.score = lambda request: judges[request.body["model"]](request)
    request = CalibrateRequest(rubric=rubric, calibration_set=calset, out=tmp_path / "cmp",
                               repeats=4, figures=False)  # fmt: skip
    spec = "judge=shaky-judge,steady-judge"
    out, arms = prepare_arms(request, spec)
    result = asyncio.run(run_comparison(out, spec, arms, client_settings))
    rows = {r["arm"]: r for r in result.data["arms"]}
    shaky, steady = rows["judge-shaky-judge"], rows["judge-steady-judge"]
    assert steady["max_flip_p"] == 0.0 and shaky["max_flip_p"] > 0.15
    assert shaky["mean_flip_p"] > steady["mean_flip_p"]
    assert steady["grader_sha256"] != shaky["grader_sha256"]  # each arm its own grader
    rec = result.data["recommendation"]
    assert rec["arm"] == "judge-steady-judge" and rec["ranking"][-1] == "judge-shaky-judge"
    assert rec["grader_sha256"] == steady["grader_sha256"]
    # same answers, same repeats: the same number of judge calls per arm
    assert steady["judge_calls"] == shaky["judge_calls"] == 40 * 4 * 3
    for arm in ("judge-shaky-judge", "judge-steady-judge"):
        manifest = json.loads((out / "arms" / arm / "run.json").read_text())
        assert manifest["repeats"] == 4 and manifest["status"] == "complete"
        assert (out / "arms" / arm / "report.json").is_file()
    for name in ("comparison.json", "comparison.md", "comparison.html"):
        assert (out / name).is_file()
    assert json.loads((out / "comparison.json").read_text())["recommendation"]["arm"] == (
        "judge-steady-judge")  # fmt: skip
    page = (out / "comparison.md").read_text()
    assert "Export **judge-steady-judge**" in page and "highest flip probability" in page
