"""Checks on an RFT dataset before anything is written: all problems at once, each with its
file and line.

Errors (the export stops, exit 2, nothing written):

- ``unknown-template-variable`` / ``item-criteria-missing`` / ``item-criteria-invalid``: a row
  lacks an item field the grader reads, or its per-item criteria are not ``{id, text,
  weight}`` (the lint rules of :mod:`rubricate.rubrics.lint`, run on each file's items);
- ``rft-row``: a row whose ``messages`` are not an RFT prompt (see :mod:`.rft_rows`);
- ``duplicate-row-id``: two rows of one file share an ``id``;
- ``train-valid-overlap``: a row of the validation file is also in the training file, by ``id``
  or by content (the SHA-256 of the row without its id, :func:`.rft_rows.content_hash`). The
  API reference says of ``validation_file``: *the same data should not be present in both
  train and validation files*;
- ``size-limit``: the platform's limits, below.

Warnings (reported, the export goes on): ``duplicate-row`` (the same content twice in one
file), ``label-skew`` (:mod:`.labels`), ``label-unseen`` (a validation label no training row
has), ``rft-task-mismatch`` (:mod:`.rft_rows`).

The platform's size limits, as documented:

- each uploaded file at most 512 MB (Files API, ``POST /v1/files``: *individual files can be
  up to 512 MB*);
- at least 10 training examples (fine-tuning guide: *you are required to provide at least 10
  examples*; file validation refuses fewer);
- a validation file with at least one row: RFT requires both a training and a validation set
  (Azure OpenAI RFT guide, "Requirements").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rubricate.datasets.labels import class_of, distribution, skew_problem
from rubricate.datasets.rft_rows import ID_FIELD, Rows, content_hash
from rubricate.rubrics.items import ItemsFile
from rubricate.rubrics.loader import LoadedRubric
from rubricate.rubrics.problems import Problem

MAX_FILE_BYTES = 512 * 1024 * 1024
"""The Files API's limit on one uploaded file."""
MIN_TRAIN_ROWS = 10
"""The fine-tuning API's minimum number of training examples."""
MIN_VALID_ROWS = 1
"""RFT needs a validation set."""
ITEM_RULES = frozenset(
    {"unknown-template-variable", "item-criteria-missing", "item-criteria-invalid"}
)
"""Lint rules about dataset items that block an export."""


def item_problems(loaded: LoadedRubric, items: ItemsFile) -> list[Problem]:
    """The lint rules about items (:data:`ITEM_RULES`) run on one file's items: a template
    variable some rows lack (the message names the file and the lines), per-item criteria
    missing or invalid (at the item's line)."""
    from rubricate.rubrics.lint import lint_rubric

    found = lint_rubric(loaded, items.items, items_file=items.path, item_lines=items.lines)
    return [p for p in found if p.rule in ITEM_RULES]


def _lines(numbers: Sequence[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:5]) + (", ..." if len(numbers) > 5 else "")
    return f"{'line' if len(numbers) == 1 else 'lines'} {shown}"


def duplicate_ids(rows: Rows) -> list[Problem]:
    """Rows of one file that share an id (one error per id, at its second line)."""
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for row, line in zip(rows.rows, rows.lines, strict=True):
        if ID_FIELD not in row:
            continue
        key = class_of(row[ID_FIELD])
        if key in seen:
            problems.append(
                Problem(
                    rows.path,
                    line,
                    None,
                    "",
                    f"duplicate id {key!r} (first at line {seen[key]}); ids must be unique "
                    "within a file",
                    "error",
                    "duplicate-row-id",
                )
            )
        else:
            seen[key] = line
    return problems


def duplicate_content(rows: Rows) -> list[Problem]:
    """Rows of one file with the same content (a warning: it weights that prompt double)."""
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for row, line in zip(rows.rows, rows.lines, strict=True):
        digest = content_hash(row)
        if digest in seen:
            message = (
                f"same prompt and grading data as line {seen[digest]}; the duplicate counts "
                "twice in training"
            )
            problems.append(Problem(rows.path, line, None, "", message, "warning", "duplicate-row"))
        else:
            seen[digest] = line
    return problems


