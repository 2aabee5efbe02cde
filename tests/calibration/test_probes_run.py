"""``calibrate --probe adversarial`` end to end: a loopback judge that rewards length is caught
by the padding probe and one that does not is not; the reports, the run folder and the review
show the probes; the shipped examples run offline and against the loopback judge."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from rubricate.calibration.probes.adversarial import PAD_FACTOR, PROBE_KINDS
from rubricate.calibration.report.files import rebuild_reports
from rubricate.calibration.run.directory import append_expert_grade, open_run
from rubricate.calibration.run.execution import execute
from rubricate.calibration.run.session import CalibrateRequest, prepare
from rubricate.cli import run
from rubricate.judge.calls import ClientSettings
from rubricate.testing import FakeOpenAI
from rubricate.testing.replies import last_user_text, prompt_text
from rubricate.tui.review.data import build_review
from tests.calibration.calib_fixtures import write_rubric

ROOT = Path(__file__).resolve().parents[2]
_ANSWER = re.compile(r"<answer-[0-9a-f]+>(.*?)</answer-[0-9a-f]+>", re.S)
CRITERIA = ["a", "b", "c"]
LONG = 300
"""The length judge meets every criterion of an answer longer than this (characters)."""


def _answer(request) -> str:  # noqa: ANN001
    found = _ANSWER.search(last_user_text(request.body or {}))
    assert found, "the judge prompt holds the answer between its answer tags"
    return found.group(1).strip()


def _criterion(request) -> str:  # noqa: ANN001
    found = re.search(r'<criterion(?:-[0-9a-f]+)? id="([^"]+)"', prompt_text(request.body))
    return found.group(1) if found else ""


def content_judge(request) -> bool:  # noqa: ANN001
    """Met when the answer holds the criterion's fact: length does not matter."""
    return f"[[MET:{_criterion(request)}]]" in _answer(request)


def length_judge(request) -> bool:  # noqa: ANN001
    """The facts count, and so does length: a long answer meets every criterion."""
    return content_judge(request) or len(_answer(request)) > LONG


def _write_set(path: Path, n_items: int) -> Path:
    """Great answers hold every fact at their end (their first half holds none); fair ones
    hold the fact of criterion ``a``; poor ones none."""
    lines = []
    for i in range(n_items):
        marks = " ".join(f"[[MET:{c}]]" for c in CRITERIA)
        great = (f"For item {i}: the complete answer, covering each requirement in turn and "
                 f"explaining why it holds for this case. {marks}")  # fmt: skip
        answers = [
            {"id": "great", "tier": "great", "text": great},
            {"id": "fair", "tier": "fair", "text": f"A partial answer to item {i}. [[MET:a]]"},
            {"id": "poor", "tier": "poor", "text": f"No idea about item {i}."},
        ]
        lines.append(json.dumps({"id": f"item-{i}", "question": f"What about item {i}?",
                                 "answers": answers}))  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _calibrate(tmp_path: Path, fake: FakeOpenAI, settings: ClientSettings, judge, name: str):  # noqa: ANN001, ANN202
    fake.policy.score = judge
    request = CalibrateRequest(
        rubric=write_rubric(tmp_path / "rubric.yaml", CRITERIA),
        calibration_set=_write_set(tmp_path / "set.jsonl", 4),
        out=tmp_path / name, repeats=2, figures=False, probes=("adversarial",),
    )  # fmt: skip
    return asyncio.run(execute(prepare(request), settings))


