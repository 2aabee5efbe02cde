"""The distribution functions the statistics take from scipy.special give what scipy.stats
gives, bit for bit, inside the support, at its ends and outside it (NaN where scipy.stats says
NaN): the functions are the ones scipy.stats computes with, and these tests hold them to it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from rubricate.calibration.stats import distributions as d

Q = [0.0, 1e-300, 0.005, 0.025, 0.5, 0.975, 0.995, 1.0, -0.1, 1.1, np.nan]
DF = [0.0, -1.0, 0.5, 1.0, 2.0, 5.5, 30.0, 1e6, np.inf, np.nan]


def _same(a: object, b: object) -> bool:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return x.shape == y.shape and bool(np.all((x == y) | (np.isnan(x) & np.isnan(y))))


@pytest.fixture(autouse=True)
def _quiet() -> None:
    warnings.simplefilter("ignore", RuntimeWarning)


def test_normal() -> None:
    assert _same(d.norm_ppf(Q), stats.norm.ppf(Q))
    x = [-np.inf, -40.0, -9.0, 0.0, 1.96, np.inf, np.nan]
    assert _same(d.norm_cdf(x), stats.norm.cdf(x))


@pytest.mark.parametrize("df", DF)
def test_student_t(df: float) -> None:
    for q in Q:
        assert _same(d.t_ppf(q, df), stats.t.ppf(q, df)), (q, df)
    assert _same(d.t_ppf(np.array(Q), df), stats.t.ppf(np.array(Q), df))


def test_student_t_quantile_of_a_textbook_table() -> None:
    """t(0.975, 10) = 2.228 (e.g. NIST/SEMATECH e-Handbook of Statistical Methods, 1.3.6.7.2)."""
    assert d.t_ppf(0.975, 10) == pytest.approx(2.228, abs=5e-4)


def test_beta() -> None:
    for a in [0.0, -1.0, 0.5, 1.0, 3.0, 10.0, np.nan]:
        for b in [0.0, 0.5, 1.0, 3.0, 10.0, np.nan]:
            for q in Q:
                assert _same(d.beta_ppf(q, a, b), stats.beta.ppf(q, a, b)), (q, a, b)
    k, n = np.arange(0, 41), 40  # the Clopper-Pearson bounds proportion_ci takes
    assert _same(d.beta_ppf(0.025, k, n - k + 1), stats.beta.ppf(0.025, k, n - k + 1))


def test_f() -> None:
    for dfn in [0.0, 0.5, 1.0, 3.0, 10.7, np.inf, np.nan]:
        for dfd in [0.0, 0.5, 1.0, 3.0, 10.7, np.inf, np.nan]:
            for q in Q:
                assert _same(d.f_ppf(q, dfn, dfd), stats.f.ppf(q, dfn, dfd)), (q, dfn, dfd)
            for x in [-1.0, 0.0, 0.5, 2.0, np.inf, np.nan]:
                assert _same(d.f_sf(x, dfn, dfd), stats.f.sf(x, dfn, dfd)), (x, dfn, dfd)


def test_average_ranks() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        values = rng.integers(0, 5, size=int(rng.integers(1, 30))).astype(float)
        assert _same(d.average_ranks(values), stats.rankdata(values))
    assert _same(d.average_ranks([1.0, np.nan, 2.0]), stats.rankdata([1.0, np.nan, 2.0]))
