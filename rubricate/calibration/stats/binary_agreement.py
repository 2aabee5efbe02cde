"""Agreement on binary verdicts ("criterion met" / "not met") as HealthBench measures it.

Reference: R. K. Arora et al. (2025), *HealthBench: Evaluating Large Language Models Towards
Improved Human Health*, arXiv:2505.08775, section on meta-evaluation; the computation follows
openai/simple-evals ``healthbench_meta_eval.py`` (MIT).

Pairs: a rater's label is compared with *each other* label on the same unit, and every such
pair goes into one 2 x 2 table (rows: the rater under test, columns: the reference label):

- :func:`pairwise_agreement` pools all ordered pairs of distinct raters within each unit (so
  the table is symmetric): the inter-rater figure;
- :func:`judge_agreement` pools every (judge label, rater label) pair on the same unit;
- :func:`per_rater_agreement` gives one table per rater, from the pairs with that rater on the
  "self" side, which is how HealthBench aggregates (per rater, then the model's percentile among
  the physicians); :func:`judge_percentile` places the judge among the raters.

From a table: raw agreement = share of agreeing pairs; Cohen's kappa with each side's own
marginals (Cohen 1960); F1 for "met" = 2 TP / (2 TP + FP + FN), F1 for "not met" likewise with
the roles swapped; balanced (macro) F1 = their mean. A rater who guesses "met" at random has an
expected balanced F1 given by :func:`random_baseline_f1` (0.5 when both the guess rate and the
prevalence are 0.5).

Everything is counted from per-unit label counts (no pair is materialised): a unit with
``pos`` "met" and ``neg`` "not met" labels holds ``pos (pos - 1)`` met-met ordered pairs,
``neg (neg - 1)`` not-met pairs and ``pos neg`` of each disagreeing kind.

Degenerate cases: no pair -> NaN figures (n_pairs 0); an F1 whose class never occurs on
either side -> NaN, and so the balanced F1; kappa with chance agreement 1 -> NaN.

Input: a long DataFrame with one row per (unit, rater) label; labels are booleans or 0/1
(NaN rows are dropped). A rater labelling one unit twice is an error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

RANDOM_BASELINE_F1 = 0.5
"""Balanced F1 of a coin-flip rater when half the reference labels are "met"."""


@dataclass(frozen=True)
class BinaryAgreement:
    """Agreement figures of one pooled 2 x 2 table of (self, reference) label pairs.

    Attributes:
        n_pairs: pairs in the table.
        both_met, self_only, reference_only, neither: the four cells (TP, FP, FN, TN with the
            reference as truth).
        raw_agreement: share of agreeing pairs.
        cohen_kappa: Cohen's kappa of the table.
        f1_met, f1_not_met: F1 for each class.
        balanced_f1: mean of the two F1s (HealthBench's "balanced F1", a macro F1).
    """

    n_pairs: int
    both_met: int
    self_only: int
    reference_only: int
    neither: int
    raw_agreement: float
    cohen_kappa: float
    f1_met: float
    f1_not_met: float
    balanced_f1: float

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for JSON reports."""
        return asdict(self)


def _safe_div(num: npt.ArrayLike, den: npt.ArrayLike) -> np.ndarray:
    num_arr, den_arr = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num_arr, den_arr).shape, np.nan)
    np.divide(num_arr, den_arr, out=out, where=den_arr != 0)
    return out


def _figures(tp: npt.ArrayLike, fp: npt.ArrayLike, fn: npt.ArrayLike, tn: npt.ArrayLike) -> dict:
    """The figures of many 2 x 2 tables at once (arrays of cells)."""
    tp, fp, fn, tn = (np.asarray(c, dtype=float) for c in (tp, fp, fn, tn))
    n = tp + fp + fn + tn
    agree = _safe_div(tp + tn, n)
    p_self, p_ref = _safe_div(tp + fp, n), _safe_div(tp + fn, n)
    chance = p_self * p_ref + (1 - p_self) * (1 - p_ref)
    kappa = _safe_div(agree - chance, 1 - chance)
    f1_met = _safe_div(2 * tp, 2 * tp + fp + fn)
    f1_not = _safe_div(2 * tn, 2 * tn + fp + fn)
    return {
        "n_pairs": n,
        "both_met": tp,
        "self_only": fp,
        "reference_only": fn,
        "neither": tn,
        "raw_agreement": agree,
        "cohen_kappa": kappa,
        "f1_met": f1_met,
        "f1_not_met": f1_not,
        "balanced_f1": (f1_met + f1_not) / 2,
    }


