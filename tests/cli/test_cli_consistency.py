"""Issue 14, finding 8: the commands behave alike. Output files honour the umask; every
command that talks to an endpoint takes the same endpoint options; every usage error is one
``rubricate: error:`` line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from rubricate.cli import run

ROOT = Path(__file__).resolve().parents[2]
EUROVOC = ROOT / "examples" / "eurovoc"


@pytest.fixture
def umask_022():  # noqa: ANN201
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_outputs_get_the_umasks_permissions(tmp_path: Path, umask_022: None, capsys) -> None:  # noqa: ANN001
    assert run(["compile", str(EUROVOC / "rubric.yaml"), "-o", str(tmp_path / "g.json")]) == 0
    assert _mode(tmp_path / "g.json") == 0o644
    out = tmp_path / "rft"
    assert run(["export", "rft", str(EUROVOC / "rubric.yaml"), "--train",
                str(EUROVOC / "train.jsonl"), "--valid", str(EUROVOC / "valid.jsonl"),
                "--model", "o4-mini-2025-04-16", "--out", str(out)]) == 0  # fmt: skip
    for name in ("grader.json", "train.jsonl", "valid.jsonl", "job.json", "manifest.json"):
        assert _mode(out / name) == 0o644, name
    run_dir = tmp_path / "run"
    assert run(["calibrate", str(EUROVOC / "rubric.yaml"), "--set",
                str(EUROVOC / "calibration.jsonl"), "--out", str(run_dir), "--repeats", "1",
                "--no-figures"]) == 0  # fmt: skip
    for name in ("report.json", "run.json", "grades.csv", "rubric.yaml", "grader.json"):
        assert _mode(run_dir / name) == 0o644, name
    assert run(["schema", "-o", str(tmp_path / "s.json")]) == 0
    assert _mode(tmp_path / "s.json") == 0o644


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "g.json"
    target.write_text("{}")
    target.chmod(0o640)
    assert run(["compile", str(EUROVOC / "rubric.yaml"), "-o", str(target)]) == 0
    assert _mode(target) == 0o640 and target.read_text() != "{}"


ENDPOINT_OPTIONS = ("--base-url", "--azure", "--timeout", "--max-retries")
ENDPOINT_COMMANDS = (
    ["calibrate"], ["grade"], ["baseline"], ["serve"], ["validate"], ["export", "rft"],
    ["jobs", "submit"], ["jobs", "status"], ["jobs", "events"], ["jobs", "checkpoints"],
    ["jobs", "cancel"],
)  # fmt: skip


@pytest.mark.parametrize("command", ENDPOINT_COMMANDS, ids=" ".join)
def test_every_endpoint_command_takes_the_same_endpoint_options(
    command: list[str], capsys: pytest.CaptureFixture
) -> None:
    assert run([*command, "--help"]) == 0
    text = capsys.readouterr().out
    missing = [option for option in ENDPOINT_OPTIONS if option not in text]
    assert not missing, f"rubricate {' '.join(command)} lacks {missing}"


def test_jobs_reach_the_endpoint_given_by_base_url(
    tmp_path: Path, fake_openai, capsys, monkeypatch  # noqa: ANN001
) -> None:
    from rubricate.testing import finetune_routes

    finetune_routes.install(fake_openai)
    monkeypatch.chdir(tmp_path)
    assert run(["export", "rft", str(EUROVOC / "rubric.yaml"), "--train",
                str(EUROVOC / "train.jsonl"), "--valid", str(EUROVOC / "valid.jsonl"),
                "--model", "o4-mini-2025-04-16", "--out", "b"]) == 0  # fmt: skip
    capsys.readouterr()
    # no OPENAI_* variable: the option alone names the endpoint (a local server needs no key)
    assert run(["jobs", "submit", "b", "--base-url", fake_openai.base_url]) == 0
    assert f"on OpenAI-compatible server {fake_openai.base_url}" in capsys.readouterr().out
    grader = tmp_path / "b" / "grader.json"
    assert run(["validate", str(grader), "--remote", "--base-url", fake_openai.base_url]) == 0
    assert "is valid locally and by the API" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["calibrate", "x.yaml", "--repeats", "many"],
         "calibrate: --repeats: 'many' is neither a number nor 'auto' (see "
         "rubricate calibrate --help)"),
        (["compile", "--target", "mult", "x.yaml"],
         "compile: --target: 'mult' is not one of 'multi', 'score_model', 'python' "
         "(see rubricate compile --help)"),
        (["check", "--nope"],
         "check: no such option '--nope' (see rubricate check --help)"),
        (["grade", "g.json"],
         "grade: missing option '--items' (see rubricate grade --help)"),
        (["agreement"],
         "agreement: missing argument 'RATINGS_CSV' (see rubricate agreement --help)"),
        (["frobnicate"], "no such command 'frobnicate' (see rubricate --help)"),
        (["export", "rft"],
         "export rft: missing argument 'RUBRIC' (see rubricate export rft --help)"),
    ],
)  # fmt: skip
def test_usage_errors_are_one_line(
    argv: list[str], line: str, capsys: pytest.CaptureFixture
) -> None:
    assert run(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == f"rubricate: error: {line}\n"
    assert captured.out == ""
