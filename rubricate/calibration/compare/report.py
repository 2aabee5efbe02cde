"""The comparison's reports: ``comparison.json``, ``comparison.md`` and ``comparison.html``
in the comparison folder (each arm keeps its own full reports under ``arms/<arm>/``).

The HTML page is the Markdown page rendered by
:func:`rubricate.calibration.report.html.render_html`, like every other report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rubricate.calibration.compare.table import COLUMNS, cell
from rubricate.calibration.report.md_sections import table

COMPARISON_FILES = ("comparison.json", "comparison.md", "comparison.html")


def comparison_data(
    spec: str, repeats: int, rows: list[dict[str, Any]], recommendation: dict[str, Any],
    rubric: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """The JSON-ready comparison."""
    return {
        "comparison_version": 1,
        "compare": spec,
        "rubric": rubric,
        "repeats": repeats,
        "arms": rows,
        "recommendation": recommendation,
    }


def comparison_markdown(data: dict[str, Any]) -> str:
    """The Markdown page of ``data``."""
    rec = data["recommendation"]
    best = next(r for r in data["arms"] if r["arm"] == rec["arm"])
    ready = "" if rec["ready"] else " (no arm is ready: fix the grader before training)"
    lines = [
        f"# Grader comparison: {data['rubric'].get('title') or data['rubric'].get('id')}",
        "",
        f"> Export **{rec['arm']}** (grader SHA-256 `{best['grader_sha256']}`){ready}: "
        f"{rec['reason']}.",
        "",
        f"`--compare {data['compare']}`, {data['repeats']} repeats of the same answers for every "
        "arm. Each arm is a full calibration run with its own reports in `arms/<arm>/`.",
        "",
        *table(
            [h for _, h in COLUMNS], [[cell(k, r[k]) for k, _ in COLUMNS] for r in data["arms"]]
        ),
        f"Rule: {rec['rule']}.",
        "",
        f"Ranking: {', '.join(rec['ranking'])}.",
        "",
    ]
    if len(rec["reasons"]) > 1:
        lines += [f"- {rec['arm']}: {other}" for other in rec["reasons"]] + [""]
    lines += [
        "A figure reads *not assessed* when the arm's run could not measure it (e.g. the judge "
        "did not run, no expert grades of the reward, no adversarial answers).",
        "",
    ]
    return "\n".join(lines)


def write_comparison(out: Path, data: dict[str, Any]) -> list[Path]:
    """Write the three comparison reports into ``out``; returns their paths."""
    from rubricate.calibration.report.files import write_page_trio

    status = "ready" if data["recommendation"]["ready"] else "not_ready"
    title = f"Grader comparison: {data['rubric'].get('title') or data['rubric'].get('id')}"
    return write_page_trio(out, "comparison", data, comparison_markdown(data), title=title,
                           status=status)  # fmt: skip
