"""HealthBench-style binary agreement on the real HealthBench meta-evaluation slice.

Reference figures: tests/data/healthbench_meta_slice/README.md ("Figures published for this
exact slice", from github.com/pariskang/Med-Bench-Arena): all pairs pooled into one 2 x 2 table.
- physician vs physician (ordered pairs i != j within an item): 282 pairs, raw agreement
  0.7446809, Cohen's kappa 0.4370009, balanced F1 0.7185004;
- LLM judge vs each physician label: 250 pairs, 0.736, 0.3937835, 0.6966912.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rubricate.calibration.stats.binary_agreement import (
    RANDOM_BASELINE_F1,
    agreement_from_table,
    judge_agreement,
    judge_percentile,
    pairwise_agreement,
    per_rater_agreement,
    random_baseline_f1,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "healthbench_meta_slice"
COLUMNS = {"unit": "item_id", "rater": "rater_id", "label": "criteria_met"}


@pytest.fixture(scope="module")
def long_csv() -> pd.DataFrame:
    return pd.read_csv(DATA / "healthbench_meta_120_long.csv")


@pytest.fixture(scope="module")
def physicians(long_csv: pd.DataFrame) -> pd.DataFrame:
    return long_csv[long_csv["rater_type"] == "physician"]


@pytest.fixture(scope="module")
def judge(long_csv: pd.DataFrame) -> pd.Series:
    rows = long_csv[long_csv["rater_type"] == "llm_judge"]
    return rows.set_index("item_id")["criteria_met"]


def test_physician_pairs_reproduce_the_published_figures(physicians: pd.DataFrame) -> None:
    result = pairwise_agreement(physicians, **COLUMNS)
    assert result.n_pairs == 282
    assert result.raw_agreement == pytest.approx(0.7446809, abs=1e-6)
    assert result.cohen_kappa == pytest.approx(0.4370009, abs=1e-6)
    assert result.balanced_f1 == pytest.approx(0.7185004, abs=1e-6)
    assert result.self_only == result.reference_only  # ordered pairs: a symmetric table


def test_judge_pairs_reproduce_the_published_figures(
    physicians: pd.DataFrame, judge: pd.Series
) -> None:
    result = judge_agreement(judge, physicians, **COLUMNS)
    assert result.n_pairs == 250
    assert result.raw_agreement == pytest.approx(0.736, abs=1e-6)
    assert result.cohen_kappa == pytest.approx(0.3937835, abs=1e-6)
    assert result.balanced_f1 == pytest.approx(0.6966912, abs=1e-6)


def test_the_jsonl_files_give_the_same_figures() -> None:
    rows, verdicts = [], {}
    for line in (DATA / "healthbench_meta_physician_labels_120.jsonl").read_text().splitlines():
        record = json.loads(line)
        for rater, label in zip(
            record["anonymized_physician_ids"], record["binary_labels"], strict=True
        ):
            rows.append({"unit": record["item_id"], "rater": rater, "label": label})
    for line in (DATA / "healthbench_meta_llm_judge_labels_120.jsonl").read_text().splitlines():
        record = json.loads(line)
        verdicts[record["item_id"]] = record["criteria_met"]
    labels = pd.DataFrame(rows)
    assert pairwise_agreement(labels).balanced_f1 == pytest.approx(0.7185004, abs=1e-6)
    assert judge_agreement(pd.Series(verdicts), labels).cohen_kappa == pytest.approx(
        0.3937835, abs=1e-6
    )


def test_per_rater_figures_add_up_to_the_pooled_table(
    physicians: pd.DataFrame, judge: pd.Series
) -> None:
    table = per_rater_agreement(physicians, judge, **COLUMNS)
    raters = table[~table["is_judge"]]
    assert len(raters) == physicians["rater_id"].nunique() == 107
    pooled = pairwise_agreement(physicians, **COLUMNS)
    cells = ["n_pairs", "both_met", "self_only", "reference_only", "neither"]
    assert raters[cells].sum().tolist() == [getattr(pooled, c) for c in cells]
    judge_row = table.loc["judge"]
    assert bool(judge_row["is_judge"])
    assert judge_row["balanced_f1"] == pytest.approx(0.6966912, abs=1e-6)
    percentile = judge_percentile(judge_row["balanced_f1"], raters["balanced_f1"])
    assert 0.0 <= percentile <= 100.0


def test_per_rater_hand_computed() -> None:
    # unit u1: A=1, B=1, C=0; unit u2: A=0, B=1
    # A's pairs: (1,B=1), (1,C=0), (0,B=1) -> TP 1, FP 1, FN 1, TN 0
    labels = pd.DataFrame(
        {"unit": ["u1", "u1", "u1", "u2", "u2"], "rater": list("ABCAB"), "label": [1, 1, 0, 0, 1]}
    )
    table = per_rater_agreement(labels)
    a = table.loc["A"]
    assert (a["both_met"], a["self_only"], a["reference_only"], a["neither"]) == (1, 1, 1, 0)
    assert a["f1_met"] == pytest.approx(2 / 4)  # 2 TP / (2 TP + FP + FN)
    assert a["f1_not_met"] == 0.0  # 2 TN / (2 TN + FP + FN) = 0 / 2
    c = table.loc["C"]  # C's pairs: (0, A=1), (0, B=1): FN 2
    assert c["reference_only"] == 2 and c["f1_met"] == 0.0


def test_table_figures_hand_computed() -> None:
    # TP 40, FP 10, FN 20, TN 30: agreement 0.7; p_self = 0.5, p_ref = 0.6
    # chance = 0.5*0.6 + 0.5*0.4 = 0.5 -> kappa = 0.4; F1 met = 80/110, not met = 60/90
    result = agreement_from_table(40, 10, 20, 30)
    assert result.raw_agreement == pytest.approx(0.7)
    assert result.cohen_kappa == pytest.approx(0.4)
    assert result.balanced_f1 == pytest.approx((80 / 110 + 60 / 90) / 2)
    empty = agreement_from_table(0, 0, 0, 0)
    assert empty.n_pairs == 0 and np.isnan(empty.raw_agreement) and np.isnan(empty.balanced_f1)


def test_percentile_and_random_baseline() -> None:
    assert judge_percentile(0.7, [0.5, 0.6, 0.7, 0.8, np.nan]) == pytest.approx(62.5)
    assert np.isnan(judge_percentile(0.7, [np.nan]))
    assert random_baseline_f1() == RANDOM_BASELINE_F1 == 0.5
    # p = 0.3, q = 0.5: F1 met = 0.3 / 0.8, F1 not met = 0.7 / 1.2
    assert random_baseline_f1(0.3) == pytest.approx((0.3 / 0.8 + 0.7 / 1.2) / 2)


def test_bad_labels() -> None:
    twice = pd.DataFrame({"unit": ["u", "u"], "rater": ["A", "A"], "label": [1, 0]})
    with pytest.raises(ValueError, match="more than once"):
        pairwise_agreement(twice)
    graded = pd.DataFrame({"unit": ["u", "u"], "rater": ["A", "B"], "label": [1, 2]})
    with pytest.raises(ValueError, match="0/1"):
        pairwise_agreement(graded)
    with pytest.raises(ValueError, match="lack column"):
        pairwise_agreement(graded.rename(columns={"label": "verdict"}))
