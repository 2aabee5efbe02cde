"""What the review shows of a comparison (``calibrate --compare``) and of an invariance probe
(``calibrate --probe invariance``), computed without any UI from the JSON their reports write.
Textual-free, so it is tested directly.

Which folder is which (:func:`review_kind`): a folder with ``run.json`` is a run (calibration
or baseline, as ``run.json`` says); one with ``comparison.json`` is a comparison, one with
``invariance.json`` an invariance probe. When that file is missing (the command stopped before
writing it) the arms under ``arms/`` decide: ``arms/baseline`` beside only change names is a
probe, anything else a comparison. So the review still opens, says the file is missing in one
line, and every arm's run can be reviewed.

A comparison opens on its table (one row per arm, the recommended arm marked); each arm's run
opens in the ordinary run review. An invariance probe opens on its baseline run (the
unchanged grader) with an Invariance tab; a run under ``OUT/arms/`` of a probe shows that tab
too. A file that is missing or cannot be read never stops the review: the view holds one line
saying why (:attr:`ComparisonView.problem`, :attr:`InvarianceView.problem`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rubricate.calibration.compare.load import COMPARISON_JSON, ArmRow, ComparisonFile
from rubricate.calibration.compare.table import COLUMNS, cell
from rubricate.calibration.invariance.changes import DESCRIPTIONS
from rubricate.calibration.invariance.load import INVARIANCE_JSON, InvarianceFile, Row
from rubricate.calibration.invariance.report import KINDS
from rubricate.calibration.run_files import FILES
from rubricate.errors import InputError

ReviewKind = Literal["calibration", "baseline", "comparison", "invariance"]
ARMS = "arms"
BASELINE = "baseline"
"""The invariance probe's arm of the unchanged grader."""

SHORT_HEADERS = {
    "arm": "arm",
    "grader_sha256": "SHA-256",
    "verdict": "verdict",
    "mean_flip_p": "flip mean",
    "max_flip_p": "flip max",
    "icc": "ICC",
    "auc": "AUC",
    "order_share": "tier order",
    "expert_mae": "MAE exp",
    "expert_f1": "F1 exp",
    "adversarial_beat_fair": "adv>fair",
    "judge_calls": "calls",
    "tokens": "tokens",
    "cost_usd": "cost $",
}
"""The table's headers in the review (the report's words are in the detail below it)."""
TABLE_KEYS = (
    "arm", "verdict", "mean_flip_p", "max_flip_p", "icc", "auc", "order_share", "expert_mae",
    "expert_f1", "adversarial_beat_fair", "judge_calls", "tokens", "cost_usd", "grader_sha256",
)  # fmt: skip
"""The comparison table's columns in order: what decides first, the SHA-256 last."""


def is_run_dir(path: Path) -> bool:
    """Whether ``path`` holds a run (``run.json`` and ``grades.csv``)."""
    return all((path / FILES[k]).is_file() for k in ("run", "grades"))


def arm_dirs(path: Path) -> list[Path]:
    """The run folders under ``path/arms/``, by name."""
    folder = path / ARMS
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and is_run_dir(p))


def _probe_arms(names: set[str]) -> bool:
    return BASELINE in names and names <= {BASELINE, *DESCRIPTIONS}


def review_kind(path: Path) -> ReviewKind:
    """What ``path`` is (see the module docstring).

    Raises:
        InputError: ``path`` is none of them (the message says what each command writes).
    """
    if (path / FILES["run"]).exists():
        from rubricate.calibration.baseline.run_dir import run_kind

        return run_kind(path)
    if (path / COMPARISON_JSON).exists():
        return "comparison"
    if (path / INVARIANCE_JSON).exists():
        return "invariance"
    arms = arm_dirs(path)
    if arms:
        return "invariance" if _probe_arms({p.name for p in arms}) else "comparison"
    from rubricate.calibration.run.directory import check_run_dir

    check_run_dir(path)  # raises with the run directory's message
    return "calibration"


