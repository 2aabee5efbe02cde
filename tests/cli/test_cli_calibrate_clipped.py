"""A judge that answers outside the criterion's range: clipped, flagged, counted, shown.

The platform clips a ``score_model`` result to its ``range`` and trains on it; a judge that
replies 7.5 on a 0/1 criterion did not answer on the scale it was given. Before, 7.5 became
1.0 and counted as scored, and "clip" appeared nowhere in the report. Now each such result is
flagged ``model_grader_clipped``, unscored (left out of every statistic), and counted in the
Markdown, HTML and JSON reports and the terminal summary; ``--score-clipped`` counts them as
scored at the clipped value instead, and says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.cli import run
from rubricate.testing import FakeOpenAI

TAX = Path(__file__).resolve().parents[2] / "examples" / "accordance_tax"


def _calibrate(out: Path, *extra: str) -> int:
    return run(["calibrate", str(TAX / "rubric.yaml"), "--set", str(TAX / "calibration.jsonl"),
                "--out", str(out), "--repeats", "1", "--no-figures",
                "--store", str(out.parent / "calls.sqlite"), *extra])  # fmt: skip


@pytest.mark.parametrize("score_clipped", [False, True])
def test_clipped_judge_results_are_counted_in_every_report(
    score_clipped: bool, fake_openai_env: FakeOpenAI, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    fake_openai_env.policy.scores = (7.5, 0.0)  # met -> 7.5 on a 0/1 criterion
    fake_openai_env.policy.verdict = lambda request: "ownership" in str(request.body)
    out = tmp_path / "run"
    # unscored clipped rows are over --max-unscored's 2%: the run is kept, exit 1
    code = _calibrate(out, *(["--score-clipped"] if score_clipped else []))
    assert code == (0 if score_clipped else 1)
    text = capsys.readouterr().out
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    clipped = report["clipped"]
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    flagged = [r for r in records if r["record"]["metadata"]["errors"]["model_grader_clipped"]]
    replies = sum(len(r["record"]["clipped"]) for r in records)
    assert flagged and replies == clipped["replies"] > 0
    assert clipped["counted_as_scored"] is score_clipped
    assert all(r["record"]["scored"] is score_clipped for r in flagged)
    assert f"results outside their range (clipped): {clipped['replies']}" in text
    markdown = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"{clipped['replies']} judge results fell outside the criterion's range" in markdown
    assert "fell outside the criterion" in html and "model_grader_clipped" in html
    unscored = report["unscored"]["unscored"]
    if score_clipped:
        assert "counted as scored at the clipped value" in markdown
        assert unscored == 0
    else:
        assert "left out of every statistic as unscored" in markdown
        assert unscored >= clipped["replies"]
        # every clipped criterion row is left out: no criterion mean holds a 7.5 or a 1.0
        # that the judge never meant
        per = {r["criterion"]: r["rows"] for r in clipped["per_criterion"]}
        counts = {r["criterion"]: r["n_unscored"] for r in report["unscored"]["per_criterion"]}
        assert all(counts[c] >= n for c, n in per.items())


def test_a_judge_within_its_range_reports_none_clipped(
    fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert _calibrate(out) == 0
    assert "(clipped): 0" in capsys.readouterr().out
    assert json.loads((out / "report.json").read_text())["clipped"]["replies"] == 0
    assert "none was clipped" in (out / "report.md").read_text(encoding="utf-8")
