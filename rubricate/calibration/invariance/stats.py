"""Does a harmless change move the verdicts beyond the judge's own noise? (pure statistics)

For one criterion, every answer contributes a *stratum*: the scores of its ``R`` repeats under
the unchanged grader (``base``) and under the changed one (``changed``). Scores are compared
after rounding to 9 decimals (as :mod:`rubricate.calibration.stats.stability` does), so a
binary verdict, a level or a holistic score are all "the same" or "different".

Figures (pooled over answers):

- ``rerun_flip``: the share of pairs of the unchanged grader's repeats of one answer that
  disagree: the plain rerun flip rate (the ``pair_disagreement`` of the stability report);
- ``changed_rerun_flip``: the same among the changed grader's own repeats;
- ``change_flip``: the share of (unchanged repeat, changed repeat) pairs of one answer that
  disagree: how often the change flips a verdict, noise included.

A harmless change leaves ``change_flip`` at the rerun level; a change the judge reacts to
raises it. The test is a stratified permutation test (Fisher 1935, *The Design of
Experiments*, §21; Pitman 1937, JRSS Suppl. 4:119-130; Ernst 2004, "Permutation methods: a
basis for exact inference", Statistical Science 19(4):676-685): under the null hypothesis that
the change does not matter, the ``R_base + R_changed`` scores of an answer are exchangeable, so
every split of them into the two groups (within the answer, group sizes kept) is equally
likely. The statistic is ``C``, the number of disagreeing cross pairs summed over answers (with
the pair counts fixed, ``change_flip - rerun pairs' disagreement`` grows with ``C``, so it is
the same test). Its null distribution is computed exactly, not sampled: within an answer
whose scores take value ``k`` ``c_k`` times, the number ``x_k`` of them falling in the first
group is multivariate hypergeometric, ``C_a = n1 n2 - sum_k x_k (c_k - x_k)``, and the answers'
distributions are convolved. One-sided p-value: ``P(C >= C_observed)``.

Degenerate cases: an answer without a scored grade in both groups is left out; with no answer
left, or no answer with three scores or more (a 1 + 1 split cannot change ``C``), the p-value is
``None`` (not assessed), never 1.

:func:`holm` adjusts the p-values of several changes and criteria for multiplicity (Holm 1979,
"A simple sequentially rejective multiple test procedure", Scand. J. Statist. 6(2):65-70).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_DECIMALS = 9
ALPHA = 0.05
"""Level at which a change is flagged (after Holm's adjustment)."""


def _codes(values: Sequence[float]) -> list[float]:
    return [round(float(v), _DECIMALS) for v in values if not math.isnan(float(v))]


def _within(values: list[float]) -> tuple[int, int]:
    counts = Counter(values)
    n = len(values)
    pairs = n * (n - 1) // 2
    same = sum(c * (c - 1) // 2 for c in counts.values())
    return pairs - same, pairs


def _cross(a: list[float], b: list[float]) -> int:
    ca, cb = Counter(a), Counter(b)
    return len(a) * len(b) - sum(ca[k] * cb[k] for k in ca)


def stratum_null(counts: Sequence[int], n1: int) -> np.ndarray:
    """Exact null distribution of the cross-pair disagreements of one answer (see
    :func:`_stratum_null`; answers with the same counts share one computation)."""
    return _stratum_null(tuple(sorted(counts)), n1)


@lru_cache(maxsize=4096)
def _stratum_null(counts: tuple[int, ...], n1: int) -> np.ndarray:
    """Exact null distribution of the cross-pair disagreements of one answer.

    Args:
        counts: how many times each distinct score occurs among the answer's scores.
        n1: how many of them form the first group (the rest form the second).

    Returns:
        ``p`` with ``p[c]`` the probability that a uniformly random split gives ``c``
        disagreeing cross pairs (length ``n1 * n2 + 1``).
    """
    n = sum(counts)
    n2 = n - n1
    total = math.comb(n, n1)
    out = np.zeros(n1 * n2 + 1)

    def visit(k: int, left: int, ways: int, same: int) -> None:
        if k == len(counts):
            if left == 0:
                out[n1 * n2 - same] += ways / total
            return
        c = counts[k]
        for x in range(min(c, left) + 1):
            visit(k + 1, left - x, ways * math.comb(c, x), same + x * (c - x))

    visit(0, n1, 1, 0)
    out.flags.writeable = False  # shared by the cache
    return out


@dataclass(frozen=True)
class InvarianceTest:
    """The figures and the test of one change for one criterion.

    Attributes:
        n_answers: answers with a scored grade under both graders.
        rerun_pairs, rerun_disagree: pairs of the unchanged grader's repeats, and how many
            disagree.
        changed_pairs, changed_disagree: the same for the changed grader.
        cross_pairs, cross_disagree: (unchanged, changed) pairs of one answer, and how many
            disagree.
        p_value: one-sided exact stratified permutation p-value; None when not assessable.
    """

    n_answers: int
    rerun_pairs: int
    rerun_disagree: int
    changed_pairs: int
    changed_disagree: int
    cross_pairs: int
    cross_disagree: int
    p_value: float | None

    @property
    def rerun_flip(self) -> float | None:
        """Share of the unchanged grader's repeat pairs that disagree (None: no pair)."""
        return self.rerun_disagree / self.rerun_pairs if self.rerun_pairs else None

    @property
    def changed_rerun_flip(self) -> float | None:
        """Share of the changed grader's repeat pairs that disagree (None: no pair)."""
        return self.changed_disagree / self.changed_pairs if self.changed_pairs else None

    @property
    def change_flip(self) -> float | None:
        """Share of (unchanged, changed) pairs that disagree (None: no pair)."""
        return self.cross_disagree / self.cross_pairs if self.cross_pairs else None


def invariance_test(strata: Sequence[tuple[Sequence[float], Sequence[float]]]) -> InvarianceTest:
    """The figures and exact test of one change for one criterion (see the module docstring).

    Args:
        strata: per answer, ``(scores under the unchanged grader, scores under the changed
            one)``; NaN (unscored) is left out.
    """
    null = np.ones(1)
    informative = False
    n_answers = rp = rd = cp = cd = xp = xd = 0
    for base_raw, changed_raw in strata:
        base, changed = _codes(base_raw), _codes(changed_raw)
        if not base or not changed:
            continue
        n_answers += 1
        d, p = _within(base)
        rd, rp = rd + d, rp + p
        d, p = _within(changed)
        cd, cp = cd + d, cp + p
        xd += _cross(base, changed)
        xp += len(base) * len(changed)
        if len(base) + len(changed) >= 3:
            informative = True
        counts = list(Counter(base + changed).values())
        null = np.convolve(null, stratum_null(counts, len(base)))
    p_value = None
    if n_answers and informative:
        p_value = float(min(1.0, null[xd:].sum()))
    return InvarianceTest(n_answers, rp, rd, cp, cd, xp, xd, p_value)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjusted p-values (Holm 1979); ``None`` stays ``None`` and is not
    counted among the hypotheses.

    The i-th smallest of m p-values is adjusted to ``max_{j <= i} min(1, (m - j + 1) p_(j))``.
    """
    present = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(present)
    out: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(present):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out