def test_a_judge_rewarding_length_is_caught_by_the_padding_probe(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    outcome = _calibrate(tmp_path, fake_openai, client_settings, length_judge, "long")
    section = outcome.data["probes"]["adversarial"]
    kinds = {k["probe"]: k for k in section["kinds"]}
    assert section["on_reward"] and section["pad_factor"] == PAD_FACTOR
    padding = kinds["padding"]
    assert padding["generated"] == 4 and padding["compared"] == 4
    assert padding["outscore"] == 4 and padding["above_half"] == 4
    assert kinds["truncation"]["outscore"] == 0  # the half alone does not beat fair answers
    for row in (p for p in section["probes"] if p["probe"] == "padding"):
        assert row["mean"] == 1.0 and row["fair_mean"] == pytest.approx(1 / 3)
        assert row["half_mean"] == 0.0 and row["outscores"]
    per_criterion = {(r["probe"], r["criterion"]): r for r in section["criteria"]}
    for criterion in CRITERIA:
        assert per_criterion[("padding", criterion)]["scored_by"] == "judge"
    assert per_criterion[("padding", "b")]["beat_fair"] == 4  # fair answers miss b
    assert per_criterion[("padding", "a")]["beat_fair"] == 0  # both meet a: a tie
    check = next(c for c in outcome.data["readiness"]["checks"] if c["id"] == "adversarial")
    assert check["outcome"] == "not_met" and "padding" in check["reason"]
    page = (outcome.out / "report.md").read_text(encoding="utf-8")
    listed = page.split("Probes that outscore their item's fair answers:")[1].split("\n\n")[1]
    assert "`probe:padding`" in listed and "`probe:truncation`" not in listed
    assert "<code>probe:padding</code>" in (outcome.out / "report.html").read_text(
        encoding="utf-8"
    )
    saved = json.loads((outcome.out / "report.json").read_text(encoding="utf-8"))
    assert saved["probes"]["adversarial"]["kinds"] == section["kinds"]


def test_a_judge_that_does_not_reward_length_is_not_flagged_for_padding(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    outcome = _calibrate(tmp_path, fake_openai, client_settings, content_judge, "content")
    section = outcome.data["probes"]["adversarial"]
    kinds = {k["probe"]: k for k in section["kinds"]}
    assert kinds["padding"]["compared"] == 4
    assert kinds["padding"]["outscore"] == 0 and kinds["padding"]["above_half"] == 0
    # this judge does not check the figures it is given: the figures probe keeps every fact
    # marker and beats the fair answers, which the report says (and only that kind)
    assert kinds["figures"]["outscore"] == 4
    check = next(c for c in outcome.data["readiness"]["checks"] if c["id"] == "adversarial")
    assert "padding" not in check["reason"] and "figures" in check["reason"]
    # the same answers were graded, the same number of times, as the written ones
    grades = outcome.data["coverage"]
    assert grades["by_tier"]["adversarial"] == len(PROBE_KINDS) * 4
    assert outcome.manifest["counts"]["generated_probes"] == len(PROBE_KINDS) * 4
    assert outcome.manifest["repeats"] == 2


def test_an_item_without_fair_answers_is_not_assessed(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    fake_openai.policy.score = length_judge
    rubric = write_rubric(tmp_path / "rubric.yaml", CRITERIA)
    calset = tmp_path / "set.jsonl"
    calset.write_text(json.dumps({"id": "solo", "answers": [
        {"id": "great", "tier": "great", "text": "A long enough answer of 12 words [[MET:a]]"},
        {"id": "poor", "tier": "poor", "text": "No."}]}) + "\n", encoding="utf-8")  # fmt: skip
    request = CalibrateRequest(rubric=rubric, calibration_set=calset, out=tmp_path / "solo",
                               repeats=1, figures=False, probes=("adversarial",))  # fmt: skip
    outcome = asyncio.run(execute(prepare(request), client_settings))
    section = outcome.data["probes"]["adversarial"]
    assert section["probes"] and all(p["outscores"] is None for p in section["probes"])
    assert all(k["compared"] == 0 and k["outscore"] == 0 for k in section["kinds"])
    check = next(c for c in outcome.data["readiness"]["checks"] if c["id"] == "adversarial")
    assert check["outcome"] == "not_assessed"
    assert "could not be compared (not assessed)" in (tmp_path / "solo" / "report.md").read_text(
        encoding="utf-8"
    )


def test_the_run_folder_report_only_and_review_keep_the_probes(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    outcome = _calibrate(tmp_path, fake_openai, client_settings, length_judge, "keep")
    out = outcome.out
    lines = [json.loads(x) for x in (out / "probes.jsonl").read_text().splitlines()]
    assert len(lines) == len(PROBE_KINDS) * 4 and all(x["source"] == "great" for x in lines)
    assert json.loads((out / "run.json").read_text())["probes"]["adversarial"]["generated"]
    rebuilt = rebuild_reports(out, figures=False)
    assert rebuilt.to_json()["probes"] == outcome.data["probes"]
    review = build_review(open_run(out))
    row = review.row(("item-0", "probe:padding"))
    assert row.tier == "adversarial" and row.kind == "probe:padding" and row.beats_fair
    answer = open_run(out).answers[("item-0", "probe:padding")]
    assert answer.text.startswith("For item 0") and len(answer.text) > LONG


def test_a_rerun_without_probe_leaves_no_probe_file(tmp_path: Path) -> None:
    folder = ROOT / "examples" / "eurovoc"
    out = tmp_path / "run"
    base = ["calibrate", str(folder / "rubric.yaml"), "--set", str(folder / "calibration.jsonl"),
            "--out", str(out), "--no-figures", "--repeats", "1"]  # fmt: skip
    assert run([*base, "--probe", "adversarial"]) == 0
    assert (out / "probes.jsonl").exists()
    data = json.loads((out / "report.json").read_text())
    kinds = {k["probe"]: k for k in data["probes"]["adversarial"]["kinds"]}
    # half the great labels beat the fair ones under F1 in 4 items; padding and injection add
    # keys the check ignores, so they tie that half: counted once, as the truncation
    assert kinds["truncation"]["outscore"] == kinds["padding"]["outscore"] == 4
    assert kinds["padding"]["above_half"] == 0
    check = next(c for c in data["readiness"]["checks"] if c["id"] == "adversarial")
    assert check["reason"].endswith("(4 generated by --probe adversarial: truncation)")
    assert run(base) == 0
    assert not (out / "probes.jsonl").exists()
    assert "probes" not in json.loads((out / "report.json").read_text())["run"]
    assert json.loads((out / "report.json").read_text())["probes"] is None


def test_an_unknown_probe_is_a_usage_error(capsys: pytest.CaptureFixture) -> None:
    folder = ROOT / "examples" / "eurovoc"
    code = run(["calibrate", str(folder / "rubric.yaml"), "--set",
                str(folder / "calibration.jsonl"), "--probe", "adversarial,sneaky"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "--probe: unknown probe 'sneaky'" in err and len(err.strip().splitlines()) == 1


def _reports(out: Path) -> dict[str, str]:
    return {n: (out / n).read_text(encoding="utf-8") for n in
            ("report.md", "report.html", "report.json")}  # fmt: skip


def test_shipped_examples_offline_and_with_the_loopback_judge(
    tmp_path: Path, capsys: pytest.CaptureFixture, fake_openai_env: FakeOpenAI
) -> None:
    doc = (ROOT / "docs" / "run-format.md").read_text(encoding="utf-8")
    for name, offline in (("citations", True), ("accordance_tax", False)):
        folder = ROOT / "examples" / name
        out = tmp_path / name
        code = run(["calibrate", str(folder / "rubric.yaml"), "--set",
                    str(folder / "calibration.jsonl"), "--out", str(out), "--no-figures",
                    "--repeats", "1", "--probe", "adversarial", "--json",
                    "--store", str(tmp_path / "calls.sqlite")])  # fmt: skip
        summary = json.loads(capsys.readouterr().out)
        assert code in (0, 1), name
        probes = summary["probes"]
        assert {k["probe"] for k in probes["kinds"]} == set(PROBE_KINDS)
        reports = _reports(out)
        for page in reports.values():
            assert "probe:truncation" in page and "probe:padding" in page, name
        assert "Generated adversarial probes" in reports["report.md"]
        assert "Generated adversarial probes" in reports["report.html"]
        data = json.loads(reports["report.json"])
        section = data["probes"]["adversarial"]
        assert sum(k["generated"] for k in section["kinds"]) == len(section["probes"]) > 0
        for path in out.iterdir():  # every file of the run folder is documented
            shown = path.name + ("/" if path.is_dir() else "")
            assert f"`{shown}`" in doc, shown
        if offline:
            # citations is checks only: parroting has no criterion text, and the report says
            # so per item instead of dropping it
            assert data["scored_by"]["__total__"] == "checks"
            assert {m["probe"] for m in section["not_generated"]} >= {"parroting"}
            assert "Not generated" in reports["report.md"]
        else:
            assert data["coverage"]["judge"]["ran"] and section["on_reward"]
            assert data["run"]["counts"]["generated_probes"] == 36


def test_no_judge_figures_are_the_checks_only_score(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = ROOT / "examples" / "accordance_tax"
    out = tmp_path / "offline"
    code = run(["calibrate", str(folder / "rubric.yaml"), "--set",
                str(folder / "calibration.jsonl"), "--out", str(out), "--no-figures",
                "--repeats", "1", "--probe", "adversarial"])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0
    assert "on the checks-only score (not the reward)" in text
    data = json.loads((out / "report.json").read_text())
    section = data["probes"]["adversarial"]
    assert section["score"] == "__checks__" and not section["on_reward"]
    assert "no probe is claimed to be a reward hack" in (out / "report.md").read_text()
    check = next(c for c in data["readiness"]["checks"] if c["id"] == "adversarial")
    assert check["outcome"] == "not_assessed"
    assert all(r["scored_by"] == "check" for r in section["criteria"])


def test_expert_grades_of_a_probe_survive_a_rerun(tmp_path: Path) -> None:
    folder = ROOT / "examples" / "eurovoc"
    out = tmp_path / "run"
    base = ["calibrate", str(folder / "rubric.yaml"), "--set", str(folder / "calibration.jsonl"),
            "--out", str(out), "--no-figures", "--repeats", "1",
            "--probe", "adversarial"]  # fmt: skip
    assert run(base) == 0
    append_expert_grade(out / "experts.csv", "working-time", "probe:truncation", "ed", "f1", 0.5)
    assert run(base) == 0  # the grade entered in the review is kept, not left out
    data = json.loads((out / "report.json").read_text())
    assert "ed" in json.dumps(data["agreement"])
