"""The bias-correction part of the Markdown report (see :mod:`.bias` for the figures).

One table, printed right after the agreement section: the reward over all answers and per tier,
then each judged criterion over all answers (``report.json`` has every criterion per tier too);
sensitivity and specificity on the row of a met / not-met criterion.
"""

from __future__ import annotations

from typing import Any

from rubricate.calibration.report.md_sections import LABELS, Figures, ci, fmt, table
from rubricate.calibration.report.schema import CalibrationReport

_TITLE = "### Mean scores corrected with the expert grades"


def _estimate(figure: dict[str, Any] | None) -> str:
    if not figure or figure.get("estimate") is None:
        return "n/a"
    return f"{fmt(figure['estimate'])} {ci(figure['low'], figure['high'])}"


def _accuracy(row: dict[str, Any]) -> tuple[str, str]:
    accuracy = row.get("accuracy")
    if not accuracy:
        return "", ""
    sens = (f"{fmt(accuracy['sensitivity'])} "
            f"{ci(accuracy['sensitivity_low'], accuracy['sensitivity_high'])}")  # fmt: skip
    spec = (f"{fmt(accuracy['specificity'])} "
            f"{ci(accuracy['specificity_low'], accuracy['specificity_high'])}")  # fmt: skip
    return sens, spec


def _rows(target: dict[str, Any]) -> list[list[Any]]:
    name = LABELS.get(target["target"], f"`{target['target']}`")
    sens, spec = _accuracy(target)
    rows = []
    tiers = target["tiers"].items() if target["target"] == "__total__" else []
    for tier, figures in [("all", target["all"]), *tiers]:
        first = tier == "all"
        rows.append([name if first else "", tier, f"{figures['n_labeled']}/{figures['n_units']}",
                     sens if first else "", spec if first else "",
                     _estimate(figures["uncorrected"]), _estimate(figures["ppi"]),
                     _estimate(figures["rogan_gladen"]) if target["binary"] else "-"])  # fmt: skip
    return rows


HEADER = ["score", "tier", "graded", "sensitivity", "specificity", "judge alone",
          "corrected (PPI)", "corrected (Rogan-Gladen)"]  # fmt: skip
"""The columns of the table."""


def baseline_bias_lines(data: dict[str, Any], figures: Figures) -> list[str]:
    """The baseline report's table: one block of rows per model whose samples experts graded;
    nothing when no model's were (``report.json`` says why per model)."""
    sections = data.get("bias_correction") or {}
    assessed = {m: s for m, s in sections.items() if s.get("assessed")}
    if not assessed:
        return []
    first = next(iter(assessed.values()))
    lines = [
        "## Mean scores corrected with the expert grades",
        "",
        f"Each model's mean score corrected with the expert grades of its samples (entered in "
        f"`rubricate review` or written to the run's `experts.csv`, then the report rewritten). "
        f"Main method: {first['method']}; second: {first['second_method']}. "
        f"{first['assumption']} *graded*: expert-graded samples / samples scored.",
        "",
    ]
    rows = []
    for model, section in assessed.items():
        for target in section["targets"]:
            for row in _rows({**target, "tiers": {}}):
                rows.append([f"`{model}`" if row[0] else "", *row])
    lines += table(["model", *HEADER], rows, "llllrrrrr")
    skipped = [f"`{m}`: {s['reason']}" for m, s in sections.items() if not s.get("assessed")]
    if skipped:
        lines += ["Not assessed: " + "; ".join(skipped) + ".", ""]
    return lines


def bias_lines(report: CalibrationReport, figures: Figures) -> list[str]:
    """The table of corrected mean scores, or why there is none."""
    section = report.bias_correction
    if not section:
        return []
    if not section.assessed:
        return [_TITLE, "", f"Not assessed: {section.reason}.", ""]
    lines = [
        _TITLE,
        "",
        f"The judge's mean score corrected with the expert grades. Main method: "
        f"{section.method}; second: {section.second_method}. Sensitivity and "
        "specificity: the judge's met verdict (met in at least half its repeats) against the "
        "expert majority, Wilson 95% CI. Levelled criteria and the overall score are corrected "
        "by PPI only, on their own scale (level / max; the rubric's range). "
        f"{section.assumption} *graded*: expert-graded answers / answers the judge scored; "
        "n/a: fewer than 2 expert-graded answers, or (Rogan-Gladen) labels of one class only or "
        "a judge no better than chance. A zero-width interval means every expert-graded "
        "answer showed the same judge-minus-expert difference: with few labels it understates the "
        "uncertainty. Per-tier figures of every criterion are in report.json.",
        "",
    ]
    rows = [row for target in section.targets for row in _rows(target)]
    lines += table(HEADER, rows, "lllrrrrr")
    return lines
