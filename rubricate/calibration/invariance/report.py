"""The invariance probe's reports: ``invariance.json``, ``invariance.md`` and
``invariance.html`` in the probe's folder (each arm keeps its full calibration reports under
``arms/<arm>/``). The HTML page is the Markdown page rendered by
:func:`rubricate.calibration.report.html.render_html`, like every other report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rubricate.calibration.invariance.stats import ALPHA
from rubricate.calibration.report.md_sections import table

INVARIANCE_FILES = ("invariance.json", "invariance.md", "invariance.html")
NOT_ASSESSED = "not assessed"
TEST = (
    "exact stratified permutation test (answers as strata; Fisher 1935, Pitman 1937, Ernst "
    "2004) of the cross-pair flips against the rerun flips, one-sided; p-values Holm-adjusted "
    "(Holm 1979) over every measured row"
)
KINDS = {
    "judge": "judge",
    "reward": "reward (judged)",
    "check": "check (deterministic)",
    "formula": "computed (deterministic)",
}


def invariance_data(
    *,
    rubric: dict[str, Any],
    repeats: int,
    seed: int,
    baseline: dict[str, Any],
    changes: list[dict[str, Any]],
    rows: list[dict[str, Any]],
) -> dict[str, Any]:
    """The JSON-ready report."""
    flagged = [{"change": r["change"], "criterion": r["criterion"]} for r in rows if r["flagged"]]
    measured = sum(1 for r in rows if r["status"] in ("flagged", "stable"))
    return {
        "invariance_version": 1,
        "probe": "invariance",
        "rubric": rubric,
        "repeats": repeats,
        "seed": seed,
        "alpha": ALPHA,
        "test": TEST,
        "baseline": baseline,
        "changes": changes,
        "rows": rows,
        "measured": measured,
        "flagged": flagged,
    }


def _label(criterion: str, target: str) -> str:
    """A row's criterion as the page shows it (``__total__`` would render bold)."""
    if criterion == "__total__":
        return "the holistic score" if target == "score_model" else "the reward"
    return "the checks-only score" if criterion == "__checks__" else criterion


def _fmt(value: float | None, digits: int = 3) -> str:
    return NOT_ASSESSED if value is None else f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2e}" if value < 0.001 else f"{value:.3f}"


def _headline(data: dict[str, Any]) -> str:
    base = data["baseline"]
    flagged = data["flagged"]
    if flagged:
        target = base["target"]
        pairs = ", ".join(
            f"{_label(f['criterion'], target)} under {f['change']}" for f in flagged[:6]
        )
        more = f" and {len(flagged) - 6} more" if len(flagged) > 6 else ""
        return f"**{len(flagged)} flagged**: {pairs}{more}."
    if data["measured"]:
        return (f"No change moved a verdict beyond rerun noise ({data['measured']} judged rows "
                "measured).")  # fmt: skip
    judged = [r for r in data["rows"] if r["kind"] in ("judge", "reward")]
    if not judged:
        return (
            "The grader judges nothing (checks only): only its deterministic parts were "
            "compared; they cannot flip by chance, and these figures are not the judge's."
        )
    if not base["judged_run"]:
        return ("The judge did not run (no model endpoint): no judged verdict was measured. "
                "Only the deterministic parts (checks and computed scores) were compared; "
                "they cannot flip by chance, and these figures are not the judge's.")  # fmt: skip
    return "No judged row was measured (every change left the judge prompts unchanged)."


