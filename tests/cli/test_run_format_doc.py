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
