"""``export rft --platform openai|azure --verify SET`` on every shipped example.

Checks-only examples (eurovoc, citations) run offline; the tax example's judged parts go to
the loopback judge (and, offline, are reported as not assessed while its deterministic gates
are still compared). A bundle whose grader.json was changed after export fails with exit 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.cli import run
from rubricate.export.rft import bundle as bundle_module
from rubricate.export.verify.openai_form import verify_openai
from rubricate.judge.calls import ClientSettings
from rubricate.testing import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ["accordance_tax", "citations", "eurovoc"]
PLATFORMS = ["openai", "azure"]


def _example(example: str) -> Path:
    return ROOT / "examples" / example


def _judge(example: str, platform: str) -> list[str]:
    """For Azure, the tax example is exported judged by a model Azure lets grade: its own
    judge is o4-mini, which Azure refuses (see test_rft_azure); ``--judge-model`` compiles the
    shipped rubric with the allowed model, unedited."""
    if platform == "azure" and example == "accordance_tax":
        return ["--judge-model", "o3-mini-2025-01-31"]
    return []


def _answers(calibration: Path) -> int:
    lines = calibration.read_text(encoding="utf-8").splitlines()
    return sum(len(json.loads(line)["answers"]) for line in lines if line.strip())


def _export(folder: Path, out: Path, platform: str, *extra: str) -> list[str]:
    return [
        "export", "rft", str(folder / "rubric.yaml"), "--train", str(folder / "train.jsonl"),
        "--valid", str(folder / "valid.jsonl"), "--model", "o4-mini-2025-04-16",
        "--out", str(out), "--platform", platform,
        "--verify", str(folder / "calibration.jsonl"), *extra,
    ]  # fmt: skip


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in tmp_path: the call store (.rubricate/) and runs/ are looked for there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _verification(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)["verification"]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("example", EXAMPLES)
def test_verify_every_example_with_the_loopback_judge(
    in_tmp: Path,
    example: str,
    platform: str,
    fake_openai_env: FakeOpenAI,
    capsys: pytest.CaptureFixture[str],
):
    folder = _example(example)
    code = run(_export(folder, in_tmp / "out", platform, "--json", *_judge(example, platform)))
    data = _verification(capsys)
    assert code == 0, data["deterministic_failures"] or data["failures"]
    assert data["platform"] == platform
    assert data["answers"] == _answers(folder / "calibration.jsonl")
    assert data["answers_compared"] == data["answers"]
    assert data["failures"] == [] and data["deterministic_failures"] == []
    assert data["deterministic_parts"] > 0
    assert data["max_deterministic_difference"] == 0.0
    for row in data["rows"]:
        for part in row["parts"]:
            if not part["judged"]:
                assert part["calibrated"] == part["form"] is not None, (row["answer_id"], part)
    assert any("JobCreateParams and grader types: valid" in note for note in data["notes"])
    judged = example == "accordance_tax"
    assert (data["judged_parts"] > 0) == judged
    assert (len(fake_openai_env.requests) > 0) == judged
    if judged:  # 15 judged criteria, each judged on both sides for every answer
        assert data["judged_parts"] == 15 * data["answers"]
        assert data["judged_mean_abs_difference"] is not None
        assert data["answer_errors"] == 0 and data["errors"] == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_verify_offline_compares_the_deterministic_parts_of_a_judged_rubric(
    in_tmp: Path, platform: str, capsys: pytest.CaptureFixture[str]
):
    folder = _example("accordance_tax")
    judge = _judge("accordance_tax", platform)
    assert run(_export(folder, in_tmp / "out", platform, *judge)) == 0
    text = capsys.readouterr().out
    assert "15 judged part(s) not assessed: no judge endpoint is configured" in text
    assert "deterministic parts: 299, largest difference 0.00e+00" in text
    assert "verdict: every deterministic part equal" in text


def _tampering(monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> None:
    """Make the export write a grader.json edited after compile (as a user editing the bundle
    would), before --verify reads it."""
    real = bundle_module.write_files

    def write_then_edit(out: Path, files: dict[str, bytes]) -> None:
        real(out, files)
        grader = out / "grader.json"
        text = grader.read_text(encoding="utf-8")
        assert old in text
        grader.write_text(text.replace(old, new, 1), encoding="utf-8")

    monkeypatch.setattr(bundle_module, "write_files", write_then_edit)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_tampered_grader_json_fails_verify_with_exit_1(
    in_tmp: Path,
    platform: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    folder = ROOT / "examples" / "eurovoc"
    # the f1 sub-grader now computes recall: its reward differs wherever the two differ
    _tampering(monkeypatch, "'metric': 'f1'", "'metric': 'recall'")
    code = run(_export(folder, in_tmp / "out", platform, "--json", "--submit"))
    captured = capsys.readouterr()
    data = json.loads(captured.out)["verification"]
    assert code == 1
    assert any("not the rubric's fresh compile" in f for f in data["failures"])
    assert any(" f1: calibrated " in f for f in data["deterministic_failures"])
    assert data["max_deterministic_difference"] > 1e-9
    (line,) = [x for x in captured.err.splitlines() if x.startswith("rubricate: verify")]
    assert "stale or was edited" in line
    assert "rubricate: warning: --submit skipped: the bundle failed --verify" in captured.err
    assert json.loads(captured.out)["submission"] is None


def test_an_edit_that_changes_no_reward_still_fails_as_stale(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    folder = ROOT / "examples" / "eurovoc"
    _tampering(monkeypatch, '"name": "eurovoc-domains"', '"name": "eurovoc-domains-v2"')
    assert run(_export(folder, in_tmp / "out", "openai")) == 1
    captured = capsys.readouterr()
    assert "deterministic parts: 87, largest difference 0.00e+00" in captured.out
    assert "failure: grader.json is not the rubric's fresh compile" in captured.out
    assert "job.json's grader is not grader.json's" in captured.out


def test_verifier_on_an_untouched_bundle_and_on_a_changed_formula(in_tmp: Path):
    folder = ROOT / "examples" / "citations"
    assert run(_export(folder, in_tmp / "out", "openai")) == 0
    settings = ClientSettings(store_path=None)
    args = {
        "calibration_set": folder / "calibration.jsonl",
        "rubric": folder / "rubric.yaml",
        "settings": settings,
    }
    clean = verify_openai(in_tmp / "out", **args)
    assert clean.failures == () and all(a.difference == 0.0 for a in clean.answers)
    grader = in_tmp / "out" / "grader.json"
    grader.write_text(
        grader.read_text(encoding="utf-8").replace("(f1)", "(precision)"), encoding="utf-8"
    )
    changed = verify_openai(in_tmp / "out", **args)
    assert changed.failures  # stale
    totals = [a.difference for a in changed.answers]
    assert max(t for t in totals if t is not None) > 1e-9
    # every part still equal: only the formula changed
    assert all(p.difference == 0.0 for a in changed.answers for p in a.parts)


SENTIMENT = """\
rubric: 1
id: review-sentiment
title: Sentiment of a product review
task: |
  Classify the sentiment of the review. Reply with JSON only: {"label": "<label>"}

  {{ item.review }}
