"""A resumed calibration's cost covers every process (issue 15, finding 4: a resumed report
counted only its own process's calls): the replayed answers' cost, as paid when they were made,
is in run.json and the report beside this process's."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rubricate.calibration.run.execution import execute
from rubricate.calibration.run.session import CalibrateRequest, prepare
from rubricate.judge.calls import ClientSettings
from rubricate.testing import FakeOpenAI

ACCORDANCE = Path(__file__).resolve().parents[2] / "examples" / "accordance_tax"


@pytest.mark.slow
def test_a_rerun_reports_what_its_replayed_answers_cost(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    request = CalibrateRequest(rubric=ACCORDANCE / "rubric.yaml",
                               calibration_set=ACCORDANCE / "calibration.jsonl",
                               out=tmp_path / "run", repeats=1, figures=False)  # fmt: skip
    first = asyncio.run(execute(prepare(request), client_settings))
    paid = first.manifest["usage"]["cost_usd"]
    assert paid > 0 and first.manifest["usage"]["replayed_cost_usd"] == 0
    again = asyncio.run(execute(prepare(request), client_settings))
    usage = again.manifest["usage"]
    assert usage["calls"] == 0 and usage["cost_usd"] == 0
    assert usage["replayed_cost_usd"] == pytest.approx(paid)
    assert usage["orphaned"] == 0
    markdown = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert f"${paid:.4f}" in markdown
    assert "replayed answers, as paid when they were made" in markdown
