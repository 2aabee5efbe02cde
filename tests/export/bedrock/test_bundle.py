"""``export rft --platform bedrock`` writes a complete bundle for every shipped example."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from rubricate.export.bedrock.job import validate_job
from rubricate.export.bedrock.package import UNZIPPED_LIMIT, ZIP_LIMIT, build_package
from rubricate.export.rft.manifest import sha256
from rubricate.rubrics.compile import compile_rubric, grader_json
from rubricate.rubrics.lint import load_checked_rubric
from tests.export.bedrock.conftest import EXAMPLE_NAMES, EXAMPLES, REAL_LOOKING, cli, export_args

FILES = {"grader.json", "train.jsonl", "valid.jsonl", "job.json", "manifest.json", "README.md",
         "lambda.zip"}  # fmt: skip


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_bundle_for_every_example(name: str, tmp_path: Path) -> None:
    out = tmp_path / name
    assert cli(export_args(name, out)) == 0
    assert {p.name for p in out.iterdir()} == FILES
    compiled = grader_json(
        compile_rubric(load_checked_rubric(EXAMPLES / name / "rubric.yaml").rubric, None)
    )  # type: ignore[arg-type]  # noqa: E501
    assert (out / "grader.json").read_text(encoding="utf-8") == compiled
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["platform"] == "bedrock"
    assert manifest["grader"]["sha256"] == sha256(compiled.encode("utf-8"))
    assert "calibration" in manifest
    package = manifest["lambda"]
    data = (out / "lambda.zip").read_bytes()
    assert package["sha256"] == sha256(data) and package["bytes"] == len(data)
    assert package["within_limits"] is True
    assert len(data) < ZIP_LIMIT and package["unzipped_bytes"] < UNZIPPED_LIMIT
    with zipfile.ZipFile(out / "lambda.zip") as archive:
        names = set(archive.namelist())
        assert {"lambda_function.py", "lambda_runtime.py", "grader.json"} <= names
        assert archive.read("grader.json").decode("utf-8") == compiled
        assert sum(i.file_size for i in archive.infolist()) == package["unzipped_bytes"]
    for split in ("train", "valid"):
        rows = [json.loads(line) for line in (out / f"{split}.jsonl").read_text().splitlines()]
        assert rows and all(set(r) == {"messages", "reference_answer"} for r in rows)
        assert all(r["messages"][-1]["role"] == "user" for r in rows)
        assert manifest["files"][f"{split}.jsonl"]["rows"] == len(rows)
    job = json.loads((out / "job.json").read_text(encoding="utf-8"))
    assert job["customizationType"] == "REINFORCEMENT_FINE_TUNING"
    assert validate_job(job) == []
    assert manifest["job"]["placeholders"]  # no RUBRICATE_BEDROCK_* set: explicit placeholders


def test_complete_job_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in REAL_LOOKING.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "b"
    assert cli(export_args("eurovoc", out, "--hyperparameters", "epochCount=2",
                           "--hyperparameters", "learningRate=0.00001")) == 0  # fmt: skip
    job = json.loads((out / "job.json").read_text(encoding="utf-8"))
    rft = job["customizationConfig"]["rftConfig"]
    assert (
        rft["graderConfig"]["lambdaGrader"]["lambdaArn"]
        == REAL_LOOKING["RUBRICATE_BEDROCK_LAMBDA_ARN"]
    )
    assert rft["hyperParameters"] == {"epochCount": 2, "learningRate": 0.00001}
    assert job["trainingDataConfig"]["s3Uri"] == "s3://my-bucket/rft/eurovoc/train.jsonl"
    assert job["roleArn"] == REAL_LOOKING["RUBRICATE_BEDROCK_ROLE_ARN"]
    assert json.loads((out / "manifest.json").read_text())["job"]["placeholders"] == []
    assert validate_job(job) == []


def test_unknown_hyperparameter_is_refused_with_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(export_args("eurovoc", tmp_path / "b", "--hyperparameters", "epochcount=2")) == 2
    err = capsys.readouterr().err
    assert "not a Bedrock RFT hyperparameter" in err and "did you mean epochCount" in err
    assert not (tmp_path / "b" / "job.json").exists()


def test_out_of_range_hyperparameter_is_refused_by_botocores_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(export_args("eurovoc", tmp_path / "b", "--hyperparameters", "batchSize=8")) == 2
    assert "batchSize" in capsys.readouterr().err


def test_the_package_is_deterministic() -> None:
    text = (EXAMPLES / "eurovoc" / "rubric.yaml").read_text()
    assert build_package(text).data == build_package(text).data


def test_a_text_similarity_grader_is_refused(tmp_path: Path) -> None:
    from rubricate.export.bedrock.prepare import runtime_problems

    grader = {
        "type": "multi",
        "graders": {
            "sim": {"type": "text_similarity", "evaluation_metric": "bleu", "input": "a",
                    "reference": "b", "pass_threshold": 0.5},
            "np": {"type": "python", "source": "import numpy\ndef grade(s, i):\n    return 1"},
            "ok": {"type": "python", "source": "import re\ndef grade(s, i):\n    return 1"},
        },
        "calculate_output": "sim + np + ok",
    }  # fmt: skip
    messages = [p.message for p in runtime_problems(grader)]
    assert len(messages) == 2
    assert messages[0].startswith("sim: text_similarity (bleu) cannot run")
    assert messages[1].startswith("np: the python grader imports numpy")


def test_the_manifest_names_the_calibration_run_that_graded_these_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = EXAMPLES / "eurovoc"
    calset = str(folder / "calibration.jsonl")
    calibrate = ["calibrate", str(folder / "rubric.yaml"), "--set", calset,
                 "--repeats", "1", "--out", "runs/ev"]  # fmt: skip
    assert cli(calibrate) == 0
    assert cli(export_args("eurovoc", tmp_path / "b")) == 0
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["calibration"]["path"] == "runs/ev"
    assert (tmp_path / "runs" / "ev" / "grader.json").read_bytes() == (
        tmp_path / "b" / "grader.json"
    ).read_bytes()


def test_a_package_over_lambdas_limits_is_refused() -> None:
    from rubricate.export.bedrock.package import LambdaPackage, size_problems

    fits = LambdaPackage(b"x" * ZIP_LIMIT, UNZIPPED_LIMIT, ())
    assert size_problems(fits) == []
    too_big = LambdaPackage(b"x" * (ZIP_LIMIT + 1), UNZIPPED_LIMIT + 1, ())
    problems = size_problems(too_big)
    assert len(problems) == 2
    assert "at most 50 MB zipped" in problems[0] and "Lambda's limit is 250 MB" in problems[1]


def test_the_vendored_modules_are_rubricates_own_bytes(tmp_path: Path) -> None:
    import rubricate
    from rubricate.export.bedrock.package import VENDORED, package_files

    files = package_files("{}")
    source = Path(rubricate.__file__).parent
    for path in VENDORED:
        assert files[f"rubricate/{path}"] == (source / path).read_bytes(), path
    assert files["lambda_runtime.py"] == (source / "export/bedrock/lambda_runtime.py").read_bytes()


def test_an_openai_model_name_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = export_args("eurovoc", tmp_path / "b")
    args[args.index("--model") + 1] = "o4-mini-2025-04-16"
    assert cli(args) == 0
    assert "o4-mini-2025-04-16: not a Bedrock model identifier" in capsys.readouterr().err


def test_the_package_holds_every_module_its_python_imports() -> None:
    """The Lambda bundles a standard-library runtime, not the rubricate package (docs/api.md):
    every import in the zip is the standard library or a file in the zip (imports in an
    ``except`` clause are the fallbacks for running from the installed package, not in Lambda)."""
    import ast
    import sys

    from rubricate.export.bedrock.package import package_files

    files = package_files("{}")
    for name, data in files.items():
        if not name.endswith(".py"):
            continue
        tree = ast.parse(data.decode("utf-8"))
        fallbacks = {
            id(inner)
            for handler in ast.walk(tree)
            if isinstance(handler, ast.ExceptHandler)
            for inner in ast.walk(handler)
        }
        for node in ast.walk(tree):
            if id(node) in fallbacks:
                continue
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top == "__future__":
                    continue
                path = module.replace(".", "/")
                assert f"{path}.py" in files or f"{path}/__init__.py" in files, (name, module)
