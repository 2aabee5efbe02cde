"""Correcting a judge's mean score with a few expert labels, with intervals valid for few labels.

A judge's mean score is biased when the judge errs more one way than the other. With experts'
grades on a subset of the answers, two estimators turn the judge's scores on *every* answer into
an estimate of the mean score the *experts* would give, with a confidence interval:

**Prediction-powered inference (PPI), the main method.** A. N. Angelopoulos, S. Bates,
C. Fannjiang, M. I. Jordan, T. Zrnic (2023), "Prediction-powered inference", *Science* 382
(6671): 669-674, doi:10.1126/science.adi6000, the mean estimator (their Algorithm 1 / the
``ppi_mean`` of the ``ppi_py`` and R ``ipd`` packages): with ``f`` the judge's score and ``Y``
the experts' score, ``n`` labelled and ``N`` unlabelled answers,

    theta_PP = mean_N(f(X~)) - mean_n(f(X) - Y)        (the second term is the *rectifier*)
    SE^2     = var_N(f(X~)) / N + var_n(f(X) - Y) / n

and the interval ``theta_PP +- q * SE``. It needs no binary scores (a levelled criterion's
``level / max`` or the overall score work as they are) and is unbiased whatever the judge's
errors, provided the expert-graded answers are a random sample of the answers scored
(A. Divekar 2026, "Statistically reliable LLM-based ranking evaluation via prediction-powered
inference" (PRECISE), arXiv 2606.05308, uses PPI the same way: a few human labels correcting an
LLM judge's evaluation metrics).

Two choices of ours, both reducing to the paper's formula:

- In a calibration run the expert-graded answers are *among* the judged ones, so the first mean
  is over all ``N`` judged answers, labelled included (``labeled_in_unlabeled=True``). The
  variance is then the exact one of that sum: each labelled answer contributes
  ``f/N - (f - Y)/n`` and each other answer ``f/N``, so
  ``SE^2 = n var_n(f/N - (f - Y)/n) + (N - n) var_N(f) / N^2`` (with ``n = N`` it is the plain
  ``var(Y)/n``, the experts' own mean).
- The quantile ``q`` is Student's t with ``n - 1`` degrees of freedom (``interval="t"``, the
  default) rather than the paper's normal one (``interval="normal"``): with few labels the
  rectifier's variance is estimated from few points, and t widens the interval accordingly; for
  large ``n`` the two agree.

**Rogan-Gladen, the second method** (binary criteria only). W. J. Rogan, B. Gladen (1978),
"Estimating prevalence from the results of a screening test", *Am J Epidemiol* 107(1): 71-76:
with the judge's apparent share met ``p`` (over ``N`` answers), and its sensitivity ``Se`` and
specificity ``Sp`` against the experts (from ``n1`` answers the experts say are met and ``n0``
they say are not),

    pi = (p + Sp - 1) / (Se + Sp - 1)

clipped to [0, 1]. Its delta-method variance, with ``J = Se + Sp - 1`` (Youden's index)
(Rogan & Gladen 1978; Greiner & Gardner 2000, *Prev Vet Med* 45: 43-59; the plug-in framework
for LLM judges of C. Lee, T. Zeng, J. Jeong, J. Sohn, K. Lee, "How to correctly report
LLM-as-a-judge evaluations", arXiv 2511.21140, which adds the calibration set's uncertainty):

    var(pi) = [p(1-p)/N + pi^2 Se(1-Se)/n1 + (1-pi)^2 Sp(1-Sp)/n0] / J^2

With few labels ``Se`` or ``Sp`` is often 1 and its plain variance 0, which makes the interval
far too narrow; the variances of ``Se`` and ``Sp`` are therefore taken at the Agresti-Coull
adjusted proportions ``(k + 2) / (n + 4)`` ("add two successes and two failures", the fix
Lang & Reiczigel 2014, *Prev Vet Med* 113: 13-22, found to keep the Rogan-Gladen interval near
its nominal level down to small calibration sets). When ``J <= 0`` (the judge no better than
chance) the estimator is undefined and nothing is returned.

Every function is pure (numpy and scipy only); NaN entries are left out.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from rubricate.calibration.stats.distributions import norm_ppf, t_ppf
from rubricate.calibration.stats.proportion import proportion_ci

Interval = Literal["t", "normal"]
PPI = "prediction-powered inference"
ROGAN_GLADEN = "Rogan-Gladen"
UNCORRECTED = "judge alone (uncorrected)"


@dataclass(frozen=True)
class Estimate:
    """A corrected (or uncorrected) mean with its confidence interval.

    Attributes:
        method: which estimator (:data:`PPI`, :data:`ROGAN_GLADEN`, :data:`UNCORRECTED`).
        estimate, low, high: the point estimate and the interval bounds.
        se: its standard error.
        n_labeled: expert-labelled answers used (0 for the uncorrected mean).
        n_units: answers whose judge score enters.
    """

    method: str
    estimate: float
    low: float
    high: float
    se: float
    n_labeled: int
    n_units: int

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for JSON reports."""
        return asdict(self)

    def clipped(self, low: float, high: float) -> Estimate:
        """The same estimate with estimate and bounds clipped to ``[low, high]``, the scale the
        mean lives on (a mean of scores in [0, 1] cannot lie outside it, so clipping keeps the
        interval's coverage and only drops impossible values)."""

        def clip(value: float) -> float:
            return value if math.isnan(value) else min(max(value, low), high)

        return Estimate(self.method, clip(self.estimate), clip(self.low), clip(self.high),
                        self.se, self.n_labeled, self.n_units)  # fmt: skip

    def covers(self, value: float) -> bool:
        """Whether the interval contains ``value``."""
        return bool(self.low <= value <= self.high)


