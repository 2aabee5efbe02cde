"""The harmless changes of ``--probe invariance``: pure rubric transformations."""

from __future__ import annotations

from pathlib import Path

from rubricate.calibration.invariance.changes import (
    harmless_changes,
    rename_ids,
    rescale_weights,
    reverse_criteria,
    reverse_examples,
    shuffle_criteria,
)
from rubricate.rubrics.compile import compile_exact
from rubricate.rubrics.lint import load_checked_rubric
from rubricate.rubrics.model import Rubric
from rubricate.rubrics.scoring import score

ROOT = Path(__file__).resolve().parents[3]
TAX = ROOT / "examples" / "accordance_tax" / "rubric.yaml"


def _tax() -> Rubric:
    return load_checked_rubric(TAX).rubric


def _small(n: int = 4, examples: int = 2) -> Rubric:
    return Rubric.model_validate({
        "rubric": 1, "id": "small", "title": "Small",
        "criteria": [{"id": f"k{i}", "text": f"Says {i}.", "weight": 0.1 * (i + 1)}
                     for i in range(n)],
        "examples": [{"tier": "great", "answer": f"example {j}",
                      "verdicts": {f"k{i}": True for i in range(n)}} for j in range(examples)],
    })  # fmt: skip


def _ids(rubric: Rubric) -> list[str]:
    return [c.id for _, c in rubric.walk()]


def test_reverse_turns_every_level_around_and_keeps_everything_else() -> None:
    rubric = _tax()
    changed = reverse_criteria(rubric)
    assert not isinstance(changed, str)
    assert [c.id for c in changed.rubric.criteria] == [c.id for c in reversed(rubric.criteria)]
    group = next(c for c in rubric.criteria if c.children)
    moved = next(c for c in changed.rubric.criteria if c.id == group.id)
    assert [c.id for c in moved.children or []] == [c.id for c in reversed(group.children or [])]
    # the same criteria (texts, weights, checks), only the order differs
    key = lambda r: sorted((c.id, c.text, c.weight, repr(c.check)) for _, c in r.walk())  # noqa: E731
    assert key(changed.rubric) == key(rubric)
    assert changed.ids == {i: i for i in _ids(rubric)}
    assert rubric.examples == changed.rubric.examples


def test_shuffle_is_seeded_and_a_single_criterion_cannot_change() -> None:
    rubric = _small(6)
    one, two = shuffle_criteria(rubric, 3), shuffle_criteria(rubric, 3)
    assert not isinstance(one, str) and not isinstance(two, str)
    assert _ids(one.rubric) == _ids(two.rubric) != _ids(rubric)
    assert sorted(_ids(one.rubric)) == sorted(_ids(rubric))
    other = shuffle_criteria(rubric, 4)
    assert not isinstance(other, str) and _ids(other.rubric) != _ids(one.rubric)
    single = _small(1)
    assert isinstance(reverse_criteria(single), str)
    assert "drew the written order" in str(shuffle_criteria(single, 0))


def test_examples_reverse_only_with_two_or_more() -> None:
    changed = reverse_examples(_small(2, examples=3))
    assert not isinstance(changed, str)
    assert [e.answer for e in changed.rubric.examples] == ["example 2", "example 1", "example 0"]
    assert "1 few-shot example" in str(reverse_examples(_small(2, examples=1)))


def test_rename_maps_every_id_and_the_examples_verdicts_follow() -> None:
    rubric = _tax()
    changed = rename_ids(rubric)
    assert not isinstance(changed, str)
    assert list(changed.ids) == _ids(rubric)
    assert _ids(changed.rubric) == list(changed.ids.values())
    assert _ids(changed.rubric)[:2] == ["c01", "c02"]
    for before, after in zip(rubric.examples, changed.rubric.examples, strict=True):
        assert after.verdicts == {changed.ids[k]: v for k, v in (before.verdicts or {}).items()}
    compile_exact(changed.rubric, "multi")  # the renamed rubric still compiles
    # an id the rubric already uses is skipped, never reused
    taken = Rubric.model_validate(
        {
            "rubric": 1,
            "id": "t",
            "title": "T",
            "criteria": [
                {"id": "c01", "text": "a", "weight": 1},
                {"id": "x", "text": "b", "weight": 1},
            ],
        }
    )
    renamed = rename_ids(taken)
    assert not isinstance(renamed, str) and renamed.ids == {"c01": "c02", "x": "c03"}


def test_rescaling_every_weight_leaves_the_normalised_reward_bit_for_bit() -> None:
    rubric = _tax()
    changed = rescale_weights(rubric)
    assert not isinstance(changed, str)
    weights = {c.id: c.weight for _, c in rubric.walk()}
    assert {c.id: c.weight for _, c in changed.rubric.walk()} == {
        k: 2 * w for k, w in weights.items()
    }
    leaves = rubric.leaves()
    for pattern in range(12):  # a spread of verdicts, penalties and levels included
        verdicts = {c.id: ((i + pattern) % 3 == 0) for i, c in enumerate(leaves)}
        assert score(changed.rubric, verdicts) == score(rubric, verdicts)


def test_every_change_is_listed_with_a_reason_when_it_does_not_apply() -> None:
    names = [name for name, _ in harmless_changes(_small(3, examples=0))]
    assert names == ["reverse", "shuffle", "examples", "rename", "rescale"]
    results = dict(harmless_changes(_small(3, examples=0)))
    assert isinstance(results["examples"], str)
    assert all(not isinstance(results[k], str) for k in ("reverse", "rename", "rescale"))


def test_paraphrased_texts_replace_only_judged_criteria() -> None:
    from rubricate.calibration.invariance.changes import paraphrase_texts

    rubric = _tax()
    judged = next(c for c in rubric.leaves() if c.is_judged)
    check = next(c for c in rubric.leaves() if c.kind == "check")
    changed = paraphrase_texts(rubric, {judged.id: "Reworded.", check.id: "Not a judge."})
    assert not isinstance(changed, str)
    after = {c.id: c for c in changed.rubric.leaves()}
    assert after[judged.id].text == "Reworded." and after[check.id].text == check.text
    assert isinstance(paraphrase_texts(rubric, {}), str)


def test_a_paraphrase_reply_is_parsed_or_fails_with_the_reason() -> None:
    from rubricate.calibration.invariance.paraphrase import parse_paraphrase

    assert parse_paraphrase('{"paraphrase": " Other words. "}', "Words.") == ("Other words.", None)
    assert parse_paraphrase("not json", "W")[1] == "the reply is not JSON"
    assert 'no "paraphrase"' in str(parse_paraphrase('{"result": 1}', "W")[1])
    assert parse_paraphrase('{"paraphrase": "W"}', "W")[1] == "the paraphrase is the original text"
    assert parse_paraphrase(None, "W")[1] == "no reply text"
