"""Judge vs experts on continuous scores: hand-computed figures and simulated judges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rubricate.calibration.stats.judge_experts import expert_comparison, score_agreement


def test_score_agreement_hand_computed() -> None:
    # diffs 0, -1, 0: MAE 1/3, bias -1/3
    result = score_agreement([1, 2, 3, np.nan], [1, 3, 3, 2], n_resamples=200)
    assert result.n_units == 3
    assert result.mae.estimate == pytest.approx(1 / 3)
    assert result.bias.estimate == pytest.approx(-1 / 3)
    assert result.spearman == pytest.approx(np.sqrt(3) / 2)  # ranks (1,2,3) vs (1,2.5,2.5)
    assert -1 <= result.icc2.value <= 1
    assert set(result.as_dict()) == {"n_units", "mae", "bias", "spearman", "pearson", "icc2"}


def _hand_table() -> tuple[pd.Series, pd.DataFrame]:
    experts = pd.DataFrame(
        {
            "unit": ["u1", "u1", "u2", "u2", "u3"],
            "rater": ["A", "B", "A", "B", "A"],
            "score": [1.0, 0.8, 0.5, 0.5, 0.0],
        }
    )
    judge = pd.Series({"u1": 0.9, "u2": 0.2, "u3": 0.1})
    return judge, experts


def test_expert_comparison_hand_computed() -> None:
    judge, experts = _hand_table()
    result = expert_comparison(judge, experts, n_resamples=200)
    rows = result.per_rater
    # A vs B on u1, u2 (u3 has no other expert): |1 - .8|, |.5 - .5| -> MAE 0.1, bias 0.1
    assert rows.loc["A", "n_units"] == 2
    assert rows.loc["A", ["mae", "bias"]].tolist() == pytest.approx([0.1, 0.1])
    assert rows.loc["B", ["mae", "bias"]].tolist() == pytest.approx([0.1, -0.1])
    # judge vs the consensus of all experts: u1 0.9 vs 0.9, u2 0.2 vs 0.5, u3 0.1 vs 0
    assert rows.loc["judge", "n_units"] == 3
    assert rows.loc["judge", ["mae", "bias"]].tolist() == pytest.approx([0.4 / 3, -0.2 / 3])
    # against A's references (B's scores) the judge errs 0.1 and 0.3 -> 0.2; same for B:
    # gap = mean(0.2 - 0.1, 0.2 - 0.1) = 0.1
    assert result.mae_gap.estimate == pytest.approx(0.1)
    assert result.judge_percentile == 0.0  # farther from consensus than both experts


@pytest.mark.parametrize(("noise", "verdict"), [(0.02, "closer"), (0.4, "farther")])
def test_gap_interval_separates_good_and_bad_judges(noise: float, verdict: str) -> None:
    rng = np.random.default_rng(3)
    truth = rng.random(80)
    experts = pd.DataFrame(
        [(f"u{u}", f"e{e}", truth[u] + rng.normal(0, 0.1)) for u in range(80) for e in range(3)],
        columns=["unit", "rater", "score"],
    )
    judge = pd.Series(truth + rng.normal(0, noise, 80), index=[f"u{u}" for u in range(80)])
    gap = expert_comparison(judge, experts, n_resamples=400).mae_gap
    if verdict == "closer":
        assert gap.high < 0
    else:
        assert gap.low > 0


def test_degenerate_inputs() -> None:
    empty = score_agreement([], [])
    assert empty.n_units == 0 and np.isnan(empty.mae.estimate)
    judge, experts = _hand_table()
    single = experts[experts["rater"] == "A"]
    result = expert_comparison(judge, single, n_resamples=50)
    assert np.isnan(result.mae_gap.estimate)  # one expert: no leave-one-out consensus
    assert result.per_rater.loc["A", "n_units"] == 0
    assert np.isnan(result.judge_percentile)