def check_review_dir(path: Path) -> None:
    """Raise :class:`InputError` unless ``rubricate review`` can open ``path``: a run, a
    comparison or an invariance probe (whose baseline run must be there)."""
    from rubricate.calibration.run.directory import check_run_dir

    if not path.is_dir() or (path / FILES["run"]).exists():
        check_run_dir(path)
        return
    kind = review_kind(path)
    if kind == "invariance" and not is_run_dir(path / ARMS / BASELINE):
        raise InputError(f"{path}: no run in {ARMS}/{BASELINE}/ (the unchanged grader's run); "
                         "run `rubricate calibrate RUBRIC --set SET --probe invariance --out "
                         f"{path}` again: finished arms replay from the call store")  # fmt: skip
    if kind == "comparison" and not arm_dirs(path):
        raise InputError(f"{path}: {COMPARISON_JSON} names no arm run under {ARMS}/; "
                         "nothing to review")  # fmt: skip


def _missing(path: Path, command: str) -> str:
    return (f"not run: no {path.name} in {path.parent} (the command stopped before writing "
            f"it; `rubricate calibrate RUBRIC --set SET {command} --out {path.parent}` "
            "writes it, replaying the arms already paid for)")  # fmt: skip


# -- comparison -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArmEntry:
    """One arm of a comparison as the review lists it."""

    name: str
    path: Path
    """Its run folder, ``OUT/arms/<name>``."""
    row: ArmRow | None
    """Its figures (None when ``comparison.json`` is missing or does not list it)."""
    recommended: bool
    runnable: bool
    """Its run folder holds a run the review can open."""


@dataclass(frozen=True)
class ComparisonView:
    """A comparison folder: the file (or why it could not be read) and its arms."""

    path: Path
    file: ComparisonFile | None
    problem: str | None
    arms: list[ArmEntry]

    def arm(self, name: str) -> ArmEntry | None:
        return next((a for a in self.arms if a.name == name), None)


def load_comparison_view(path: Path) -> ComparisonView:
    """The comparison in ``path``: ``comparison.json`` read (a problem becomes one line) and
    its arms in the order of the spec, then any other run under ``arms/``."""
    from rubricate.calibration.compare.load import read_comparison

    file: ComparisonFile | None = None
    problem: str | None = None
    json_path = path / COMPARISON_JSON
    if not json_path.exists():
        problem = _missing(json_path, "--compare SPEC")
    else:
        try:
            file = read_comparison(json_path)
        except InputError as error:
            problem = f"cannot read it: {error}"
    best = file.recommendation.arm if file is not None else None
    arms = []
    listed = [r.arm for r in file.arms] if file is not None else []
    rows = {r.arm: r for r in file.arms} if file is not None else {}
    on_disk = [p.name for p in arm_dirs(path)]
    for name in [*listed, *(n for n in on_disk if n not in listed)]:
        folder = path / ARMS / name
        arms.append(ArmEntry(name, folder, rows.get(name), name == best, is_run_dir(folder)))
    return ComparisonView(path, file, problem, arms)


def arm_cells(entry: ArmEntry) -> list[str]:
    """The table cells of one arm (:data:`TABLE_KEYS`; "not assessed" for a missing figure,
    shortened to "n/a" to fit; "no figures" without a row)."""
    if entry.row is None:
        return [entry.name, "no figures", *([""] * (len(TABLE_KEYS) - 2))]
    cells = []
    for key in TABLE_KEYS:
        text = cell(key, entry.row.figure(key))
        cells.append("n/a" if text == "not assessed" else text)
    return cells


def recommendation_line(view: ComparisonView) -> str:
    """The recommendation in one line: the arm to export, its grader's SHA-256 and why."""
    if view.file is None:
        return f"{COMPARISON_JSON}: {view.problem}"
    rec = view.file.recommendation
    ready = "" if rec.ready else " (no arm is ready: fix the grader before training)"
    sha = (rec.grader_sha256 or "?")[:12]
    return f"Export {rec.arm} (grader SHA-256 {sha}){ready}: {rec.reason}."


def arm_details(view: ComparisonView, entry: ArmEntry) -> str:
    """Everything about one arm, one figure a line in the report's words, then why the
    recommended arm was chosen over the others and the rule."""
    lines = [f"{entry.name}" + ("  ★ recommended: export this one" if entry.recommended else "")]
    if not entry.runnable:
        lines.append(f"no run in {entry.path} to open")
    else:
        lines.append(f"enter: review this arm's run ({entry.path})")
    if entry.row is not None:
        row = entry.row
        what = [f"target {row.target}" if row.target else "",
                f"judge {row.judge_model}" if row.judge_model else "",
                "judge did not run" if row.judged_run is False else ""]  # fmt: skip
        if any(what):
            lines.append(" · ".join(w for w in what if w))
        lines.append(f"grader SHA-256: {row.grader_sha256 or '?'}")
        for key, header in COLUMNS:
            if key in ("arm", "grader_sha256"):
                continue
            lines.append(f"{header}: {cell(key, row.figure(key))}")
    if view.file is not None:
        rec = view.file.recommendation
        lines += ["", f"Recommendation: {recommendation_line(view)}"]
        lines += [f"- {rec.arm}: {reason}" for reason in rec.reasons[1:]]
        lines += [f"Ranking: {', '.join(rec.ranking)}.", f"Rule: {rec.rule}.",
                  f"--compare {view.file.compare}, {view.file.repeats} repeats of the same "
                  "answers for every arm."]  # fmt: skip
    else:
        lines += ["", f"{COMPARISON_JSON}: {view.problem}"]
    return "\n".join(lines)


