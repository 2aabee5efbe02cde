"""``rubricate calibrate --probe invariance``: shipped examples against the loopback judge,
all three report formats; bad input exits 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.cli import run
from rubricate.testing import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
FILES = ("invariance.json", "invariance.md", "invariance.html")
CHANGES = ["reverse", "shuffle", "examples", "rename", "rescale"]


def _calibrate(example: str, out: Path, *extra: str) -> int:
    folder = ROOT / "examples" / example
    return run(["calibrate", str(folder / "rubric.yaml"), "--set",
                str(folder / "calibration.jsonl"), "--experts", str(folder / "experts.csv"),
                "--out", str(out), "--no-figures", *extra])  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("target", ["multi", "score_model"])
def test_the_tax_example_is_probed_per_criterion_and_holistic(
    target: str, fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "inv"
    assert _calibrate("accordance_tax", out, "--probe", "invariance", "--repeats", "2",
                      "--target", target, "--store", str(tmp_path / "c.sqlite")) == 0  # fmt: skip
    text = capsys.readouterr().out
    for name in FILES:
        assert (out / name).is_file(), name
    data = json.loads((out / "invariance.json").read_text())
    assert data["baseline"]["target"] == target and data["repeats"] == 2
    assert [c["change"] for c in data["changes"]] == CHANGES
    for change in data["changes"]:  # the tax rubric has three examples: every change applies
        assert change["status"] == "run", change
        manifest = json.loads((out / "arms" / change["change"] / "run.json").read_text())
        assert manifest["grader_sha256"] == change["grader_sha256"]
        assert manifest["status"] == "complete" and manifest["repeats"] == 2
    assert len({c["grader_sha256"] for c in data["changes"]}) == 5
    assert data["flagged"] == []  # the loopback judge reads only the answer's [[PASS]] mark
    statuses = {(r["change"], r["criterion"]): r["status"] for r in data["rows"]}
    if target == "multi":  # one judge per criterion: its prompt does not see the order
        assert statuses["reverse", "annual-allocation"] == "unchanged"
        assert statuses["rescale", "annual-allocation"] == "stable"
        assert statuses["reverse", "barbara-gain"] == "deterministic"  # a check
    else:  # one holistic judge sees the whole rubric: every change is measured
        assert {statuses[c, "__total__"] for c in CHANGES} == {"stable"}
    page = (out / "invariance.md").read_text()
    assert "| criterion | kind | answers | rerun flip |" in page
    assert (out / "invariance.html").read_text().startswith("<!DOCTYPE html>")
    assert "flagged: 0" in text and "reports: " in text


def test_a_checks_only_example_is_probed_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "inv"
    assert _calibrate("eurovoc", out, "--probe", "invariance", "--repeats", "2", "--json",
                      "--store", str(tmp_path / "c.sqlite")) == 0  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert summary["files"] == [str(out / name) for name in FILES]
    assert {r["status"] for r in summary["rows"]} == {"deterministic"}
    assert "judges nothing (checks only)" in (out / "invariance.md").read_text()


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (("--probe", "sneaky"), "unknown probe 'sneaky'"),
        (("--probe", "invariance,invariance:paraphrase"), "repeated"),
        (("--probe", "invariance", "--repeats", "1"), "--repeats 2 or more"),
        (("--probe", "invariance", "--repeats", "auto"), "--repeats 2 or more"),
        (
            ("--probe", "invariance", "--compare", "mode=per_criterion,holistic"),
            "--probe invariance and --compare cannot run together",
        ),
        (("--probe", "invariance", "--report-only"), "--probe invariance and --report-only"),
    ],
)
def test_bad_probe_input_exits_2_with_one_line(
    extra: tuple[str, ...], words: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert _calibrate("eurovoc", tmp_path / "o", *extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0], err
    assert not (tmp_path / "o").exists()


def test_fail_unless_ready_exits_1_when_a_change_is_flagged(
    fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from tests.calibration.calib_fixtures import write_set
    from tests.calibration.probes.test_invariance_probe import HOLISTIC, first_listed_judge

    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(HOLISTIC, encoding="utf-8")
    truth = {"great": ["alpha", "beta", "gamma"], "fair": ["alpha"], "poor": ["gamma"]}
    calset = write_set(tmp_path / "set.jsonl", 8, truth)
    fake_openai_env.policy.score = first_listed_judge
    args = ["calibrate", str(rubric), "--set", str(calset), "--out", str(tmp_path / "inv"),
            "--no-figures", "--repeats", "3", "--probe", "invariance",
            "--store", str(tmp_path / "c.sqlite")]  # fmt: skip
    assert run(args) == 0  # without the gate the probe reports and succeeds
    out = capsys.readouterr().out
    assert "flagged: 1" in out and "__total__ under reverse: change flip 0.667 vs rerun" in out
    assert run([*args, "--fail-unless-ready"]) == 1
    err = capsys.readouterr().err
    assert "--probe invariance flagged 1 rows; --fail-unless-ready needs none" in err
