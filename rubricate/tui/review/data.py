"""What the review shows, computed from a run without any UI: one row per answer, the
verdict matrix of an answer, sorting and filtering. Textual-free, so it is tested directly.

Definitions (chosen for a reviewer's eye; the report has the formal statistics):

- *headline* score: the grader's overall reward (``__total__``), or the checks-only score
  (``__checks__``) when the judge did not run;
- an answer is *unstable* when its scored repeats spread over more than
  :data:`UNSTABLE_SPREAD` of the score range (max - min);
- an adversarial answer *beats fair* when its mean is above the mean of its item's fair
  answers (as :func:`rubricate.calibration.stats.discrimination.adversarial_risks` decides);
- the grader and the experts *disagree* on a criterion of an answer (:func:`disagree`) when
  the grader's mean over repeats and the experts' mean, both on the [0, 1] criterion scale,
  are at least :data:`DISAGREE` apart: half the scale. On met / not met that is the grader's
  majority against the experts' consensus (or a grader split evenly against experts who all
  agree); on levels 0-2 one level (the judge's 0 against every expert's 1 is flagged); on
  levels 0-4 two levels. On the overall score: at least :data:`DISAGREE_TOTAL` of the range.
  In a run without a judge the grader is the checks, so only checked criteria can disagree;
- *expert numbers*: E1, E2 … in the order the experts first appear in the run's
  ``experts.csv`` (:meth:`~rubricate.calibration.run.directory.CalibrationRun.expert_order`). The
  file is only appended to, so an expert's number never changes when another one joins; an
  answer's matrix shows the experts who graded it under those same numbers.
- *judge status* (:func:`judge_status`): whether the judge ran, from ``run.json`` and the
  grades. Without a judge every figure comes from the deterministic checks and is called
  the checks', never the judge's.

Unscored and not-run grades are left out of every figure and shown as such in the matrix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from rubricate.calibration.grades_table import TIERS, TOTAL, is_scored
from rubricate.calibration.run.directory import AnswerKey, CalibrationRun

UNSTABLE_SPREAD = 0.1
"""Share of the score range the repeats of an unstable answer spread over."""
DISAGREE = 0.5
"""Difference on a criterion's [0, 1] scale that counts as a disagreement (at least)."""
DISAGREE_TOTAL = 0.25
"""Share of the score range the overall scores must differ by (at least) to disagree."""
_TOLERANCE = 1e-9
"""Float noise allowed in a comparison with the limits above (1/3 + 1/6 is 0.5)."""
CHECKS = "__checks__"
SPARKS = "▁▂▃▄▅▆▇█"

Order = Literal["item", "unstable", "disagree", "score"]
ORDERS: tuple[Order, ...] = ("item", "unstable", "disagree", "score")
ORDER_NAMES = {
    "item": "by item and tier",
    "unstable": "unstable first",
    "disagree": "disagreements first",
    "score": "highest score first",
}
Filter = Literal["all", "unstable", "beats_fair", "disagree", "ungraded"]
FILTERS: tuple[Filter, ...] = ("all", "unstable", "beats_fair", "disagree", "ungraded")
FILTER_NAMES = {
    "all": "all answers",
    "unstable": "unstable",
    "beats_fair": "adversarial that beat fair",
    "disagree": "grader and experts disagree",
    "ungraded": "not graded by you",
}


@dataclass(frozen=True)
class Criterion:
    """A leaf criterion as the review shows it."""

    id: str
    text: str
    kind: str
    weight: float | None
    levels: dict[int, str] | None
    max_level: int

    @property
    def is_penalty(self) -> bool:
        return self.weight is not None and self.weight < 0


