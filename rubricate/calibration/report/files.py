"""Writing the report files of a run: ``report.json``, ``report.md``, ``report.html``, figures.

:func:`write_reports` writes all of them from the typed report; :func:`rebuild_reports`
recomputes the data from what a run directory holds (``grades.csv``, ``experts.csv``,
``run.json``, ``rubric.yaml``) and writes them again, which is what to do after an expert
added grades in ``rubricate review``: no judge call is made. A baseline run, whose report
data is still a dict, writes through :func:`write_styled_reports` with its
:class:`ReportStyle` (:mod:`~rubricate.calibration.baseline.report`).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rubricate.calibration.report.schema import CalibrationReport, Figure
from rubricate.calibration.run_files import read_grades_csv, read_manifest, write_atomic

REPORT_FILES = ("report.json", "report.md", "report.html")

Figures = dict[str, dict[str, str]]
"""Figures drawn: ``{name: {"path": "figures/<name>.png", "title": ...}}``."""


@dataclass(frozen=True)
class ReportStyle:
    """How another kind of run's reports look (the baseline's: its report data is a dict).

    Attributes:
        name: the HTML page's title before the rubric's (``Baseline``).
        figures: ``"module:function"`` drawing the figures (matplotlib loads only to draw).
        markdown: ``"module:function"`` rendering ``report.md`` from the data and figures.
        html_status: the verdict style of each verdict status (None: the status itself).
    """

    name: str
    figures: str
    markdown: str
    html_status: Mapping[str, str] | None = None


def _load(ref: str) -> Any:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def _write_three(out: Path, data: dict[str, Any], page_text: str, *, title: str, status: str,
                 drawn: Figures) -> list[Path]:  # fmt: skip
    from rubricate.calibration.report.html import render_html

    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_atomic(out / "report.json", text.encode("utf-8"))
    write_atomic(out / "report.md", page_text.encode("utf-8"))
    page = render_html(page_text, out, title=title, status=status)
    write_atomic(out / "report.html", page.encode("utf-8"))
    return [out / name for name in REPORT_FILES] + [out / f["path"] for f in drawn.values()]


def write_reports(out: Path, report: CalibrationReport, *, figures: bool = True) -> list[Path]:
    """Draw the figures (unless ``figures`` is False) and write the three reports of a
    calibration run into ``out``.

    ``report.figures`` becomes the figures drawn; ``report.json`` is
    :meth:`CalibrationReport.to_json`; ``report.html`` is the Markdown page with the figures
    embedded, titled and styled by the verdict.

    Returns:
        The paths written, reports first.
    """
    from rubricate.calibration.report.markdown import render_markdown

    drawn: Figures = {}
    if figures:  # matplotlib loads only to draw
        from rubricate.calibration.report.figures import write_figures

        drawn = write_figures(report, out)
    report.figures = {name: Figure.model_validate(f) for name, f in drawn.items()}
    return _write_three(out, report.to_json(), render_markdown(report, drawn),
                        title=f"Calibration: {report.rubric.title}",
                        status=report.verdict.status, drawn=drawn)  # fmt: skip


def write_styled_reports(
    out: Path, data: dict[str, Any], *, style: ReportStyle, figures: bool = True
) -> list[Path]:
    """:func:`write_reports` for another kind of run whose report data is a dict, drawn and
    rendered as ``style`` says (``data["figures"]`` becomes the figures drawn)."""
    drawn: Figures = _load(style.figures)(data, out) if figures else {}
    data["figures"] = drawn
    page_text = _load(style.markdown)(data, drawn)
    status = data["verdict"]["status"]
    return _write_three(out, data, page_text, title=f"{style.name}: {data['rubric']['title']}",
                        status=style.html_status[status] if style.html_status is not None
                        else status, drawn=drawn)  # fmt: skip


def write_page_trio(
    out: Path, stem: str, data: dict[str, Any], page_text: str, *, title: str, status: str
) -> list[Path]:
    """Write ``<stem>.json`` (``data``), ``<stem>.md`` (``page_text``) and ``<stem>.html`` (the
    page rendered) into ``out``, atomically; returns the three paths. The reports of a run
    that compares several (``--compare``, ``--probe invariance``) are written this way."""
    from rubricate.calibration.report.html import render_html

    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    paths = [out / f"{stem}.{ext}" for ext in ("json", "md", "html")]
    write_atomic(paths[0], text.encode("utf-8"))
    write_atomic(paths[1], page_text.encode("utf-8"))
    page = render_html(page_text, out, title=title, status=status)
    write_atomic(paths[2], page.encode("utf-8"))
    return paths


def rebuild_reports(out: Path, *, figures: bool = True, seed: int = 0) -> CalibrationReport:
    """Recompute and rewrite the reports of the run in ``out`` from its files.

    Returns:
        The report.

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
    plan = plan_grader(rubric, grader, manifest["target"], manifest.get("panel"))
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