def invariance_markdown(data: dict[str, Any]) -> str:
    """The Markdown page of ``data``."""
    rubric = data["rubric"]
    base = data["baseline"]
    lines = [
        f"# Invariance probe: {rubric.get('title') or rubric.get('id')}",
        "",
        f"> {_headline(data)}",
        "",
        f"Baseline: the rubric's {base['target']} grader (SHA-256 `{base['grader_sha256'][:12]}`"
        f"), {data['repeats']} repeats of every answer; each change is the rubric recompiled "
        "with that change alone, graded on the same answers the same number of times (full "
        "runs in `arms/<arm>/`; seed "
        f"{data['seed']}).",
        "",
        "## Changes",
        "",
        *table(
            ["change", "what", "status", "grader SHA-256"],
            [
                [
                    c["change"],
                    c["description"],
                    c["reason"] or "run",
                    (c["grader_sha256"] or "—")[:12],
                ]
                for c in data["changes"]
            ],
            align="llll",
        ),  # fmt: skip
    ]
    renamed = next((c for c in data["changes"] if c["change"] == "rename" and c["ids"]), None)
    if renamed:
        ids = ", ".join(f"{k} → {v}" for k, v in renamed["ids"].items())
        lines += [f"Renamed ids: {ids}.", ""]
    para = next((c for c in data["changes"] if c["change"] == "paraphrase"), None)
    if para is not None:
        lines += ["## Paraphrases to review", ""]
        if para["paraphrases"]:
            lines += [
                "The judge model's paraphrase of each judged criterion. A paraphrase that "
                "changes the meaning should change verdicts: read each before trusting the "
                "paraphrase row below.",
                "",
                *table(
                    ["criterion", "original", "paraphrase"],
                    [
                        [
                            r["criterion"],
                            r["original"],
                            r["paraphrase"] or f"*failed: {r['failed']}* (original kept)",
                        ]
                        for r in para["paraphrases"]
                    ],
                    align="lll",
                ),  # fmt: skip
            ]
        else:
            lines += [f"Nothing to review: {para['reason']}.", ""]
    lines += [
        "## Flips per criterion",
        "",
        "*rerun flip*: share of pairs of the unchanged grader's repeats of one answer that "
        "disagree (plain reruns); *changed rerun*: the same for the changed grader; *change "
        "flip*: share of (unchanged, changed) pairs of one answer that disagree (for a "
        "deterministic row: of the same answer at the same repeat, which must agree). "
        f"Test: {data['test']}; flagged at adjusted p < {data['alpha']:g}.",
        "",
    ]
    for change in data["changes"]:
        rows = [r for r in data["rows"] if r["change"] == change["change"]]
        lines += [f"### {change['change']}: {change['description']}", ""]
        if not rows:
            lines += [f"Not run: {change['reason']}.", ""]
            continue
        lines += table(
            ["criterion", "kind", "answers", "rerun flip", "changed rerun", "change flip", "p",
             "Holm p", "verdict"],
            [[_label(r["criterion"], base["target"]), KINDS[r["kind"]], r["n_answers"],
              _fmt(r["rerun_flip"]),
              _fmt(r["changed_rerun_flip"]), _fmt(r["change_flip"]), _p(r["p_value"]),
              _p(r["p_holm"]), ("**" + r["verdict"] + "**") if r["flagged"] else r["verdict"]]
             for r in rows],
            align="llrrrrrrl",
        )  # fmt: skip
    lines += [
        "A row reads *prompt unchanged* when the change left what that judge is sent byte for "
        "byte the same (its calls replay from the call store): that is not a measurement, and "
        "not a pass. Deterministic rows (checks, computed scores) cannot flip by chance: their "
        "figures are 0 unless the change moved a computed score, and they are not the judge's."
        + (
            ""
            if para is not None
            else " Paraphrases of the criteria were not probed "
            "(`--probe invariance:paraphrase` adds them)."
        ),
        "",
    ]
    return "\n".join(lines)


def write_invariance(out: Path, data: dict[str, Any]) -> list[Path]:
    """Write the three reports into ``out``; returns their paths."""
    from rubricate.calibration.report.files import write_page_trio

    status = "not_ready" if data["flagged"] else ("ready" if data["measured"] else "incomplete")
    title = f"Invariance probe: {data['rubric'].get('title') or data['rubric'].get('id')}"
    return write_page_trio(out, "invariance", data, invariance_markdown(data), title=title,
                           status=status)  # fmt: skip
