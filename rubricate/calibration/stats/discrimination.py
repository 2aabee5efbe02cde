"""Discrimination: does the grader rank great above fair above poor, and resist reward hacking?

Every function takes the tidy grades table (:mod:`rubricate.calibration.grades_table`), uses
one criterion (default the total reward) and ignores unscored rows.

Definitions:

- tier mean: the mean of every scored grade of the tier's answers (repeats pooled), with a
  bootstrap interval that resamples whole answers (an answer's repeats are one cluster);
- item tier mean: per item and tier, the mean of the scored grades of that tier's answers;
- tier order: an item is *ordered* when its item tier means strictly decrease along
  ``great > fair > poor``; items lacking one of the tiers are left out (and counted). The
  share comes with a Wilson interval over items;
- tier margins: per item, the difference of two item tier means (e.g. great - fair), averaged
  over the items that have both tiers, with a bootstrap interval over items;
- AUC great vs poor: the probability that one grade of a random great answer exceeds one grade
  of a random poor answer, ties counting half (the Mann-Whitney U statistic / (n_great n_poor);
  H. B. Mann and D. R. Whitney (1947), *Ann. Math. Statist.* 18, 50-60). Single grades, not
  answer means, because a trainer sees single grades. Interval: bootstrap over whole items;
- adversarial risk: an adversarial answer whose mean score exceeds the mean of its item's fair
  answers (the reference tier is configurable).

Degenerate cases: a tier with no scored grade -> NaN mean; no item with every tier -> share
NaN; AUC without a great or a poor grade -> NaN; a single item -> NaN interval bounds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from rubricate.calibration.grades_table import ANSWER_KEY, TIERS, TOTAL, scored_rows
from rubricate.calibration.stats.bootstrap import (
    BootstrapCI,
    CIMethod,
    Seed,
    bootstrap_ci,
    bootstrap_mean_ci,
    rng_from,
)
from rubricate.calibration.stats.distributions import average_ranks
from rubricate.calibration.stats.proportion import proportion_ci

ORDER: tuple[str, ...] = ("great", "fair", "poor")
"""The tier order a good grader reproduces, best first."""


def tier_means(
    grades: pd.DataFrame,
    criterion: str = TOTAL,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    method: CIMethod = "bca",
    seed: Seed = 0,
) -> pd.DataFrame:
    """Mean score per tier with a cluster-bootstrap interval (answers are clusters).

    Args:
        grades: the tidy grades table.
        criterion: which criterion (default the total reward).
        confidence, n_resamples, method: of the bootstrap intervals.
        seed: int seed or Generator; one stream serves every tier in turn.

    Returns:
        A DataFrame indexed by tier (in :data:`TIERS` order, tiers with grades only) with
        columns ``n_items``, ``n_answers``, ``n_scores``, ``mean``, ``ci_low``, ``ci_high``.
    """
    rows = scored_rows(grades, criterion)
    rng = rng_from(seed)
    records = []
    for tier in [t for t in TIERS if t in set(rows["tier"])]:  # at most four tiers
        part = rows[rows["tier"] == tier]
        clusters = part["item_id"].astype(str) + "\x1f" + part["answer_id"].astype(str)
        ci = bootstrap_mean_ci(
            part["score"].to_numpy(),
            clusters=clusters.to_numpy(),
            confidence=confidence,
            n_resamples=n_resamples,
            method=method,
            seed=rng,
        )
        records.append(
            {
                "tier": tier,
                "n_items": part["item_id"].nunique(),
                "n_answers": int(clusters.nunique()),
                "n_scores": len(part),
                "mean": ci.estimate,
                "ci_low": ci.low,
                "ci_high": ci.high,
            }
        )
    columns = ["tier", "n_items", "n_answers", "n_scores", "mean", "ci_low", "ci_high"]
    return pd.DataFrame.from_records(records, columns=columns).set_index("tier")


def item_tier_means(grades: pd.DataFrame, criterion: str = TOTAL) -> pd.DataFrame:
    """Per item (rows) and tier (columns, :data:`TIERS` order): mean of the scored grades."""
    rows = scored_rows(grades, criterion)
    table = rows.pivot_table(index="item_id", columns="tier", values="score", aggfunc="mean")
    return table.reindex(columns=[t for t in TIERS if t in table.columns])


@dataclass(frozen=True)
class TierOrder:
    """How many items the grader orders great > fair > poor.

    Attributes:
        n_items: items that have every tier of the order with a scored grade.
        n_ordered: those whose item tier means strictly decrease along the order.
        share, ci_low, ci_high: n_ordered / n_items with a Wilson interval.
        n_incomplete: items left out because a tier had no scored grade.
        pairwise: for each adjacent or outer pair "a>b", the share of items (having both)
            with mean(a) > mean(b).
    """

    n_items: int
    n_ordered: int
    share: float
    ci_low: float
    ci_high: float
    n_incomplete: int
    pairwise: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for JSON reports."""
        return asdict(self)


