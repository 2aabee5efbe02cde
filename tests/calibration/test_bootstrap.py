"""Bootstrap intervals: determinism, agreement with scipy, coverage, clusters."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from rubricate.calibration.stats.bootstrap import (
    bootstrap_ci,
    bootstrap_mean_ci,
    bootstrap_ratio_ci,
    rng_from,
)


def test_same_seed_same_interval_and_generators_are_used_as_given() -> None:
    x = np.random.default_rng(1).exponential(size=50)
    first = bootstrap_mean_ci(x, seed=42)
    assert bootstrap_mean_ci(x, seed=42) == first
    assert bootstrap_mean_ci(x, seed=43) != first
    generator = np.random.default_rng(42)
    assert rng_from(generator) is generator
    assert bootstrap_mean_ci(x, seed=np.random.default_rng(42)) == first


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_agrees_with_scipy_within_monte_carlo_error(method: str) -> None:
    x = np.random.default_rng(3).exponential(size=60)
    ours = bootstrap_mean_ci(x, method=method, n_resamples=20_000, seed=0)
    theirs = stats.bootstrap(
        (x,),
        np.mean,
        method="BCa" if method == "bca" else "percentile",
        n_resamples=20_000,
        rng=np.random.default_rng(1),
    ).confidence_interval
    assert ours.estimate == pytest.approx(x.mean())
    assert ours.low == pytest.approx(theirs.low, abs=0.01)
    assert ours.high == pytest.approx(theirs.high, abs=0.01)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_coverage_of_the_mean_of_a_skewed_distribution(method: str) -> None:
    rng = np.random.default_rng(11)
    hits = 0
    trials = 300
    for _ in range(trials):  # repeated experiments, each one vectorised
        sample = rng.exponential(scale=1.0, size=40)
        ci = bootstrap_mean_ci(sample, method=method, n_resamples=1000, seed=rng)
        hits += ci.low <= 1.0 <= ci.high
    # nominal 95 %; percentile under-covers a little for skewed data at n = 40
    assert 0.88 <= hits / trials <= 0.99


def test_clusters_widen_the_interval_and_restore_coverage() -> None:
    rng = np.random.default_rng(5)
    n_clusters, size, trials = 25, 5, 200
    clusters = np.repeat(np.arange(n_clusters), size)
    clustered_hits = naive_hits = 0
    for _ in range(trials):
        effect = rng.normal(0, 1, n_clusters)[clusters]
        x = effect + rng.normal(0, 0.3, clusters.size)  # true mean 0
        with_clusters = bootstrap_mean_ci(x, clusters=clusters, n_resamples=800, seed=rng)
        naive = bootstrap_mean_ci(x, n_resamples=800, seed=rng)
        assert with_clusters.high - with_clusters.low > naive.high - naive.low
        clustered_hits += with_clusters.low <= 0 <= with_clusters.high
        naive_hits += naive.low <= 0 <= naive.high
    assert clustered_hits / trials >= 0.88
    assert naive_hits / trials <= 0.75  # repeats treated as independent: far too narrow


def test_generic_statistic_equals_the_vectorised_mean_for_the_same_draws() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=30)
    clusters = np.repeat(np.arange(10), 3)
    fast = bootstrap_mean_ci(x, clusters=clusters, method="percentile", n_resamples=500, seed=9)
    slow = bootstrap_ci(x, np.mean, clusters=clusters, method="percentile", n_resamples=500, seed=9)
    assert slow.low == pytest.approx(fast.low, abs=1e-12)
    assert slow.high == pytest.approx(fast.high, abs=1e-12)
    bca_fast = bootstrap_mean_ci(x, clusters=clusters, n_resamples=500, seed=9)
    bca_slow = bootstrap_ci(x, np.mean, clusters=clusters, n_resamples=500, seed=9)
    assert (bca_slow.low, bca_slow.high) == pytest.approx((bca_fast.low, bca_fast.high))


def test_generic_statistic_on_a_dataframe() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"score": np.arange(20.0), "group": np.repeat(np.arange(5), 4)})
    ci = bootstrap_ci(
        frame, lambda d: float(d["score"].median()), clusters=frame["group"], n_resamples=300
    )
    assert ci.low <= ci.estimate <= ci.high and ci.n_clusters == 5


def test_ratio_of_sums() -> None:
    # clusters (3 of 4) and (1 of 4): pooled rate 4 / 8 = 0.5
    ci = bootstrap_ratio_ci([3, 1], [4, 4], n_resamples=200, method="percentile")
    assert ci.estimate == pytest.approx(0.5)
    assert 0.25 <= ci.low <= 0.5 <= ci.high <= 0.75


def test_degenerate_cases() -> None:
    empty = bootstrap_mean_ci([])
    assert np.isnan(empty.estimate) and np.isnan(empty.low) and empty.n_clusters == 0
    one = bootstrap_mean_ci([1.0, 2.0, 3.0], clusters=["a", "a", "a"])
    assert one.estimate == 2.0 and np.isnan(one.low) and np.isnan(one.high)
    flat = bootstrap_mean_ci([0.7] * 10)
    assert (flat.low, flat.high) == (0.7, 0.7)
    with_nan = bootstrap_mean_ci([1.0, np.nan, 3.0], seed=1)
    assert with_nan.estimate == 2.0 and with_nan.n_clusters == 2
    with pytest.raises(ValueError, match="one label per observation"):
        bootstrap_mean_ci([1.0, 2.0], clusters=[1])
