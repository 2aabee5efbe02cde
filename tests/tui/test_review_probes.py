"""The review lists the answers ``calibrate --probe adversarial`` generated like the written
ones: their own ids (``probe:<kind>``), their texts, and the ``!`` of an answer above fair."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.cli import run as cli
from rubricate.testing import FakeOpenAI
from rubricate.tui.review.app import ReviewApp
from rubricate.tui.review.tables import AnswersTable, row_key_of
from tests.tui.conftest import SIZE
from tests.tui.helpers import review_ready
from tests.tui.refund import FULL_REFUND, refund_rubric


@pytest.fixture
def probed(tmp_path: Path, fake_openai_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("rubric.yaml").write_text(refund_rubric(), encoding="utf-8")
    texts = {"great": FULL_REFUND, "fair": "A refund of $120 may be due.", "poor": "No."}
    line = {"id": "r0", "task": "Reply to the refund request.",
            "answers": [{"id": t, "tier": t, "text": text} for t, text in texts.items()]}
    Path("set.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    code = cli(["calibrate", "rubric.yaml", "--set", "set.jsonl", "--repeats", "1",
                "--out", "run", "--no-figures", "--probe", "adversarial"])  # fmt: skip
    assert code in (0, 1)
    return tmp_path / "run"


@pytest.mark.slow
async def test_the_review_lists_generated_probes(probed: Path) -> None:
    app = ReviewApp(probed, expert="ed")
    async with app.run_test(size=SIZE) as pilot:
        screen = await review_ready(pilot)
        keys = {row.key for row in screen.data.rows}
        generated = {k for k in keys if k[1].startswith("probe:")}
        assert {("r0", "probe:padding"), ("r0", "probe:truncation")} <= generated
        assert {("r0", "great"), ("r0", "fair"), ("r0", "poor")} <= keys  # written ones too
        table = screen.query_one(AnswersTable)
        label = table.get_row(row_key_of(("r0", "probe:padding")))[0]
        assert "probe:padding" in str(label)
        padding = screen.data.run.answers[("r0", "probe:padding")]
        assert padding.kind == "probe:padding" and padding.text  # the text is shown
