"""The review on a run written by the real ``rubricate calibrate`` (a loopback judge), and
the grades an expert enters there are read by ``calibrate --report-only``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import TextArea

from rubricate.cli import run as cli
from rubricate.testing import FakeOpenAI
from rubricate.tui.review.app import ReviewApp
from rubricate.tui.review.matrix import verdict_matrix
from tests.tui.conftest import SIZE
from tests.tui.helpers import idle, review_ready
from tests.tui.refund import FULL_REFUND, refund_rubric

RUBRIC = refund_rubric()

TEXTS = {
    "great": FULL_REFUND,
    "fair": "A refund of $120 may be due.",
    "poor": "No.",
}


@pytest.fixture
def calibrated(
    tmp_path: Path, fake_openai_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("rubric.yaml").write_text(RUBRIC, encoding="utf-8")
    lines = [
        json.dumps(
            {
                "id": f"r{i}",
                "task": "Reply to the refund request.",
                "answers": [{"id": t, "tier": t, "text": text} for t, text in TEXTS.items()],
            }
        )
        for i in range(3)
    ]
    Path("set.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = cli(["calibrate", "rubric.yaml", "--set", "set.jsonl", "--repeats", "2",
                "--out", "run", "--no-figures"])  # fmt: skip
    assert code == 0
    return tmp_path / "run"


@pytest.mark.slow
async def test_review_a_real_run_and_grade_it(calibrated: Path) -> None:
    app = ReviewApp(calibrated, expert="ed")
    async with app.run_test(size=SIZE) as pilot:
        screen = await review_ready(pilot)
        assert len(screen.data.rows) == 9
        repeats, _, rows = verdict_matrix(screen.data, ("r0", "great"))
        assert repeats == [0, 1]
        by_id = {row.criterion.id: row for row in rows}
        assert by_id["facts"].cells == ("✓", "✓")
        assert "amount:check" not in by_id  # a gate that passed everywhere has no row
        _, _, rows = verdict_matrix(screen.data, ("r0", "poor"))
        gate = {row.criterion.id: row for row in rows}["amount:check"]
        assert gate.cells == ("✗", "✗")  # "No." states no amount: the check zeroed it
        await pilot.press("enter", "r")
        await idle(pilot)
        reasoning = screen.query_one("#reasoning", TextArea).text
        assert "── repeat 0 · facts → 1" in reasoning
        await pilot.press("escape", "g", "y", "y")  # facts met, amount met
        await idle(pilot)
        await pilot.press("escape")
        await idle(pilot)
    lines = (calibrated / "experts.csv").read_text(encoding="utf-8").splitlines()
    assert lines[-2:] == ["r0,great,ed,facts,1", "r0,great,ed,amount,1"]
    assert cli(["calibrate", "--report-only", "--out", str(calibrated), "--no-figures"]) == 0
    report = json.loads((calibrated / "report.json").read_text(encoding="utf-8"))
    assert "ed" in json.dumps(report["agreement"])