def agreement_from_table(tp: int, fp: int, fn: int, tn: int) -> BinaryAgreement:
    """The figures of one 2 x 2 table (self "met" & reference "met" = tp, and so on)."""
    figures = _figures(tp, fp, fn, tn)
    counts = ("n_pairs", "both_met", "self_only", "reference_only", "neither")
    values: dict[str, Any] = {k: int(v) if k in counts else float(v) for k, v in figures.items()}
    return BinaryAgreement(**values)


def _clean(labels: pd.DataFrame, unit: str, rater: str, label: str) -> pd.DataFrame:
    missing = [c for c in (unit, rater, label) if c not in labels.columns]
    if missing:
        raise ValueError(f"labels lack column(s) {missing}; have {list(labels.columns)}")
    frame = labels[[unit, rater, label]].dropna(subset=[label])
    frame = frame.rename(columns={unit: "unit", rater: "rater", label: "label"})
    values = frame["label"].astype(float)
    if not values.isin([0.0, 1.0]).all():
        raise ValueError("labels must be booleans or 0/1")
    frame = frame.assign(label=values.astype(int))
    if frame.duplicated(["unit", "rater"]).any():
        dup = frame[frame.duplicated(["unit", "rater"])].iloc[0]
        raise ValueError(f"rater {dup['rater']!r} labels unit {dup['unit']!r} more than once")
    return frame


def _unit_counts(frame: pd.DataFrame) -> pd.DataFrame:
    grouped = frame.groupby("unit", sort=False)["label"]
    return pd.DataFrame({"pos": grouped.sum(), "total": grouped.size()}).assign(
        neg=lambda d: d["total"] - d["pos"]
    )


def pairwise_agreement(
    labels: pd.DataFrame, *, unit: str = "unit", rater: str = "rater", label: str = "label"
) -> BinaryAgreement:
    """Inter-rater agreement over all ordered pairs of distinct raters within a unit, pooled.

    Args:
        labels: long table, one row per (unit, rater) binary label.
        unit, rater, label: its column names.

    Returns:
        The pooled :class:`BinaryAgreement` (the table is symmetric, so F1 for "met" equals
        the positive agreement and self/reference roles do not matter).
    """
    counts = _unit_counts(_clean(labels, unit, rater, label))
    pos, neg = counts["pos"].to_numpy(float), counts["neg"].to_numpy(float)
    tp = float(np.sum(pos * (pos - 1)))
    tn = float(np.sum(neg * (neg - 1)))
    mixed = float(np.sum(pos * neg))
    return agreement_from_table(int(tp), int(mixed), int(mixed), int(tn))


def judge_agreement(
    judge: pd.Series,
    labels: pd.DataFrame,
    *,
    unit: str = "unit",
    rater: str = "rater",
    label: str = "label",
) -> BinaryAgreement:
    """The judge's label against each rater's label on the same unit, pooled.

    Args:
        judge: the judge's label per unit (index = unit id; bool or 0/1; NaN = not judged).
        labels: the raters' long table.
        unit, rater, label: its column names.

    Returns:
        The pooled :class:`BinaryAgreement` with the judge on the "self" side.
    """
    counts = _unit_counts(_clean(labels, unit, rater, label))
    verdict = judge.dropna().astype(float)
    if not verdict.isin([0.0, 1.0]).all():
        raise ValueError("judge labels must be booleans or 0/1")
    joined = counts.join(verdict.rename("judge"), how="inner")
    j = joined["judge"].to_numpy(float)
    pos, neg = joined["pos"].to_numpy(float), joined["neg"].to_numpy(float)
    return agreement_from_table(
        int(np.sum(j * pos)),
        int(np.sum(j * neg)),
        int(np.sum((1 - j) * pos)),
        int(np.sum((1 - j) * neg)),
    )


