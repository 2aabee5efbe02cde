"""Reading a baseline run for review and what the review computes from it, without the UI,
on a run written by the real ``rubricate baseline`` (loopback server)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from rubricate.calibration.baseline.run_dir import (
    open_baseline_run,
    read_baseline_grades,
    run_kind,
)
from rubricate.calibration.run.directory import check_run_dir
from rubricate.cli import run as cli
from rubricate.errors import InputError
from rubricate.testing import FakeOpenAI
from rubricate.tui.review.baseline_data import build_baseline, filter_items, order_items
from rubricate.tui.review.baseline_matrix import ERROR_CELL, sample_matrix
from rubricate.tui.review.baseline_sample import sample_reasoning, sample_text
from tests.calibration.run_fixture import make_run
from tests.tui.baseline_fixture import (
    GOOD,
    REFUND_ITEMS,
    REFUND_SCRIPT,
    baseline_run,
    expected_items,
    refund_files,
)


@pytest.fixture
def refund_run(tmp_path: Path, fake_openai_env: FakeOpenAI) -> Path:
    """The refund rubric, cand-a and cand-b x 3 samples; cand-b's sample 1 on damaged refused."""
    rubric, items = refund_files(tmp_path)
    return baseline_run(fake_openai_env, rubric, items, tmp_path / "run", REFUND_SCRIPT)


def test_the_run_kind_comes_from_run_json(refund_run: Path, tmp_path: Path) -> None:
    assert run_kind(refund_run) == "baseline"
    check_run_dir(refund_run)  # `rubricate review` accepts it
    calibration = make_run(tmp_path / "calibration")
    assert run_kind(calibration) == "calibration"
    with pytest.raises(InputError, match="not a baseline run"):
        open_baseline_run(calibration)


def test_a_grades_table_without_the_sample_columns_is_refused(refund_run: Path) -> None:
    path = refund_run / "grades.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join(line.rsplit(",", 2)[0] for line in lines) + "\n", encoding="utf-8"
    )  # drop model and sample
    with pytest.raises(InputError) as caught:
        read_baseline_grades(path)
    assert str(path) in caught.value.msg and "model, sample" in caught.value.msg


def test_unscored_samples_are_left_out_of_every_figure(refund_run: Path) -> None:
    data = build_baseline(open_baseline_run(refund_run))
    assert data.models == ["cand-a", "cand-b"] and data.run.items == REFUND_ITEMS
    damaged = data.row("damaged")
    assert damaged is not None
    b = damaged.stats("cand-b")
    assert b is not None
    assert math.isnan(b.scores[1]) and b.errors[1] and b.errors[1].startswith("no sample")
    # HALF 0.5 and GOOD 1.0 scored: mean 0.75 over 2 (0.5 over 3 if the refusal were a 0)
    assert (b.n, b.mean, b.min, b.max, b.unscored) == (2, 0.75, 0.5, 1.0, 1)
    assert b.headroom == pytest.approx(0.25)
    a = damaged.stats("cand-a")
    assert a is not None and a.flat and not b.flat
    assert damaged.headroom == pytest.approx((0.0 + 0.25) / 2)
    assert data.signals["cand-b"]["status"] and data.summaries["cand-b"]["samples"] == 8
    ordered = order_items(data.rows, "headroom", data.run.items)
    assert [r.item_id for r in ordered] == [i for i, _ in expected_items(refund_run, REFUND_ITEMS)]
    assert [r.item_id for r in filter_items(data.rows, "unscored")] == ["damaged"]
    assert filter_items(data.rows, "flat") == []  # no item is flat for both models
    columns, rows = sample_matrix(data, "damaged")
    reward = rows[0]
    assert reward.criterion.id == "__total__"
    refused = [c.label for c in columns].index("B#1")
    assert reward.cells[refused] == ERROR_CELL and reward.means == (0.5, 0.75)
    assert all(row.cells[refused] == ERROR_CELL for row in rows)


def test_sample_texts_and_reasoning_come_from_the_records(refund_run: Path) -> None:
    run = open_baseline_run(refund_run)
    lines = run.sample_lines("damaged")
    assert sorted(lines) == [f"cand-{m}#{i}" for m in "ab" for i in range(3)]
    assert sample_text(lines["cand-b#2"]) == GOOD
    refused = lines["cand-b#1"]
    assert refused.text is None
    assert sample_text(refused).startswith("No sample: generation failed (refusal)")
    assert sample_reasoning(refused, {}, None).startswith("Nothing was graded")
    prompt = sample_text(lines["cand-b#2"], prompt=True)
    assert "refund request for order A-1" in prompt and prompt.endswith(GOOD)


def test_review_refuses_a_folder_that_is_no_run(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    (tmp_path / "empty").mkdir()
    assert cli(["review", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "not a calibration run directory" in err and "rubricate baseline" in err
