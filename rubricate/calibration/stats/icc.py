"""Intraclass correlation: the six Shrout & Fleiss forms, and the one-way ICC of repeats.

References:
    P. E. Shrout and J. L. Fleiss (1979), Intraclass correlations: uses in assessing rater
    reliability, *Psychological Bulletin* 86(2), 420-428 (the forms, Table 1 example).
    K. O. McGraw and S. P. Wong (1996), Forming inferences about some intraclass correlation
    coefficients, *Psychological Methods* 1(1), 30-46 (confidence intervals, Table 7).

From the two-way ANOVA of an n targets x k raters matrix (BMS between targets, WMS within
targets, JMS between raters, EMS residual)::

    ICC1  = (BMS - WMS) / (BMS + (k-1) WMS)                    one-way random, single rater
    ICC2  = (BMS - EMS) / (BMS + (k-1) EMS + k (JMS-EMS) / n)  two-way random, absolute agreement
    ICC3  = (BMS - EMS) / (BMS + (k-1) EMS)                    two-way mixed, consistency
    ICC1k = (BMS - WMS) / BMS                                  ... of the mean of k raters
    ICC2k = (BMS - EMS) / (BMS + (JMS-EMS) / n)
    ICC3k = (BMS - EMS) / BMS

Confidence intervals: F-based for ICC1, ICC3 and their k forms; for ICC2 and ICC2k the
Satterthwaite approximation of Shrout & Fleiss (1979, eq. 5) / McGraw & Wong (1996). These are
the intervals R's ``psych::ICC`` and pingouin report. The F test of each form is the one of
Shrout & Fleiss: BMS/WMS for ICC1, BMS/EMS for ICC2 and ICC3.

:func:`icc` needs complete data: units (rows) with any missing rating are dropped and counted
(``n_dropped``). :func:`icc_oneway` takes unbalanced groups (the repeats of each answer) and
uses the ANOVA estimator with ``k0 = (N - sum n_i^2 / N) / (g - 1)`` in place of k (Searle,
Casella & McCulloch 1992, *Variance Components*, section 3.6); its interval treats k0 as k,
which is exact for balanced groups and an approximation otherwise.

Degenerate cases: fewer than 2 units or 2 raters (or, one-way, fewer than 2 groups with 2
values) -> NaN everywhere; no variance at all (every rating equal) -> NaN (0/0); an ICC can be
negative when disagreement exceeds agreement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rubricate.calibration.stats.distributions import f_ppf as _f_ppf
from rubricate.calibration.stats.distributions import f_sf as _f_sf

ICC_FORMS: tuple[str, ...] = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")
"""The Shrout & Fleiss forms, in their order (ICC(1,1), ICC(2,1), ICC(3,1), then the k forms)."""

_NAN = float("nan")


@dataclass(frozen=True)
class ICCEstimate:
    """One ICC form with its confidence interval and F test.

    Attributes:
        value: the ICC.
        ci_low, ci_high: the confidence interval at the requested level.
        f_stat, df1, df2, p_value: the F test of ICC = 0 for this form.
    """

    value: float
    ci_low: float
    ci_high: float
    f_stat: float
    df1: float
    df2: float
    p_value: float

    def as_dict(self) -> dict[str, float]:
        """Plain JSON-ready mapping (NaN stays NaN; the caller decides how to print it)."""
        return {
            "value": self.value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "f": self.f_stat,
            "df1": self.df1,
            "df2": self.df2,
            "p_value": self.p_value,
        }


_UNDEFINED = ICCEstimate(_NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN)


@dataclass(frozen=True)
class ICCResult:
    """All six Shrout & Fleiss forms of one ratings matrix.

    Attributes:
        forms: ``{"ICC1": ICCEstimate, ..., "ICC3k": ...}`` in :data:`ICC_FORMS` order.
        n_units: complete units used.
        n_raters: raters (columns).
        n_dropped: units dropped because a rating was missing.
        confidence: the level of the intervals (0.95 = 95 %).
    """

    forms: dict[str, ICCEstimate]
    n_units: int
    n_raters: int
    n_dropped: int
    confidence: float

    def __getitem__(self, form: str) -> ICCEstimate:
        return self.forms[form]


def mean_squares(matrix: np.ndarray) -> tuple[float, float, float, float]:
    """``(BMS, WMS, JMS, EMS)`` of a complete n x k matrix."""
    n, k = matrix.shape
    centred = matrix - matrix.mean()
    row_means = centred.mean(axis=1)
    col_means = centred.mean(axis=0)
    ss_total = float(np.sum(centred * centred))
    ss_rows = k * float(np.dot(row_means, row_means))
    ss_cols = n * float(np.dot(col_means, col_means))
    tiny = 1e-12 * ss_total  # rounding noise of a residual that is exactly 0 in theory
    ss_within = ss_total - ss_rows if ss_total - ss_rows > tiny else 0.0
    ss_error = ss_within - ss_cols if ss_within - ss_cols > tiny else 0.0
    bms = ss_rows / (n - 1)
    wms = ss_within / (n * (k - 1))
    jms = ss_cols / (k - 1)
    ems = ss_error / ((n - 1) * (k - 1))
    return bms, wms, jms, ems


def _ratio(num: float, den: float) -> float:
    return num / den if den != 0 else _NAN


def _f_ratio(num: float, den: float) -> float:
    """An F statistic: +inf when only the denominator is 0 (no error variance at all)."""
    if den == 0:
        return float("inf") if num > 0 else _NAN
    return num / den


def _f_form_ci(
    value: float, f_obs: float, df1: float, df2: float, k: float, alpha: float, average: bool
) -> ICCEstimate:
    """ICC1/ICC3 (and k forms): interval from the F distribution (McGraw & Wong, Table 7)."""
    if np.isnan(f_obs):
        return ICCEstimate(value, _NAN, _NAN, f_obs, df1, df2, _NAN)
    if np.isinf(f_obs):  # no error variance: the ICC is exactly 1
        return ICCEstimate(value, 1.0, 1.0, f_obs, df1, df2, 0.0)
    f_low = f_obs / _f_ppf(1 - alpha / 2, df1, df2)
    f_high = f_obs * _f_ppf(1 - alpha / 2, df2, df1)
    if average:
        low, high = 1 - 1 / f_low, 1 - 1 / f_high
    else:
        low, high = (f_low - 1) / (f_low + k - 1), (f_high - 1) / (f_high + k - 1)
    return ICCEstimate(value, low, high, f_obs, df1, df2, _f_sf(f_obs, df1, df2))


def _icc2_ci(
    icc2: float, bms: float, jms: float, ems: float, n: int, k: int, alpha: float
) -> tuple[float, float]:
    """Satterthwaite interval of ICC2 (Shrout & Fleiss 1979, eq. 5; McGraw & Wong 1996)."""
    if not np.isfinite(icc2):
        return _NAN, _NAN
    if ems == 0:  # no residual variance: rater means may differ, but the interval collapses
        return icc2, icc2
    fj = jms / ems
    v_num = (n - 1) * (k - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v_den = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = v_num / v_den
    f_upper = _f_ppf(1 - alpha / 2, n - 1, v)
    f_lower = _f_ppf(1 - alpha / 2, v, n - 1)
    denominator = k * jms + (k * n - k - n) * ems
    low = n * (bms - f_upper * ems) / (f_upper * denominator + n * bms)
    high = n * (f_lower * bms - ems) / (denominator + n * f_lower * bms)
    return low, high


def icc(ratings: npt.ArrayLike, *, confidence: float = 0.95) -> ICCResult:
    """All six Shrout & Fleiss ICC forms with confidence intervals.

    Args:
        ratings: one row per unit (target), one column per rater; NaN marks a missing rating.
            Units with any missing rating are dropped (listwise) and counted.
        confidence: level of the intervals.

    Returns:
        An :class:`ICCResult`. Every form is NaN when fewer than 2 complete units or 2 raters
        remain, or when there is no variance at all.
    """
    matrix = np.asarray(ratings, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"ratings must be a 2-D units x raters matrix, got shape {matrix.shape}")
    complete = ~np.isnan(matrix).any(axis=1)
    dropped = int(matrix.shape[0] - complete.sum())
    matrix = matrix[complete]
    n, k = matrix.shape
    alpha = 1 - confidence
    if n < 2 or k < 2:
        forms = dict.fromkeys(ICC_FORMS, _UNDEFINED)
        return ICCResult(forms, n, k, dropped, confidence)
    bms, wms, jms, ems = mean_squares(matrix)
    icc1 = _ratio(bms - wms, bms + (k - 1) * wms)
    icc2 = _ratio(bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n)
    icc3 = _ratio(bms - ems, bms + (k - 1) * ems)
    icc1k = _ratio(bms - wms, bms)
    icc2k = _ratio(bms - ems, bms + (jms - ems) / n)
    icc3k = _ratio(bms - ems, bms)
    f1, df1, df1_den = _f_ratio(bms, wms), n - 1, n * (k - 1)
    f3, df3_den = _f_ratio(bms, ems), (n - 1) * (k - 1)
    p3 = _f_sf(f3, df1, df3_den) if not np.isnan(f3) else _NAN
    low2, high2 = _icc2_ci(icc2, bms, jms, ems, n, k, alpha)
    low2k = low2 * k / (1 + low2 * (k - 1))
    high2k = high2 * k / (1 + high2 * (k - 1))
    forms = {
        "ICC1": _f_form_ci(icc1, f1, df1, df1_den, k, alpha, average=False),
        "ICC2": ICCEstimate(icc2, low2, high2, f3, df1, df3_den, p3),
        "ICC3": _f_form_ci(icc3, f3, df1, df3_den, k, alpha, average=False),
        "ICC1k": _f_form_ci(icc1k, f1, df1, df1_den, k, alpha, average=True),
        "ICC2k": ICCEstimate(icc2k, low2k, high2k, f3, df1, df3_den, p3),
        "ICC3k": _f_form_ci(icc3k, f3, df1, df3_den, k, alpha, average=True),
    }
    return ICCResult(forms, n, k, dropped, confidence)


def icc_oneway(
    values: npt.ArrayLike, groups: npt.ArrayLike, *, confidence: float = 0.95
) -> ICCEstimate:
    """One-way random ICC(1,1) for unbalanced groups: e.g. repeated grades of each answer.

    High when most of the variance lies between answers (the grader tells answers apart) and
    little within an answer's repeats (it is stable).

    Args:
        values: the observations (NaN values are ignored).
        groups: the group label of each observation (any hashable labels).
        confidence: level of the interval.

    Returns:
        An :class:`ICCEstimate` (value, interval, F = BMS/WMS with its dfs and p value). NaN
        when fewer than 2 groups or no group has 2 observations, or when there is no variance.
    """
    x = np.asarray(values, dtype=float)
    # Deferred: pandas is only needed to code arbitrary group labels.
    import pandas as pd

    codes, _ = pd.factorize(np.asarray(groups), use_na_sentinel=True)
    keep = ~np.isnan(x) & (codes >= 0)
    x, codes = x[keep], codes[keep]
    if x.size == 0:
        return _UNDEFINED
    sizes = np.bincount(codes).astype(float)
    present = sizes > 0
    g = int(present.sum())
    total = x.size
    if g < 2 or total - g < 1:
        return _UNDEFINED
    centred = x - x.mean()
    sums = np.bincount(codes, weights=centred)
    group_means = np.divide(sums, sizes, out=np.zeros_like(sums), where=present)
    ss_between = float(np.sum(sizes * group_means**2))
    residual = centred - group_means[codes]
    ss_within = float(np.dot(residual, residual))
    if ss_within <= 1e-12 * float(np.dot(centred, centred)):
        ss_within = 0.0  # rounding noise of repeats that are all equal
    df_b, df_w = g - 1, total - g
    bms, wms = ss_between / df_b, ss_within / df_w
    k0 = (total - float(np.sum(sizes**2)) / total) / df_b
    value = _ratio(bms - wms, bms + (k0 - 1) * wms)
    return _f_form_ci(value, _f_ratio(bms, wms), df_b, df_w, k0, 1 - confidence, average=False)
