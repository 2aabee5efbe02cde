"""The rows of an invariance probe (pure: graders and grade tables in, rows out).

One row per (change, criterion): the criteria of the grades table (leaf ids, ``<id>:check``
gates, ``__checks__``, ``__total__``; a holistic ``score_model`` grader has only
``__total__``), each of a *kind*:

- ``judge``: what a model decides (a judged criterion of a ``multi`` grader, or the holistic
  score). When the change leaves what that judge is sent byte for byte the same (model, prompt,
  range, sampling; the sub-grader's name is not sent), its calls replay from the call store:
  the row is *not measured* ("prompt unchanged"), never a pass. Otherwise it is measured and
  tested (:func:`~.stats.invariance_test`), and flagged when Holm's adjusted p-value
  is below :data:`~.stats.ALPHA`;
- ``reward``: a ``multi`` grader's reward when a judge it sums was sent something new: measured
  and tested like a judge (it carries the judges' noise);
- ``check``: a deterministic check, and ``formula``: the checks-only score, or the reward when
  no judge it sums was sent anything new (its sub-grades replay, so only the formula can move
  it). They cannot flip by chance: their figures are computed and
  shown, never called the judge's; their ``change_flip`` compares each answer at each repeat
  with itself (the same sub-grades must give the same score), and any difference is flagged as
  a deterministic difference (e.g. the normalised reward moved when the weights were rescaled).

Grades of a renamed arm are mapped back to the original ids first (:func:`rename_back`).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from rubricate.calibration.grades_table import ANSWER_KEY, TOTAL, is_scored
from rubricate.calibration.invariance.stats import ALPHA, holm, invariance_test
from rubricate.calibration.verdicts import CHECK_SUFFIX, CHECKS, NOT_RUN

VERDICTS = {
    "flagged": "flips beyond rerun noise",
    "stable": "within rerun noise",
    "unchanged": "no change to this judge's prompt: not measured",
    "not_run": "not assessed: the judge did not run",
    "no_data": "not assessed: no answer scored under both graders",
    "deterministic": "deterministic: identical, as it must be (not the judge's)",
    "deterministic_difference": "deterministic difference: the change moved a computed score",
}
"""What each row status means, in the report's words."""


def _canonical(node: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in node.items() if k != "name"}, sort_keys=True)


def judge_inputs(
    grader: dict[str, Any], target: str, plan: list[tuple[str, str, str]], back: dict[str, str]
) -> dict[str, tuple[str, str]]:
    """Per original criterion row: ``(kind, what its sub-grader is sent)``.

    Args:
        grader: the compiled grader.
        target: its type (``multi``, ``score_model``, ``python``).
        plan: the rubric's :func:`~rubricate.rubrics.compile.subgrader_plan`.
        back: the rubric's criterion id -> the original id.
    """
    if target != "multi":
        kind = "judge" if target == "score_model" else "check"
        return {TOTAL: (kind, _canonical(grader))}
    out: dict[str, tuple[str, str]] = {}
    for cid, name, role in plan:
        original = back.get(cid, cid)
        key = original + CHECK_SUFFIX if role == "gate" else original
        out[key] = ("judge" if role == "judge" else "check", _canonical(grader["graders"][name]))
    return out


def rename_back(grades: pd.DataFrame, back: dict[str, str]) -> pd.DataFrame:
    """``grades`` with every criterion id mapped through ``back`` (gates too)."""

    def name(criterion: str) -> str:
        if criterion.endswith(CHECK_SUFFIX):
            stem = criterion[: -len(CHECK_SUFFIX)]
            return back.get(stem, stem) + CHECK_SUFFIX
        return back.get(criterion, criterion)

    return grades.assign(criterion=grades["criterion"].map(name))


def _strata(
    base: pd.DataFrame, changed: pd.DataFrame, criterion: str
) -> list[tuple[list[float], list[float]]]:
    def scores(grades: pd.DataFrame) -> dict[tuple[str, str], list[float]]:
        rows = grades[(grades["criterion"] == criterion) & is_scored(grades)]
        return {
            (str(key[0]), str(key[1])): list(group["score"].astype(float))
            for key, group in rows.groupby(ANSWER_KEY, sort=True)
        }

    a, b = scores(base), scores(changed)
    return [(a[key], b[key]) for key in sorted(set(a) & set(b))]


