"""Field edits change only their own lines; weights normalise without changing scores."""

from __future__ import annotations

import math
import random
import re
from fractions import Fraction
from pathlib import Path

import pytest

from rubricate.rubrics import yamlio
from rubricate.rubrics.edit import EditError, criterion_rows, normalise_weights, set_field
from rubricate.rubrics.edit.values import fold_positions, parse_check, parse_levels
from rubricate.rubrics.loader import parse_rubric
from rubricate.rubrics.model import Rubric
from rubricate.rubrics.scoring import score
from tests.rubrics.edit_fixtures import COMMENTED, changed_lines

TAX = Path(__file__).parents[2] / "examples" / "accordance_tax" / "rubric.yaml"


def test_weight_is_written_as_typed_on_its_own_line() -> None:
    edit = set_field(COMMENTED, (0,), "weight", "0.10")
    assert changed_lines(COMMENTED, edit.text) == (["    weight: 0.3"], ["    weight: 0.10"])
    assert edit.label == "set weight of amount"


def test_a_weight_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(EditError, match="weight must be a number"):
        set_field(COMMENTED, (0,), "weight", "high")


def test_unchanged_value_returns_the_same_text() -> None:
    assert set_field(COMMENTED, (0,), "weight", "0.3").text == COMMENTED


def test_short_text_stays_plain_and_keeps_the_eol_comment_of_the_id() -> None:
    edit = set_field(COMMENTED, (0,), "text", "States the refund of $120.")
    removed, added = changed_lines(COMMENTED, edit.text)
    assert removed == ["    text: States the refund amount of $120."]
    assert added == ["    text: States the refund of $120."]


def test_long_text_is_folded_at_the_line_width() -> None:
    long = "Says the order is within the 30-day window " + "and cites the policy " * 5
    edit = set_field(COMMENTED, (1, 0), "text", long)
    lines = edit.text.splitlines()
    start = lines.index("        text: >-")
    assert all(len(line) <= 92 for line in lines[start : start + 4])
    assert parse_rubric(edit.text).rubric.criteria[1].children[0].text == long.strip()


def test_folded_text_stays_folded() -> None:
    edit = set_field(COMMENTED, (2,), "text", "Courteous.")
    assert "    text: >-\n      Courteous.\n" in edit.text


def test_multi_paragraph_text_becomes_a_literal_block() -> None:
    edit = set_field(COMMENTED, (2,), "text", "First.\n\nSecond.")
    assert parse_rubric(edit.text).rubric.criteria[2].text == "First.\n\nSecond."


def test_clearing_text_of_a_checked_criterion_removes_the_line() -> None:
    edit = set_field(COMMENTED, (0,), "text", "  ")
    assert changed_lines(COMMENTED, edit.text) == (
        ["    text: States the refund amount of $120."],
        [],
    )
    assert parse_rubric(edit.text).rubric.criteria[0].kind == "check"


def test_levels_are_added_after_the_weight() -> None:
    edit = set_field(COMMENTED, (2,), "levels", "0: rude\n1: neutral\n2: courteous")
    removed, added = changed_lines(COMMENTED, edit.text)
    assert removed == []
    assert added == ["    levels:", "      0: rude", "      1: neutral", "      2: courteous"]
    assert edit.text.index("weight: 0.2\n    levels:") > 0
    assert parse_rubric(edit.text).rubric.criteria[2].levels == {
        0: "rude",
        1: "neutral",
        2: "courteous",
    }


def test_levels_replace_a_flow_mapping_in_place() -> None:
    edit = set_field(COMMENTED, (1, 1), "levels", "0: absent\n1: complete")
    assert parse_rubric(edit.text).rubric.criteria[1].children[1].levels == {
        0: "absent",
        1: "complete",
    }
    assert "      # a child with levels" in edit.text


@pytest.mark.parametrize("typed", ["0 absent", "zero: absent", "0: a\n0: b"])
def test_bad_levels_are_refused(typed: str) -> None:
    with pytest.raises(EditError, match="levels line"):
        parse_levels(typed)


def test_check_from_one_line_is_a_flow_mapping_and_removal_takes_its_line() -> None:
    edit = set_field(COMMENTED, (2,), "check", 'contains: "thank you"')
    assert '    check: {contains: "thank you"}' in edit.text or (
        "    check: {contains: thank you}" in edit.text
    )
    cleared = set_field(edit.text, (2,), "check", "")
    assert cleared.text == COMMENTED


def test_check_that_is_not_yaml_or_not_a_mapping_is_refused() -> None:
    with pytest.raises(EditError, match="not valid YAML"):
        parse_check("{numbers: [")
    with pytest.raises(EditError, match="mapping"):
        parse_check("- a\n- b")


def test_rename_updates_example_verdicts() -> None:
    edit = set_field(COMMENTED, (1, 0), "id", "within-window")
    rubric = parse_rubric(edit.text).rubric
    assert rubric.criteria[1].children[0].id == "within-window"
    assert "within-window" in rubric.examples[0].verdicts
    assert "# the amount owed" in edit.text


def test_id_and_weight_cannot_be_cleared() -> None:
    with pytest.raises(EditError, match="cannot be empty"):
        set_field(COMMENTED, (0,), "id", "")
    with pytest.raises(EditError, match="weight must be a number"):
        set_field(COMMENTED, (0,), "weight", "")


