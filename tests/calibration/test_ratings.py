"""Loading ratings CSVs (long / wide) and calibration expert grades, with line-exact errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rubricate.calibration.grades_table import TOTAL
from rubricate.calibration.inputs.ratings import (
    parse_expert_grades_csv,
    parse_ratings_csv,
    read_expert_grades_csv,
    read_ratings_csv,
)
from rubricate.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "healthbench_meta_slice"


def test_long_layout_detected_and_extra_columns_ignored() -> None:
    text = "Unit, Rater ,score,notes\nu1,ann,3,ok\nu1,bob,4,\nu2,ann,,skipped\nu2,bob,2,x\n"
    ratings = parse_ratings_csv(text)
    assert ratings.layout == "long" and ratings.n_missing == 1
    assert ratings.long.to_dict("list") == {
        "unit": ["u1", "u1", "u2"],
        "rater": ["ann", "bob", "bob"],
        "score": [3.0, 4.0, 2.0],
    }
    matrix = ratings.matrix()
    assert list(matrix.index) == ["u1", "u2"] and list(matrix.columns) == ["ann", "bob"]
    assert np.isnan(matrix.loc["u2", "ann"])


def test_wide_layout_first_column_is_the_unit() -> None:
    text = "answer,alice,bob,carol\na1,1,2,\na2,true,false,1\n\na3,0.5,NA,1\n"
    ratings = parse_ratings_csv(text)
    assert ratings.layout == "wide" and ratings.n_missing == 2
    matrix = ratings.matrix()
    assert matrix.shape == (3, 3)
    assert matrix.loc["a2"].tolist() == [1.0, 0.0, 1.0]


def test_layout_can_be_forced() -> None:
    text = "unit,rater,score\nu1,1,2\n"  # a wide file whose raters happen to be named so
    assert parse_ratings_csv(text, layout="wide").long["rater"].tolist() == ["rater", "score"]
    with pytest.raises(InputError, match="needs a unit, a rater and a score column"):
        parse_ratings_csv("unit,a,b\nu1,1,2\n", layout="long")


def test_filters_on_the_healthbench_file() -> None:
    ratings = read_ratings_csv(
        DATA / "healthbench_meta_120_long.csv", filters={"rater_type": "physician"}
    )
    assert ratings.layout == "long"
    assert len(ratings.long) == 250
    assert ratings.long["unit"].nunique() == 120 and ratings.long["rater"].nunique() == 107
    with pytest.raises(InputError, match="no such column"):
        read_ratings_csv(DATA / "healthbench_meta_120_long.csv", filters={"kind": "x"})


BAD_RATINGS = [
    ("", ["empty", "header"]),
    ("unit,rater,score\nu1,a,3\nu1,a,4\n", [":3:", "twice", "first on line 2"]),
    ("unit,rater,score\nu1,a,3\nu2,b,high\n", [":3:", "column 'score'", "'high'", "number"]),
    ("unit,rater,score\nu1,a,3,7\n", [":2:", "expected 3 fields", "found 4"]),
    ("unit,rater,score\nu1,,3\n", [":2:", "rater id is empty"]),
    ("unit,a,a\nu1,1,2\n", [":1:", "'a' appears twice"]),
    ("unit,a\nu1,\nu2,\n", ["no ratings"]),
    ("units\nu1\n", ["wide", "one column per rater"]),
    ("unit,a,b\nu1,1,inf\n", [":2:", "'inf'"]),
    ('unit,a,b\nu1,"1,2\n', [":2:", "expected 3 fields"]),  # unterminated quote
]


@pytest.mark.parametrize(("text", "words"), BAD_RATINGS)
def test_bad_ratings_name_the_line_and_field(text: str, words: list[str]) -> None:
    with pytest.raises(InputError) as caught:
        parse_ratings_csv(text, source="r.csv")
    message = str(caught.value)
    assert message.startswith("r.csv")
    assert "\n" not in message
    for word in words:
        assert word in message


def test_missing_file_and_filters_on_wide() -> None:
    with pytest.raises(InputError, match="no such ratings CSV file"):
        read_ratings_csv("/nonexistent/ratings.csv")
    with pytest.raises(InputError, match="filters apply to long files"):
        parse_ratings_csv("unit,a\nu1,1\n", filters={"a": "1"})


def test_expert_grades() -> None:
    text = (
        "item_id,answer_id,expert,criterion_id,score,comment\n"
        "t1,great,ann,,0.9,overall\n"
        "t1,great,ann,ownership,1,\n"
        "t1,great,bob,ownership,,not graded\n"
        "t1,poor,bob,,0.2,\n"
    )
    grades = parse_expert_grades_csv(text)
    assert grades.columns.tolist() == ["item_id", "answer_id", "expert", "criterion", "score"]
    assert grades["criterion"].tolist() == [TOTAL, "ownership", TOTAL]
    assert grades["score"].tolist() == [0.9, 1.0, 0.2]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("item_id,answer_id,score\n", ["missing column(s) expert, criterion_id"]),
        ("item_id,answer_id,expert,criterion_id,score\nt1,,ann,,1\n", [":2:", "answer_id"]),
        (
            "item_id,answer_id,expert,criterion_id,score\nt1,a,ann,,1\nt1,a,ann,,0.5\n",
            [":3:", "twice", "first on line 2"],
        ),
        ("item_id,answer_id,expert,criterion_id,score\nt1,a,ann,c,yes\n", [":2:", "'yes'"]),
    ],
)
def test_bad_expert_grades(text: str, words: list[str]) -> None:
    with pytest.raises(InputError) as caught:
        parse_expert_grades_csv(text, source="experts.csv")
    for word in words:
        assert word in str(caught.value)


def test_read_expert_grades_file(tmp_path: Path) -> None:
    path = tmp_path / "experts.csv"
    path.write_text("item_id,answer_id,expert,criterion_id,score\nt1,a,ann,,1\n", encoding="utf-8")
    assert read_expert_grades_csv(path)["criterion"].tolist() == [TOTAL]
