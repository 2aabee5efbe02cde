"""ICC against Shrout & Fleiss (1979) and the R package psych / pingouin.

Source: P. E. Shrout and J. L. Fleiss (1979), Psychological Bulletin 86(2), 420-428: Table 2
(6 targets x 4 judges), Table 3 (ANOVA: BMS 11.24, WMS 6.26, JMS 32.49, EMS 1.02) and Table 4
(ICC(1,1) .17, ICC(2,1) .29, ICC(3,1) .71, ICC(1,4) .44, ICC(2,4) .62, ICC(3,4) .91).
95 % intervals as printed by R's psych::ICC on the same data (asserted to 2 decimals by
pingouin's tests/test_reliability.py): lower [-.13, .02, .34, -.88, .07, .68],
upper [.72, .76, .95, .91, .93, .99].
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from rubricate.calibration.stats.icc import ICC_FORMS, icc, icc_oneway, mean_squares

SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)
PUBLISHED_ICC = dict(zip(ICC_FORMS, [0.17, 0.29, 0.71, 0.44, 0.62, 0.91], strict=True))
PSYCH_LOWER = dict(zip(ICC_FORMS, [-0.13, 0.02, 0.34, -0.88, 0.07, 0.68], strict=True))
PSYCH_UPPER = dict(zip(ICC_FORMS, [0.72, 0.76, 0.95, 0.91, 0.93, 0.99], strict=True))


def test_mean_squares_match_table_3() -> None:
    bms, wms, jms, ems = mean_squares(SHROUT_FLEISS)
    assert (bms, wms, jms, ems) == pytest.approx((11.24, 6.26, 32.49, 1.02), abs=0.005)


def test_icc_forms_from_the_paper() -> None:
    result = icc(SHROUT_FLEISS)
    assert (result.n_units, result.n_raters, result.n_dropped) == (6, 4, 0)
    for form in ICC_FORMS:
        # published to two decimals: the exact value lies within half a unit of the last digit
        assert result[form].value == pytest.approx(PUBLISHED_ICC[form], abs=0.005), form


def test_icc_exact_values_from_the_anova() -> None:
    # Exact sums of squares: SS_total = 168.9583, SS_rows = 56.2083, SS_cols = 97.4583,
    # SS_error = 168.9583 - 56.2083 - 97.4583 = 15.2917. So BMS = 56.2083 / 5 = 11.2417,
    # WMS = (168.9583 - 56.2083) / 18 = 6.2639, EMS = 15.2917 / 15 = 1.0194.
    # ICC(1,1) = (11.2417 - 6.2639) / (11.2417 + 3 * 6.2639) = 4.9778 / 30.0333 = 0.16574
    # ICC(3,1) = (11.2417 - 1.0194) / (11.2417 + 3 * 1.0194) = 10.2222 / 14.3000 = 0.71484
    result = icc(SHROUT_FLEISS)
    assert result["ICC1"].value == pytest.approx(4.9778 / 30.0333, abs=1e-4)
    assert result["ICC3"].value == pytest.approx(10.2222 / 14.3, abs=1e-4)


def test_confidence_intervals_match_psych() -> None:
    result = icc(SHROUT_FLEISS)
    for form in ICC_FORMS:
        assert result[form].ci_low == pytest.approx(PSYCH_LOWER[form], abs=0.005), form
        assert result[form].ci_high == pytest.approx(PSYCH_UPPER[form], abs=0.005), form
        assert result[form].ci_low < result[form].value < result[form].ci_high


def test_f_tests() -> None:
    # psych/pingouin: F 1.8 (5, 18) p = .165 for ICC1; F 11.0 (5, 15) p = .00013 for ICC2/3
    result = icc(SHROUT_FLEISS)
    assert result["ICC1"].f_stat == pytest.approx(11.2417 / 6.2639, abs=1e-3)
    assert (result["ICC1"].df1, result["ICC1"].df2) == (5, 18)
    assert result["ICC1"].p_value == pytest.approx(0.1647, abs=1e-3)
    assert result["ICC3"].f_stat == pytest.approx(11.0272, abs=1e-3)
    assert result["ICC2"].p_value == pytest.approx(0.000135, abs=1e-5)


def _long(matrix: np.ndarray) -> pd.DataFrame:
    n, k = matrix.shape
    return pd.DataFrame(
        {
            "target": np.repeat(np.arange(n), k),
            "rater": np.tile(np.arange(k), n),
            "score": matrix.ravel(),
        }
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_pingouin(seed: int) -> None:
    pg = pytest.importorskip("pingouin")
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(30, 1)) + rng.normal(0, 0.7, size=(30, 5)) + rng.normal(size=5)
    with warnings.catch_warnings():  # pingouin's own pandas deprecation warnings, not ours
        warnings.simplefilter("ignore")
        theirs = pg.intraclass_corr(_long(matrix), "target", "rater", "score")
    ours = icc(matrix)
    for form, value in zip(ICC_FORMS, theirs["ICC"], strict=True):
        assert ours[form].value == pytest.approx(value, abs=1e-9), form
    for form, (low, high) in zip(ICC_FORMS, theirs["CI95"], strict=True):
        # pingouin rounds its intervals to 2 decimals
        assert ours[form].ci_low == pytest.approx(low, abs=0.0051), form
        assert ours[form].ci_high == pytest.approx(high, abs=0.0051), form


def test_missing_units_are_dropped_and_counted() -> None:
    with_gap = np.vstack([SHROUT_FLEISS, [[1, np.nan, 3, 4]]])
    result = icc(with_gap)
    assert (result.n_units, result.n_dropped) == (6, 1)
    assert result["ICC2"].value == pytest.approx(icc(SHROUT_FLEISS)["ICC2"].value)


def test_degenerate_cases() -> None:
    assert np.isnan(icc(np.ones((5, 3)))["ICC1"].value)  # no variance: 0/0
    assert np.isnan(icc(SHROUT_FLEISS[:1])["ICC3"].value)  # one unit
    assert np.isnan(icc(SHROUT_FLEISS[:, :1])["ICC2"].value)  # one rater
    perfect = icc(np.array([[1, 1], [2, 2], [5, 5]], dtype=float))
    assert perfect["ICC1"].value == pytest.approx(1.0, abs=1e-12)
    assert (perfect["ICC1"].ci_low, perfect["ICC1"].ci_high) == (1.0, 1.0)


def test_oneway_equals_icc1_when_balanced() -> None:
    groups = np.repeat(np.arange(6), 4)
    oneway = icc_oneway(SHROUT_FLEISS.ravel(), groups)
    assert oneway.value == pytest.approx(icc(SHROUT_FLEISS)["ICC1"].value, abs=1e-12)
    assert oneway.ci_low == pytest.approx(icc(SHROUT_FLEISS)["ICC1"].ci_low, abs=1e-12)


def test_oneway_unbalanced_hand_computed() -> None:
    # groups a: (1, 2), b: (4, 5, 6); N = 5, g = 2, grand mean 3.6
    # SS_between = 2 (1.5 - 3.6)^2 + 3 (5 - 3.6)^2 = 8.82 + 5.88 = 14.7, BMS = 14.7
    # SS_within = 0.5 + 2 = 2.5, WMS = 2.5 / 3
    # k0 = (5 - (4 + 9) / 5) / 1 = 2.4
    # ICC = (14.7 - 0.8333) / (14.7 + 1.4 * 0.8333) = 13.8667 / 15.8667 = 0.87395
    result = icc_oneway([1, 2, 4, 5, 6], ["a", "a", "b", "b", "b"])
    assert result.value == pytest.approx(13.866667 / 15.866667, abs=1e-6)
    assert result.df1 == 1 and result.df2 == 3


def test_oneway_ignores_nan_and_handles_stable_repeats() -> None:
    stable = icc_oneway([0.2, 0.2, np.nan, 0.9, 0.9, 0.9], [1, 1, 1, 2, 2, 2])
    assert stable.value == 1.0
    assert np.isnan(icc_oneway([0.5, 0.5, 0.5], [1, 1, 2]).value)  # no variance at all
    assert np.isnan(icc_oneway([], []).value)
