"""Dataset checks before export: every problem at once, each with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricate.datasets import checks as dataset_checks
from rubricate.datasets.rft_rows import Rows
from rubricate.export.rft.prepare import RftOptions, prepare_rft
from tests.export.conftest import BALANCED_TRAIN, review_rows, write_jsonl


def _prepare(rubric: Path, train: Path, valid: Path, **extra) -> object:
    options = RftOptions(
        rubric=rubric,
        train=train,
        valid=valid,
        model="o4-mini-2025-04-16",
        out=train.parent / "out",
        runs_root=train.parent,
        **extra,
    )
    return prepare_rft(options)


def _errors(prepared) -> list[str]:
    return [p.format() for p in prepared.errors]


def test_clean_data_has_no_errors(sentiment: Path, datasets) -> None:
    train, valid = datasets(review_rows(BALANCED_TRAIN), review_rows(["positive", "negative"], 100))
    prepared = _prepare(sentiment, train, valid)
    assert prepared.errors == []
    assert len(prepared.train.rows) == 12 and len(prepared.valid.rows) == 2


def test_a_row_missing_a_template_variable(sentiment: Path, datasets) -> None:
    rows = review_rows(BALANCED_TRAIN)
    del rows[3]["review"]
    del rows[7]["review"]
    train, valid = datasets(rows, review_rows(["positive"], 100))
    errors = _errors(_prepare(sentiment, train, valid))
    matching = [e for e in errors if "item.review" in e]
    assert len(matching) == 1
    assert (
        f"template variable {{{{ item.review }}}}: 2 of 12 items in {train} lack it (lines 4, 8); "
        "add the field to every item or fix the name"
    ) in matching[0]
    assert matching[0].startswith(f"{sentiment}:")  # positioned at the {{ in the rubric


def test_train_valid_overlap_by_id_and_by_content(sentiment: Path, datasets) -> None:
    train_rows = review_rows(BALANCED_TRAIN)
    same_id = {**review_rows(["neutral"], 500)[0], "id": "r4"}
    same_content = {**train_rows[6], "id": "fresh"}
    train, valid = datasets(train_rows, [review_rows(["positive"], 100)[0], same_id, same_content])
    errors = _errors(_prepare(sentiment, train, valid))
    assert (
        f"{valid}:2: has id 'r4', like {train} line 5: a row may not be in both the training "
        "and the validation file (the validation reward would measure memorisation); remove it "
        "from one of them" in errors
    )
    assert any(e.startswith(f"{valid}:3: has the same content as {train} line 7:") for e in errors)
    assert len(errors) == 2


def test_the_same_file_as_train_and_valid_is_one_error(sentiment: Path, datasets) -> None:
    rows = review_rows(BALANCED_TRAIN)
    train, _ = datasets(rows, review_rows(["positive"], 100))
    errors = _errors(_prepare(sentiment, train, train))
    assert errors == [
        f"{train}:1: every one of its {len(rows)} rows is also in {train} (the same file "
        "twice?): the validation reward would measure memorisation; give --valid rows held out "
        "from training"
    ]


def test_duplicate_ids_in_one_file(sentiment: Path, datasets) -> None:
    rows = review_rows(BALANCED_TRAIN)
    rows[5]["id"] = "r1"
    train, valid = datasets(rows, review_rows(["positive"], 100))
    assert _errors(_prepare(sentiment, train, valid)) == [
        f"{train}:6: duplicate id 'r1' (first at line 2); ids must be unique within a file"
    ]


def test_too_few_training_rows_and_an_empty_validation_set(sentiment: Path, tmp_path: Path) -> None:
    train = write_jsonl(tmp_path / "train.jsonl", review_rows(["positive", "negative"]))
    valid = write_jsonl(
        tmp_path / "valid.jsonl", [{"id": "v", "messages": [{"role": "system", "content": "x"}]}]
    )
    errors = _errors(_prepare(sentiment, train, valid))
    assert (
        f"{train}: 2 usable rows; the fine-tuning API needs at least 10 training examples" in errors
    )
    assert f"{valid}: 0 usable rows; RFT needs a validation set of at least 1 row" in errors
    assert any(e.startswith(f"{valid}:1: messages[0]: RFT takes no system message") for e in errors)


def test_file_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataset_checks, "MAX_FILE_BYTES", 1000)
    train = Rows("t.jsonl", [{"id": str(i)} for i in range(10)], list(range(1, 11)))
    valid = Rows("v.jsonl", [{"id": "x"}], [1])
    problems = dataset_checks.size_problems(train, valid, {"t.jsonl": 2 * 2**20, "v.jsonl": 10})
    assert [p.format() for p in problems] == [
        "t.jsonl: the RFT file would be 2 MB; the Files API takes at most 512 MB per file: "
        "split or shorten the data"
    ]


def test_per_item_criteria_are_validated(per_item: Path, datasets) -> None:
    good = [
        {
            "id": f"m{i}",
            "task": f"Write memo {i}.",
            "rubric": [{"text": "Cites the lease", "weight": 1}],
        }
        for i in range(10)
    ]
    bad = {"id": "bad", "task": "Write.", "rubric": [{"text": "No weight"}]}
    missing = {"id": "none", "task": "Write."}
    train, valid = datasets([*good, bad], [missing])
    errors = _errors(_prepare(per_item, train, valid))
    assert any(e.startswith(f"{train}:11: rubric[0]") and "weight" in e for e in errors)
    assert any(
        "item_criteria names the item field 'rubric'" in e and str(valid) in e for e in errors
    )


def test_every_problem_is_reported_together(sentiment: Path, datasets) -> None:
    rows = review_rows(BALANCED_TRAIN)
    del rows[0]["review"]
    rows[2]["id"] = "r1"
    train, valid = datasets(rows, [rows[5]])
    prepared = _prepare(sentiment, train, valid, hyperparameters=["n_epochs=0"])
    rules = sorted(p.rule for p in prepared.errors)
    assert rules == [
        "duplicate-row-id",
        "hyperparameter",
        "train-valid-overlap",
        "unknown-template-variable",
    ]
