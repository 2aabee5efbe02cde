"""Statistics of a baseline run: the variance study, the learning signal, means side by side.

Everything here is pure: it takes the baseline grades table (the tidy grades table,
:mod:`~rubricate.calibration.grades_table`, plus ``model`` and ``sample`` columns; one grade
per sample) or the sample
table (:data:`~rubricate.calibration.baseline.run.SAMPLE_COLUMNS`) and returns frames and dicts.
Unscored samples are left out of every mean and counted on their own: never averaged in as 0.

Variance study (per model, per item, over its scored samples; the RFT build hour's study):
``n`` scored samples, ``mean``, ``max``, ``min``, ``sd`` and ``var`` (``ddof=1``: the sample
variance, as the build hour computes it; NaN for fewer than 2 samples), ``headroom`` = max -
mean; sorted by mean, ascending. Its summary: items, scored samples, the *overall mean* (mean of
the item means), the *mean of maxima*, the *mean variance* (over items with 2+ samples).

Learning signal (per model, over *measured* items: 2 or more scored samples; the others are
listed as too few): share of items with zero variance (max - min <= 1e-9), share always at the
range minimum, share always at the maximum, headroom (mean of max - mean), and a verdict:

- ``likely``: at least half the items vary (:data:`LIKELY_SHARE`) and the headroom is at least
  5 % of the score range (:data:`LIKELY_HEADROOM`): samples already differ and the best beat
  the mean, which is what RFT's grader signal pulls the mean towards;
- ``limited``: at least a fifth vary and the headroom is at least 2 % of the range;
- ``unlikely``: less than that; the reason says whether most items are always at the maximum
  (too easy), always at the minimum (too hard, or a grader that never gives credit), or flat;
- ``unknown``: no measured item (one sample per item, or every sample unscored).

The items to drop (always at the maximum: nothing to learn), to fix or drop (always at the
minimum) and the flat ones (the same intermediate score every time) are named.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from rubricate.calibration.grades_table import TOTAL, is_scored
from rubricate.calibration.stats.readiness import variance_study

LIKELY_SHARE = 0.5
"""Share of measured items that must vary for ``likely``."""
LIMITED_SHARE = 0.2
"""Share of measured items that must vary for ``limited``."""
LIKELY_HEADROOM = 0.05
"""Headroom, as a fraction of the score range's width, needed for ``likely``."""
LIMITED_HEADROOM = 0.02
"""Headroom, as a fraction of the score range's width, needed for ``limited``."""
_TOLERANCE = 1e-9


def model_rows(grades: pd.DataFrame, model: str) -> pd.DataFrame:
    """The grade rows of one model."""
    return grades[grades["model"] == model]


def item_study(grades: pd.DataFrame, model: str, criterion: str = TOTAL) -> pd.DataFrame:
    """The variance study of one model: per item n, mean, max, min, sd, var, headroom.

    Returns:
        A DataFrame indexed by ``item_id``, ascending by mean (ties by id); empty when the
        model has no scored sample.
    """
    table = variance_study(model_rows(grades, model), criterion, by="item")
    table = table.rename(columns={"n_scores": "n"})
    table["var"] = table["sd"] ** 2
    return table[["n", "mean", "max", "min", "sd", "var", "headroom"]]


def study_summary(study: pd.DataFrame) -> dict[str, Any]:
    """Items, scored samples, overall mean, mean of maxima and mean variance of a study."""
    variances = study["var"].dropna()
    return {
        "items": int(len(study)),
        "samples": int(study["n"].sum()) if len(study) else 0,
        "overall_mean": float(study["mean"].mean()) if len(study) else np.nan,
        "mean_max": float(study["max"].mean()) if len(study) else np.nan,
        "mean_variance": float(variances.mean()) if len(variances) else np.nan,
        "items_with_variance": int(len(variances)),
    }


def _names(study: pd.DataFrame, mask: pd.Series) -> list[str]:
    return [str(i) for i in study.index[mask]]


def _verdict(signal: dict[str, Any], width: float) -> tuple[str, str]:
    measured = signal["measured"]
    if not measured:
        return "unknown", (
            "Cannot tell: no item has 2 or more scored samples; sample with --samples 3 or more "
            "(and fix what left samples unscored)"
        )
    varying = measured - signal["zero_variance"]
    headroom = signal["headroom"]
    share = varying / measured
    facts = (
        f"{varying} of {measured} items ({100 * share:.0f}%) score differently across samples, "
        f"mean headroom (best sample minus mean) {headroom:.3f}"
    )
    if share >= LIKELY_SHARE and headroom >= LIKELY_HEADROOM * width:
        return "likely", (
            f"RFT is likely to help: {facts}; the model already does better than its average "
            "on many items, and training pulls the average towards its best samples"
        )
    if share >= LIMITED_SHARE and headroom >= LIMITED_HEADROOM * width:
        return "limited", f"RFT may help a little: only {facts}; most items give no signal"
    if signal["share_all_max"] >= 0.5:
        why = "most items always score the maximum: too easy, nothing left to learn"
    elif signal["share_all_min"] >= 0.5:
        why = (
            "most items always score the minimum: too hard for this model, or a grader that "
            "never gives credit (check it on a few samples)"
        )
    else:
        why = "scores hardly change between samples"
    return "unlikely", f"RFT is unlikely to help: {facts}; {why}"