# -- invariance --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvarianceView:
    """An invariance probe's results (or why they could not be read)."""

    path: Path
    """The probe's folder (``OUT``)."""
    file: InvarianceFile | None
    problem: str | None


def load_invariance_view(out: Path) -> InvarianceView:
    """``out/invariance.json`` read (a problem becomes one line)."""
    from rubricate.calibration.invariance.load import read_invariance

    json_path = out / INVARIANCE_JSON
    if not json_path.exists():
        return InvarianceView(out, None, _missing(json_path, "--probe invariance"))
    try:
        return InvarianceView(out, read_invariance(json_path), None)
    except InputError as error:
        return InvarianceView(out, None, f"cannot read it: {error}")


def probe_of_run(run_dir: Path) -> Path | None:
    """The invariance probe folder ``run_dir`` is an arm of (``OUT/arms/<arm>``), if any."""
    out = run_dir.resolve().parent.parent
    if run_dir.resolve().parent.name != ARMS:
        return None
    if (out / INVARIANCE_JSON).exists():
        return out
    return out if _probe_arms({p.name for p in arm_dirs(out)}) else None


def criterion_label(criterion: str, target: str) -> str:
    """A row's criterion as the report names it."""
    if criterion == "__total__":
        return "the holistic score" if target == "score_model" else "the reward"
    return "the checks-only score" if criterion == "__checks__" else criterion


def _flip(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.3f}"


def _p(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1e}" if value < 0.001 else f"{value:.3f}"


SHORT_VERDICTS = {
    "flagged": "FLAGGED",
    "stable": "within noise",
    "unchanged": "prompt unchanged",
    "not_run": "not run",
    "no_data": "no data",
    "deterministic": "identical",
    "deterministic_difference": "DIFFERS",
}
"""A row's status in the table (the report's words are in :func:`row_sentence`)."""


@dataclass(frozen=True)
class InvarianceLine:
    """One row of the Invariance tab: a criterion under one change."""

    key: str
    """``<change>/<criterion>``, unique."""
    criterion: str
    """The criterion's label."""
    first: bool
    """The first row of its criterion's group."""
    change: str
    cells: tuple[str, ...]
    """Under :data:`INVARIANCE_HEADERS` after criterion and change: rerun flip, change flip,
    changed rerun, Holm p, verdict (short), kind, answers."""
    flagged: bool
    measured: bool
    """Tested against the rerun noise (flagged or within it)."""
    sentence: str
    """The row in words (:func:`row_sentence`)."""


INVARIANCE_HEADERS = ("criterion", "change", "rerun flip", "change flip", "changed rerun",
                      "Holm p", "verdict", "kind", "answers")  # fmt: skip


def row_sentence(row: Row, label: str, alpha: float) -> str:
    """One row in words, for the line under the table."""
    head = f"{label} under {row.change}: {row.verdict}"
    if row.status in ("flagged", "stable"):
        below = "<" if row.p_holm is not None and row.p_holm < alpha else "≥"
        return (f"{head}. Change flip {_flip(row.change_flip)} against rerun flip "
                f"{_flip(row.rerun_flip)} (the changed grader's reruns "
                f"{_flip(row.changed_rerun_flip)}) over {row.n_answers} answers; p "
                f"{_p(row.p_value)}, Holm-adjusted {_p(row.p_holm)} {below} {alpha:g}."
                )  # fmt: skip
    if row.status.startswith("deterministic"):
        return (f"{head}. Each answer at each repeat compared with itself: "
                f"{_flip(row.change_flip)} differ ({row.n_answers} answers).")  # fmt: skip
    return head + "."