def _clean(values: npt.ArrayLike) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    return array[~np.isnan(array)]


def _quantile(confidence: float, interval: Interval, df: int) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), not {confidence}")
    if interval == "normal":
        return float(norm_ppf(0.5 + confidence / 2))
    if interval == "t":
        return float(t_ppf(0.5 + confidence / 2, df))
    raise ValueError(f"unknown interval {interval!r}; use 't' or 'normal'")


def mean_ci(values: npt.ArrayLike, *, confidence: float = 0.95) -> Estimate:
    """The plain mean with a normal (CLT) interval: the judge's uncorrected mean score.

    NaN figures when fewer than two values.
    """
    x = _clean(values)
    if x.size < 2:
        mean = float(x.mean()) if x.size else math.nan
        return Estimate(UNCORRECTED, mean, math.nan, math.nan, math.nan, 0, int(x.size))
    se = float(x.std(ddof=1) / math.sqrt(x.size))
    q = _quantile(confidence, "normal", 0)
    mean = float(x.mean())
    return Estimate(UNCORRECTED, mean, mean - q * se, mean + q * se, se, 0, int(x.size))


def ppi_mean(
    y_labeled: npt.ArrayLike,
    f_labeled: npt.ArrayLike,
    f_unlabeled: npt.ArrayLike,
    *,
    labeled_in_unlabeled: bool = False,
    confidence: float = 0.95,
    interval: Interval = "t",
) -> Estimate:
    """Prediction-powered mean of ``Y`` (Angelopoulos et al. 2023; see the module docstring).

    Args:
        y_labeled: the experts' scores of the labelled answers.
        f_labeled: the judge's scores of the same answers (same order and length).
        f_unlabeled: the judge's scores of the answers whose mean is wanted.
        labeled_in_unlabeled: ``f_unlabeled`` includes the labelled answers (a calibration
            run: every answer is judged, some are also expert-graded); the variance then counts
            them once (module docstring).
        confidence: level of the interval.
        interval: ``"t"`` (n - 1 degrees of freedom, default) or ``"normal"`` (the paper's).

    Returns:
        An :class:`Estimate` (method :data:`PPI`); NaN figures with fewer than two labelled
        answers (or, without ``labeled_in_unlabeled``, no unlabelled one).

    Raises:
        ValueError: ``y_labeled`` and ``f_labeled`` differ in length.
    """
    y, f = np.asarray(y_labeled, dtype=float).ravel(), np.asarray(f_labeled, dtype=float).ravel()
    if y.shape != f.shape:
        raise ValueError(f"y_labeled and f_labeled differ in length: {y.size}, {f.size}")
    keep = ~(np.isnan(y) | np.isnan(f))
    y, f = y[keep], f[keep]
    unlabeled = _clean(f_unlabeled)
    n, big_n = int(y.size), int(unlabeled.size)
    if n < 2 or big_n < (n if labeled_in_unlabeled else 1):
        return Estimate(PPI, math.nan, math.nan, math.nan, math.nan, n, big_n)
    rectifier = f - y
    estimate = float(unlabeled.mean() - rectifier.mean())
    if labeled_in_unlabeled:
        spread = float(unlabeled.var(ddof=1)) if big_n >= 2 else 0.0
        variance = n * float(np.var(f / big_n - rectifier / n, ddof=1))
        variance += (big_n - n) * spread / big_n**2
    else:
        spread = float(unlabeled.var(ddof=1)) if big_n >= 2 else 0.0
        variance = spread / big_n + float(rectifier.var(ddof=1)) / n
    se = math.sqrt(max(variance, 0.0))
    q = _quantile(confidence, interval, n - 1)
    return Estimate(PPI, estimate, estimate - q * se, estimate + q * se, se, n, big_n)