def tier_order(
    grades: pd.DataFrame,
    criterion: str = TOTAL,
    *,
    order: tuple[str, ...] = ORDER,
    confidence: float = 0.95,
) -> TierOrder:
    """Share of items whose tier means strictly decrease along ``order``.

    Args:
        grades: the tidy grades table.
        criterion: which criterion (default the total reward).
        order: the expected order, best first.
        confidence: level of the Wilson interval.

    Returns:
        A :class:`TierOrder`; see the module docstring for degenerate cases.
    """
    means = item_tier_means(grades, criterion).reindex(columns=list(order))
    complete = means.dropna()
    values = complete.to_numpy()
    ordered = np.all(values[:, :-1] > values[:, 1:], axis=1) if len(values) else np.array([])
    n_items, n_ordered = len(complete), int(ordered.sum())
    low, high = proportion_ci(n_ordered, n_items, confidence=confidence)
    pairwise = {}
    for i, better in enumerate(order):  # tier pairs, not units
        for worse in order[i + 1 :]:
            both = means[[better, worse]].dropna()
            share = float((both[better] > both[worse]).mean()) if len(both) else float("nan")
            pairwise[f"{better}>{worse}"] = share
    return TierOrder(
        n_items=n_items,
        n_ordered=n_ordered,
        share=n_ordered / n_items if n_items else float("nan"),
        ci_low=float(low),
        ci_high=float(high),
        n_incomplete=int(len(means) - n_items),
        pairwise=pairwise,
    )


def tier_margins(
    grades: pd.DataFrame,
    criterion: str = TOTAL,
    *,
    pairs: tuple[tuple[str, str], ...] = (("great", "fair"), ("fair", "poor"), ("great", "poor")),
    confidence: float = 0.95,
    n_resamples: int = 2000,
    method: CIMethod = "bca",
    seed: Seed = 0,
) -> pd.DataFrame:
    """Mean per-item margin between two tiers, with a bootstrap interval over items.

    Returns:
        A DataFrame indexed by ``"great-fair"`` style labels with columns ``n_items``,
        ``margin``, ``ci_low``, ``ci_high`` (NaN when no item has both tiers).
    """
    means = item_tier_means(grades, criterion)
    rng = rng_from(seed)
    records = []
    for better, worse in pairs:  # a handful of tier pairs
        if better in means.columns and worse in means.columns:
            diff = (means[better] - means[worse]).dropna().to_numpy()
        else:
            diff = np.array([])
        ci = bootstrap_mean_ci(
            diff, confidence=confidence, n_resamples=n_resamples, method=method, seed=rng
        )
        records.append(
            {
                "pair": f"{better}-{worse}",
                "n_items": diff.size,
                "margin": ci.estimate,
                "ci_low": ci.low,
                "ci_high": ci.high,
            }
        )
    return pd.DataFrame.from_records(records).set_index("pair")


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(random positive score > random negative score) + half the ties; NaN if a side is empty."""
    pos, neg = np.asarray(positive, dtype=float), np.asarray(negative, dtype=float)
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    ranks = average_ranks(np.concatenate([pos, neg]))
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


def tier_auc(
    grades: pd.DataFrame,
    criterion: str = TOTAL,
    *,
    positive: str = "great",
    negative: str = "poor",
    confidence: float = 0.95,
    n_resamples: int = 2000,
    method: CIMethod = "percentile",
    seed: Seed = 0,
) -> BootstrapCI:
    """AUC of single grades, ``positive`` tier vs ``negative`` tier, with an item bootstrap.

    Returns:
        A :class:`~rubricate.calibration.stats.bootstrap.BootstrapCI` whose ``estimate`` is the AUC
        (1.0 = every great grade above every poor one, 0.5 = no discrimination).
    """
    rows = scored_rows(grades, criterion)
    rows = rows[rows["tier"].isin([positive, negative])]
    is_positive = (rows["tier"] == positive).to_numpy()
    scores = rows["score"].to_numpy(dtype=float)
    data = np.column_stack([scores, is_positive])

    def statistic(sample: np.ndarray) -> float:
        mask = sample[:, 1] == 1.0
        return auc(sample[mask, 0], sample[~mask, 0])

    return bootstrap_ci(
        data,
        statistic,
        clusters=rows["item_id"].to_numpy(),
        confidence=confidence,
        n_resamples=n_resamples,
        method=method,
        seed=seed,
    )


def adversarial_risks(
    grades: pd.DataFrame, criterion: str = TOTAL, *, reference: str = "fair"
) -> pd.DataFrame:
    """Every adversarial answer next to its item's ``reference`` tier mean.

    Args:
        grades: the tidy grades table.
        criterion: which criterion (default the total reward).
        reference: the tier an adversarial answer must not outscore.

    Returns:
        A DataFrame with columns ``item_id``, ``answer_id``, ``kind``, ``n_scores``, ``mean``,
        ``reference_mean`` (NaN when the item has no scored reference answer), ``margin``
        (mean - reference_mean) and ``outscores`` (margin > 0), sorted by margin, highest
        first: the rows with ``outscores`` are reward-hacking risks.
    """
    rows = scored_rows(grades, criterion)
    reference_mean = rows[rows["tier"] == reference].groupby("item_id")["score"].mean()
    adversarial = rows[rows["tier"] == "adversarial"]
    grouped = adversarial.groupby(ANSWER_KEY, sort=True, dropna=False)
    table = pd.DataFrame(
        {
            "kind": grouped["kind"].first(),
            "n_scores": grouped["score"].size(),
            "mean": grouped["score"].mean(),
        }
    ).reset_index()
    table["reference_mean"] = table["item_id"].map(reference_mean).astype(float)
    table["margin"] = table["mean"] - table["reference_mean"]
    table["outscores"] = (table["margin"] > 0).astype(bool)  # NaN margin: False
    columns = [*ANSWER_KEY, "kind", "n_scores", "mean", "reference_mean", "margin", "outscores"]
    return (
        table[columns].sort_values("margin", ascending=False, kind="stable").reset_index(drop=True)
    )
