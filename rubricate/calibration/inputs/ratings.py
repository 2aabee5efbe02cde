"""Loading expert ratings from CSV: agreement files and calibration expert grades.

Two files, read as *path -> text -> rows -> table*, so every layer past the first is tested
without files. Errors are :class:`rubricate.errors.InputError` with ``file:line`` and the column.

**Ratings for** ``rubricate agreement`` come in one of two layouts, detected from the header
(names compared case-insensitively, surrounding spaces ignored):

- *long*: one row per rating, with a unit column (``unit``, ``unit_id``, ``item``,
  ``item_id``, ``subject`` or ``target``), a rater column (``rater``, ``rater_id``, ``coder``,
  ``expert``, ``annotator``) and a score column (``score``, ``rating``, ``value``, ``label``,
  ``criteria_met``); the first alias found of each kind is used and other columns are ignored
  (they can be used to filter rows, e.g. ``rater_type=physician``). The file is long when it
  has all three kinds of column;
- *wide*: anything else. The first column holds the unit ids and every further column is one
  rater, named by its header; an empty cell is a missing rating.

Scores are numbers (``true``/``false`` read as 1/0), or *labels*: when no score is a number,
every score is a category label (``pass``/``fail``, ``A``/``B``/``C``, ``yes``/``partly``/``no``),
kept as text (:attr:`Ratings.labels`); nominal agreement takes any labels, ordinal agreement
takes them with an explicit order (:meth:`Ratings.coded`). A file mixing numbers and words is
an error naming the first word (a typo must not turn numbers into labels). An empty cell,
``NA`` or ``NaN`` is a missing rating (skipped and counted). A rater rating one unit twice is
an error.

**Calibration expert grades** (``--experts FILE``): long format with the columns ``item_id``,
``answer_id``, ``expert``, ``criterion_id`` and ``score`` (other columns are ignored). An empty
``criterion_id`` means the overall score, stored as criterion ``"__total__"``
(:data:`rubricate.calibration.grades_table.TOTAL`); an empty score is a missing grade.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from rubricate.calibration.grades_table import TOTAL
from rubricate.errors import InputError

UNIT_ALIASES = ("unit", "unit_id", "item", "item_id", "subject", "target")
RATER_ALIASES = ("rater", "rater_id", "coder", "expert", "annotator")
SCORE_ALIASES = ("score", "rating", "value", "label", "criteria_met")
EXPERT_COLUMNS = ("item_id", "answer_id", "expert", "criterion_id", "score")

Layout = Literal["auto", "long", "wide"]
_MISSING = {"", "na", "nan", "n/a", "null", "none"}
_BOOLEANS = {"true": 1.0, "false": 0.0}


@dataclass(frozen=True)
class Ratings:
    """Ratings in long form, as loaded.

    Attributes:
        long: columns ``unit`` (str), ``rater`` (str), ``score`` (float), one row per rating
            present, in file order.
        layout: ``"long"`` or ``"wide"``, as detected or forced.
        source: the file name (for messages).
        n_missing: empty cells skipped.
    """

    long: pd.DataFrame
    layout: str
    source: str
    n_missing: int
    labels: tuple[str, ...] | None = None
    """The distinct labels (sorted) when the scores are labels, not numbers; ``long["score"]``
    then holds the label text."""

    def matrix(self) -> pd.DataFrame:
        """Units (rows) x raters (columns), NaN where a rater did not rate; file order."""
        units = pd.unique(self.long["unit"])
        raters = pd.unique(self.long["rater"])
        table = self.long.pivot(index="unit", columns="rater", values="score")
        return table.reindex(index=units, columns=raters)

    def coded(self, order: tuple[str, ...] | None = None) -> pd.DataFrame:
        """The matrix as numbers: labels coded 0, 1, 2, ... in ``order`` (default: sorted,
        an arbitrary order only nominal figures may use); numbers as they are.

        Raises:
            InputError: ``order`` misses a label of the file, or repeats one.
        """
        matrix = self.matrix()
        if self.labels is None:
            if order is not None:
                raise InputError("--order is for labels; the scores of this file are numbers")
            return matrix.astype(float)
        order = check_order(order, self.labels) if order is not None else self.labels
        codes = {label: float(i) for i, label in enumerate(order)}
        return matrix.apply(lambda column: column.map(codes)).astype(float)


def check_order(order: tuple[str, ...], labels: tuple[str, ...]) -> tuple[str, ...]:
    """``order`` when it names every label exactly once (extra labels, unused, are fine)."""
    seen: set[str] = set()
    for label in order:
        if label in seen:
            raise InputError(f"--order: {label!r} appears twice")
        seen.add(label)
    absent = [label for label in labels if label not in seen]
    if absent:
        raise InputError(
            f"--order: labels {', '.join(absent)} are in the file but not in --order"
            if len(absent) > 1
            else f"--order: label {absent[0]} is in the file but not in --order"
        )
    return tuple(order)


def _rows(text: str, source: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and ``(line number, fields)`` rows; blank lines skipped; ragged rows refused."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{source}: the file is empty; it needs a header line") from None
    except csv.Error as error:
        raise InputError(f"{source}:1: {error}") from None
    header = [name.strip() for name in header]
    rows: list[tuple[int, list[str]]] = []
    line = reader.line_num
    try:
        for fields in reader:
            start, line = line + 1, reader.line_num
            if not any(field.strip() for field in fields):
                continue
            if len(fields) != len(header):
                raise InputError(
                    f"{source}:{start}: expected {len(header)} fields like the header, "
                    f"found {len(fields)}; check for a missing or extra comma"
                )
            rows.append((start, [field.strip() for field in fields]))
    except csv.Error as error:
        raise InputError(f"{source}:{line + 1}: {error}") from None
    if not header or not any(header):
        raise InputError(f"{source}:1: the header line is empty")
    seen: set[str] = set()
    for name in header:
        if name.lower() in seen:
            raise InputError(f"{source}:1: column '{name}' appears twice in the header; rename one")
        seen.add(name.lower())
    return header, rows


def _score(text: str, source: str, line: int, column: str) -> float:
    lowered = text.lower()
    if lowered in _MISSING:
        return float("nan")
    if lowered in _BOOLEANS:
        return _BOOLEANS[lowered]
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
        ok = False
    else:
        ok = np.isfinite(value)
    if not ok:
        raise InputError(
            f"{source}:{line}: column '{column}': {text!r} is not a score; write a number "
            "(code categories as numbers; true/false also work) or leave the cell empty"
        )
    return value


def _find(header: list[str], aliases: tuple[str, ...]) -> int | None:
    lowered = [name.lower() for name in header]
    for alias in aliases:
        if alias in lowered:
            return lowered.index(alias)
    return None


def _sub_unit_columns(header: list[str], unit_i: int) -> list[int]:
    """Columns that refine the unit in a calibration experts CSV: answer_id, criterion_id.

    ``item_id,answer_id,expert,criterion_id,score`` rates an answer (or one criterion of it),
    not an item, so the unit is ``item/answer[/criterion]``; an empty criterion (the overall
    score) leaves the unit ``item/answer``. Filter with ``--filter criterion_id=`` to keep
    overall scores only.
    """
    lowered = [name.lower() for name in header]
    if lowered[unit_i] != "item_id":
        return []
    return [lowered.index(c) for c in ("answer_id", "criterion_id") if c in lowered]


def _unit(fields: list[str], unit_i: int, sub: list[int]) -> str:
    """The unit id: the unit column, refined by the non-empty ``sub`` columns (``a/b/c``).

    An empty unit column stays empty, so the "unit id is empty" error still fires.
    """
    if not fields[unit_i]:
        return ""
    return "/".join([fields[unit_i], *(fields[i] for i in sub if fields[i])])


def _check_duplicates(frame: pd.DataFrame, keys: list[str], source: str, what: str) -> None:
    duplicated = frame.duplicated(keys, keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        same = frame[duplicated & (frame[keys] == first[keys]).all(axis=1)]
        lines = same["line"].tolist()
        described = ", ".join(f"{k} {first[k]!r}" for k in keys)
        raise InputError(
            f"{source}:{lines[1]}: {what} twice ({described}; first on line {lines[0]}); "
            "keep one row"
        )


def _apply_filters(
    header: list[str], rows: list[tuple[int, list[str]]], filters: dict[str, str], source: str
) -> list[tuple[int, list[str]]]:
    lowered = [name.lower() for name in header]
    for column, wanted in filters.items():
        if column.lower() not in lowered:
            raise InputError(
                f"{source}: cannot filter on '{column}': no such column; "
                f"columns are {', '.join(header)}"
            )
        index = lowered.index(column.lower())
        rows = [(line, fields) for line, fields in rows if fields[index] == wanted]
    return rows


def parse_ratings_csv(
    text: str,
    *,
    source: str = "<ratings>",
    layout: Layout = "auto",
    filters: dict[str, str] | None = None,
) -> Ratings:
    """Ratings from CSV text, long or wide (see the module docstring).

    Args:
        text: the CSV text.
        source: the file name used in error messages.
        layout: ``"auto"`` (detect from the header), ``"long"`` or ``"wide"``.
        filters: long layout only: keep rows whose column equals the value.

    Returns:
        :class:`Ratings`.

    Raises:
        InputError: empty or ragged file, missing columns, a score that is not a number, a
            duplicate rating, no rating at all.
    """
    header, rows = _rows(text, source)
    columns = [_find(header, a) for a in (UNIT_ALIASES, RATER_ALIASES, SCORE_ALIASES)]
    is_long = all(c is not None for c in columns)
    if layout == "long" and not is_long:
        raise InputError(
            f"{source}:1: a long ratings file needs a unit, a rater and a score column "
            f"(e.g. 'unit,rater,score'); the header is {','.join(header)}"
        )
    chosen = "long" if (layout == "long" or (layout == "auto" and is_long)) else "wide"
    if filters and chosen != "long":
        raise InputError(f"{source}: filters apply to long files (unit, rater, score)")
    if chosen == "long":
        rows = _apply_filters(header, rows, filters or {}, source)
        unit_i, rater_i, score_i = (c for c in columns if c is not None)
        sub = _sub_unit_columns(header, unit_i)
        raw = [(line, _unit(f, unit_i, sub), f[rater_i], f[score_i], header[score_i])
               for line, f in rows]  # fmt: skip
    else:
        if len(header) < 2:
            raise InputError(
                f"{source}:1: a wide ratings file needs a unit column and one column per rater"
            )
        raw = [(line, f[0], header[j], f[j], header[j])
               for line, f in rows for j in range(1, len(header))]  # fmt: skip
    labels = _labels(raw, source)
    records: list[tuple[int, str, str, float | str]]
    if labels is None:
        records = [(line, unit, rater, _score(text, source, line, column))
                   for line, unit, rater, text, column in raw]  # fmt: skip
    else:
        records = [(line, unit, rater, np.nan if text.lower() in _MISSING else text)
                   for line, unit, rater, text, _ in raw]  # fmt: skip
    for line, unit, rater, _ in records:
        if not unit or not rater:
            what = "unit id" if not unit else "rater id"
            raise InputError(f"{source}:{line}: the {what} is empty; every rating needs one")
    frame = pd.DataFrame.from_records(records, columns=["line", "unit", "rater", "score"])
    missing = frame["score"].isna()
    present = frame[~missing]
    _check_duplicates(present, ["unit", "rater"], source, "a rater rates a unit")
    if present.empty:
        raise InputError(f"{source}: no ratings found (every score cell is empty)")
    long = present[["unit", "rater", "score"]].reset_index(drop=True)
    long = long.astype({"unit": str, "rater": str, "score": float if labels is None else object})
    return Ratings(
        long=long, layout=chosen, source=source, n_missing=int(missing.sum()), labels=labels
    )


def _is_number(text: str) -> bool:
    lowered = text.lower()
    if lowered in _BOOLEANS:
        return True
    try:
        return bool(np.isfinite(float(text)))
    except ValueError:
        return False


def _labels(
    raw: list[tuple[int, str, str, str, str]], source: str
) -> tuple[str, ...] | None:
    """The sorted labels when no present score is a number; None for numbers. A file with
    both numbers and words is refused at its first word (see the module docstring)."""
    present = [r for r in raw if r[3].lower() not in _MISSING]
    words = [r for r in present if not _is_number(r[3])]
    if not words:
        return None
    numbers = [r for r in present if _is_number(r[3]) and r[3].lower() not in _BOOLEANS]
    if numbers:
        line, _, _, text, column = words[0]
        raise InputError(
            f"{source}:{line}: column '{column}': {text!r} is not a number, but other scores "
            f"are (e.g. {numbers[0][3]!r} on line {numbers[0][0]}); write numbers throughout, "
            "or labels throughout (pass,fail / A,B,C)"
        )
    return tuple(sorted({r[3] for r in present}))


def read_ratings_csv(
    path: str | Path, *, layout: Layout = "auto", filters: dict[str, str] | None = None
) -> Ratings:
    """Ratings from a CSV file (see :func:`parse_ratings_csv`)."""
    return parse_ratings_csv(_read(path), source=str(path), layout=layout, filters=filters)


def _read(path: str | Path) -> str:
    from rubricate.files import read_text

    return read_text(path, "ratings CSV file")


def parse_expert_grades_csv(text: str, *, source: str = "<experts>") -> pd.DataFrame:
    """Calibration expert grades from CSV text.

    Returns:
        A DataFrame with columns ``item_id``, ``answer_id``, ``expert``, ``criterion`` (the
        criterion id, or ``"__total__"`` for an empty ``criterion_id``) and ``score``
        (float), one row per grade present, in file order.

    Raises:
        InputError: a missing column, an empty id, a score that is not a number, a duplicate.
    """
    header, rows = _rows(text, source)
    lowered = [name.lower() for name in header]
    absent = [c for c in EXPERT_COLUMNS if c not in lowered]
    if absent:
        raise InputError(
            f"{source}:1: missing column(s) {', '.join(absent)}; the header must name "
            f"{','.join(EXPERT_COLUMNS)}"
        )
    index = {c: lowered.index(c) for c in EXPERT_COLUMNS}
    records = []
    for line, fields in rows:
        for column in ("item_id", "answer_id", "expert"):
            if not fields[index[column]]:
                raise InputError(f"{source}:{line}: column '{column}' is empty; fill it in")
        score = _score(fields[index["score"]], source, line, header[index["score"]])
        if np.isnan(score):
            continue
        criterion = fields[index["criterion_id"]] or TOTAL
        records.append(
            (
                line,
                fields[index["item_id"]],
                fields[index["answer_id"]],
                fields[index["expert"]],
                criterion,
                score,
            )
        )
    columns = ["line", "item_id", "answer_id", "expert", "criterion", "score"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    _check_duplicates(
        frame, ["item_id", "answer_id", "expert", "criterion"], source, "an expert grades"
    )
    return frame.drop(columns="line").astype({"score": float}).reset_index(drop=True)


def read_expert_grades_csv(path: str | Path) -> pd.DataFrame:
    """Calibration expert grades from a CSV file (see :func:`parse_expert_grades_csv`)."""
    return parse_expert_grades_csv(_read(path), source=str(path))