criteria:
  - id: label
    weight: 1
    check: {equals: "{{ item.label }}", path: label}
"""


def test_a_single_python_grader_is_one_part(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    (in_tmp / "rubric.yaml").write_text(SENTIMENT, encoding="utf-8")
    labels = ["positive", "negative", "neutral"]
    for name, start, n in (("train", 0, 12), ("valid", 100, 3)):
        rows = [
            {"id": f"r{i}", "review": f"Review {i}", "label": labels[i % 3]}
            for i in range(start, start + n)
        ]
        (in_tmp / f"{name}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
        )
    answers = [
        {"id": "great", "tier": "great", "text": '{"label": "positive"}'},
        {"id": "poor", "tier": "poor", "text": '{"label": "negative"}'},
        {"id": "fair", "tier": "fair", "text": "positive"},
    ]
    line = {"id": "c1", "review": "Loved it", "label": "positive", "answers": answers}
    (in_tmp / "calibration.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert run(_export(in_tmp, in_tmp / "out", "azure", "--json")) == 0
    data = _verification(capsys)
    assert json.loads((in_tmp / "out" / "grader.json").read_text())["type"] == "python"
    assert [(r["answer_id"], r["calibrated"], r["form"]) for r in data["rows"]] == [
        ("great", 1.0, 1.0),
        ("poor", 0.0, 0.0),
        ("fair", 0.0, 0.0),
    ]
    assert [p["name"] for p in data["rows"][0]["parts"]] == ["review-sentiment"]
    # a renamed grader: still one part, compared; the bundle is stale
    _tampering(monkeypatch, '"name": "review-sentiment"', '"name": "renamed"')
    assert run(_export(in_tmp, in_tmp / "out2", "openai", "--json")) == 1
    data = _verification(capsys)
    assert data["deterministic_failures"] == [] and data["max_deterministic_difference"] == 0.0
    assert any("fresh compile" in f for f in data["failures"])


def test_a_job_json_the_sdk_types_refuse_fails(in_tmp: Path):
    folder = ROOT / "examples" / "eurovoc"
    assert run(_export(folder, in_tmp / "out", "azure")) == 0
    job_path = in_tmp / "out" / "job.json"
    job = json.loads(job_path.read_text(encoding="utf-8"))
    job["method"]["reinforcement"]["hyperparameters"] = {"n_epochs": "many"}
    job_path.write_text(json.dumps(job), encoding="utf-8")
    verification = verify_openai(
        in_tmp / "out",
        calibration_set=folder / "calibration.jsonl",
        rubric=folder / "rubric.yaml",
        settings=ClientSettings(store_path=None),
    )
    (failure,) = verification.failures
    assert failure.startswith("job.json: job payload: hyperparameters.n_epochs")
    assert any("grader types: refused" in note for note in verification.notes)
