"""Writing the report files of a run: ``report.json``, ``report.md``, ``report.html``, figures.

:func:`write_reports` writes all of them from the report data; :func:`rebuild_reports`
recomputes the data from what a run directory holds (``grades.csv``, ``experts.csv``,
``run.json``, ``rubric.yaml``) and writes them again, which is what to do after an expert
added grades in ``rubricate review``: no judge call is made. :func:`write_report_files` is the
writing both run kinds share (the baseline's reports:
:mod:`~rubricate.calibration.baseline.report`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rubricate.calibration.run_files import read_grades_csv, read_manifest, write_atomic

REPORT_FILES = ("report.json", "report.md", "report.html")

Figures = dict[str, dict[str, str]]
"""Figures drawn: ``{name: {"path": "figures/<name>.png", "title": ...}}``."""


def write_report_files(
    out: Path,
    data: dict[str, Any],
    *,
    draw: Callable[[dict[str, Any], Path], Figures] | None,
    markdown: Callable[[dict[str, Any], Figures], str],
    title: str,
    status: str,
) -> list[Path]:
    """Draw the figures (unless ``draw`` is None) and write the three reports into ``out``.

    ``data["figures"]`` becomes the figures drawn; ``report.html`` is ``markdown``'s page with
    the figures embedded, under ``title`` in the verdict style ``status``.

    Returns:
        The paths written, reports first.
    """
    from rubricate.calibration.report.html import render_html

    drawn: Figures = draw(data, out) if draw is not None else {}
    data["figures"] = drawn
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_atomic(out / "report.json", text.encode("utf-8"))
    page_text = markdown(data, drawn)
    write_atomic(out / "report.md", page_text.encode("utf-8"))
    page = render_html(page_text, out, title=title, status=status)
    write_atomic(out / "report.html", page.encode("utf-8"))
    return [out / name for name in REPORT_FILES] + [out / f["path"] for f in drawn.values()]


def write_reports(out: Path, data: dict[str, Any], *, figures: bool = True) -> list[Path]:
    """Write the figures (unless ``figures`` is False) and the three reports into ``out``.

    Returns:
        The paths written, reports first.
    """
    from rubricate.calibration.report.figures import write_figures
    from rubricate.calibration.report.markdown import render_markdown

    return write_report_files(
        out,
        data,
        draw=write_figures if figures else None,
        markdown=render_markdown,
        title=f"Calibration: {data['rubric']['title']}",
        status=data["verdict"]["status"],
    )


def rebuild_reports(out: Path, *, figures: bool = True, seed: int = 0) -> dict[str, Any]:
    """Recompute and rewrite the reports of the run in ``out`` from its files.

    Returns:
        The report data.

    Raises:
        InputError: a file the run needs is missing or unreadable.
    """
    from rubricate.calibration.inputs.experts import normalise_grades
    from rubricate.calibration.inputs.experts import read_grades_csv as read_experts
    from rubricate.calibration.report.data import build_report_data
    from rubricate.calibration.verdicts import plan_grader
    from rubricate.rubrics.loader import load_rubric

    manifest = read_manifest(out)
    rubric = load_rubric(out / "rubric.yaml").rubric
    if manifest.get("judge_model_override"):
        judge = rubric.judge.model_copy(update={"model": manifest["judge_model_override"]})
        rubric = rubric.model_copy(update={"judge": judge})
    grader = json.loads((out / "grader.json").read_text(encoding="utf-8"))
    plan = plan_grader(rubric, grader, manifest["target"])
    grades = read_grades_csv(out / "grades.csv")
    experts = None
    if (out / "experts.csv").exists():
        answers = set(zip(grades["item_id"], grades["answer_id"], strict=True))
        rows = read_experts(out / "experts.csv", last_wins=True)
        experts, _ = normalise_grades(rows, rubric, answers, strict_answers=False)
    data = build_report_data(
        grades,
        rubric=rubric,
        plan=plan,
        manifest=manifest,
        experts=experts,
        leaks=manifest.get("excluded") or [],
        adaptive=manifest.get("adaptive"),
        seed=seed,
    )
    write_reports(out, data, figures=figures)
    return data
