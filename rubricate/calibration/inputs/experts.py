"""Expert grades of a calibration run: reading, merging, checking, and putting on the judge's scale.

Two CSV files hold them, both long, with the header ``item_id, answer_id, expert,
criterion_id, score`` (other columns ignored; an empty ``criterion_id`` is the overall score,
kept in memory as ``"__total__"``; an empty score is a missing grade, skipped):

- the user's file (``--experts FILE``): a grade given twice is an error naming both lines;
- the run's ``experts.csv``, which ``rubricate review`` appends to (append-only): a later row
  for the same (item, answer, expert, criterion) *replaces* the earlier one, so an expert can
  correct a grade by appending it again.

:func:`merge_grades` decides what a rerun writes: the grades given on this command line (the
``--experts`` file and the set's inline grades) win for their keys; grades already in the
run's file for other keys (entered in ``rubricate review`` since) are kept.

:func:`normalise_grades` puts grades on the judge's scale for comparison: a levelled
criterion's grade must be one of its levels and becomes ``level / max`` (as the judge's
criterion score does); a met / not-met criterion's grade must be 0 or 1 (true/false); a
check's grade a number in [0, 1]; the overall score must lie in the rubric's range. A grade for
an unknown criterion or answer is an :class:`~rubricate.errors.InputError` naming the file and
line, with the nearest criterion id.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rubricate.calibration.grades_table import TOTAL
from rubricate.errors import InputError
from rubricate.rubrics.model import Criterion, Rubric

if TYPE_CHECKING:  # pandas is imported where used: ~0.4 s the grading does not need
    import pandas as pd

CSV_COLUMNS = ("item_id", "answer_id", "expert", "criterion_id", "score")
"""The columns of an expert grades file, in the order the run's ``experts.csv`` has them."""
CSV_HEADER = ",".join(CSV_COLUMNS) + "\n"
"""The header line alone: the ``experts.csv`` of a run no expert has graded yet."""
GRADE_KEY = ("item_id", "answer_id", "expert", "criterion")
"""What identifies one grade."""
_MISSING = {"", "na", "nan", "n/a", "null", "none"}
_BOOLEANS = {"true": 1.0, "false": 0.0}


def _number(text: str, source: str, line: int) -> float | None:
    lowered = text.strip().lower()
    if lowered in _MISSING:
        return None
    if lowered in _BOOLEANS:
        return _BOOLEANS[lowered]
    try:
        value = float(lowered)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(
            f"{source}:{line}: column 'score': {text!r} is not a grade; write a number, "
            "true/false, or leave it empty for a missing grade"
        )
    return value


def parse_grades_csv(text: str, *, source: str, last_wins: bool = False) -> list[dict[str, Any]]:
    """Expert grades from CSV text, as dicts with ``item_id, answer_id, expert, criterion,
    score, line, source``, in file order.

    Args:
        text: the CSV text.
        source: the file name for messages.
        last_wins: a repeated grade replaces the earlier one (the run's append-only file);
            otherwise it is an error.

    Raises:
        InputError: a missing column, an empty id, a score that is not a number, a ragged row,
            or (without ``last_wins``) a grade given twice.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise InputError(f"{source}: the file is empty; it needs the header line "
                         f"{','.join(CSV_COLUMNS)}") from None  # fmt: skip
    absent = [c for c in CSV_COLUMNS if c not in header]
    if absent:
        raise InputError(
            f"{source}:1: missing column(s) {', '.join(absent)}; the header must name "
            f"{','.join(CSV_COLUMNS)}"
        )
    index = {c: header.index(c) for c in CSV_COLUMNS}
    grades: dict[tuple[str, ...], dict[str, Any]] = {}
    line = reader.line_num
    for fields in reader:
        start, line = line + 1, reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise InputError(
                f"{source}:{start}: expected {len(header)} fields like the header, found "
                f"{len(fields)}; check for a missing or extra comma"
            )
        values = {c: fields[i].strip() for c, i in index.items()}
        for column in ("item_id", "answer_id", "expert"):
            if not values[column]:
                raise InputError(f"{source}:{start}: column '{column}' is empty; fill it in")
        score = _number(values["score"], source, start)
        if score is None:
            continue
        row: dict[str, Any] = {
            "item_id": values["item_id"],
            "answer_id": values["answer_id"],
            "expert": values["expert"],
            "criterion": values["criterion_id"] or TOTAL,
            "score": score,
            "line": start,
            "source": source,
        }
        key = tuple(row[k] for k in GRADE_KEY)
        if key in grades and not last_wins:
            raise InputError(
                f"{source}:{start}: expert {row['expert']!r} grades {row['item_id']}/"
                f"{row['answer_id']} criterion {row['criterion']!r} twice (first on line "
                f"{grades[key]['line']}); keep one row"
            )
        grades.pop(key, None)
        grades[key] = row
    return list(grades.values())


def read_grades_csv(path: str | Path, *, last_wins: bool = False) -> list[dict[str, Any]]:
    """Expert grades from a CSV file (see :func:`parse_grades_csv`)."""
    from rubricate.files import read_text

    text = read_text(path, "expert grades file")
    return parse_grades_csv(text, source=str(path), last_wins=last_wins)


def merge_grades(
    given: Iterable[dict[str, Any]], existing: Iterable[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int]:
    """The grades a run keeps: ``given`` ones, plus ``existing`` ones for other keys.

    Returns:
        The merged grades (given first, in order) and how many existing grades were kept.
    """
    merged = {tuple(g[k] for k in GRADE_KEY): g for g in given}
    kept = 0
    for grade in existing:
        key = tuple(grade[k] for k in GRADE_KEY)
        if key not in merged:
            merged[key] = grade
            kept += 1
    return list(merged.values()), kept


def _text(score: float) -> str:
    return str(int(score)) if float(score).is_integer() else repr(float(score))


def grades_csv_text(grades: Iterable[dict[str, Any]]) -> str:
    """The run's ``experts.csv`` text (``criterion_id`` empty for the overall score)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for g in grades:
        criterion = "" if g["criterion"] == TOTAL else g["criterion"]
        writer.writerow([g["item_id"], g["answer_id"], g["expert"], criterion, _text(g["score"])])
    return out.getvalue()


