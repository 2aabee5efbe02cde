"""``rubricate calibrate``: every example end to end, offline and against the loopback server."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from rubricate.cli import run
from rubricate.testing import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ("accordance_tax", "eurovoc", "citations")
DATA_FILES = ("grader.json", "run.json", "set.jsonl", "rubric.yaml", "grades.csv",
              "records.jsonl", "experts.csv")  # fmt: skip
REPORTS = ("report.md", "report.html", "report.json")


def _calibrate(example: str, out: Path, *extra: str) -> int:
    folder = ROOT / "examples" / example
    calset = str(folder / "calibration.jsonl")
    return run(["calibrate", str(folder / "rubric.yaml"), "--set", calset,
                "--experts", str(folder / "experts.csv"), "--out", str(out), *extra])  # fmt: skip


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_offline_writes_every_file(
    example: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "run"
    assert _calibrate(example, out, "--repeats", "2", "--no-figures", "--json") == 0
    captured = capsys.readouterr()
    for name in DATA_FILES + REPORTS:
        assert (out / name).is_file(), name
    summary = json.loads(captured.out)
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "complete" and manifest["repeats"] == 2
    # the grader that ran is byte for byte the grader export writes
    assert hashlib.sha256((out / "grader.json").read_bytes()).hexdigest() == (
        manifest["grader_sha256"])  # fmt: skip
    compiled = run(["compile", str(ROOT / "examples" / example / "rubric.yaml"),
                    "-o", str(tmp_path / "compiled.json")])  # fmt: skip
    assert compiled == 0
    assert (tmp_path / "compiled.json").read_bytes() == (out / "grader.json").read_bytes()
    report = json.loads((out / "report.json").read_text())
    head = report["discrimination"]["headline"]
    means = {r["tier"]: r["mean"] for r in head["tier_means"]}
    assert means["great"] > means["fair"] > means["poor"]  # the checks really discriminate
    assert head["order"]["n_ordered"] == head["order"]["n_items"] >= 6
    assert report["agreement"]["experts"] and len(report["agreement"]["experts"]) == 3
    if example == "accordance_tax":  # judged criteria without an endpoint: not run
        assert summary["judged_run"] is False and manifest["judged_run"] is False
        assert report["headline"] == "__checks__" and report["verdict"]["status"] == "incomplete"
        assert "export OPENAI_API_KEY=" in captured.err and "--base-url" in captured.err
        assert captured.err.count("no model endpoint") == 1
        assert "The judge did not run" in (out / "report.md").read_text()
    else:  # checks only: everything ran
        assert manifest["judged_run"] is True and report["headline"] == "__total__"
        assert "no model endpoint" not in captured.err
    # the checks ran as python graders, all of them rubricate's own (run in-process, the
    # sandbox never started): where they ran is recorded in run.json and in every record
    sandbox = manifest["python_sandbox"]
    assert sandbox["mode"] in ("required", "best-effort") and "layers" not in sandbox
    assert sandbox["own_checks"] == "in-process"
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert all(r["record"]["sandbox"] == "in-process (rubricate's own check)" for r in records)
    assert summary["files"][0].endswith("report.json")


def test_the_html_report_is_self_contained_with_legible_figures(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _calibrate("accordance_tax", out, "--repeats", "2") == 0
    figures = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert figures == ["agreement_f1.png", "criteria_tiers.png", "flip_rates.png",
                       "tier_means.png", "variance_study.png"]  # fmt: skip
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == len(figures)
    # no request of its own: no script, no external source, style sheet or link
    assert "<script" not in page and "<link" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "url(" not in page
    markdown = (out / "report.md").read_text()
    assert all(f"](figures/{name})" in markdown for name in figures)


@pytest.mark.slow
def test_loopback_judge_then_a_rerun_makes_no_call(
    fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out, store = tmp_path / "run", str(tmp_path / "calls.sqlite")
    args = ("--repeats", "2", "--no-figures", "--store", store, "--json")
    assert _calibrate("accordance_tax", out, *args) == 0
    printed = capsys.readouterr()
    first = json.loads(printed.out)
    sent = fake_openai_env.count()
    assert sent == 23 * 2 * 15 and first["judged_run"] is True
    assert first["usage"]["calls"] == sent
    pace = first["usage"]["pace"]  # what set the pace of the live calls, said on stderr too
    assert pace["calls"] == sent and pace["slots"] == 16 and 0 < pace["mean_in_flight"] <= 16
    assert pace["bound"] in ("endpoint", "client CPU", "neither")
    assert f"judge pace: {pace['calls_per_s']:,.0f} calls/s, " in printed.err
    report = (out / "report.md").read_text(encoding="utf-8")
    assert f"| pace of the live model calls | {pace['calls_per_s']:,.0f} calls/s, " in report
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["judge_model"] == "o4-mini-2025-04-16" and manifest["judged_run"] is True
    grades = pd.read_csv(out / "grades.csv")
    assert grades["scored"].all()  # every judged criterion ran
    records = (out / "records.jsonl").read_text().splitlines()
    assert len(records) == 46 and json.loads(records[0])["record"]["calls"][0]["raw"]
    assert _calibrate("accordance_tax", out, *args) == 0
    printed = capsys.readouterr()
    second = json.loads(printed.out)
    assert fake_openai_env.count() == sent  # zero new calls
    assert second["usage"]["calls"] == 0 and second["usage"]["cached"] == sent
    assert second["usage"]["pace"] is None and "pace:" not in printed.err  # nothing live to pace
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| pace of the live model calls | not assessed (no live model call" in report


def test_judge_model_is_compiled_into_the_grader(
    fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "run"
    args = ("--repeats", "1", "--no-figures", "--store", str(tmp_path / "c.sqlite"))
    assert _calibrate("accordance_tax", out, *args, "--judge-model", "local-judge") == 0
    grader = json.loads((out / "grader.json").read_text())
    models = {g["model"] for g in grader["graders"].values() if g["type"] == "score_model"}
    assert models == {"local-judge"}
    assert {r.body["model"] for r in fake_openai_env.model_requests()} == {"local-judge"}
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["judge_model"] == "local-judge"
    assert "set judge.model: local-judge in the rubric" in capsys.readouterr().err


def _leaky_set(tmp_path: Path) -> Path:
    rubric = (ROOT / "examples" / "accordance_tax" / "rubric.yaml").read_text()
    poor = rubric.split("  - id: poor-memo")[1].split("answer: |\n")[1].split("    verdicts:")[0]
    text = " ".join(line.strip() for line in poor.splitlines())
    source = ROOT / "examples" / "accordance_tax" / "calibration.jsonl"
    lines = source.read_text().splitlines()
    item = json.loads(lines[0])
    item["answers"].append({"id": "copied", "tier": "poor", "text": text})
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join([json.dumps(item), *lines[1:]]) + "\n")
    return path


def test_few_shot_answers_are_refused_or_excluded(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rubric = str(ROOT / "examples" / "accordance_tax" / "rubric.yaml")
    calset = str(_leaky_set(tmp_path))
    base = ["calibrate", rubric, "--set", calset, "--repeats", "1", "--no-figures",
            "--out", str(tmp_path / "run")]  # fmt: skip
    assert run(base) == 2
    err = capsys.readouterr().err
    assert f"{calset}:1:" in err and "few-shot example poor-memo (poor)" in err
    assert "--exclude-leaked" in err and not (tmp_path / "run").exists()
    assert run([*base, "--exclude-leaked"]) == 0
    assert "left out" in capsys.readouterr().err
    grades = pd.read_csv(tmp_path / "run" / "grades.csv")
    assert "copied" not in set(grades["answer_id"])
    assert "few-shot example poor-memo" in (tmp_path / "run" / "report.md").read_text()


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('{"id": "x", "answers": [{"id": "a", "tier": "gret", "text": "t"}]}',
         ["set.jsonl:1", "answers[0].tier", "did you mean 'great'"]),
        ("not json", ["set.jsonl:1:1", "not valid JSON"]),
    ],
)  # fmt: skip
def test_a_bad_set_exits_2_with_file_and_line(
    line: str, words: list[str], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(line + "\n")
    rubric = str(ROOT / "examples" / "eurovoc" / "rubric.yaml")
    assert run(["calibrate", rubric, "--set", str(path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rubricate: error: ") and err.count("\n") == 1
    for word in words:
        assert word in err


def test_bad_expert_grades_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    experts = tmp_path / "experts.csv"
    header = "item_id,answer_id,expert,criterion_id,score\n"
    folder = ROOT / "examples" / "accordance_tax"
    args = ["calibrate", str(folder / "rubric.yaml"), "--set", str(folder / "calibration.jsonl"),
            "--experts", str(experts), "--out", str(tmp_path / "r")]  # fmt: skip
    experts.write_text(header + "memo-to-shareholders,great,ann,closing-book,2\n")
    assert run(args) == 2
    err = capsys.readouterr().err
    assert f"{experts}:2" in err and "did you mean 'closing-books'" in err
    experts.write_text(header + "memo-to-shareholders,great,ann,closing-books,3\n")
    assert run(args) == 2
    err = capsys.readouterr().err
    assert f"{experts}:2" in err and "levels (0, 1, 2)" in err
    experts.write_text(header + "memo-to-shareholders,great,ann,aaa,1\n")
    assert run(args) == 2
    assert "'aaa' is a group; grade its children (aaa-before, aaa-after)" in (
        capsys.readouterr().err)  # fmt: skip
    experts.write_text(header + "memo-to-shareholders,nope,ann,,0.5\n")
    assert run(args) == 2
    assert "no answer 'nope' of item 'memo-to-shareholders'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # checked before anything is written


def test_schema_budget_gate_and_report_only(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert run(["calibrate", "--schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["answers"]["type"] == "array"
    out = tmp_path / "run"
    assert _calibrate("accordance_tax", out, "--budget", "10") == 2
    assert "need 1725 judge calls" in capsys.readouterr().err
    # eurovoc: a padded label list outscores the honest partial answer: not ready -> exit 1
    assert _calibrate("eurovoc", out, "--repeats", "2", "--no-figures", "--fail-unless-ready") == 1
    assert "calibration verdict: not_ready" in capsys.readouterr().err
    # an expert adds grades (as rubricate review does); the reports are rebuilt, no grading
    with (out / "experts.csv").open("a") as fh:
        fh.write("railway-area,poor,newcomer,,0.05\nrailway-area,great,newcomer,,0.9\n")
    before = (out / "grades.csv").read_bytes()
    assert run(["calibrate", "--report-only", "--out", str(out), "--no-figures", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"]["status"] == "not_ready"
    report = json.loads((out / "report.json").read_text())
    assert "newcomer" in report["agreement"]["experts"]
    assert (out / "grades.csv").read_bytes() == before


def test_a_rerun_keeps_grades_entered_in_review(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "run"
    assert _calibrate("citations", out, "--repeats", "1", "--no-figures") == 0
    with (out / "experts.csv").open("a") as fh:
        fh.write("lease-break,great,reviewer,,1\n")
    assert _calibrate("citations", out, "--repeats", "1", "--no-figures") == 0
    assert "kept 1 expert grades" in capsys.readouterr().err
    assert "lease-break,great,reviewer,,1" in (out / "experts.csv").read_text()
    shutil.rmtree(out)


def test_report_does_not_depend_on_the_order_grades_completed(tmp_path: Path) -> None:
    """Calls complete in any order; the same grades in another order give the same report."""
    out = tmp_path / "run"
    assert _calibrate("citations", out, "--repeats", "3", "--no-figures") == 0
    first = json.loads((out / "report.json").read_text(encoding="utf-8"))
    grades = pd.read_csv(out / "grades.csv", dtype=str, keep_default_na=False)
    shuffled = grades.sample(frac=1.0, random_state=7)
    assert not shuffled.index.equals(grades.index)
    shuffled.to_csv(out / "grades.csv", index=False)
    assert run(["calibrate", "--report-only", "--out", str(out), "--no-figures"]) == 0
    again = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for key in ("stability", "discrimination", "agreement", "readiness", "unscored"):
        assert again.get(key) == first.get(key), key
