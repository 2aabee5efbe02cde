"""The comparison table and the recommendation (pure: report data in, rows out).

One row per arm, read from that arm's ordinary calibration report data
(:func:`rubricate.calibration.report.data.build_report_data`): its grader's SHA-256, its
verdict, stability (mean and highest per-criterion flip probability per grading, ICC of the
reward over repeats), discrimination (AUC great vs poor, share of items ordered
great > fair > poor), agreement with the experts (MAE of the reward against the expert mean;
the mean over binary criteria of the grader's balanced F1 against the expert majority),
adversarial answers that outscore their item's fair answers, and the judge calls, tokens and
estimated cost. A figure the arm's report does not hold is ``None`` ("not assessed"), never 0;
an arm whose judge did not run (no endpoint) has its calls, tokens and cost not assessed.

Recommendation (:data:`RULE`): prefer arms whose verdict is ready; among those, the higher AUC;
then the lower highest flip probability; then the lower cost; a figure not assessed ranks below
any measured one; a full tie keeps the order of the spec.
"""

from __future__ import annotations

import math
from typing import Any

RULE = (
    "prefer arms whose calibration verdict is ready; then the higher AUC great vs poor; then "
    "the lower highest flip probability; then the lower estimated cost (a figure not assessed "
    "ranks below any measured one; a full tie keeps the order given to --compare)"
)
NOT_ASSESSED = "not assessed"

COLUMNS: tuple[tuple[str, str], ...] = (
    ("arm", "arm"),
    ("grader_sha256", "grader SHA-256"),
    ("verdict", "verdict"),
    ("mean_flip_p", "mean flip probability"),
    ("max_flip_p", "highest flip probability"),
    ("icc", "ICC over repeats"),
    ("auc", "AUC great vs poor"),
    ("order_share", "ordered great > fair > poor"),
    ("expert_mae", "MAE vs experts"),
    ("expert_f1", "mean F1 vs experts"),
    ("adversarial_beat_fair", "adversarial above fair"),
    ("judge_calls", "judge calls"),
    ("tokens", "tokens"),
    ("cost_usd", "est. cost (USD)"),
)
"""The table's columns: (row key, header)."""


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) else float(value)


def _flips(data: dict[str, Any]) -> list[float]:
    rows = _get(data, "stability", "criteria") or []
    return [v for v in (_num(r.get("flip_p")) for r in rows) if v is not None]


def _adversarial(head: Any) -> int | None:
    rows = _get(head, "adversarial")
    if not isinstance(rows, list) or not rows:
        return None
    return sum(1 for r in rows if r.get("outscores"))


def _expert_f1(agreement: Any) -> float | None:
    rows = _get(agreement, "criteria") or []
    values = [v for v in (_num(r.get("grader_f1")) for r in rows) if v is not None]
    return sum(values) / len(values) if values else None


def _usage(cost: Any, judged: Any) -> dict[str, Any]:
    if not isinstance(cost, dict) or judged is False:  # the judge did not run: nothing measured
        return {"judge_calls": None, "tokens": None, "cost_usd": None}
    calls = [_num(cost.get(k)) for k in ("calls", "cached")]
    # replayed calls count with the tokens they used when made (a run before replayed tokens
    # were recorded has none: its tokens are then those of the calls it made)
    tokens = [_num(cost.get(k)) for k in ("input_tokens", "output_tokens")]
    tokens.append(_num(cost.get("replayed_tokens", 0)))
    dollars = [_num(cost.get(k)) for k in ("cost_usd", "replayed_cost_usd")]
    priced = not cost.get("unpriced")  # a local endpoint is priced: it costs nothing
    return {
        "judge_calls": None if None in calls else int(sum(c or 0 for c in calls)),
        "tokens": None if None in tokens else int(sum(t or 0 for t in tokens)),
        # calls replayed from the store count at what they cost when they were made
        "cost_usd": sum(d or 0 for d in dollars) if priced and None not in dollars else None,
    }


def arm_row(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The comparison row of the arm ``name`` from its report data."""
    head = _get(data, "discrimination", "headline")
    flips = _flips(data)
    return {
        "arm": name,
        "grader_sha256": _get(data, "run", "grader_sha256"),
        "target": _get(data, "run", "target"),
        "judge_model": _get(data, "run", "judge_model"),
        "judged_run": _get(data, "run", "judged_run"),
        "verdict": _get(data, "verdict", "status"),
        "mean_flip_p": sum(flips) / len(flips) if flips else None,
        "max_flip_p": max(flips) if flips else None,
        "icc": _num(_get(data, "stability", "headline", "icc", "value")),
        "auc": _num(_get(head, "auc", "estimate")),
        "order_share": _num(_get(head, "order", "share")),
        "expert_mae": _num(_get(data, "agreement", "total", "grader_vs_mean", "mae", "estimate")),
        "adversarial_beat_fair": _adversarial(head),
        "expert_f1": _expert_f1(data.get("agreement")),
        **_usage(data.get("cost"), _get(data, "run", "judged_run")),
    }


def comparison_rows(arms: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per ``(arm name, report data)``, in the given order."""
    return [arm_row(name, data) for name, data in arms]


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    def low(value: float | None) -> tuple[int, float]:  # measured first, then lower
        return (1, 0.0) if value is None else (0, value)

    auc = row["auc"]
    return (
        row["verdict"] != "ready",
        low(None if auc is None else -auc),
        low(row["max_flip_p"]),
        low(row["cost_usd"]),
    )


def _fmt(value: Any) -> str:
    if value is None:
        return NOT_ASSESSED
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _why(best: dict[str, Any], other: dict[str, Any]) -> str:
    name = other["arm"]
    if (best["verdict"] == "ready") != (other["verdict"] == "ready"):
        return f"its verdict is ready ({name}: {other['verdict']})"
    steps = (("auc", "higher AUC great vs poor"), ("max_flip_p", "lower highest flip probability"),
             ("cost_usd", "lower estimated cost"))  # fmt: skip
    ready = "both ready" if best["verdict"] == "ready" else "neither ready"
    for key, words in steps:
        if best[key] != other[key]:
            return f"{ready}; {words}: {_fmt(best[key])} vs {_fmt(other[key])} ({name})"
    return f"tied with {name} on every figure of the rule; listed first"


def recommend(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The arm to export and why (see :data:`RULE`): ``{arm, grader_sha256, reason, rule,
    ranking}``; ``reason`` compares it with the runner-up."""
    ranked = sorted(rows, key=_key)  # stable: a full tie keeps the spec's order
    best = ranked[0]
    reasons = [_why(best, other) for other in ranked[1:]]
    return {
        "arm": best["arm"],
        "grader_sha256": best["grader_sha256"],
        "ready": best["verdict"] == "ready",
        "reason": reasons[0] if reasons else "the only arm",
        "reasons": reasons,
        "rule": RULE,
        "ranking": [r["arm"] for r in ranked],
    }


def cell(key: str, value: Any) -> str:
    """A table cell: ``not assessed`` for a missing figure, 3 decimals, a short SHA-256."""
    if key == "grader_sha256" and isinstance(value, str):
        return value[:12]
    if key == "cost_usd" and isinstance(value, float):
        return f"{value:.4f}"
    return _fmt(value)