@dataclass(frozen=True)
class AnswerRow:
    """One answer's line in the answers table."""

    key: AnswerKey
    tier: str
    kind: str | None
    scores: tuple[float, ...]
    """Headline score per repeat, NaN when unscored or not run."""
    mean: float
    sd: float
    spread: float
    unstable: bool
    beats_fair: bool
    expert_total: float | None
    disagreements: tuple[str, ...]
    """Criteria (and ``__total__``) where judge and experts disagree."""
    graded_by: frozenset[str]
    """Experts who graded at least one criterion of it."""

    @property
    def disagrees(self) -> bool:
        return bool(self.disagreements)


@dataclass(frozen=True)
class JudgeStatus:
    """Whether the run's judge ran, and what that makes its figures (:func:`judge_status`)."""

    ran: bool
    notice: str
    """The run's status in a few words, first on the summary line."""
    grader: str
    """What the figures come from: "grader" (judge and checks) or "checks"."""


def judge_status(run: CalibrationRun, criteria: list[Criterion]) -> JudgeStatus:
    """From ``run.json`` (``judged_run``, ``judge_model``) and the grades: the judge ran; or it
    did not run (no model endpoint: judged criteria are "not run"); or it ran and none of its
    grades has a score (every call failed); or the rubric has no judged criterion."""
    manifest = run.manifest
    judged = [c.id for c in criteria if c.kind in ("judged", "both")]
    model = manifest.judge_model or "?"
    if manifest.judged_run is False:
        return JudgeStatus(False, "judge not run: checks-only scores", "checks")
    if not judged and run.rubric is not None:
        return JudgeStatus(False, "checks only (no judged criterion)", "checks")
    grades = run.grades
    mine = grades[grades["criterion"].isin(judged)]
    if judged and len(mine) and not is_scored(mine).any():
        return JudgeStatus(False, f"judge {model} failed on every call: checks-only scores",
                           "checks")  # fmt: skip
    return JudgeStatus(True, f"judged by {model}", "grader")


@dataclass
class ReviewData:
    """Everything the review screen shows for one run (rebuilt when grades are added)."""

    run: CalibrationRun
    headline: str
    low: float
    high: float
    criteria: list[Criterion]
    rows: list[AnswerRow]
    experts: pd.DataFrame
    expert_problems: list[str] = field(default_factory=list)
    expert_order: list[str] = field(default_factory=list)
    """Every expert of ``experts.csv`` in the order they first appear: E1, E2 …"""
    judge: JudgeStatus = JudgeStatus(True, "", "grader")

    def row(self, key: AnswerKey) -> AnswerRow | None:
        return next((r for r in self.rows if r.key == key), None)

    @property
    def expert_names(self) -> list[str]:
        """The experts with grades, in :attr:`expert_order`."""
        if not len(self.experts):
            return []
        present = set(self.experts["expert"])
        ordered = [name for name in self.expert_order if name in present]
        return ordered + sorted(present - set(ordered))

    def expert_label(self, name: str) -> str:
        """``E1``, ``E2`` …: the expert's place in :attr:`expert_order` (never renumbered)."""
        if name not in self.expert_order:
            self.expert_order.append(name)
        return f"E{self.expert_order.index(name) + 1}"


def rubric_criteria(rubric: Any, grades: pd.DataFrame) -> list[Criterion]:
    """The rubric's leaf criteria; without a rubric, the criteria the grades name (by id)."""
    if rubric is not None:
        return [
            Criterion(c.id, c.text or "", c.kind, c.weight, c.levels, c.max_level)
            for c in rubric.leaves()
        ]
    names = [
        c for c in dict.fromkeys(grades["criterion"]) if not c.startswith("__") and ":" not in c
    ]
    return [Criterion(c, "", "?", None, None, 1) for c in names]


def score_range(rubric: Any) -> tuple[float, float]:
    """The rubric's score range ([0, 1] without a rubric)."""
    if rubric is not None:
        return float(rubric.score.range[0]), float(rubric.score.range[1])
    return 0.0, 1.0


def _criteria(run: CalibrationRun) -> list[Criterion]:
    return rubric_criteria(run.rubric, run.grades)


