"""``export rft --platform gemini``: the bundle of every shipped example, and what the
composite cannot express reported precisely."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from rubricate.cli import run as cli
from rubricate.export.gemini.job import schema_problems, tuning_job_schema
from rubricate.export.gemini.prepare import prepare_gemini
from rubricate.rubrics.compile import compile_rubric, grader_json
from rubricate.rubrics.lint import load_checked_rubric
from tests.export.gemini.conftest import BASE, EXAMPLES, bundle, options, read_jsonl

EXACT = ["eurovoc", "citations"]


def _schema_validator(definition: str | None = None) -> jsonschema.Draft202012Validator:
    schema = tuning_job_schema()
    if definition is not None:
        schema = {**schema, "$ref": f"#/$defs/{definition}"}
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("example", EXACT)
def test_exact_examples_bundle(example: str, tmp_path: Path):
    _, out = bundle(example, tmp_path / example)
    loaded = load_checked_rubric(EXAMPLES / example / "rubric.yaml")
    assert (out / "grader.json").read_text(encoding="utf-8") == grader_json(
        compile_rubric(loaded.rubric)
    )
    job = json.loads((out / "job.json").read_text(encoding="utf-8"))
    assert list(_schema_validator().iter_errors(job)) == []
    assert schema_problems(job) == []
    spec = job["reinforcementTuningSpec"]
    assert spec["trainingDatasetUri"] == "gs://test-bucket/rl/train.jsonl"
    [entry] = spec["compositeRewardConfig"]["weightedRewardConfigs"]
    assert entry["weight"] == 1.0
    assert entry["rewardConfig"]["rewardName"] == "f1"
    snippet = entry["rewardConfig"]["codeExecutionRewardScorer"]["pythonCodeSnippet"]
    grader = json.loads((out / "grader.json").read_text(encoding="utf-8"))
    assert snippet.startswith(grader["graders"]["f1"]["source"].rstrip("\n"))  # verbatim
    assert "def evaluate(example, response):" in snippet
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    gemini = manifest["gemini"]
    assert manifest["platform"] == "gemini"
    assert manifest["grader"]["sha256"] == grader_sha(out)
    assert gemini["exact"] is True and gemini["differences"] == []
    assert gemini["omitted"] == ["precision", "recall"]
    rows = read_jsonl(out / "train.jsonl")
    example_schema = _schema_validator("ReinforcementTuningExample")
    for row in rows + read_jsonl(out / "valid.jsonl"):
        assert list(example_schema.iter_errors(row)) == []
        assert row["contents"][-1]["role"] == "user"
    assert json.loads(rows[0]["references"]["__rubricate_json__"])  # a list field, encoded
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "**is** the calibrated reward" in readme
    assert "tuningJobs" in readme


def grader_sha(out: Path) -> str:
    import hashlib

    return hashlib.sha256((out / "grader.json").read_bytes()).hexdigest()


def test_accordance_needs_a_choice_and_says_why(tmp_path: Path):
    prepared = prepare_gemini(options("accordance_tax", tmp_path, "autorater=gemini-2.5-flash"))
    [error] = prepared.errors
    assert "13 rubric feature(s) have no exact Gemini scorer" in error.message
    assert "serve_url=URL" in error.message and "reward=composite" in error.message


def test_accordance_composite_lists_every_difference(tmp_path: Path):
    prepared, out = bundle(
        "accordance_tax", tmp_path / "acc", "autorater=gemini-2.5-flash", "reward=composite"
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    gemini = manifest["gemini"]
    differences = gemini["differences"]
    assert gemini["exact"] is False and len(differences) == 13
    gates = [d for d in differences if "gated by its check" in d]
    assert len(gates) == 11  # 11 gated criteria + a levelled one + a penalty = 13
    assert any(d.startswith("closing_books: levels 0..2") for d in differences)
    assert any(
        d.startswith("invents-position: a penalty (weight -0.1); Gemini divides by the sum of all")
        for d in differences
    )
    assert all(any(d in w for w in manifest["warnings"]) for d in differences)
    job = json.loads((out / "job.json").read_text(encoding="utf-8"))
    assert list(_schema_validator().iter_errors(job)) == []
    configs = job["reinforcementTuningSpec"]["compositeRewardConfig"]["weightedRewardConfigs"]
    by_name = {c["rewardConfig"]["rewardName"]: c for c in configs}
    assert len(by_name) == 28
    # the weights: the rubric's, normalised; a gate and its judge share the criterion's
    assert by_name["ownership__gate"]["weight"] == pytest.approx(0.025)
    assert by_name["ownership"]["weight"] == pytest.approx(0.025)
    assert by_name["alex_basis__alex_stock"]["weight"] == pytest.approx(0.1 * 0.6)
    assert sum(c["weight"] for c in configs) == pytest.approx(1.1)  # P + N
    penalty = by_name["invents_position"]["rewardConfig"]["autoraterScorer"]
    assert penalty["exactMatchScorer"] == {
        "expression": "1",
        "correctAnswerReward": -1.0,
        "wrongAnswerReward": 0.0,
    }
    judge = by_name["distributions_tax_free"]["rewardConfig"]["autoraterScorer"]
    assert judge["autoraterConfig"]["autoraterModel"] == (
        "projects/test-project/locations/us-central1/publishers/google/models/gemini-2.5-flash"
    )
    assert "{{response}}" in judge["autoraterPrompt"]
    assert "sample.output_text" not in judge["autoraterPrompt"]
    assert "parsedResponseConversionScorer" in judge
    # the compiled judge prompt, verbatim but for the placeholders
    grader = json.loads((out / "grader.json").read_text(encoding="utf-8"))
    system, user = (m["content"] for m in grader["graders"]["distributions_tax_free"]["input"])
    assert judge["autoraterPrompt"] == system + "\n\n" + user.replace(
        "{{ sample.output_text }}", "{{response}}"
    )
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "**Not the calibrated reward.**" in readme
    assert all(d in readme for d in differences)
    assert any("the autorater runs gemini-2.5-flash" in w.message for w in prepared.warnings)


def test_accordance_cloud_run_fallback(tmp_path: Path):
    prepared, out = bundle("accordance_tax", tmp_path / "cr", "serve_url=https://r.a.run.app/")
    job = json.loads((out / "job.json").read_text(encoding="utf-8"))
    [entry] = job["reinforcementTuningSpec"]["compositeRewardConfig"]["weightedRewardConfigs"]
    assert entry == {
        "rewardConfig": {
            "rewardName": "accordance-s-corp-2024",
            "cloudRunRewardScorer": {"cloudRunUri": "https://r.a.run.app/gemini"},
        },
        "weight": 1.0,
    }
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["gemini"]["reward"] == "cloudrun" and manifest["gemini"]["exact"] is True
    assert manifest["gemini"]["fallback_because"][0].startswith("autorater: the rubric's judge")
    assert any(w.rule == "gemini-fallback" for w in prepared.warnings)
    dockerfile = (out / "Dockerfile").read_text(encoding="utf-8")
    assert "rubricate serve /srv/grader.json" in dockerfile and "COPY grader.json" in dockerfile
    assert "gcloud run deploy rubricate-reward --source" in (out / "README.md").read_text("utf-8")


def test_the_manifest_names_the_calibration_run_of_these_bytes(tmp_path: Path):
    _, first = bundle("eurovoc", tmp_path / "first")
    run = tmp_path / "runs" / "r1"
    run.mkdir(parents=True)
    (run / "grader.json").write_bytes((first / "grader.json").read_bytes())
    (run / "run.json").write_text(
        json.dumps({"grader_sha256": grader_sha(first), "status": "complete", "judged_run": True}),
        encoding="utf-8",
    )
    prepared = prepare_gemini(options("eurovoc", tmp_path / "second", calibration=[run]))
    assert prepared.manifest["calibration"]["path"] == str(run)
    assert prepared.manifest["grader"]["sha256"] == grader_sha(first)
    assert "graded exactly these grader bytes" in prepared.readme
    assert not (first / "Dockerfile").exists()


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["gcs=s3://x"], "must be a Cloud Storage path"),
        (["projekt=x"], "did you mean project?"),
        (["reward=best"], "choose one of auto, composite, cloudrun"),
        (["reward=cloudrun"], "reward=cloudrun needs serve_url=URL"),
    ],
)
def test_bad_gemini_options(extra: list[str], words: str, tmp_path: Path):
    prepared = prepare_gemini(options("eurovoc", tmp_path, *extra))
    assert any(words in p.message for p in prepared.errors), [p.message for p in prepared.errors]


def test_cli_writes_the_bundle_and_refuses_missing_options(tmp_path: Path, capsys):
    root = EXAMPLES / "eurovoc"
    argv = [
        "export", "rft", str(root / "rubric.yaml"), "--train", str(root / "train.jsonl"),
        "--valid", str(root / "valid.jsonl"), "--model", "gemini-2.5-flash",
        "--out", str(tmp_path / "b"), "--platform", "gemini",
    ]  # fmt: skip
    assert cli([*argv, "--gemini", "project=p"]) == 2
    err = capsys.readouterr().err
    assert "--platform gemini needs --gemini gcs=gs://BUCKET/FOLDER" in err
    assert not (tmp_path / "b").exists()
    flags = [a for pair in BASE for a in ("--gemini", pair)]
    assert cli([*argv, *flags, "-H", "epochCount=3", "-H", "batchSize=4"]) == 0
    job = json.loads((tmp_path / "b" / "job.json").read_text(encoding="utf-8"))
    assert job["reinforcementTuningSpec"]["hyperParameters"] == {
        "epochCount": "3",
        "batchSize": 4,
    }
    assert cli([*argv, *flags, "-H", "n_epochs=3"]) == 2
    assert "not a Gemini reinforcement tuning hyperparameter" in capsys.readouterr().err
    argv[argv.index("gemini")] = "openai"
    assert cli([*argv, "--gemini", "project=p"]) == 2
    assert "--gemini is for --platform gemini" in capsys.readouterr().err


def test_submit_is_refused_with_the_commands_to_run(tmp_path: Path, capsys):
    root = EXAMPLES / "eurovoc"
    flags = [a for pair in BASE for a in ("--gemini", pair)]
    code = cli(
        [
            "export", "rft", str(root / "rubric.yaml"), "--train", str(root / "train.jsonl"),
            "--valid", str(root / "valid.jsonl"), "--model", "gemini-2.5-flash",
            "--out", str(tmp_path / "b"), "--platform", "gemini", *flags, "--submit",
        ]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "--submit is not available for --platform gemini" in err and "README.md" in err
    assert (tmp_path / "b" / "job.json").is_file()