def per_rater_agreement(
    labels: pd.DataFrame,
    judge: pd.Series | None = None,
    *,
    unit: str = "unit",
    rater: str = "rater",
    label: str = "label",
    judge_name: str = "judge",
) -> pd.DataFrame:
    """One row of figures per rater: that rater against every other label on its units.

    This is HealthBench's per-rater aggregation: each rater's pairs are (own label, each other
    rater's label on the same unit). With ``judge``, a last row holds the judge against every
    rater label (the same figures as :func:`judge_agreement`); the judge is never a reference
    for the raters.

    Args:
        labels: the raters' long table.
        judge: optional judge label per unit (index = unit id).
        unit, rater, label: column names of ``labels``.
        judge_name: the row label of the judge.

    Returns:
        A DataFrame indexed by rater with the :class:`BinaryAgreement` fields as columns and
        a bool column ``is_judge``; raters with no co-rated unit have ``n_pairs`` 0 and NaNs.
    """
    frame = _clean(labels, unit, rater, label)
    counts = _unit_counts(frame)
    joined = frame.join(counts, on="unit")
    own = joined["label"].to_numpy(float)
    pos, neg = joined["pos"].to_numpy(float), joined["neg"].to_numpy(float)
    # others on the same unit: pos - own "met", neg - (1 - own) "not met"
    cells = pd.DataFrame(
        {
            "rater": joined["rater"].to_numpy(),
            "tp": own * (pos - own),
            "fp": own * neg,
            "fn": (1 - own) * pos,
            "tn": (1 - own) * (neg - (1 - own)),
        }
    )
    sums = cells.groupby("rater", sort=True)[["tp", "fp", "fn", "tn"]].sum()
    table = pd.DataFrame(_figures(sums["tp"], sums["fp"], sums["fn"], sums["tn"]), index=sums.index)
    table["is_judge"] = False
    if judge is not None:
        row = judge_agreement(judge, labels, unit=unit, rater=rater, label=label).as_dict()
        table.loc[judge_name] = {**row, "is_judge": True}
    for column in ("n_pairs", "both_met", "self_only", "reference_only", "neither"):
        table[column] = table[column].astype(int)
    table.index.name = "rater"
    return table


def judge_percentile(judge_value: float, rater_values: npt.ArrayLike) -> float:
    """The judge's percentile among the raters on one figure (e.g. balanced F1).

    Percentile = 100 x (raters strictly below + half the raters tied) / raters, i.e.
    ``scipy.stats.percentileofscore(kind="mean")``; NaN rater values are left out.

    Returns:
        A number in [0, 100]; NaN when the judge value is NaN or no rater value is defined.
    """
    values = np.asarray(rater_values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0 or np.isnan(judge_value):
        return float("nan")
    below = np.sum(values < judge_value) + 0.5 * np.sum(values == judge_value)
    return float(100.0 * below / values.size)


def random_baseline_f1(prevalence: float = 0.5, guess_rate: float = 0.5) -> float:
    """Expected balanced F1 of a rater who says "met" at random with probability ``guess_rate``
    against references that are "met" with probability ``prevalence`` (large-sample limit).

    ``F1_met = 2 q p / (q + p)``, ``F1_not = 2 (1-q)(1-p) / ((1-q) + (1-p))``; their mean is
    0.5 at q = p = 0.5 (:data:`RANDOM_BASELINE_F1`). A class with probability 0 on both sides
    has an undefined F1 and gives NaN.
    """
    p, q = prevalence, guess_rate
    f1_met = _safe_div(2 * q * p, q + p)
    f1_not = _safe_div(2 * (1 - q) * (1 - p), (1 - q) + (1 - p))
    return float((f1_met + f1_not) / 2)