def test_fold_positions_break_only_single_spaces_within_width() -> None:
    text = "word " * 40 + "end"
    positions = fold_positions(text.strip(), first_col=10, width=50)
    assert positions
    assert all(text[p] == " " for p in positions)
    starts = [0, *(p + 1 for p in positions), len(text.strip()) + 1]
    assert all(b - a - 1 <= 40 for a, b in zip(starts, starts[1:], strict=False))


def test_normalise_keeps_scores_and_sums_to_one() -> None:
    text = (
        COMMENTED.replace("weight: 0.3", "weight: 3")
        .replace("weight: 0.5\n    children", "weight: 5\n    children")
        .replace("weight: 0.2", "weight: 2")
        .replace("weight: -0.1", "weight: -1")
        .replace("weight: 0.5\n      # a", "weight: 3\n      # a")
    )
    before = parse_rubric(text).rubric
    edit = normalise_weights(text)
    after = parse_rubric(edit.text).rubric
    rows = criterion_rows(yamlio.parse_yaml(edit.text))
    top = [r.weight for r in rows if len(r.path) == 1 and r.weight > 0]
    assert math.isclose(sum(top), 1.0, abs_tol=1e-12)
    assert [r.weight_text for r in rows if len(r.path) == 1] == ["0.3", "0.5", "0.2", "-0.1"]
    verdicts = {"amount": True, "window": False, "steps": 1, "tone": True, "invents": True}
    assert score(after, verdicts) == pytest.approx(score(before, verdicts), abs=1e-3)
    removed, _ = changed_lines(text, edit.text)
    assert all("weight" in line for line in removed)


def test_normalise_when_already_normal_changes_nothing() -> None:
    assert normalise_weights(COMMENTED).text == COMMENTED


def _three_equal() -> str:
    return "rubric: 1\nid: x\ntitle: X\ncriteria:\n" + "".join(
        f"  - id: c{i}\n    text: T\n    weight: 1\n" for i in range(3)
    )


def test_three_equal_weights_stay_equal_and_scores_are_unchanged() -> None:
    """1/3 has no finite decimal: the weights stay equal (0.3333 each, not 0.3334 for one of
    them) and sum to 0.9999; scores divide by that sum, so none changes, and normalising
    again changes nothing and says why."""
    edit = normalise_weights(_three_equal())
    weights = [c.weight for c in parse_rubric(edit.text).rubric.criteria]
    assert weights == [0.3333, 0.3333, 0.3333]
    assert edit.note == (
        "scores are unchanged; the top level sums to 0.9999 to keep its equal weights equal"
    )
    again = normalise_weights(edit.text)
    assert again.text == edit.text and again.label == ""
    assert again.note.startswith("every list of weights is already normalised")


def _verdict_sets(rubric: Rubric, count: int, seed: int) -> list[dict[str, bool | int]]:
    """``count`` random verdicts for every leaf (seeded): met or not, or a level."""
    rng = random.Random(seed)
    sets = []
    for _ in range(count):
        verdicts: dict[str, bool | int] = {}
        for leaf in rubric.leaves():
            if leaf.levels:
                verdicts[leaf.id] = rng.choice(sorted(leaf.levels))
            else:
                verdicts[leaf.id] = rng.random() < 0.5
        sets.append(verdicts)
    return sets


def _tax_with(weight: str) -> str:
    """The tax rubric with annual-allocation's weight 0.10 replaced by ``weight``."""
    text = TAX.read_text(encoding="utf-8")
    at = text.index("weight: 0.10", text.index("id: annual-allocation"))
    return text[:at] + f"weight: {weight}" + text[at + len("weight: 0.10") :]


def test_two_equal_weights_stay_equal_and_the_note_bounds_how_far_scores_move() -> None:
    """The tax rubric with annual-allocation at 0.15 beside ordinary-income's 0.15: the
    shares are k/21, which never end. The two 0.15 weights stay equal (they became 0.1431
    and 0.1429 while the editor said "scores are unchanged"); the list sums to 1; the note
    bounds the score change, and 3,000 verdict sets (seeded) never move by more."""
    text = _tax_with("0.15")
    before = parse_rubric(text).rubric
    edit = normalise_weights(text)
    after = parse_rubric(edit.text).rubric
    weight = {c.id: c.weight for c in after.criteria}
    assert weight["annual-allocation"] == weight["ordinary-income"]
    assert sum(Fraction(repr(w)) for w in weight.values() if w > 0) == 1
    assert "unchanged" not in edit.note
    found = re.search(r"at most ([0-9.]+)", edit.note)
    assert found is not None
    bound = float(found.group(1))
    moved = max(
        abs(score(after, v) - score(before, v)) for v in _verdict_sets(before, 3000, seed=14)
    )
    assert 0 < moved <= bound < 0.001


def test_shares_with_short_decimals_are_written_exactly_and_no_score_moves() -> None:
    """0.35 for 0.10 puts the positive sum at 1.25: every share ends (0.35 / 1.25 = 0.28),
    so the weights are exact and no score moves."""
    text = _tax_with("0.35")
    before = parse_rubric(text).rubric
    edit = normalise_weights(text)
    after = parse_rubric(edit.text).rubric
    assert edit.note == "scores are unchanged"
    assert {c.id: c.weight for c in after.criteria}["annual-allocation"] == 0.28
    for verdicts in _verdict_sets(before, 500, seed=15):
        assert score(after, verdicts) == pytest.approx(score(before, verdicts), abs=1e-12)
