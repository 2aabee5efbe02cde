"""``--repeats auto``: repeat only what is still uncertain, until every flip interval is narrow.

Fixed repeats spend the same number of judge calls on every criterion, so the least stable one
decides the cost of all. Sequential sampling instead:

1. grades every answer :attr:`AdaptiveSettings.initial` times with the whole grader (default 2:
   one pair of repeats per answer, the least that shows a flip; later rounds add repeats only
   where they are needed);
2. estimates each judged criterion's per-call flip probability ``flip_p`` with its interval
   (:func:`rubricate.calibration.stats.stability.flip_rates`: pair disagreement, answers resampled
   whole). When no pair disagrees, that bootstrap interval collapses to [0, 0], which says
   nothing about how small p is; the width is then the exact one-sided bound instead: if every
   one of the ``m = sum(repeats - 1)`` later repeats agreed with the first, p is below
   ``1 - alpha ** (1 / m)`` (alpha = (1 - confidence) / 2);
3. a criterion is *settled* when that width is at most the target; otherwise every answer on
   which the criterion can be observed gets one more repeat of that criterion's sub-graders
   only (a criterion gated by a check is observed only on answers whose check passed: where the
   check fails the criterion scores 0 whatever the judge says). One round schedules, per
   answer, the next repeat index of its unsettled criteria, as one partial job;
4. it stops when every criterion is settled, when the next round would exceed the call budget
   (the round is then cut to what fits, answer by answer, and is the last), or after
   :attr:`AdaptiveSettings.max_repeats` repeats of a criterion.

Graders without per-criterion sub-graders (``score_model``, ``python``) are treated as one
criterion, the total, repeated whole. A grader that calls no model is deterministic: it stops
after the first round. The schedule depends only on the grades, so a rerun (answers replayed
from the call store) takes exactly the same steps and makes no new call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rubricate.calibration.grades_table import ANSWER_KEY, TOTAL, is_scored
from rubricate.calibration.inputs.calset import CalibrationEntry
from rubricate.calibration.run.runner import CalibrationRunner, Job, full_jobs
from rubricate.calibration.verdicts import CHECK_SUFFIX, is_not_run

if TYPE_CHECKING:  # pandas is imported where used: ~0.4 s the grading does not need
    import pandas as pd


@dataclass(frozen=True)
class AdaptiveSettings:
    """How ``--repeats auto`` samples.

    Attributes:
        target_ci: stop when every flip_p interval is at most this wide.
        budget: most judge calls in all (replays included); None: no limit.
        initial: repeats of every answer in the first round (at least 2).
        max_repeats: most repeats of any criterion on any answer.
        confidence: level of the intervals.
        n_resamples, seed: of the bootstrap intervals.
    """

    target_ci: float = 0.1
    budget: int | None = None
    initial: int = 2
    max_repeats: int = 50
    confidence: float = 0.95
    n_resamples: int = 1000
    seed: int = 0


@dataclass
class AdaptiveResult:
    """What the sequential sampling did.

    Attributes:
        rounds: judge calls and jobs of each round.
        stop: why it stopped: ``target``, ``budget`` or ``max_repeats``.
        widths: the last interval of each criterion (flip_p, low, high, width, settled).
    """

    rounds: list[dict[str, int]] = field(default_factory=list)
    stop: str = "target"
    widths: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for reports."""
        return {"rounds": self.rounds, "stop": self.stop, "widths": self.widths}


def zero_flip_bound(repeats_minus_one: int, confidence: float = 0.95) -> float:
    """Upper bound on p when none of ``m`` repeats disagreed with the first (NaN for m = 0)."""
    if repeats_minus_one <= 0:
        return float("nan")
    alpha = (1.0 - confidence) / 2.0
    return float(1.0 - alpha ** (1.0 / repeats_minus_one))


def interval_widths(
    grades: pd.DataFrame,
    criteria: list[str],
    settings: AdaptiveSettings,
) -> pd.DataFrame:
    """Per criterion: flip_p, its interval, and the width the stopping rule uses.

    Returns:
        A DataFrame indexed by criterion with ``n_answers``, ``flip_p``, ``low``, ``high``
        and ``width`` (NaN when no answer has two scored repeats).
    """
    import pandas as pd

    from rubricate.calibration.stats.stability import flip_rates  # pandas and scipy: deferred

    rows = grades[grades["criterion"].isin(criteria) & ~is_not_run(grades)]
    table = flip_rates(
        rows,
        confidence=settings.confidence,
        n_resamples=settings.n_resamples,
        seed=settings.seed,
        include_total=TOTAL in criteria,
    ).reindex(criteria)
    scored = rows[is_scored(rows)]
    counts = scored.groupby(["criterion", *ANSWER_KEY]).size()
    later = (counts - 1).clip(lower=0).groupby(level="criterion").sum()
    out = pd.DataFrame(index=pd.Index(criteria, name="criterion"))
    out["n_answers"] = table["n_answers"].fillna(0).astype(int)
    out["flip_p"] = table["flip_p"]
    out["low"], out["high"] = table["flip_p_low"], table["flip_p_high"]
    out["width"] = out["high"] - out["low"]
    no_flip = table["pair_disagreement"] == 0
    bounds = [zero_flip_bound(int(later.get(c, 0)), settings.confidence) for c in criteria]
    import numpy as np  # with pandas: after the first round, not before any call

    out.loc[no_flip, "high"] = np.asarray(bounds)[no_flip.to_numpy()]
    out.loc[no_flip, "width"] = out.loc[no_flip, "high"] - out.loc[no_flip, "low"]
    return out