def _range(run: CalibrationRun) -> tuple[float, float]:
    return score_range(run.rubric)


def headline_criterion(grades: pd.DataFrame) -> str:
    """``__total__`` when any overall reward was scored, else ``__checks__`` when present."""
    total = grades[grades["criterion"] == TOTAL]
    if len(total) and is_scored(total).any():
        return TOTAL
    return CHECKS if (grades["criterion"] == CHECKS).any() else TOTAL


def _judge_means(grades: pd.DataFrame) -> pd.Series:
    scored = grades[is_scored(grades)]
    return scored.groupby(["item_id", "answer_id", "criterion"])["score"].mean()


def _expert_means(experts: pd.DataFrame) -> pd.Series:
    if not len(experts):
        return pd.Series(dtype=float)
    return experts.groupby(["item_id", "answer_id", "criterion"])["score"].mean()


def build_review(run: CalibrationRun) -> ReviewData:
    """The review of ``run`` (expert grades read from its ``experts.csv`` now)."""
    experts, problems = run.expert_grades()
    low, high = _range(run)
    headline = headline_criterion(run.grades)
    criteria = _criteria(run)
    data = ReviewData(
        run, headline, low, high, criteria, [], experts, problems, run.expert_order(),
        judge_status(run, criteria),
    )  # fmt: skip
    data.rows = answer_rows(data)
    return data


def with_experts(data: ReviewData) -> ReviewData:
    """``data`` with the expert grades read again (after new grades were appended)."""
    experts, problems = data.run.expert_grades()
    order = data.run.expert_order()
    order += [name for name in data.expert_order if name not in order]  # numbers stay
    fresh = ReviewData(
        data.run, data.headline, data.low, data.high, data.criteria, [], experts, problems,
        order, data.judge,
    )  # fmt: skip
    fresh.rows = answer_rows(fresh)
    return fresh


def disagree(grader: float | None, experts: float | None, limit: float) -> bool:
    """Whether the grader's mean and the experts' mean are at least ``limit`` apart (see the
    module docstring); False when either is missing."""
    if grader is None or experts is None or math.isnan(grader) or math.isnan(experts):
        return False
    return abs(grader - experts) >= limit - _TOLERANCE


def answer_rows(data: ReviewData) -> list[AnswerRow]:
    """One row per answer, in the set's order."""
    grades = data.run.grades
    width = data.high - data.low
    headline = grades[grades["criterion"] == data.headline]
    scored = headline.assign(_s=headline["score"].where(is_scored(headline)))
    per_answer = {
        key: frame.sort_values("repeat")["_s"].to_numpy(dtype=float)
        for key, frame in scored.groupby(["item_id", "answer_id"], sort=False)
    }
    fair = scored[scored["tier"] == "fair"].groupby("item_id")["_s"].mean()
    judge = _judge_means(grades)
    experts = _expert_means(data.experts)
    graders = (
        data.experts.groupby(["item_id", "answer_id"])["expert"].agg(frozenset)
        if len(data.experts)
        else pd.Series(dtype=object)
    )
    rows = []
    for key, answer in data.run.answers.items():
        values = per_answer.get(key, np.array([]))
        finite = values[~np.isnan(values)]
        mean = float(finite.mean()) if finite.size else math.nan
        sd = float(finite.std(ddof=1)) if finite.size > 1 else math.nan
        spread = float(finite.max() - finite.min()) if finite.size else math.nan
        fair_mean = fair.get(key[0], math.nan)
        beats = answer.tier == "adversarial" and finite.size > 0 and mean > fair_mean
        expert_total = experts.get((*key, TOTAL))
        rows.append(
            AnswerRow(
                key=key,
                tier=answer.tier,
                kind=answer.kind,
                scores=tuple(float(v) for v in values),
                mean=mean,
                sd=sd,
                spread=spread,
                unstable=bool(finite.size > 1 and spread > UNSTABLE_SPREAD * width),
                beats_fair=bool(beats),
                expert_total=None if expert_total is None else float(expert_total),
                disagreements=_disagreements(data, key, judge, experts, width),
                graded_by=graders.get(key, frozenset()),
            )
        )
    return rows