def overlap(train: Rows, valid: Rows) -> list[Problem]:
    """Validation rows that are also training rows, by id or by content (one error each)."""
    by_id = {
        class_of(r[ID_FIELD]): line
        for r, line in zip(train.rows, train.lines, strict=True)
        if ID_FIELD in r
    }
    by_hash = {content_hash(r): line for r, line in zip(train.rows, train.lines, strict=True)}
    problems: list[Problem] = []
    for row, line in zip(valid.rows, valid.lines, strict=True):
        key = class_of(row[ID_FIELD]) if ID_FIELD in row else None
        digest = content_hash(row)
        if key is not None and key in by_id:
            why = f"has id {key!r}, like {train.path} line {by_id[key]}"
        elif digest in by_hash:
            why = f"has the same content as {train.path} line {by_hash[digest]}"
        else:
            continue
        message = (
            f"{why}: a row may not be in both the training and the validation file (the "
            "validation reward would measure memorisation); remove it from one of them"
        )
        problem = Problem(valid.path, line, None, "", message, "error", "train-valid-overlap")
        problems.append(problem)
    if len(valid.rows) > 1 and len(problems) == len(valid.rows):
        # One line, not one per row, when the whole validation file is training data (most
        # often the same file given twice).
        message = (
            f"every one of its {len(problems)} rows is also in {train.path} (the same file "
            "twice?): the validation reward would measure memorisation; give --valid rows "
            "held out from training"
        )
        first = problems[0].line
        return [Problem(valid.path, first, None, "", message, "error", "train-valid-overlap")]
    return problems


def size_problems(train: Rows, valid: Rows, sizes: dict[str, int]) -> list[Problem]:
    """The platform's size limits; ``sizes`` maps each file's path to its bytes as written."""
    problems: list[Problem] = []
    for rows, minimum, what in (
        (train, MIN_TRAIN_ROWS, "the fine-tuning API needs at least 10 training examples"),
        (valid, MIN_VALID_ROWS, "RFT needs a validation set of at least 1 row"),
    ):
        if len(rows.rows) < minimum:
            message = f"{len(rows.rows)} usable rows; {what}"
            problems.append(Problem(rows.path, None, None, "", message, "error", "size-limit"))
        size = sizes.get(rows.path, 0)
        if size > MAX_FILE_BYTES:
            message = (
                f"the RFT file would be {size / 2**20:.0f} MB; the Files API takes at most "
                "512 MB per file: split or shorten the data"
            )
            problems.append(Problem(rows.path, None, None, "", message, "error", "size-limit"))
    return problems


def _labels(value: Any) -> list[str]:
    """The individual labels of a value: a list's elements, or the value's class."""
    if isinstance(value, list):
        return [class_of(v) for v in value]
    return [class_of(value)]


def label_problems(train: Rows, valid: Rows, fields: Sequence[str]) -> list[Problem]:
    """Skew warnings for each label field, and validation labels training never shows (only
    for fields where some label repeats: when every training label is distinct the field is
    free text, and every validation row would be "unseen")."""
    problems: list[Problem] = []
    for field in fields:
        counts = distribution(train.rows, field)
        skew = skew_problem(train.path, field, counts)
        if skew is not None:
            problems.append(skew)
        seen = [label for row in train.rows if field in row for label in _labels(row[field])]
        universe = set(seen)
        if len(universe) == len(seen):
            continue
        unseen = [
            line
            for row, line in zip(valid.rows, valid.lines, strict=True)
            if field in row and not set(_labels(row[field])) <= universe
        ]
        if unseen:
            message = (
                f"label field {field!r}: {len(unseen)} validation rows have a label no training "
                f"row has ({_lines(unseen)}); the model is never rewarded for it in training"
            )
            problems.append(
                Problem(valid.path, unseen[0], None, "", message, "warning", "label-unseen")
            )
    return problems


def label_summary(rows: Rows, fields: Sequence[str]) -> dict[str, Any]:
    """Per label field, rows per class (most frequent first), for the manifest."""
    return {field: dict(distribution(rows.rows, field).most_common()) for field in fields}


def check_rows(
    train: Rows,
    valid: Rows,
    *,
    sizes: dict[str, int],
    label_fields: Sequence[str] = (),
) -> list[Problem]:
    """Every row-level problem of a training and a validation file (see the module
    docstring); the rows' own build problems included."""
    problems = [*train.problems, *valid.problems]
    for rows in (train, valid):
        problems += duplicate_ids(rows)
        problems += duplicate_content(rows)
    problems += overlap(train, valid)
    problems += size_problems(train, valid, sizes)
    problems += label_problems(train, valid, label_fields)
    return problems