def _where(grade: dict[str, Any]) -> str:
    line = grade.get("line")
    return f"{grade.get('source', '<experts>')}:{line}" if line else str(grade.get("source"))


def _scaled(grade: dict[str, Any], criterion: Criterion | None, rubric: Rubric) -> float:
    value, where = float(grade["score"]), _where(grade)
    if criterion is None:
        low, high = rubric.score.range
        if not low <= value <= high:
            raise InputError(
                f"{where}: overall score {value:g} is outside the rubric's range [{low:g}, "
                f"{high:g}]; grade on the rubric's scale"
            )
        return value
    if criterion.levels:
        if not value.is_integer() or int(value) not in criterion.levels:
            allowed = ", ".join(str(k) for k in sorted(criterion.levels))
            raise InputError(
                f"{where}: criterion '{criterion.id}' is graded in levels ({allowed}); "
                f"{value:g} is not one of them"
            )
        return value / criterion.max_level
    if criterion.text is not None and value not in (0.0, 1.0):
        raise InputError(
            f"{where}: criterion '{criterion.id}' is met or not: grade it 1/0 or true/false, "
            f"not {value:g}"
        )
    if not 0.0 <= value <= 1.0:
        raise InputError(f"{where}: criterion '{criterion.id}' scores in [0, 1], not {value:g}")
    return value


def normalise_grades(
    grades: Iterable[dict[str, Any]],
    rubric: Rubric,
    answers: set[tuple[str, str]],
    *,
    strict_answers: bool = True,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Grades on the judge's scale (see the module docstring) as a DataFrame.

    Args:
        grades: rows from :func:`parse_grades_csv` or the set's inline grades.
        rubric: the rubric whose criteria are graded.
        answers: the ``(item_id, answer_id)`` pairs of the set.
        strict_answers: a grade for an answer not in the set is an error; otherwise it is
            dropped and returned.

    Returns:
        ``(table, dropped)``: columns ``item_id, answer_id, expert, criterion, score``, and
        the grades dropped because their answer is not in the set.

    Raises:
        InputError: an unknown criterion, a grade off the criterion's scale, or (with
            ``strict_answers``) an unknown answer.
    """
    import pandas as pd

    rows, dropped = normalised_rows(grades, rubric, answers, strict_answers=strict_answers)
    return pd.DataFrame.from_records(rows, columns=[*GRADE_KEY, "score"]), dropped


def normalised_rows(
    grades: Iterable[dict[str, Any]],
    rubric: Rubric,
    answers: set[tuple[str, str]],
    *,
    strict_answers: bool = True,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """:func:`normalise_grades` as plain rows (what checking the grades needs, no pandas)."""
    by_id = {c.id: c for c in rubric.leaves()}
    groups = {c.id: [k.id for k in c.children or []] for _, c in rubric.walk() if c.is_group}
    rows, dropped = [], []
    for grade in grades:
        if (grade["item_id"], grade["answer_id"]) not in answers:
            if strict_answers:
                raise InputError(
                    f"{_where(grade)}: no answer {grade['answer_id']!r} of item "
                    f"{grade['item_id']!r} in the calibration set; fix the ids or drop the row"
                )
            dropped.append(grade)
            continue
        cid = grade["criterion"]
        if cid != TOTAL and cid in groups:
            raise InputError(
                f"{_where(grade)}: criterion {cid!r} is a group; grade its children "
                f"({', '.join(groups[cid])}) or leave criterion_id empty for the overall score"
            )
        if cid != TOTAL and cid not in by_id:
            close = difflib.get_close_matches(cid, list(by_id), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise InputError(
                f"{_where(grade)}: criterion {cid!r} is not a criterion of the rubric{hint}; "
                f"leave criterion_id empty for the overall score"
            )
        score = _scaled(grade, None if cid == TOTAL else by_id[cid], rubric)
        rows.append({**{k: grade[k] for k in GRADE_KEY}, "score": score})
    return rows, dropped
