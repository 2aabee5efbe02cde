"""Issue 14: every verdict earned. Nothing unmeasured passes (finding 1), a dead endpoint is
not a successful run (finding 2), and nothing computed without a judge is called the judge's
(finding 3). Each test here failed on the code before the fix."""

from __future__ import annotations

import itertools
import json
import re
import socket
from pathlib import Path

import pytest

from rubricate.cli import run
from rubricate.testing import FakeOpenAI, Fault

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
    # rebuilding the reports gates the same way
    again = ["calibrate", "--report-only", "--out", str(tmp_path / "run"), "--no-figures"]
    assert run([*again, "--fail-unless-ready"]) == 1 and run(again) == 0


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


# ------------------------------------------------------- finding 2: a dead endpoint stops the run


def _dead_url() -> str:
    """A loopback URL nothing listens on (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_calibrate_against_a_dead_endpoint_stops_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Default settings (16 calls in flight, 6 retries): the run stops after 20 consecutive
    failed connections (at least 5 s into the outage), not after 1,725 calls x 7 attempts."""
    folder = ROOT / "examples" / "accordance_tax"
    out = tmp_path / "run"
    code = run(["calibrate", str(folder / "rubric.yaml"), "--set",
                str(folder / "calibration.jsonl"), "--out", str(out), "--no-figures",
                "--base-url", _dead_url(), "--store", str(tmp_path / "calls.sqlite")])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 2
    line = captured.err.strip().splitlines()[-1]
    assert line.startswith("rubricate: error: stopped: cannot reach the model endpoint")
    assert "127.0.0.1" in line
    assert re.search(r"after \d+ consecutive failed connection attempts over \d+s", line)
    assert "rerun the same command" in line
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "stopped" and "cannot reach" in manifest["stopped"]
    assert "(complete)" not in captured.out and not (out / "report.md").exists()


def test_a_refused_key_stops_at_once_keeping_what_was_paid_for(
    fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = ROOT / "examples" / "accordance_tax"
    out, store = tmp_path / "run", str(tmp_path / "calls.sqlite")
    base = ["calibrate", str(folder / "rubric.yaml"), "--set", str(folder / "calibration.jsonl"),
            "--out", str(out), "--no-figures", "--store", store, "--repeats", "1",
            "--concurrency", "1"]  # fmt: skip
    seen = itertools.count()
    fake_openai_env.fail(401, times=1000, match=lambda request: next(seen) >= 30)
    assert run(base) == 2
    err = capsys.readouterr().err
    assert "stopped: the model endpoint refused the credentials (HTTP 401" in err
    answered = fake_openai_env.count()
    assert answered == 31  # stopped at the first refusal, not after every call
    assert json.loads((out / "run.json").read_text())["status"] == "stopped"
    # a rerun with a working key replays what was paid for, and makes only the rest
    fake_openai_env.faults.clear()
    assert run(base) == 0
    assert fake_openai_env.count() == answered + 23 * 15 - 30


# ------------------------------------------- finding 2: unscored shares above a limit exit non-zero


def _accordance_samples(tmp_path: Path) -> Path:
    """One sample per accordance_tax item (line order matches the items)."""
    items = (ROOT / "examples" / "accordance_tax" / "items.jsonl").read_text().splitlines()
    path = tmp_path / "samples.jsonl"
    path.write_text("".join(json.dumps({"output_text": f"Alex 33.33% [[PASS]] {i}"}) + "\n"
                            for i in range(len(items))), encoding="utf-8")  # fmt: skip
    return path


def test_grade_with_nothing_scored_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = ROOT / "examples" / "accordance_tax"
    args = ["grade", str(folder / "rubric.yaml"), "--items", str(folder / "items.jsonl"),
            "--samples", str(_accordance_samples(tmp_path))]  # fmt: skip
    assert run(args) == 1  # no endpoint: every judged sub-grader unscored
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("rubricate: error: 3 of 3 samples (100%) are unscored")
    assert "--max-unscored" in err[-1]
    assert run([*args, "--max-unscored", "1"]) == 0  # configurable


def test_calibrate_with_unparseable_replies_exits_1(
    fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    fake_openai_env.fault(Fault.reply_text("not JSON at all"), times=40)
    folder = ROOT / "examples" / "accordance_tax"
    args = ["calibrate", str(folder / "rubric.yaml"), "--set", str(folder / "calibration.jsonl"),
            "--out", str(tmp_path / "run"), "--no-figures", "--repeats", "1",
            "--store", str(tmp_path / "calls.sqlite"), "--max-retries", "0"]  # fmt: skip
    assert run(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert re.match(r"rubricate: error: \d+ of \d+ graded rows \(\d+%\) are unscored", err[-1])
    assert (tmp_path / "run" / "report.md").exists()  # the reports are written first


def test_baseline_with_unscored_samples_exits_1(
    fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    fake_openai_env.fail(400, times=10_000, match=lambda r: (r.body or {}).get("model") == "cand")
    folder = ROOT / "examples" / "eurovoc"
    args = ["baseline", str(folder / "rubric.yaml"), "--items", str(folder / "items.jsonl"),
            "--model", "cand", "--samples", "1", "--out", str(tmp_path / "run"), "--no-figures",
            "--store", str(tmp_path / "calls.sqlite")]  # fmt: skip
    assert run(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert re.match(r"rubricate: error: \d+ of \d+ samples \(100%\) are unscored", err[-1])


def test_a_rerun_without_a_key_does_not_replace_a_judged_run(
    fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    folder = ROOT / "examples" / "accordance_tax"
    out = tmp_path / "run"
    args = ["calibrate", str(folder / "rubric.yaml"), "--set", str(folder / "calibration.jsonl"),
            "--out", str(out), "--no-figures", "--repeats", "1",
            "--store", str(tmp_path / "calls.sqlite")]  # fmt: skip
    assert run(args) == 0
    judged = (out / "grades.csv").read_bytes()
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    capsys.readouterr()
    assert run(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rubricate: error: {out}: holds a judged run") and err.count("\n") == 1
    assert "--report-only" in err and "OPENAI_API_KEY" in err
    assert (out / "grades.csv").read_bytes() == judged
    assert json.loads((out / "run.json").read_text())["judged_run"] is True
