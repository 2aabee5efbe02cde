"""The summary ``rubricate grade`` prints: pure functions over grade records.

- ``count``: records; ``scored`` / ``unscored``: records without / with an error;
- ``mean_reward``: mean over scored records only (an error is never averaged in as a 0);
  None when nothing was scored;
- ``sub_graders``: per sub-grader key, the mean reward and ``n`` over the records where that
  sub-grader succeeded (a multi record that failed elsewhere still counts its good parts);
- ``errors``: how many records have each error flag set; ``not_run``: records whose model
  graders were not run because no endpoint is configured;
- ``clipped``: records in which some judge result fell outside its range and was clipped
  (flag ``model_grader_clipped``); they are unscored, unless ``score_clipped`` (the run's
  ``--score-clipped``) counts them at the clipped value; ``clipped_scored`` says which.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from statistics import fmean
from typing import Any

from rubricate.judge.graders.base import only_clipped
from rubricate.judge.records import GradeRecord


def summarize(records: list[GradeRecord], *, score_clipped: bool = False) -> dict[str, Any]:
    """The summary of a run (see the module docstring)."""
    scored = [r.reward for r in records if r.scored]
    subs: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    not_run = 0
    for record in records:
        for key, value in record.sub_rewards.items():
            subs[key].append(value)
        errors.update(record.metadata.errors.flags())
        if record.metadata.errors.model_grader_server_error_details == "not_configured":
            not_run += 1
    return {
        "count": len(records),
        "scored": len(scored),
        "unscored": len(records) - len(scored),
        "mean_reward": fmean(scored) if scored else None,
        "sub_graders": {k: {"mean": fmean(v), "n": len(v)} for k, v in subs.items()},
        "errors": dict(sorted(errors.items())),
        "not_run": not_run,
        "clipped": sum(1 for r in records if r.clipped),
        "clipped_scored": score_clipped,
    }


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def render_summary(summary: dict[str, Any], grader: dict[str, Any], source: str) -> list[str]:
    """The text summary, line by line."""
    subs = summary["sub_graders"]
    lines = [
        f"grader: {grader.get('type')} '{grader.get('name', '')}' ({source})",
        f"samples: {summary['count']}  scored: {summary['scored']}  "
        f"unscored: {summary['unscored']}",
        f"mean reward (scored only): {_number(summary['mean_reward'])}",
    ]
    if subs:
        width = max(len(k) for k in subs)
        lines.append("sub-graders (mean over records where each succeeded):")
        for key, stats in subs.items():
            lines.append(f"  {key:<{width}}  {_number(stats['mean'])}  n={stats['n']}")
    if summary["errors"]:
        lines.append("errors:")
        width = max(len(k) for k in summary["errors"])
        for flag, n in summary["errors"].items():
            lines.append(f"  {flag:<{width}}  {n}")
    how = (
        "counted as scored at the clipped value (--score-clipped)"
        if summary.get("clipped_scored")
        else "unscored, left out of the mean (--score-clipped counts them)"
    )
    lines.append(
        f"clipped: {summary['clipped']} records had a judge result outside its range ({how})"
    )
    return lines


def compare(local: list[GradeRecord], remote: list[dict[str, Any]]) -> dict[str, Any]:
    """Local vs remote rewards, pair by pair (``remote`` entries: a response or an error).

    Returns:
        ``rows`` (``sample_line``-ordered: local, remote, difference), ``differ`` (pairs whose
        rewards differ by more than 1e-6 or whose error state differs), and
        ``mean_abs_difference`` over pairs both sides scored.
    """
    rows, diffs = [], []
    differ = 0
    for record, answer in zip(local, remote, strict=True):
        # the platform scores a clipped result at its clipped value: compare that
        local_scored = record.scored or only_clipped(record)
        remote_reward = answer.get("reward")
        remote_flags = [
            k for k, v in ((answer.get("metadata") or {}).get("errors") or {}).items() if v is True
        ]
        remote_scored = "error" not in answer and not remote_flags
        difference = None
        if local_scored and remote_scored and isinstance(remote_reward, (int, float)):
            difference = float(remote_reward) - record.reward
            diffs.append(abs(difference))
        mismatch = (local_scored != remote_scored) or (
            difference is not None and abs(difference) > 1e-6
        )
        differ += mismatch
        rows.append(
            {
                "local": record.reward if local_scored else None,
                "local_error": record.error,
                "remote": remote_reward if remote_scored else None,
                "remote_error": answer.get("error") or (", ".join(remote_flags) or None),
                "difference": difference,
                "differs": mismatch,
            }
        )
    return {
        "rows": rows,
        "differ": differ,
        "mean_abs_difference": fmean(diffs) if diffs else None,
    }


def render_comparison(comparison: dict[str, Any], labels: list[str]) -> list[str]:
    """Local and remote rewards side by side, one line per pair, then totals."""
    width = max([len("sample"), *(len(label) for label in labels)])
    lines = [f"{'sample':<{width}}  {'local':>8}  {'remote':>8}  {'diff':>8}"]
    for label, row in zip(labels, comparison["rows"], strict=True):
        local = _number(row["local"]) if row["local"] is not None else "error"
        remote = _number(row["remote"]) if row["remote"] is not None else "error"
        diff = f"{row['difference']:+.4f}" if row["difference"] is not None else ""
        mark = "  <-" if row["differs"] else ""
        lines.append(f"{label:<{width}}  {local:>8}  {remote:>8}  {diff:>8}{mark}")
    lines.append(
        f"{comparison['differ']} of {len(comparison['rows'])} differ; mean |local - remote| "
        f"{_number(comparison['mean_abs_difference'])}"
    )
    return lines