def learning_signal(
    grades: pd.DataFrame,
    model: str,
    score_range: tuple[float, float],
    criterion: str = TOTAL,
) -> dict[str, Any]:
    """The learning signal of one model (see the module docstring).

    Returns:
        ``measured``, ``zero_variance`` (counts), ``share_zero_variance``, ``share_all_min``,
        ``share_all_max`` (NaN with no measured item), ``headroom``, ``status``, ``verdict``,
        and the item ids ``drop`` (always max), ``fix`` (always min), ``flat`` (zero variance
        between the extremes) and ``too_few`` (fewer than 2 scored samples, none included).
    """
    low, high = score_range
    study = item_study(grades, model, criterion)
    measured = study[study["n"] >= 2]
    zero = (measured["max"] - measured["min"]).abs() <= _TOLERANCE
    at_min = zero & ((measured["max"] - low).abs() <= _TOLERANCE)
    at_max = zero & ((measured["min"] - high).abs() <= _TOLERANCE)
    n = len(measured)

    def share(mask: pd.Series) -> float:
        return float(mask.sum()) / n if n else np.nan

    signal: dict[str, Any] = {
        "measured": n,
        "zero_variance": int(zero.sum()),
        "share_zero_variance": share(zero),
        "share_all_min": share(at_min),
        "share_all_max": share(at_max),
        "headroom": float(measured["headroom"].mean()) if n else np.nan,
        "drop": _names(measured, at_max),
        "fix": _names(measured, at_min),
        "flat": _names(measured, zero & ~at_min & ~at_max),
        "too_few": sorted(set(model_rows(grades, model)["item_id"]) - set(measured.index)),
    }
    signal["status"], signal["verdict"] = _verdict(signal, high - low)
    return signal


def criterion_means(
    grades: pd.DataFrame, models: list[str], criteria: list[str]
) -> list[dict[str, Any]]:
    """Per criterion, per model: the mean over scored samples, how many, how many unscored.

    Returns:
        ``[{"criterion", "models": {model: {"mean", "n", "unscored"}}}]`` in ``criteria``
        order; a criterion no model has a row for is left out.
    """
    out = []
    scored = is_scored(grades)
    for criterion in criteria:
        rows = grades["criterion"] == criterion
        if not rows.any():
            continue
        per: dict[str, Any] = {}
        for model in models:
            mine = rows & (grades["model"] == model)
            values = grades.loc[mine & scored, "score"].astype(float)
            per[model] = {
                "mean": float(values.mean()) if len(values) else np.nan,
                "n": int(len(values)),
                "unscored": int((mine & ~scored).sum()),
            }
        out.append({"criterion": criterion, "models": per})
    return out


def usage_summary(samples: pd.DataFrame, model: str) -> dict[str, Any]:
    """Tokens, latency and cost per sample of one model (sample table rows).

    Latency is over the samples whose latency is known (live calls, or kept from the run that
    made them); costs are None when the model (or a judge model) has no price.
    """
    rows = samples[samples["model"] == model]
    latency = rows["latency_s"].dropna()
    generation = rows["generation_cost_usd"]
    grading = rows["grading_cost_usd"]

    def total(costs: pd.Series) -> float | None:
        return None if costs.isna().any() or not len(costs) else float(costs.sum())

    gen_total, grade_total = total(generation), total(grading)
    n = len(rows)
    return {
        "samples": n,
        "replayed": int(rows["cached"].sum()),
        "failed_generations": int(
            rows["error"].fillna("").astype(str).str.startswith("generation failed").sum()
        ),
        "reasoning_tokens_mean": float(rows["reasoning_tokens"].mean()) if n else np.nan,
        "reasoning_tokens_max": int(rows["reasoning_tokens"].max()) if n else 0,
        "output_tokens_mean": float(rows["output_tokens"].mean()) if n else np.nan,
        "input_tokens_mean": float(rows["input_tokens"].mean()) if n else np.nan,
        "latency_n": int(len(latency)),
        "latency_mean_s": float(latency.mean()) if len(latency) else np.nan,
        "latency_p50_s": float(latency.median()) if len(latency) else np.nan,
        "latency_p95_s": float(latency.quantile(0.95)) if len(latency) else np.nan,
        "generation_cost_usd": gen_total,
        "generation_cost_per_sample_usd": gen_total / n if gen_total is not None and n else None,
        "grading_cost_usd": grade_total,
        "grading_cost_per_sample_usd": (grade_total / n if grade_total is not None and n else None),
        "judge_calls": int(rows["judge_calls"].sum()),
    }


def unscored_samples(samples: pd.DataFrame, model: str) -> dict[str, Any]:
    """How many samples of one model are unscored, their share, and each one with its reason."""
    rows = samples[samples["model"] == model]
    bad = rows[~rows["scored"]]
    bad_rows: Iterator[Any] = bad.itertuples(index=False)  # pandas types fields as any scalar
    listed = [
        {"item_id": r.item_id, "sample": int(r.sample), "error": r.error or "unscored"}
        for r in bad_rows
    ]
    return {
        "count": int(len(bad)),
        "samples": int(len(rows)),
        "share": float(len(bad)) / len(rows) if len(rows) else np.nan,
        "list": listed,
    }