def invariance_lines(file: InvarianceFile) -> list[InvarianceLine]:
    """One line per (criterion, change), grouped by criterion (in the order the rows give
    them: leaves first, the reward last), the changes in the probe's order; flagged rows
    carry ``flagged``."""
    order = {c.change: i for i, c in enumerate(file.changes)}
    criteria = list(dict.fromkeys(r.criterion for r in file.rows))
    out = []
    for criterion in criteria:
        rows = sorted((r for r in file.rows if r.criterion == criterion),
                      key=lambda r: order.get(r.change, len(order)))  # fmt: skip
        label = criterion_label(criterion, file.baseline.target)
        for i, row in enumerate(rows):
            cells = (_flip(row.rerun_flip), _flip(row.change_flip), _flip(row.changed_rerun_flip),
                     _p(row.p_holm), SHORT_VERDICTS.get(row.status, row.status),
                     KINDS.get(row.kind, row.kind), str(row.n_answers))  # fmt: skip
            measured = row.status in ("flagged", "stable")
            sentence = row_sentence(row, label, file.alpha)
            out.append(InvarianceLine(f"{row.change}/{criterion}", label, i == 0, row.change,
                                      cells, row.flagged, measured, sentence))  # fmt: skip
    return out


def invariance_headline(file: InvarianceFile) -> str:
    """The probe's result in one line, as the report's headline says it."""
    flagged = file.flagged
    if flagged:
        target = file.baseline.target
        pairs = ", ".join(f"{criterion_label(f.get('criterion', '?'), target)} under "
                          f"{f.get('change', '?')}" for f in flagged[:4])  # fmt: skip
        more = f" and {len(flagged) - 4} more" if len(flagged) > 4 else ""
        return f"{len(flagged)} flagged: {pairs}{more}."
    if file.measured:
        return (f"No change moved a verdict beyond rerun noise ({file.measured} judged rows "
                "measured).")  # fmt: skip
    if not file.baseline.judged_run:
        return ("The judge did not run (no model endpoint): only the deterministic parts were "
                "compared; these figures are not the judge's.")  # fmt: skip
    return "No judged row was measured (every change left the judge prompts unchanged)."


def invariance_notes(file: InvarianceFile) -> list[str]:
    """Under the headline: the baseline and the test, then each change that did not run."""
    base = file.baseline
    lines = [
        f"baseline {base.target} grader {base.grader_sha256[:12]} · {file.repeats} repeats · "
        f"flagged at Holm-adjusted p < {file.alpha:g} ({file.test.split(' (')[0] or 'test'})"
    ]
    for change in file.changes:
        if change.status not in ("run", ""):
            lines.append(f"{change.change} not run: {change.reason or change.status}")
    renamed = file.change("rename")
    if renamed is not None and renamed.ids:
        lines.append("renamed: " + ", ".join(f"{k} → {v}" for k, v in renamed.ids.items()))
    return lines


def paraphrase_text(file: InvarianceFile) -> str | None:
    """The paraphrased criterion texts beside the originals, for an expert to read (None when
    the probe did not paraphrase)."""
    change = file.change("paraphrase")
    if change is None:
        return None
    if not change.paraphrases:
        return f"Nothing to review: {change.reason or 'no judged criterion'}."
    blocks = [
        "A paraphrase that changes the meaning should change verdicts: read each before "
        "trusting the paraphrase rows."
    ]
    for entry in change.paraphrases:
        new = entry.paraphrase if entry.paraphrase is not None else (
            f"(failed: {entry.failed}; the original was kept)")  # fmt: skip
        blocks.append(f"{entry.criterion}\n  original:   {entry.original}\n  paraphrase: {new}")
    return "\n\n".join(blocks)


@dataclass(frozen=True)
class InvarianceTexts:
    """What the Invariance tab shows (:func:`describe`)."""

    headline: str
    notes: list[str]
    lines: list[InvarianceLine]
    paraphrases: str | None
    """The paraphrases to review (None: the probe did not paraphrase)."""


def describe(view: InvarianceView) -> InvarianceTexts:
    """The tab's texts; a view without a file is its one line, nothing else."""
    if view.file is None:
        return InvarianceTexts(f"{INVARIANCE_JSON}: {view.problem}", [], [], None)
    file = view.file
    return InvarianceTexts(invariance_headline(file), invariance_notes(file),
                           invariance_lines(file), paraphrase_text(file))  # fmt: skip
