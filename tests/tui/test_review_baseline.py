"""The review on baseline runs written by the real ``rubricate baseline`` (loopback server):
items in headroom order, the samples side by side with their grades, unscored samples shown
as errors (never 0), the narrow layout, and what ``g`` says on a baseline run.

Expected values are recomputed in the test from the run's own ``grades.csv`` with pandas.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import Static, TextArea

from rubricate.testing import FakeOpenAI
from rubricate.tui.review.app import ReviewApp
from rubricate.tui.review.baseline_screen import NO_GRADING, BaselineScreen
from rubricate.tui.review.baseline_tables import (
    UNSCORED_MARK,
    ItemsTable,
    SampleMatrix,
    row_key_of,
)
from tests.tui.baseline_fixture import (
    REFUND_ITEMS,
    REFUND_SCRIPT,
    TAX,
    TAX_SCRIPT,
    baseline_run,
    expected_items,
    headline_rewards,
    refund_files,
)
from tests.tui.conftest import SIZE
from tests.tui.helpers import baseline_ready

TAX_ITEMS = ["memo-to-shareholders", "preparer-workpaper", "client-email"]  # the file's order


def plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def row_cells(table: ItemsTable | SampleMatrix, key: str) -> list[str]:
    return [plain(c) for c in table.get_row(key)]


def static_text(screen: BaselineScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


@pytest.fixture
def tax_run(tmp_path: Path, fake_openai_env: FakeOpenAI) -> Path:
    """accordance_tax, two models x 3 samples; cand-b's sample 1 on the memo is refused."""
    return baseline_run(
        fake_openai_env, TAX / "rubric.yaml", TAX / "items.jsonl", tmp_path / "run", TAX_SCRIPT
    )


@pytest.fixture
def refund_one_model(tmp_path: Path, fake_openai_env: FakeOpenAI) -> Path:
    rubric, items = refund_files(tmp_path)
    script = {"cand-a": REFUND_SCRIPT["cand-a"]}
    return baseline_run(fake_openai_env, rubric, items, tmp_path / "run", script)


async def test_items_appear_in_headroom_order_with_each_models_figures(tax_run: Path) -> None:
    expected = expected_items(tax_run, TAX_ITEMS)
    assert [item for item, _ in expected] != TAX_ITEMS  # the order is the headroom's
    rewards = headline_rewards(tax_run)
    async with ReviewApp(tax_run).run_test(size=SIZE) as pilot:
        screen = await baseline_ready(pilot)
        assert isinstance(screen, BaselineScreen)
        table = screen.items
        keys = [row.key.value for row in table.ordered_rows]
        headers = [k.removeprefix("item:") for k in keys if k.startswith("item:")]
        assert headers == [item for item, _ in expected]
        for item, headroom in expected:
            assert row_cells(table, row_key_of(item, None))[1] == f"{headroom:.2f}"
        for (item, model), scores in rewards.groupby(["item_id", "model"])["score"]:
            cells = row_cells(table, row_key_of(item, model))
            sd = f"{scores.std(ddof=1):.2f}" if len(scores) > 1 else "—"
            assert cells[1:6] == [
                f"{scores.max() - scores.mean():.2f}",
                f"{scores.mean():.2f}",
                f"{scores.max():.2f}",
                f"{scores.min():.2f}",
                sd,
            ], (item, model)
        summary = static_text(screen, "#summary")
        assert "highest headroom first" in summary and "1 unscored sample (not 0)" in summary


async def test_enter_shows_the_samples_side_by_side_with_their_rewards(tax_run: Path) -> None:
    rewards = headline_rewards(tax_run).set_index(["item_id", "model", "sample"])["score"]
    first = expected_items(tax_run, TAX_ITEMS)[0][0]
    async with ReviewApp(tax_run).run_test(size=SIZE) as pilot:
        screen = await baseline_ready(pilot)
        await pilot.press("enter")
        await baseline_ready(pilot)
        assert not screen.items.display  # the samples full width
        matrix = screen.query_one(SampleMatrix)
        labels = [plain(c.label) for c in matrix.ordered_columns]
        samples = ["A#0", "A#1", "A#2", "B#0", "B#1", "B#2"]
        assert labels == ["criterion", *samples, "A mean", "B mean"]
        reward = row_cells(matrix, "__total__")
        assert reward[0] == "reward"
        for index, (model, sample) in enumerate(
            (m, s) for m in ("cand-a", "cand-b") for s in range(3)
        ):
            assert reward[1 + index] == f"{rewards[(first, model, sample)]:.2f}"
        assert reward[7] == f"{rewards[first, 'cand-a'].mean():.2f}"
        rows = [row.key.value for row in matrix.ordered_rows]
        assert rows[0] == "__total__" and "distributions-tax-free" in rows
        await pilot.press("right", "right", "t")  # A#2, its text
        await baseline_ready(pilot)
        assert screen.query_one("#sample-text", TextArea).text == TAX_SCRIPT["cand-a"][first][2]
        header = static_text(screen, "#sample-header")
        assert f"cand-a sample #2 · reward {rewards[(first, 'cand-a', 2)]:.2f}" in header
        await pilot.press("escape")
        assert screen.items.display and screen.focused is screen.items