@dataclass(frozen=True)
class Accuracy:
    """The judge's met / not-met verdicts against the expert majority.

    Attributes:
        tp, fp, fn, tn: the 2x2 table (positive = met).
        sensitivity, specificity: ``tp / (tp + fn)`` and ``tn / (tn + fp)`` (NaN when the
            experts say no answer is met, resp. not met), each with a Wilson interval.
    """

    tp: int
    fp: int
    fn: int
    tn: int
    sensitivity: float
    sensitivity_low: float
    sensitivity_high: float
    specificity: float
    specificity_low: float
    specificity_high: float

    @property
    def n_positive(self) -> int:
        """Answers the experts say are met."""
        return self.tp + self.fn

    @property
    def n_negative(self) -> int:
        """Answers the experts say are not met."""
        return self.tn + self.fp

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for JSON reports."""
        return {**asdict(self), "n_positive": self.n_positive, "n_negative": self.n_negative}


def sensitivity_specificity(
    verdict: npt.ArrayLike, truth: npt.ArrayLike, *, confidence: float = 0.95
) -> Accuracy:
    """Sensitivity and specificity of 0/1 ``verdict`` against 0/1 ``truth`` (pairs with a NaN
    are left out), with Wilson intervals (:func:`~.proportion.proportion_ci`)."""
    v, t = np.asarray(verdict, dtype=float).ravel(), np.asarray(truth, dtype=float).ravel()
    if v.shape != t.shape:
        raise ValueError(f"verdict and truth differ in length: {v.size}, {t.size}")
    keep = ~(np.isnan(v) | np.isnan(t))
    v, t = v[keep], t[keep]
    if not (np.isin(v, (0.0, 1.0)).all() and np.isin(t, (0.0, 1.0)).all()):
        raise ValueError("verdict and truth must be 0/1")
    tp, fn = int(((v == 1) & (t == 1)).sum()), int(((v == 0) & (t == 1)).sum())
    tn, fp = int(((v == 0) & (t == 0)).sum()), int(((v == 1) & (t == 0)).sum())
    figures = []
    for k, total in ((tp, tp + fn), (tn, tn + fp)):
        low, high = proportion_ci(k, total, confidence=confidence)
        figures += [k / total if total else math.nan, float(low), float(high)]
    return Accuracy(tp, fp, fn, tn, *figures)


def rogan_gladen(
    apparent: float,
    n_units: int,
    accuracy: Accuracy,
    *,
    confidence: float = 0.95,
) -> Estimate:
    """Rogan-Gladen corrected share met, with the delta-method interval (module docstring).

    Args:
        apparent: the judge's share of answers met, over ``n_units`` answers.
        n_units: the answers ``apparent`` is over.
        accuracy: the judge's sensitivity and specificity on the expert-labelled answers.
        confidence: level of the (normal) interval.

    Returns:
        An :class:`Estimate` (method :data:`ROGAN_GLADEN`), estimate and bounds clipped to
        [0, 1] (an apparent share below ``1 - Sp`` gives 0, as the textbooks advise); NaN
        figures when sensitivity or specificity is undefined or ``Se + Sp <= 1``.
    """
    se_, sp = accuracy.sensitivity, accuracy.specificity
    n1, n0 = accuracy.n_positive, accuracy.n_negative
    labeled = n1 + n0
    youden = se_ + sp - 1
    if not (n_units and n1 and n0) or math.isnan(youden) or youden <= 0:
        return Estimate(ROGAN_GLADEN, math.nan, math.nan, math.nan, math.nan, labeled, n_units)
    raw = (apparent + sp - 1) / youden
    estimate = min(max(raw, 0.0), 1.0)
    se_adj = (accuracy.tp + 2) / (n1 + 4)  # Agresti-Coull: add 2 successes and 2 failures
    sp_adj = (accuracy.tn + 2) / (n0 + 4)
    variance = (
        apparent * (1 - apparent) / n_units
        + estimate**2 * se_adj * (1 - se_adj) / n1
        + (1 - estimate) ** 2 * sp_adj * (1 - sp_adj) / n0
    ) / youden**2
    se = math.sqrt(variance)
    q = _quantile(confidence, "normal", 0)
    low, high = (min(max(v, 0.0), 1.0) for v in (raw - q * se, raw + q * se))
    return Estimate(ROGAN_GLADEN, estimate, low, high, se, labeled, n_units)
