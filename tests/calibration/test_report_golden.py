"""The reports of four loopback calibrations of the shipped examples, rebuilt from their run
files (``--report-only``), are byte for byte the ones stored in ``tests/data/report_golden``
(``make_golden.py`` there says how they were made): a refactor of the report data or the
renderers must not change a byte of report.json, report.md or report.html."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rubricate.calibration.report.files import rebuild_reports
from rubricate.calibration.report.schema import CalibrationReport

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "report_golden"
RUNS = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
INPUTS = ("run.json", "rubric.yaml", "grader.json", "grades.csv", "experts.csv")


def _rebuild(name: str, tmp_path: Path, *, figures: bool) -> Path:
    out = tmp_path / name
    out.mkdir()
    for file in INPUTS:
        shutil.copy(GOLDEN / name / file, out / file)
    rebuild_reports(out, figures=figures)
    return out


def test_there_are_golden_runs() -> None:
    assert len(RUNS) == 4


@pytest.mark.parametrize("name", RUNS)
def test_reports_are_the_golden_ones(name: str, tmp_path: Path) -> None:
    out = _rebuild(name, tmp_path, figures=False)
    for file in ("report.json", "report.md", "report.html"):
        assert (out / file).read_bytes() == (GOLDEN / name / file).read_bytes(), file


def test_golden_reports_follow_the_documented_schema() -> None:
    import jsonschema

    docs = Path(__file__).resolve().parents[2] / "docs" / "report.schema.json"
    schema = json.loads(docs.read_text(encoding="utf-8"))
    for name in RUNS:
        report = json.loads((GOLDEN / name / "report.json").read_text(encoding="utf-8"))
        jsonschema.validate(report, schema)
        assert CalibrationReport.model_validate(report).to_json() == report


@pytest.mark.slow
def test_reports_with_figures_are_the_golden_ones(tmp_path: Path) -> None:
    out = _rebuild("accordance_tax", tmp_path, figures=True)
    for file in ("report.json", "report.md"):
        golden = GOLDEN / "accordance_tax" / f"figures.{file}"
        assert (out / file).read_bytes() == golden.read_bytes(), file


@pytest.mark.subprocess
def test_a_report_without_experts_does_not_import_scipy_stats(tmp_path: Path) -> None:
    """scipy.stats takes ~0.4 s longer to import than the scipy.special functions it computes
    the normal, t, beta and F quantiles with (scipy 1.17), longer than a report's statistics
    take; a report without expert grades (the shipped example's) needs none of the rest."""
    import subprocess
    import sys

    out = tmp_path / "accordance_tax"
    out.mkdir()
    for file in INPUTS[:-1]:  # no experts.csv
        shutil.copy(GOLDEN / "accordance_tax" / file, out / file)
    code = (
        "import sys; from pathlib import Path; "
        "from rubricate.calibration.report.files import rebuild_reports; "
        f"rebuild_reports(Path({str(out)!r}), figures=False); "
        "print(sorted(m for m in sys.modules if m.startswith('scipy.stats')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["readiness"], "the report was built"
    assert done.stdout.strip() == "[]", done.stdout
