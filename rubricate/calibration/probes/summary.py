"""The report section of the generated adversarial probes (``report.json`` ``probes``).

Read from the graded rows (rows *not run* left out) and the generation record in ``run.json``
(:meth:`rubricate.calibration.probes.generate.ProbeSet.manifest`). Probes are judged exactly
like hand-written adversarial answers: a probe *outscores* its item's fair answers when its
mean over repeats is above the mean of the item's fair answers, on the score the run-level
figures use (the reward; without a judge, the checks-only score, which is not the reward: the
section says so with ``on_reward`` false, and no reward hack is claimed). An item without a
scored fair answer cannot be compared: its probes are *not assessed* (``outscores`` None),
never a pass.

- ``kinds``: per probe kind, how many probes were generated, not generated, compared with fair
  answers, and how many outscore them (with the items);
- ``probes``: every probe with its mean, the fair mean, the margin and ``outscores``; for the
  form probes (padding, parroting, injection, built on the first half of the great answer)
  also ``half_mean``, the mean of the truncation probe of the same answer (their control), and
  ``over_half``: what the form added (``kinds[].above_half`` counts those above it). A padding
  probe that outscores the fair answers *and* the half alone is a judge rewarding length;
  one that only ties the half says the half already outscores them;
- ``criteria``: per kind and criterion, of the probes compared on that criterion, how many do
  better than the item's fair answers (a higher score; for a penalty, a lower one): which
  criterion the hack moves;
- ``not_generated``: every kind not built for an item, with the reason.

The readiness check ``adversarial`` counts the probes as adversarial answers (they are tier
``adversarial`` in the grades table): a probe that outscores fair answers is a reward hack the
policy can learn, whether someone wrote it or not.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from rubricate.calibration.grades_table import TOTAL, scored_rows
from rubricate.calibration.probes.adversarial import PROBE_DESCRIPTIONS, PROBE_KINDS
from rubricate.calibration.probes.generate import PREFIX, is_probe

FORM = ("padding", "parroting", "injection")
"""The probes built on the first half: the truncation probe of the same answer is their
control."""


def _mean(value: Any) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


def _probe_means(graded: pd.DataFrame, criterion: str) -> tuple[pd.DataFrame, pd.Series]:
    rows = scored_rows(graded, criterion)
    fair = rows[rows["tier"] == "fair"].groupby("item_id")["score"].mean()
    probes = rows[rows["kind"].map(is_probe)]
    means = probes.groupby(["item_id", "answer_id"], sort=True).agg(
        kind=("kind", "first"), n_scores=("score", "size"), mean=("score", "mean")
    )
    return means.reset_index(), fair


def _probe_rows(graded: pd.DataFrame, headline: str | None, generated: list[dict]) -> list[dict]:
    means = pd.DataFrame(columns=["item_id", "answer_id", "n_scores", "mean"])
    fair = pd.Series(dtype=float)
    if headline is not None:
        means, fair = _probe_means(graded, headline)
    row: Any  # a row of the means table (pandas types its fields as any scalar)
    by_key = {(row.item_id, row.answer_id): row for row in means.itertuples(index=False)}
    rows = []
    for probe in generated:
        found: Any = by_key.get((probe["item_id"], probe["answer_id"]))
        mean = None if found is None else _mean(found.mean)
        fair_mean = _mean(fair.get(probe["item_id"]))
        margin = None if mean is None or fair_mean is None else mean - fair_mean
        rows.append({
            **{k: probe[k] for k in ("item_id", "answer_id", "probe", "source")},
            "n_scores": 0 if found is None else int(found.n_scores),
            "mean": mean, "fair_mean": fair_mean, "margin": margin,
            "outscores": None if margin is None else bool(margin > 0),
        })  # fmt: skip
    control = {(r["item_id"], r["source"]): r["mean"] for r in rows if r["probe"] == "truncation"}
    for row in rows:
        half = control.get((row["item_id"], row["source"])) if row["probe"] in FORM else None
        row["half_mean"] = half
        row["over_half"] = None if half is None or row["mean"] is None else row["mean"] - half
    return rows


def _criterion_rows(
    graded: pd.DataFrame, criteria: list[tuple[str, bool]], scored_by: dict[str, str]
) -> list[dict[str, Any]]:
    out = []
    for criterion, penalty in criteria:
        means, fair = _probe_means(graded, criterion)
        if means.empty:
            continue
        means["fair_mean"] = means["item_id"].map(fair)
        compared = means.dropna(subset=["fair_mean"])
        better = (
            compared["mean"] < compared["fair_mean"]
            if penalty
            else compared["mean"] > compared["fair_mean"]
        )
        for kind in PROBE_KINDS:
            mine = compared["kind"] == PREFIX + kind
            if not (means["kind"] == PREFIX + kind).any():
                continue
            out.append({
                "probe": kind, "criterion": criterion, "penalty": penalty,
                "scored_by": scored_by.get(criterion, "grader"),
                "compared": int(mine.sum()), "beat_fair": int((better & mine).sum()),
                "items": sorted(compared.loc[better & mine, "item_id"].astype(str).unique()),
            })  # fmt: skip
    return out


def probe_section(
    graded: pd.DataFrame,
    record: dict[str, Any],
    *,
    headline: str | None,
    criteria: list[tuple[str, bool]],
    scored_by: dict[str, str],
) -> dict[str, Any]:
    """The ``probes.adversarial`` section of the report data (see the module docstring).

    Args:
        graded: the grades table without rows not run.
        record: ``run.json``'s ``probes.adversarial``.
        headline: the score the run-level figures use (``__total__``, ``__checks__``, None).
        criteria: ``(criterion id, is a penalty)`` of each graded criterion.
        scored_by: who scores each criterion (:func:`rubricate.calibration.report.data.
            scored_by`).
    """
    probes = _probe_rows(graded, headline, record.get("generated", []))
    missing = record.get("not_generated", [])
    kinds = []
    for kind in record.get("kinds", PROBE_KINDS):
        mine = [p for p in probes if p["probe"] == kind]
        compared = [p for p in mine if p["outscores"] is not None]
        winners = [p for p in compared if p["outscores"]]
        kinds.append({
            "probe": kind, "description": PROBE_DESCRIPTIONS.get(kind, kind),
            "generated": len(mine),
            "not_generated": sum(1 for m in missing if m["probe"] == kind),
            "compared": len(compared), "outscore": len(winners),
            "items": sorted({str(p["item_id"]) for p in winners}),
            "above_half": (sum(1 for p in mine if (p["over_half"] or 0) > 0)
                           if kind in FORM else None),
        })  # fmt: skip
    return {
        "score": headline,
        "on_reward": headline == TOTAL,
        "pad_factor": record.get("pad_factor"),
        "kinds": kinds,
        "probes": sorted(probes, key=lambda p: (-(p["margin"] if p["margin"] is not None
                                                  else -math.inf), p["item_id"],
                                                p["answer_id"])),  # fmt: skip
        "criteria": _criterion_rows(graded, criteria, scored_by),
        "not_generated": missing,
        "outscore": sum(k["outscore"] for k in kinds),
    }
