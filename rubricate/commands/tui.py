"""``rubricate edit RUBRIC`` and ``rubricate review RUN_DIR``: the terminal UI.

Textual is imported inside the commands only, so ``rubricate --help`` and every other command
stay fast. Both need an interactive terminal; input that cannot be opened is refused before
the UI starts, with one line and exit 2:

- ``edit``: a missing, binary or non-UTF-8 file (a directory means its ``rubric.yaml``).
  YAML that does not parse opens read-only with the error marked, and quitting exits 2; a
  rubric with schema or lint errors opens in the editor with its problems shown.
- ``review``: a folder that is neither a run (``run.json`` and ``grades.csv``: calibration and
  baseline runs both have them; ``run.json``'s ``kind`` tells them apart) nor the folder of a
  comparison or an invariance probe (``comparison.json`` / ``invariance.json``, or runs under
  ``arms/``; :func:`rubricate.tui.review.science.check_review_dir`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rubricate.errors import InputError


def _need_terminal(command: str) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise InputError(
            f"`rubricate {command}` is interactive and needs a terminal (stdin and stdout); "
            "run it in a terminal, not in a pipe"
        )


@click.command("edit")
@click.argument("rubric", type=click.Path(path_type=Path))
def edit_command(rubric: Path) -> int:
    """Edit RUBRIC in a terminal UI: criteria, weights, levels and checks, live lint.

    Keys: a add, x delete, shift+up/down move, > / < indent into / out of a group,
    n normalise weights to 1, p preview the compiled grader and judge prompt, ctrl+s save,
    ctrl+z / ctrl+y undo / redo, ? help, q quit. Saving keeps the file's comments and
    formatting and never overwrites a file changed on disk since it was opened. A directory
    means DIR/rubric.yaml.
    """
    path = rubric / "rubric.yaml" if rubric.is_dir() else rubric
    # Deferred: Textual loads only when the UI runs (keeps `rubricate --help` fast).
    from rubricate.tui.editor.app import EditorApp
    from rubricate.tui.editor.document import EditorDocument

    document = EditorDocument.open(path)
    _need_terminal("edit")
    app = EditorApp(document)
    app.run()
    return int(app.return_code or 0)


@click.command("review")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--expert", default=None, help="Your name for expert grades (asked for if absent).")
def review_command(run_dir: Path, expert: str | None) -> int:
    """Review a calibration or baseline run in a terminal UI; grade a calibration run's
    answers as an expert.

    A calibration run: answers grouped by item and tier with mean, SD and a bar per repeat;
    s sorts (unstable or disagreeing first), f filters (unstable, adversarial that beat fair,
    disagreements with experts); enter shows an answer's verdicts across repeats beside the
    experts' grades, r the judge's reasoning, a the agreement figures. g grades criterion by
    criterion with single keys, each grade appended to RUN_DIR/experts.csv at once
    (then `rubricate calibrate --report-only --out RUN_DIR` rebuilds the reports).

    A baseline run (`rubricate baseline`): items by headroom (best sample minus mean) with
    mean, max, min, SD and a bar per sample, per model; enter shows the item's samples side
    by side (criteria down, samples across, the reward first; unscored samples as err, never
    0), left/right pick a sample, t its text, r the grader's reasoning, a the variance study
    and learning-signal verdict per model. s sorts, f filters.

    A comparison (`calibrate --compare`, RUN_DIR its OUT): one row per arm (flip rates, ICC,
    AUC, tier order, agreement with experts, adversarial above fair, calls, tokens, cost,
    grader SHA-256), the arm to export marked and why; enter opens an arm's run, escape on its
    list comes back. An invariance probe (`calibrate --probe invariance`, RUN_DIR its OUT):
    the unchanged grader's run with an Invariance tab (i): per criterion, the flips under
    each change beside the rerun flips, the test and flagged rows, and the paraphrases to
    review.
    """
    from rubricate.tui.review.science import check_review_dir

    check_review_dir(run_dir)
    _need_terminal("review")
    # Deferred: Textual loads only when the UI runs (keeps `rubricate --help` fast).
    from rubricate.tui.review.app import ReviewApp

    app = ReviewApp(run_dir, expert=expert)
    app.run()
    if app.error:
        raise InputError(app.error)
    return int(app.return_code or 0)