def _paired(base: pd.DataFrame, changed: pd.DataFrame, criterion: str) -> tuple[int, int]:
    """``(pairs, differing)``: the same answer at the same repeat under both graders."""
    key = [*ANSWER_KEY, "repeat"]

    def scores(grades: pd.DataFrame) -> pd.Series:
        rows = grades[(grades["criterion"] == criterion) & is_scored(grades)]
        return rows.set_index(key)["score"].astype(float).round(9)

    both = pd.concat([scores(base), scores(changed)], axis=1, join="inner")
    return len(both), int((both.iloc[:, 0] != both.iloc[:, 1]).sum())


def _not_run(grades: pd.DataFrame, criterion: str) -> bool:
    rows = grades[grades["criterion"] == criterion]
    errors = rows["error"].dropna().astype(str)
    return (
        bool(len(rows)) and bool(errors.str.startswith(NOT_RUN).all()) and len(errors) == len(rows)
    )


def change_rows(
    change: str,
    base: pd.DataFrame,
    changed: pd.DataFrame,
    base_inputs: dict[str, tuple[str, str]],
    changed_inputs: dict[str, tuple[str, str]],
) -> list[dict[str, Any]]:
    """The rows of one change that ran (before Holm's adjustment: see :func:`finish_rows`).

    Args:
        change: the change's name.
        base, changed: the grades tables of the unchanged and the changed grader, criterion
            ids of ``changed`` already mapped back.
        base_inputs, changed_inputs: :func:`judge_inputs` of both graders.
    """
    criteria = [c for c in dict.fromkeys(base["criterion"]) if c in set(changed["criterion"])]
    criteria.sort(key=lambda c: (c in (CHECKS, TOTAL), c == TOTAL))  # leaves first, total last
    judges = [k for k, (kind, _) in base_inputs.items() if kind == "judge"]
    moved = any(base_inputs.get(k) != changed_inputs.get(k) for k in judges)
    rows = []
    for criterion in criteria:
        kind = base_inputs.get(criterion, ("formula", ""))[0]
        if criterion == TOTAL and kind != "judge":
            # a multi's reward: judged (noise and all) when a judge it sums was sent something
            # new; otherwise every sub-grade replays and only the formula can move it
            kind = "reward" if moved else "formula"
        test = invariance_test(_strata(base, changed, criterion))
        row: dict[str, Any] = {
            "change": change,
            "criterion": criterion,
            "kind": kind,
            "n_answers": test.n_answers,
            "rerun_flip": test.rerun_flip,
            "changed_rerun_flip": test.changed_rerun_flip,
            "change_flip": test.change_flip,
            "p_value": None,
            "p_holm": None,
        }
        if kind in ("judge", "reward"):
            same = kind == "judge" and base_inputs.get(criterion) == changed_inputs.get(criterion)
            if same:
                status = "unchanged"
            elif _not_run(base, criterion) or _not_run(changed, criterion):
                status = "not_run"
            elif test.n_answers == 0:
                status = "no_data"
            else:
                row["p_value"] = test.p_value
                status = "measured"
        elif test.n_answers == 0:
            status = "not_run" if _not_run(base, criterion) else "no_data"
        else:
            # the same sub-grades (replayed or computed) give the same score: compare each
            # answer at each repeat with itself
            pairs, differing = _paired(base, changed, criterion)
            row["change_flip"] = differing / pairs if pairs else None
            status = "deterministic_difference" if differing else "deterministic"
        if status not in ("measured",):
            row["rerun_flip"] = row["rerun_flip"] if status.startswith("determ") else None
            row["changed_rerun_flip"] = (
                row["changed_rerun_flip"] if status.startswith("determ") else None
            )
            row["change_flip"] = row["change_flip"] if status.startswith("determ") else None
        row["status"] = status
        rows.append(row)
    return rows


def finish_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Holm-adjust the measured rows' p-values together and set every row's final
    ``status`` (``flagged`` or ``stable`` for a measured row) and ``verdict`` words."""
    adjusted = holm([r["p_value"] if r["status"] == "measured" else None for r in rows])
    out = []
    for row, p_holm in zip(rows, adjusted, strict=True):
        row = dict(row, p_holm=p_holm)
        if row["status"] == "measured":
            if row["p_value"] is None:
                row["status"] = "no_data"
            else:
                row["status"] = "flagged" if p_holm is not None and p_holm < ALPHA else "stable"
        row["flagged"] = row["status"] in ("flagged", "deterministic_difference")
        row["verdict"] = VERDICTS[row["status"]]
        out.append(row)
    return out
