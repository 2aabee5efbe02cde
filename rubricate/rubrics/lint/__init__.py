"""Lint: semantic rules on a rubric that loads, and on the dataset items it will grade.

Loading (:mod:`rubricate.rubrics.loader`) already refuses what the format forbids; lint finds
what the format allows but is wrong or risky: duplicate ids, weights that cannot be scored,
regexes and python that cannot run, levels with gaps, template variables no item provides,
examples that contradict the criteria, bundled criteria. One module per family of rules;
every rule has a stable id, a severity and a message that says how to fix it, and points at
the YAML node (or the items line) it concerns. :data:`RULES` lists them all.

``lint_file`` is what ``rubricate check`` runs: load problems and lint problems together,
never an exception for bad rubric content (a bad ``--items`` file is an input error).
``load_checked_rubric`` is what every other command runs: a rubric that ``check`` rejects is
refused before it is compiled (a duplicate id would double a weight in the formula; a regex that
does not compile would fail on every sample), with one line naming the first error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rubricate.errors import RubricFormatError
from rubricate.rubrics.items import ItemsFile, read_items
from rubricate.rubrics.lint.checks import GRADER_IMAGE_PACKAGES, check_rules
from rubricate.rubrics.lint.context import LintContext, Rule
from rubricate.rubrics.lint.examples import example_rules
from rubricate.rubrics.lint.ids import duplicate_ids
from rubricate.rubrics.lint.item_criteria import item_criteria_rules
from rubricate.rubrics.lint.levels import level_rules
from rubricate.rubrics.lint.never_matches import never_matches_rules
from rubricate.rubrics.lint.templates import (
    template_references,
    template_rules,
    template_variables,
)
from rubricate.rubrics.lint.weights import weight_rules
from rubricate.rubrics.lint.wording import bundled_reason, wording_rules
from rubricate.rubrics.loader import LoadedRubric, load_rubric, summary_message
from rubricate.rubrics.problems import Problem, sort_key

__all__ = [
    "GRADER_IMAGE_PACKAGES",
    "RULES",
    "LintContext",
    "bundled_reason",
    "lint_file",
    "lint_rubric",
    "load_checked_rubric",
    "refuse_lint_errors",
    "template_references",
    "template_variables",
]

RULES: dict[str, tuple[str, str]] = {
    # loading (rubricate.rubrics.loader / validation)
    "unreadable": ("error", "the file is missing, a directory, binary or not UTF-8"),
    "empty-file": ("error", "the file is empty or only comments"),
    "yaml-syntax": ("error", "not valid YAML (a tab, bad indentation, an unclosed bracket)"),
    "too-large": ("error", "over 2 MiB, nested over 64 deep, or aliases expanding too far"),
    "duplicate-key": ("error", "a key appears twice in one mapping"),
    "unknown-key": ("error", "a key the format does not have (with a did-you-mean)"),
    "missing-key": ("error", "a required key is missing"),
    "wrong-type": ("error", "a value of the wrong type (text, number, list, mapping)"),
    "invalid-value": ("error", "a value out of range or not allowed"),
    "check-kind": ("error", "a check without exactly one kind key"),
    # lint
    "duplicate-id": ("error", "two criteria (or examples) share an id"),
    "id-collision": ("error", "two ids give the same sub-grader name (- becomes _)"),
    "no-positive-weight": ("error", "no top-level criterion has a positive weight"),
    "penalty-only-group": ("error", "a group whose children have no positive weight"),
    "tracked-criterion": ("info", "weight 0: computed and reported, not scored"),
    "pass-threshold-range": ("error", "pass_threshold outside score.range"),
    "group-depth": ("error", "groups nested deeper than a formula holds (10)"),
    "bad-regex": ("error", "a regex check that does not compile"),
    "python-syntax": ("error", "a python check that does not parse"),
    "python-no-grade": ("error", "a python check without def grade(sample, item)"),
    "python-import": ("warning", "a python check importing what the grader image lacks"),
    "python-too-large": ("error", "a python check over the platform's 256 kB"),
    "check-never-matches": ("error", "a check no answer can pass, or every answer passes"),
    "too-few-levels": ("error", "levels with fewer than two levels"),
    "levels-not-contiguous": ("error", "levels that are not 0, 1, ..., max"),
    "template-syntax": ("error", "braces that are not an item/sample reference"),
    "sample-variable": ("error", "a sample.* reference to a field the sample lacks"),
    "unknown-template-variable": ("error", "an item.* reference some items lack (--items)"),
    "item-criteria-missing": ("error", "items without the item_criteria field (--items)"),
    "item-criteria-invalid": ("error", "per-item criteria that are not {id, text, weight}"),
    "item-criteria-per-criterion": ("warning", "item_criteria with judge.mode per_criterion"),
    "example-unknown-criterion": ("error", "an example verdict for an unknown criterion"),
    "example-verdict": ("error", "an example verdict that does not fit the criterion"),
    "example-score-range": ("error", "an example score outside score.range"),
    "bundled-criterion": ("warning", "a criterion that bundles several facts"),
    "penalty-phrasing": ("warning", "a penalty that describes good behaviour"),
}
"""Every rule id -> (severity, what it finds)."""

_RULE_FUNCTIONS: tuple[Rule, ...] = (
    duplicate_ids,
    weight_rules,
    level_rules,
    check_rules,
    never_matches_rules,
    template_rules,
    item_criteria_rules,
    example_rules,
    wording_rules,
)


def lint_rubric(
    loaded: LoadedRubric,
    items: list[dict[str, Any]] | None = None,
    *,
    items_file: str = "<items>",
    item_lines: list[int] | None = None,
) -> list[Problem]:
    """Every lint problem of a loaded rubric, sorted by position.

    Args:
        loaded: the rubric (from :func:`~rubricate.rubrics.loader.load_rubric`).
        items: dataset items to check template variables and per-item criteria against;
            without them those rules are skipped.
        items_file: the items file's name, for problems about items.
        item_lines: each item's 1-based line in ``items_file`` (default 1, 2, ...).
    """
    ctx = LintContext(loaded, items, items_file, item_lines)
    problems: list[Problem] = []
    for rule in _RULE_FUNCTIONS:
        problems += rule(ctx)
    return sorted(problems, key=sort_key)


def lint_file(
    path: str | Path, items_path: str | Path | None = None, *, items: ItemsFile | None = None
) -> list[Problem]:
    """Load problems and lint problems of one rubric file, together.

    Never raises for bad rubric content: an unreadable or invalid file gives its load
    problems (rules ``unreadable``, ``empty-file``, ``yaml-syntax``, ``too-large`` mean it could
    not be read).

    Args:
        path: the rubric file.
        items_path: a JSONL file of dataset items (``--items``).
        items: items already read (saves reading the file once per rubric); wins over
            ``items_path``.

    Raises:
        InputError: the items file cannot be read (the message names its file and line).
    """
    if items is None and items_path is not None:
        items = read_items(items_path)
    try:
        loaded = load_rubric(path)
    except RubricFormatError as error:
        return sorted(error.problems, key=sort_key)
    if items is None:
        return lint_rubric(loaded)
    return lint_rubric(loaded, items.items, items_file=items.path, item_lines=items.lines)


def refuse_lint_errors(loaded: LoadedRubric) -> None:
    """Raise when ``rubricate check`` would report an error on ``loaded`` (warnings pass).

    Raises:
        RubricFormatError: one line, the first error (``file:line:col: field: message``) and
            how many more there are; ``problems`` holds them all.
    """
    errors = [p for p in lint_rubric(loaded) if p.severity == "error"]
    if errors:
        raise RubricFormatError(summary_message(errors), problems=errors)


def load_checked_rubric(path: str | Path) -> LoadedRubric:
    """Load a rubric and refuse it unless ``rubricate check`` passes it (warnings allowed).

    What ``compile``, ``grade``, ``calibrate``, ``baseline``, ``export`` and ``serve`` load.

    Raises:
        UnreadableRubricError / RubricFormatError: it does not load, or has lint errors.
    """
    loaded = load_rubric(path)
    refuse_lint_errors(loaded)
    return loaded
