"""Label tasks: detection, the skew warning, unseen labels, deterministic balancing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rubricate.datasets import labels
from rubricate.export.rft.prepare import RftOptions, prepare_rft
from rubricate.rubrics.loader import parse_rubric
from tests.export.conftest import SENTIMENT, review_rows


def test_label_fields_from_checks_and_string_check_graders() -> None:
    rubric = parse_rubric(SENTIMENT, "r.yaml").rubric
    grader = {
        "type": "multi",
        "graders": {
            "a": {
                "type": "string_check",
                "input": "{{ sample.output_text }}",
                "reference": "{{ item.gold }}",
            },
            "b": {
                "type": "string_check",
                "input": "{{ sample.output_text }}",
                "reference": "x {{ item.no }}",
            },
        },
    }
    assert labels.label_fields(rubric, grader) == ["gold", "label"]


def test_skew_warning_names_the_share_and_the_shortcut() -> None:
    counts = Counter({"positive": 9, "negative": 2, "neutral": 1})
    problem = labels.skew_problem("train.jsonl", "label", counts)
    assert problem is not None and problem.severity == "warning"
    assert problem.format() == (
        "train.jsonl: label field 'label' is skewed: 9 of 12 training rows (75%) are "
        "'positive', so always answering it already earns a mean reward of about 0.75 (the "
        "threshold is 60%); the model can learn that shortcut instead of the task; rebalance "
        "with `--balance label` or add rows of the other classes"
    )


def test_no_warning_below_the_threshold_or_for_free_text() -> None:
    assert labels.skew_problem("t", "label", Counter({"a": 7, "b": 5})) is None  # 58 %
    assert labels.skew_problem("t", "label", Counter({"a": 6, "b": 4})) is not None  # 60 %
    assert labels.skew_problem("t", "passages", Counter({str(i): 1 for i in range(10)})) is None
    assert labels.skew_problem("t", "label", Counter()) is None


def test_list_labels_are_classes_as_sets() -> None:
    assert labels.class_of(["b", "a", "a"]) == labels.class_of(["a", "b"]) == '["a", "b"]'
    assert labels.class_of(3) == "3" and labels.class_of("3") == "3"


def test_balance_undersamples_deterministically() -> None:
    items = review_rows(["pos"] * 8 + ["neg"] * 3 + ["neu"] * 4)
    first = labels.balance(items, "label", seed=7)
    assert first == labels.balance(items, "label", seed=7)
    assert first.keep == sorted(first.keep)
    kept = Counter(items[i]["label"] for i in first.keep)
    assert kept == Counter({"pos": 3, "neg": 3, "neu": 3})
    assert first.report("label") == {
        "field": "label",
        "method": "undersample",
        "seed": 7,
        "before": {"neg": 3, "neu": 4, "pos": 8},
        "after": {"neg": 3, "neu": 3, "pos": 3},
        "dropped": 6,
    }
    other = labels.balance(items, "label", seed=8)
    assert sorted(Counter(items[i]["label"] for i in other.keep).values()) == [3, 3, 3]
    assert labels.balance(items[:3], "label").keep == [0, 1, 2]  # one class: nothing dropped


def _prepare(rubric: Path, train: list, valid: list, tmp_path: Path, **extra):
    from tests.export.conftest import write_jsonl

    options = RftOptions(
        rubric=rubric,
        train=write_jsonl(tmp_path / "train.jsonl", train),
        valid=write_jsonl(tmp_path / "valid.jsonl", valid),
        model="o4-mini-2025-04-16",
        out=tmp_path / "out",
        runs_root=tmp_path,
        **extra,
    )
    return prepare_rft(options)


def test_a_skewed_label_set_warns_and_balance_fixes_it(sentiment: Path, tmp_path: Path) -> None:
    train = review_rows(["positive"] * 14 + ["negative"] * 3 + ["neutral"] * 3)
    valid = review_rows(["positive", "negative"], 100)
    prepared = _prepare(sentiment, train, valid, tmp_path)
    skew = [p for p in prepared.warnings if p.rule == "label-skew"]
    assert len(skew) == 1 and "14 of 20 training rows (70%) are 'positive'" in skew[0].message
    assert prepared.errors == []  # a warning, not an error
    assert prepared.manifest["labels"] == {"label": {"positive": 14, "negative": 3, "neutral": 3}}

    balanced = _prepare(sentiment, train, valid, tmp_path, balance="label", seed=3)
    assert not [p for p in balanced.warnings if p.rule == "label-skew"]
    assert Counter(r["label"] for r in balanced.train.rows) == Counter(
        {"positive": 3, "negative": 3, "neutral": 3}
    )
    assert balanced.manifest["balance"]["dropped"] == 11
    # 9 rows left: below the platform's minimum of 10, which is reported, not hidden
    assert [p.rule for p in balanced.errors] == ["size-limit"]


def test_validation_labels_never_seen_in_training(sentiment: Path, tmp_path: Path) -> None:
    train = review_rows(["positive", "negative"] * 6)
    valid = review_rows(["neutral", "positive"], 100)
    prepared = _prepare(sentiment, train, valid, tmp_path)
    unseen = [p for p in prepared.warnings if p.rule == "label-unseen"]
    assert [p.format() for p in unseen] == [
        f"{tmp_path / 'valid.jsonl'}:1: label field 'label': 1 validation rows have a label no "
        "training row has (line 1); the model is never rewarded for it in training"
    ]
