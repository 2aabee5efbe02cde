"""Krippendorff's alpha against published values.

Sources:
- K. Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers
  (A-D) x 12 units with missing values; nominal alpha = 0.743 and (section E) interval
  alpha = 0.849. Ordinal 0.815 and ratio 0.797 on the same data are the values asserted by the
  `krippendorff` package's test suite (pln-fing-udelar/fast-krippendorff,
  tests/test_krippendorff.py, test_ordinal_metric / test_ratio_metric).
- Wikipedia "Krippendorff's alpha", "A computational example" (3 coders x 15 units): nominal
  0.691, interval 0.811 (the package asserts 0.691358 and 0.810845).
"""

from __future__ import annotations

import numpy as np
import pytest

from rubricate.calibration.stats import krippendorff as kripp
from rubricate.calibration.stats.krippendorff import LEVELS, krippendorff_alpha, krippendorff_alphas

NAN = np.nan

# Krippendorff (2011): rows are observers A-D, columns units 1-12 ("reliability data matrix").
PAPER_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
).T  # ours: units x raters

WIKIPEDIA = np.array(
    [
        [NAN, NAN, NAN, NAN, NAN, 3, 4, 1, 2, 1, 1, 3, 3, NAN, 3],
        [1, NAN, 2, 1, 3, 3, 4, 3, NAN, NAN, NAN, NAN, NAN, NAN, NAN],
        [NAN, NAN, 2, 1, 3, 4, 4, NAN, 2, 1, 1, 3, 3, NAN, 4],
    ]
).T


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_worked_example(level: str, published: float) -> None:
    assert krippendorff_alpha(PAPER_2011, level) == pytest.approx(published, abs=1e-3)


@pytest.mark.parametrize(("level", "published"), [("nominal", 0.691358), ("interval", 0.810845)])
def test_wikipedia_computational_example(level: str, published: float) -> None:
    assert krippendorff_alpha(WIKIPEDIA, level) == pytest.approx(published, abs=1e-6)


def test_all_levels_at_once_match_one_at_a_time() -> None:
    together = krippendorff_alphas(PAPER_2011)
    assert list(together) == list(LEVELS)
    for level in LEVELS:
        assert together[level] == pytest.approx(krippendorff_alpha(PAPER_2011, level), abs=1e-15)


def test_string_labels_nominal() -> None:
    # The package's test_string_labels_nominal (3 coders x 4 units) asserts 0.722222.
    data = np.array(
        [["pos", "neg", "neu", None], ["pos", "neg", "neu", "pos"], ["pos", "neg", "pos", "pos"]],
        dtype=object,
    ).T
    assert krippendorff_alpha(data, "nominal") == pytest.approx(0.722222, abs=1e-6)
    with pytest.raises(ValueError, match="numeric"):
        krippendorff_alpha(data, "interval")


def test_hand_computed_two_raters_interval() -> None:
    # units (1,1), (2,2), (3,4): n = 6 values; only unit 3 disagrees.
    # D_o = (1/n) * sum_u 2 m_u SS_u / (m_u - 1) = (1/6) * 2*2*0.5/1 = 1/3
    # D_e = 2 * SS_total / (n - 1); mean = 13/6, SS_total = 35 - 169/6 = 41/6 -> D_e = 41/15
    # alpha = 1 - (1/3) / (41/15) = 1 - 5/41 = 36/41
    data = np.array([[1, 1], [2, 2], [3, 4]], dtype=float)
    assert krippendorff_alpha(data, "interval") == pytest.approx(36 / 41, abs=1e-12)


def test_perfect_agreement_is_one_and_ratio_zeros_are_fine() -> None:
    data = np.array([[0, 0], [1, 1], [2, 2]], dtype=float)
    for level in LEVELS:
        assert krippendorff_alpha(data, level) == pytest.approx(1.0)


def test_degenerate_cases_are_nan() -> None:
    no_variation = np.array([[3, 3], [3, 3], [3, NAN]])
    nothing_pairable = np.array([[1, NAN], [NAN, 2]])
    empty = np.empty((0, 3))
    for data in (no_variation, nothing_pairable, empty):
        for level in LEVELS:
            assert np.isnan(krippendorff_alpha(data, level))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="2-D"):
        krippendorff_alpha([1, 2, 3])
    with pytest.raises(ValueError, match="non-negative"):
        krippendorff_alpha([[-1, 1], [2, 2]], "ratio")
    with pytest.raises(ValueError, match="unknown level"):
        krippendorff_alpha([[1, 1], [2, 2]], "cardinal")  # type: ignore[arg-type]


def _random_ratings(rng: np.random.Generator, continuous: bool) -> np.ndarray:
    truth = rng.integers(1, 6, size=150).astype(float)
    noise = rng.normal(0, 0.8, size=(150, 6)) if continuous else rng.integers(-1, 2, (150, 6))
    data = np.clip(truth[:, None] + noise, 0, None)
    data = np.round(data, 1) if continuous else data  # about 60 distinct values
    data[rng.random(data.shape) < 0.3] = NAN
    return data


@pytest.mark.parametrize("continuous", [False, True])
@pytest.mark.parametrize("level", LEVELS)
def test_matches_the_krippendorff_package(level: str, continuous: bool, monkeypatch) -> None:
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(7)
    data = _random_ratings(rng, continuous)
    if continuous:  # force the blocked ratio path and the sparse count tables
        monkeypatch.setattr(kripp, "_BLOCK_ELEMENTS", 1_000)
        monkeypatch.setattr(kripp, "_DENSE_CELLS", 0)
    expected = krippendorff.alpha(data.T, level_of_measurement=level)
    assert krippendorff_alpha(data, level) == pytest.approx(expected, abs=1e-9)
