"""``rubricate export rft`` through the command line's real entry point."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from rubricate.cli import run
from rubricate.export.rft.payload import validate_payload
from rubricate.testing import finetune_routes
from rubricate.testing.server import FakeOpenAI

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = ["accordance_tax", "citations", "eurovoc"]


def _export(example: str, out: Path, *extra: str) -> int:
    folder = EXAMPLES / example
    return run(
        [
            "export", "rft", str(folder / "rubric.yaml"),
            "--train", str(folder / "train.jsonl"), "--valid", str(folder / "valid.jsonl"),
            "--model", "o4-mini-2025-04-16", "--out", str(out), *extra,
        ]
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # runs/*/run.json is searched in the current directory


@pytest.mark.parametrize("example", NAMES)
def test_every_example_exports_the_compiled_grader_byte_for_byte(
    example: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    compiled = tmp_path / "compiled.json"
    assert run(["compile", str(EXAMPLES / example / "rubric.yaml"), "-o", str(compiled)]) == 0
    capsys.readouterr()
    out = tmp_path / "bundle"
    assert _export(example, out) == 0
    stdout, stderr = capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md", "grader.json", "job.json", "manifest.json", "train.jsonl", "valid.jsonl",
    ]  # fmt: skip
    grader_bytes = (out / "grader.json").read_bytes()
    assert grader_bytes == compiled.read_bytes()
    digest = hashlib.sha256(grader_bytes).hexdigest()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["grader"]["sha256"] == digest and digest in stdout
    job = json.loads((out / "job.json").read_text(encoding="utf-8"))
    assert job["method"]["reinforcement"]["grader"] == json.loads(grader_bytes)
    validate_payload(job)
    train_rows = (out / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(train_rows) == manifest["files"]["train.jsonl"]["rows"] >= 10
    for line in train_rows:
        row = json.loads(line)
        assert row["messages"][-1]["role"] == "user"
        assert set(manifest["item_fields"]) <= set(row)
    assert "rubricate: warning: calibration: no calibration run has vetted this grader" in stderr
    assert f"rubricate jobs submit {out}" in (out / "README.md").read_text(encoding="utf-8")


def test_a_calibration_run_with_the_same_bytes_is_recorded(tmp_path: Path, capsys) -> None:
    run_dir = tmp_path / "runs" / "eurovoc-domains"
    run_dir.mkdir(parents=True)
    assert (
        run(
            [
                "compile",
                str(EXAMPLES / "eurovoc" / "rubric.yaml"),
                "-o",
                str(run_dir / "grader.json"),
            ]
        )
        == 0
    )
    digest = hashlib.sha256((run_dir / "grader.json").read_bytes()).hexdigest()
    run_json = {"grader_sha256": digest, "status": "complete", "judged_run": True, "repeats": 5}
    (run_dir / "run.json").write_text(json.dumps(run_json), encoding="utf-8")
    capsys.readouterr()
    assert _export("eurovoc", tmp_path / "b", "--json") == 0
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert summary["calibration"]["path"] == str(Path("runs") / "eurovoc-domains")
    assert summary["calibration"]["repeats"] == 5
    assert "calibration" not in err and summary["warnings"] == []


def test_dataset_problems_exit_2_and_write_nothing(tmp_path: Path, capsys) -> None:
    folder = EXAMPLES / "eurovoc"
    rows = [
        json.loads(line)
        for line in (folder / "train.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    del rows[2]["domains"]
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    valid_rows = [rows[5]]
    valid = tmp_path / "valid.jsonl"
    valid.write_text(json.dumps(valid_rows[0]) + "\n", encoding="utf-8")
    out = tmp_path / "bundle"
    code = run(
        [
            "export", "rft", str(folder / "rubric.yaml"), "--train", str(train),
            "--valid", str(valid), "--model", "o4-mini-2025-04-16", "--out", str(out),
            "-H", "compute_multiplier=11",
        ]
    )  # fmt: skip
    assert code == 2
    assert not out.exists()
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == (
        "rubricate: error: 5 problems in the rubric, data or options (listed above); nothing "
        "was written"
    )
    assert (
        "rubricate: error: --hyperparameters: compute_multiplier=11: must be "
        '"auto" or a number > 1e-05 and <= 10' in err
    )
    # one error per {{ item.domains }} in the rubric (three checks read it), each at its place
    missing = [line for line in err if f"1 of 16 items in {train} lack it (line 3)" in line]
    assert len(missing) == 3 and "rubric.yaml:28:16: criteria[0].check.set_f1" in missing[0]
    assert any(
        line.startswith(
            f"rubricate: error: {valid}:1: has id 'general-food-law', like {train} line 6"
        )
        for line in err
    )


def test_bad_inputs_are_one_line_errors(tmp_path: Path, capsys) -> None:
    assert _export("eurovoc", tmp_path / "b", "--balance", "nope") == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith(
            "--balance nope: no row of "
            + str(EXAMPLES / "eurovoc" / "train.jsonl")
            + " has that field"
        )
    )
    assert (
        run(
            [
                "export",
                "rft",
                str(tmp_path / "none.yaml"),
                "--train",
                "t",
                "--valid",
                "v",
                "--model",
                "m",
                "--out",
                "o",
            ]
        )
        == 2
    )
    assert "no such rubric file" in capsys.readouterr().err


def test_response_format_and_options_reach_job_json(tmp_path: Path, capsys) -> None:
    schema = {
        "type": "object",
        "properties": {"domains": {"type": "array", "items": {"type": "string"}}},
        "required": ["domains"],
        "additionalProperties": False,
    }
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(schema), encoding="utf-8")
    out = tmp_path / "b"
    code = _export(
        "eurovoc", out, "--response-format", str(schema_file), "-H", "n_epochs=3",
        "-H", "reasoning_effort=low", "--suffix", "eurovoc", "--seed", "5",
    )  # fmt: skip
    assert code == 0
    job = json.loads((out / "job.json").read_text(encoding="utf-8"))
    assert job["suffix"] == "eurovoc" and job["seed"] == 5
    reinforcement = job["method"]["reinforcement"]
    assert reinforcement["hyperparameters"] == {"n_epochs": 3, "reasoning_effort": "low"}
    assert reinforcement["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "eurovoc-domains", "schema": schema, "strict": True},
    }


@pytest.mark.parametrize("azure", [False, True])
def test_submit_creates_the_job_through_the_cli(
    tmp_path: Path, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, capsys, azure: bool
) -> None:
    state = finetune_routes.install(fake_openai)
    if azure:
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", f"http://127.0.0.1:{fake_openai.port}")
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-cli-test-key-0123456789")
    else:
        monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test-key-0123456789")
    out = tmp_path / "b"
    assert _export("citations", out, "--submit", *(["--azure"] if azure else [])) == 0
    stdout, stderr = capsys.readouterr()
    submission = json.loads((out / "submission.json").read_text(encoding="utf-8"))
    assert f"job {submission['job_id']} created (validating_files)" in stdout
    assert ("--azure" in stdout) is azure
    job = json.loads((out / "job.json").read_text(encoding="utf-8"))
    assert state.created == [
        {
            **job,
            "training_file": submission["training_file"],
            "validation_file": submission["validation_file"],
        }
    ]
    assert "key-0123456789" not in stdout + stderr


def test_submit_after_the_openai_cutoff_warns_clearly(
    tmp_path, fake_openai, monkeypatch, capsys
) -> None:
    from datetime import date

    from rubricate.export.platforms import submit

    finetune_routes.install(fake_openai)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test-key-0123456789")
    real = submit.cutoff_notice
    monkeypatch.setattr(
        submit,
        "cutoff_notice",
        lambda provider, today=None: real(submit.Provider("openai", None), date(2027, 2, 1)),
    )
    assert _export("citations", tmp_path / "b", "--submit") == 0
    err = capsys.readouterr().err
    assert "rubricate: warning: OpenAI's fine-tuning takes no new jobs since 2027-01-06" in err
    assert "--azure" in err
