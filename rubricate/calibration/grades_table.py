"""The tidy grades table every calibration statistic takes, and its conventions.

One row per (item, answer, repeat, criterion) grade, as a pandas DataFrame:

=============  ===========  ==============================================================
column         type         meaning
=============  ===========  ==============================================================
``item_id``    str          the calibration item
``answer_id``  str          the answer, unique within its item
``tier``       str          ``great`` | ``fair`` | ``poor`` | ``adversarial``
``kind``       str | None   the adversarial kind (None for other tiers)
``repeat``     int          the repeat index, 0-based
``criterion``  str          a criterion id, or :data:`TOTAL` for the grader's overall reward
``score``      float        the score in the rubric's range; NaN when unscored
``scored``     bool         False when the grade errored (unparseable reply, refusal, ...)
``error``      str | None   why it is unscored (on a scored row: a note, e.g. clipped)
=============  ===========  ==============================================================

Conventions:

- The overall reward has ``criterion == "__total__"`` (:data:`TOTAL`), never the empty
  string: an empty string turns into NaN when a CSV is read back, ``__total__`` survives, and
  it cannot clash with a rubric criterion id (ids are slugs that start with a letter or digit).
- A row counts as *unscored* when ``scored`` is False **or** ``score`` is NaN. Unscored rows are
  excluded from every statistic and counted (:func:`unscored_counts`); an error is never a
  silent 0.
- An answer is identified by ``(item_id, answer_id)``; its repeats form one cluster for
  bootstrap intervals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas and numpy are imported where used: ~0.5 s grading does not need
    import pandas as pd

TOTAL = "__total__"
"""The ``criterion`` value of the grader's overall reward."""

TIERS: tuple[str, ...] = ("great", "fair", "poor", "adversarial")
"""The answer tiers, best first; ``adversarial`` answers are reward-hacking probes."""

GRADE_COLUMNS: tuple[str, ...] = (
    "item_id",
    "answer_id",
    "tier",
    "kind",
    "repeat",
    "criterion",
    "score",
    "scored",
    "error",
)
"""The columns of the tidy grades table, in order."""

ANSWER_KEY: list[str] = ["item_id", "answer_id"]
"""The columns that identify one answer (the cluster of its repeats)."""


def grades_frame(
    rows: list[dict[str, Any]] | list[tuple[Any, ...]],
    columns: tuple[str, ...] = GRADE_COLUMNS,
    ints: tuple[str, ...] = ("repeat",),
) -> pd.DataFrame:
    """Grade rows as the tidy grades table: ``score`` float, ``scored`` bool, ``ints`` int."""
    import pandas as pd

    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    frame["score"] = frame["score"].astype(float)
    frame["scored"] = frame["scored"].astype(bool)
    for column in ints:
        frame[column] = frame[column].astype(int)
    return frame


def check_grades(grades: pd.DataFrame) -> None:
    """Raise ``ValueError`` when ``grades`` is not a tidy grades table.

    Checks the columns and the tier vocabulary; extra columns are allowed.
    """
    missing = [c for c in GRADE_COLUMNS if c not in grades.columns]
    if missing:
        raise ValueError(f"grades table lacks column(s) {missing}; see grades_table.GRADE_COLUMNS")
    bad = set(grades["tier"].dropna().unique()) - set(TIERS)
    if bad:
        raise ValueError(f"unknown tier(s) {sorted(bad)}; use {', '.join(TIERS)}")


def is_scored(grades: pd.DataFrame) -> pd.Series:
    """Boolean mask of the rows that count: ``scored`` and a finite ``score``."""
    import numpy as np

    return grades["scored"].astype(bool) & np.isfinite(grades["score"].astype(float))


def scored_rows(grades: pd.DataFrame, criterion: str | None = TOTAL) -> pd.DataFrame:
    """The scored rows, for one criterion (default the total) or all (``criterion=None``).

    Returns:
        A copy with ``score`` as float; empty (same columns) when nothing is scored.
    """
    check_grades(grades)
    rows = grades if criterion is None else grades[grades["criterion"] == criterion]
    rows = rows[is_scored(rows)].copy()
    rows["score"] = rows["score"].astype(float)
    return rows


def unscored_counts(grades: pd.DataFrame) -> pd.DataFrame:
    """Per criterion: rows, unscored rows and their share, and the most frequent error.

    Returns:
        A DataFrame indexed by criterion with columns ``n_rows``, ``n_unscored``,
        ``share_unscored`` (NaN for a criterion with no rows cannot occur) and ``top_error``.
    """
    import pandas as pd

    check_grades(grades)
    flagged = grades.assign(_unscored=~is_scored(grades))
    grouped = flagged.groupby("criterion", sort=True)
    table = pd.DataFrame(
        {"n_rows": grouped.size(), "n_unscored": grouped["_unscored"].sum().astype(int)}
    )
    table["share_unscored"] = table["n_unscored"] / table["n_rows"]
    errors = flagged[flagged["_unscored"]].dropna(subset=["error"])
    top = errors.groupby("criterion")["error"].agg(lambda s: s.value_counts().index[0])
    table["top_error"] = top.reindex(table.index)
    return table


CLIPPED_PREFIX = "model_grader_clipped"
"""How the ``error`` of a row whose judge result was clipped to its range starts."""


def clipped_counts(grades: pd.DataFrame) -> pd.Series:
    """Per criterion: rows whose judge result fell outside its range and was clipped (scored
    or not), indexed by criterion; only criteria with some."""
    error = grades["error"].astype("string").fillna("")
    clipped = grades[error.str.startswith(CLIPPED_PREFIX)]
    return clipped.groupby("criterion", sort=True).size().astype(int)