def _observable(grades: pd.DataFrame, criterion: str, gated: bool) -> set[tuple[str, str]]:
    """Answers on which ``criterion``'s judge can change its score."""
    if gated:
        rows = grades[(grades["criterion"] == criterion + CHECK_SUFFIX) & is_scored(grades)]
        rows = rows[rows["score"].astype(float) > 0]
    else:
        rows = grades[grades["criterion"] == criterion]
    return set(map(tuple, rows[ANSWER_KEY].drop_duplicates().to_numpy().tolist()))


def next_jobs(
    grades: pd.DataFrame,
    unsettled: list[str],
    entries: list[CalibrationEntry],
    runner: CalibrationRunner,
    max_repeats: int,
) -> list[Job]:
    """One more repeat of each unsettled criterion on every answer that can show a flip."""
    if unsettled == [TOTAL]:
        done = grades[grades["criterion"] == TOTAL].groupby(ANSWER_KEY)["repeat"].max()
        return [
            Job(e, int(done.get((e.item_id, e.answer_id), -1)) + 1)
            for e in entries
            if done.get((e.item_id, e.answer_id), -1) + 1 < max_repeats
        ]
    last = grades.groupby(["criterion", *ANSWER_KEY])["repeat"].max()
    wanted: dict[tuple[str, str, int], set[str]] = {}
    for criterion in unsettled:
        gated = runner.plan.criterion(criterion).kind == "both"
        for key in sorted(_observable(grades, criterion, gated)):
            repeat = int(last.get((criterion, *key), -1)) + 1
            if repeat < max_repeats:
                wanted.setdefault((*key, repeat), set()).add(criterion)
    by_key = {(e.item_id, e.answer_id): e for e in entries}
    return [
        Job(by_key[(item, answer)], repeat, frozenset(criteria))
        for (item, answer, repeat), criteria in sorted(wanted.items())
        if (item, answer) in by_key
    ]


def _fit(jobs: list[Job], runner: CalibrationRunner, left: int | None) -> tuple[list[Job], bool]:
    if left is None:
        return jobs, False
    kept: list[Job] = []
    spent = 0
    for job in jobs:
        cost = runner.job_calls(job)
        if spent + cost > left:
            return kept, True
        kept.append(job)
        spent += cost
    return kept, False


async def run_adaptive(
    runner: CalibrationRunner, entries: list[CalibrationEntry], settings: AdaptiveSettings
) -> AdaptiveResult:
    """Sample until every judged criterion's flip interval is narrow (module docstring)."""
    import pandas as pd

    result = AdaptiveResult()
    first = full_jobs(entries, range(max(2, settings.initial)))
    first, cut = _fit(first, runner, settings.budget)
    await runner.run(first)
    result.rounds.append({"jobs": len(first), "calls": runner.calls})
    plan = runner.plan
    criteria = plan.judged_criteria if plan.target == "multi" else [TOTAL]
    if plan.calls_per_grade == 0:
        criteria = []
    while True:
        grades = runner.grades()
        widths = interval_widths(grades, criteria, settings) if criteria else pd.DataFrame()
        settled = (widths["width"] <= settings.target_ci) if criteria else pd.Series(dtype=bool)
        result.widths = [
            {"criterion": c, **{str(k): _plain(v) for k, v in row.items()}, "settled": bool(s)}
            for (c, row), s in zip(widths.iterrows(), settled, strict=True)
        ]
        unsettled = [c for c in criteria if not settled.get(c, False)]
        if cut:
            result.stop = "budget"
            break
        if not unsettled:
            result.stop = "target"
            break
        jobs = next_jobs(grades, unsettled, entries, runner, settings.max_repeats)
        if not jobs:
            result.stop = "max_repeats"
            break
        left = None if settings.budget is None else settings.budget - runner.calls
        jobs, cut = _fit(jobs, runner, left)
        if not jobs:
            result.stop = "budget"
            break
        before = runner.calls
        await runner.run(jobs)
        result.rounds.append({"jobs": len(jobs), "calls": runner.calls - before})
    return result


def _plain(value: Any) -> Any:
    import numpy as np

    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value
