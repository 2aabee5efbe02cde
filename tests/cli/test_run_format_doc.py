"""docs/run-format.md names every file, grades.csv column and run.json field a run writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.calibration.baseline.run import SAMPLE_COLUMNS
from rubricate.calibration.grades_table import GRADE_COLUMNS
from rubricate.cli import run

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "run-format.md").read_text(encoding="utf-8")
EUROVOC = ROOT / "examples" / "eurovoc"


def test_every_column_is_documented() -> None:
    for column in (*GRADE_COLUMNS, *SAMPLE_COLUMNS):
        assert f"`{column}`" in DOC, f"docs/run-format.md does not name column {column}"


def test_an_offline_run_writes_only_documented_files_and_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "run"
    assert run(["calibrate", str(EUROVOC / "rubric.yaml"), "--set",
                str(EUROVOC / "calibration.jsonl"), "--experts", str(EUROVOC / "experts.csv"),
                "--out", str(out), "--repeats", "2"]) == 0  # fmt: skip
    capsys.readouterr()
    for path in out.iterdir():
        name = path.name + ("/" if path.is_dir() else "")
        assert f"`{name}`" in DOC, f"docs/run-format.md does not name {name}"
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    for key in manifest:
        assert f"`{key}`" in DOC, f"docs/run-format.md does not name run.json's {key}"


def test_docs_run_format_names_every_field_of_the_typed_manifest() -> None:
    from rubricate.calibration.run_manifest import RunManifest

    for key in RunManifest.model_fields:
        assert f"`{key}`" in DOC, f"docs/run-format.md does not name run.json's {key}"


def test_docs_report_schema_is_the_typed_report_s() -> None:
    from rubricate.calibration.report.schema import report_schema

    shipped = (ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8")
    assert shipped == report_schema(), "docs/report.schema.json is stale: regenerate it"


def _check_report(path: Path) -> None:
    import jsonschema

    from rubricate.calibration.report.schema import CalibrationReport

    report = json.loads(path.read_text(encoding="utf-8"))
    CalibrationReport.model_validate(report)
    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)


def test_an_offline_and_a_judged_report_follow_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture, fake_openai_env
) -> None:
    for name, extra in (("eurovoc", []), ("citations", []), ("accordance_tax", ["--repeats", "1"])):
        folder = ROOT / "examples" / name
        out = tmp_path / name
        code = run(["calibrate", str(folder / "rubric.yaml"), "--set",
                    str(folder / "calibration.jsonl"), "--out", str(out), "--no-figures",
                    "--store", str(tmp_path / "calls.sqlite"), "--max-unscored", "1",
                    *extra])  # fmt: skip
        capsys.readouterr()
        assert code in (0, 1) and (out / "report.json").exists()
        _check_report(out / "report.json")