def _disagreements(
    data: ReviewData, key: AnswerKey, judge: pd.Series, experts: pd.Series, width: float
) -> tuple[str, ...]:
    found = []
    for criterion in [TOTAL, *(c.id for c in data.criteria)]:
        limit = DISAGREE_TOTAL * width if criterion == TOTAL else DISAGREE
        if disagree(judge.get((*key, criterion)), experts.get((*key, criterion)), limit):
            found.append(criterion)
    return tuple(found)


def _tier_rank(tier: str) -> int:
    return TIERS.index(tier) if tier in TIERS else len(TIERS)


def high_first(value: float) -> float:
    """A sort key that puts the highest values first and NaN last."""
    return -value if not math.isnan(value) else math.inf


def order_rows(rows: list[AnswerRow], order: Order, item_order: list[str]) -> list[AnswerRow]:
    """``rows`` sorted: ``item`` keeps the set's item order and ranks tiers great > fair >
    poor > adversarial; the others put the most interesting answers first (NaN last)."""
    position = {item: i for i, item in enumerate(item_order)}

    def by_item(row: AnswerRow) -> tuple:
        return (position.get(row.key[0], len(position)), _tier_rank(row.tier), row.key[1])

    if order == "unstable":
        return sorted(rows, key=lambda r: (high_first(r.spread), high_first(r.sd), by_item(r)))
    if order == "disagree":
        return sorted(rows, key=lambda r: (-len(r.disagreements), by_item(r)))
    if order == "score":
        return sorted(rows, key=lambda r: (high_first(r.mean), by_item(r)))
    return sorted(rows, key=by_item)


def filter_rows(rows: list[AnswerRow], which: Filter, expert: str | None) -> list[AnswerRow]:
    """The rows that pass a filter (``ungraded``: not graded by ``expert`` yet)."""
    if which == "unstable":
        return [r for r in rows if r.unstable]
    if which == "beats_fair":
        return [r for r in rows if r.beats_fair]
    if which == "disagree":
        return [r for r in rows if r.disagrees]
    if which == "ungraded":
        return [r for r in rows if expert is None or expert not in r.graded_by]
    return list(rows)


def spark(scores: tuple[float, ...] | list[float], low: float, high: float) -> str:
    """One block character per repeat, its height the score within [low, high]; ``·`` for a
    repeat with no score."""
    out = []
    width = high - low or 1.0
    for value in scores:
        if math.isnan(value):
            out.append("·")
            continue
        share = min(1.0, max(0.0, (value - low) / width))
        out.append(SPARKS[round(share * (len(SPARKS) - 1))])
    return "".join(out)


def fmt(value: float | None, digits: int = 2) -> str:
    """A number for a table cell ("—" for none)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def item_order(data: ReviewData) -> list[str]:
    """Item ids in the set's order."""
    return list(dict.fromkeys(key[0] for key in data.run.answers))


def answer_text(data: ReviewData, key: AnswerKey) -> str:
    """The answer's text ("" when the set could not be read)."""
    answer = data.run.answers.get(key)
    return answer.text if answer is not None else ""


def summary_line(data: ReviewData) -> str:
    """The run in one line, what matters most first (a narrow terminal cuts the end): whether
    the judge ran, then the run's status, rubric, answers and repeats."""
    manifest = data.run.manifest
    return (
        f"{data.judge.notice} · {_shown(manifest.status)} · "
        f"{_shown(manifest.rubric_id)} · {len(data.rows)} answers × "
        f"{_shown(manifest.repeats)} repeats"
    )


def _shown(value: Any) -> str:
    """A ``run.json`` field in the summary line: ``?`` when the run did not record it."""
    return "?" if value is None else str(value)