async def test_an_unscored_sample_shows_as_an_error_never_as_zero(tax_run: Path) -> None:
    memo = "memo-to-shareholders"
    rewards = headline_rewards(tax_run)
    scored_b = rewards[(rewards["item_id"] == memo) & (rewards["model"] == "cand-b")]
    assert sorted(scored_b["sample"]) == [0, 2]  # sample 1 was refused: no reward row
    async with ReviewApp(tax_run).run_test(size=SIZE) as pilot:
        screen = await baseline_ready(pilot)
        table = screen.items
        b_row = row_cells(table, row_key_of(memo, "cand-b"))
        assert b_row[3:5] == ["0.20", "0.20"]  # max and min of the two scored samples
        assert b_row[6][1] == UNSCORED_MARK and b_row[7] == "1"
        assert row_cells(table, row_key_of(memo, None))[7] == "1"
        table.move_cursor(row=table.get_row_index(row_key_of(memo, "cand-b")))
        await pilot.press("enter")
        await baseline_ready(pilot)
        matrix = screen.query_one(SampleMatrix)
        assert matrix.cursor_sample() is not None
        assert matrix.cursor_sample().label == "B#0"
        for row in matrix.ordered_rows:
            assert plain(matrix.get_row(row.key)[5]) == "err", row.key.value  # B#1
        reward = row_cells(matrix, "__total__")
        assert reward[4:7] == ["0.20", "err", "0.20"] and reward[8] == "0.20"
        await pilot.press("right")  # B#1
        await baseline_ready(pilot)
        assert "B#1: unscored (not 0): no sample: generation failed (refusal)" in static_text(
            screen, "#status"
        )
        await pilot.press("t")
        await baseline_ready(pilot)
        assert "UNSCORED (not 0)" in static_text(screen, "#sample-header")
        text = screen.query_one("#sample-text", TextArea).text
        assert text.startswith("No sample: generation failed (refusal)")
        assert "unscored, not 0" in text


async def test_the_grading_key_says_grading_is_for_calibration_runs(tax_run: Path) -> None:
    async with ReviewApp(tax_run).run_test(size=SIZE) as pilot:
        screen = await baseline_ready(pilot)
        await pilot.press("g")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert static_text(screen, "#status") == NO_GRADING


async def test_sort_and_filter(tax_run: Path) -> None:
    async with ReviewApp(tax_run).run_test(size=SIZE) as pilot:
        screen = await baseline_ready(pilot)
        await pilot.press("s", "s", "s")  # headroom -> spread -> mean -> items file order
        await baseline_ready(pilot)
        keys = [r.key.value for r in screen.items.ordered_rows if r.key.value.startswith("item:")]
        assert [k.removeprefix("item:") for k in keys] == TAX_ITEMS
        await pilot.press("f")  # items with an unscored sample
        await baseline_ready(pilot)
        keys = [r.key.value for r in screen.items.ordered_rows]
        assert keys == [row_key_of("memo-to-shareholders", m) for m in (None, "cand-a", "cand-b")]


async def test_at_80_by_24_the_list_and_the_tabs_take_turns(tax_run: Path) -> None:
    async with ReviewApp(tax_run).run_test(size=(80, 24)) as pilot:
        screen = await baseline_ready(pilot)
        tabs = screen.query_one("#tabs")
        assert screen.items.display and not tabs.display
        column = screen.items.columns[next(iter(screen.items.columns))]
        assert column.width >= len("memo-to-shareholders")  # ids are not cut
        await pilot.press("enter")
        await baseline_ready(pilot)
        assert tabs.display and not screen.items.display
        await pilot.press("escape")
        assert screen.items.display and not tabs.display


async def test_one_model_lists_one_row_per_item_and_shows_its_reasoning(
    refund_one_model: Path,
) -> None:
    expected = expected_items(refund_one_model, REFUND_ITEMS)
    async with ReviewApp(refund_one_model).run_test(size=SIZE) as pilot:
        screen = await baseline_ready(pilot)
        keys = [r.key.value for r in screen.items.ordered_rows]
        assert keys == [row_key_of(item, "") for item, _ in expected]  # no header rows
        await pilot.press("enter")
        await baseline_ready(pilot)
        matrix = screen.query_one(SampleMatrix)
        labels = [plain(c.label) for c in matrix.ordered_columns]
        assert labels == ["criterion", "#0", "#1", "#2", "mean"]
        first = expected[0][0]  # late-order: GOOD, NONE, HALF
        assert row_cells(matrix, "facts")[1:4] == ["✓", "✗", "✓"]
        assert row_cells(matrix, "amount")[1:4] == ["✓", "✗", "✗"]
        await pilot.press("down", "r")  # the facts criterion of sample #0
        await baseline_ready(pilot)
        reasoning = screen.query_one("#reasoning", TextArea).text
        assert first == "late-order" and "── sample 0 · facts → 1" in reasoning
