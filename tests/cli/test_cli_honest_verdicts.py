"""Issue 14: every verdict earned. Nothing unmeasured passes (finding 1), a dead endpoint is
not a successful run (finding 2), and nothing computed without a judge is called the judge's
(finding 3). Each test here failed on the code before the fix."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rubricate.cli import run
from rubricate.testing import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
EUROVOC = ROOT / "examples" / "eurovoc"


def _subset(tmp_path: Path, tiers: set[str], *, drop: dict[str, str] | None = None) -> Path:
    """The eurovoc calibration set with only ``tiers``; ``drop`` removes one tier of one item."""
    lines = []
    for line in (EUROVOC / "calibration.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        item["answers"] = [a for a in item["answers"] if a["tier"] in tiers
                           and (drop or {}).get(item["id"]) != a["tier"]]  # fmt: skip
        lines.append(json.dumps(item))
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _calibrate(tmp_path: Path, calset: Path, *extra: str) -> int:
    return run(["calibrate", str(EUROVOC / "rubric.yaml"), "--set", str(calset), "--out",
                str(tmp_path / "run"), "--no-figures", "--repeats", "2", *extra])  # fmt: skip


def test_a_set_of_great_answers_only_is_not_ready_and_warned_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    calset = _subset(tmp_path, {"great"})
    assert _calibrate(tmp_path, calset, "--fail-unless-ready") == 1
    captured = capsys.readouterr()
    # warned before grading: which tiers are missing and what cannot be assessed
    assert "rubricate: warning: " in captured.err
    for tier in ("fair", "poor", "adversarial"):
        assert f"no {tier} answers" in captured.err, tier
    assert "calibration verdict: incomplete" in captured.err
    assert "ranks great > fair > poor" not in captured.out
    assert "not assessed" in captured.out
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    outcomes = {c["id"]: c["outcome"] for c in report["readiness"]["checks"]}
    assert outcomes["auc"] == outcomes["order"] == "not_assessed"
    markdown = (tmp_path / "run" / "report.md").read_text()
    assert "not assessed" in markdown


def test_an_item_missing_a_tier_is_warned_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    calset = _subset(tmp_path, {"great", "fair", "poor", "adversarial"},
                     drop={"food-information": "fair"})  # fmt: skip
    assert _calibrate(tmp_path, calset) == 0
    err = capsys.readouterr().err
    assert "1 item has no fair answer (food-information)" in err


# ---------------------------------------------------------------- finding 3: "judge" wording

HONEST_JUDGE_WORDS = re.compile(
    r"judge did not run|judge not run|judged criteria|judged_criteria|judged_run|\"judged\""
    r"|judge model|judge_model|judge_instructions|to judge, export|need the judge's scores"
    r"|the holistic judge|judge_calls_scheduled|\(check, judge, check\+judge\)"
    r"|\"(check\+)?judge(\+checks)?\"|\"judge\": \{\"in_grader\"",
    re.IGNORECASE,
)
"""Where "judge" may appear in an offline run's outputs: saying the judge did not run, naming
the configured judge model or the judged criteria, an adversarial kind, what *would* score a
criterion (``scored_by``). Anything else calls a figure computed without a judge the judge's."""


def _texts(out: Path, terminal: str) -> dict[str, str]:
    html = (out / "report.html").read_text(encoding="utf-8")
    html = re.sub(r"<style.*?</style>|<[^>]+>|data:image/png;base64,[^\"']+", " ", html, flags=re.S)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {
        "report.md": (out / "report.md").read_text(encoding="utf-8"),
        "report.html": html,
        "report.json": json.dumps(report, indent=0),
        "terminal": terminal,
    }


def test_an_offline_run_never_calls_a_checks_figure_the_judges(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = ROOT / "examples" / "accordance_tax"
    out = tmp_path / "run"
    assert run(["calibrate", str(folder / "rubric.yaml"), "--set",
                str(folder / "calibration.jsonl"), "--experts", str(folder / "experts.csv"),
                "--out", str(out), "--repeats", "2"]) == 0  # fmt: skip
    captured = capsys.readouterr()
    for name, text in _texts(out, captured.out + captured.err).items():
        for line in text.splitlines():
            if "judge" in HONEST_JUDGE_WORDS.sub("", line).lower():
                pytest.fail(f"{name}: 'judge' for a figure no judge computed: {line.strip()}")
        # the checks-only score is not the reward: no reward hack is claimed from it
        assert "reward hack" not in text.replace("no reward hack is claimed", ""), name
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["coverage"]["judge"] == {"in_grader": True, "ran": False}
    assert report["scored_by"]["alex-stock"] == "check"
    assert report["scored_by"]["ownership"] == "check+judge"
    assert report["scored_by"]["__checks__"] == "checks"


def test_a_checks_only_grader_is_never_called_a_judge(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "run"
    assert run(["calibrate", str(EUROVOC / "rubric.yaml"), "--set",
                str(EUROVOC / "calibration.jsonl"), "--experts", str(EUROVOC / "experts.csv"),
                "--out", str(out), "--repeats", "2"]) == 0  # fmt: skip
    captured = capsys.readouterr()
    for name, text in _texts(out, captured.out + captured.err).items():
        for line in text.splitlines():
            if "judge" in HONEST_JUDGE_WORDS.sub("", line).lower():
                pytest.fail(f"{name}: 'judge' for a figure no judge computed: {line.strip()}")
    # the grader's reward is measured here (checks only, deterministic): a reward hack is real
    assert "reward hack" in captured.out


def test_the_reported_case_great_answers_only_with_a_judge_is_not_ready(
    fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """The issue's reproduction: accordance_tax's set cut to its great answers, judged (the
    loopback judge), was "ready" and exited 0 with --fail-unless-ready."""
    folder = ROOT / "examples" / "accordance_tax"
    lines = []
    for line in (folder / "calibration.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        item["answers"] = [a for a in item["answers"] if a["tier"] == "great"]
        lines.append(json.dumps(item))
    calset = tmp_path / "great.jsonl"
    calset.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = run(["calibrate", str(folder / "rubric.yaml"), "--set", str(calset), "--out",
                str(tmp_path / "run"), "--repeats", "2", "--no-figures",
                "--store", str(tmp_path / "calls.sqlite"), "--fail-unless-ready"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    assert "resists the adversarial answers" not in captured.out
    assert "AUC great vs poor at least 0.9: the set has no poor answers" in captured.out
