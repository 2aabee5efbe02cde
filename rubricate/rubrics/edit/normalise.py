"""The arithmetic of normalising weights: new decimals for one list, and how far any score can
move. Pure and exact (:class:`~fractions.Fraction`); :func:`.fields.normalise_weights` walks
the YAML and writes the results.

A list of criteria scores ``sum(w * s) / sum(w for w > 0)`` (:mod:`rubricate.rubrics.scoring`),
so dividing every weight of a list by its positive sum ``P`` changes no score. What is written
must be a decimal, though, and ``w / P`` need not have a finite one (0.15 / 1.05 = 1/7).
:func:`scale_list` therefore:

1. writes every ``w / P`` exactly when each has at most :data:`EXACT_DECIMALS` decimals: the
   list sums to exactly 1 and no score changes;
2. otherwise rounds each ``w / P`` to :data:`DECIMALS` decimals, half to even, so **equal
   weights stay equal**; a positive weight never rounds to 0 (that would make it tracked).
   The units that keep the positive sum from 1 then go to (or come from) whole sets of equal
   weights, the sets whose own rounding error that change grows least (an exact subset sum
   over the sets). When no choice of whole sets adds up (three equal weights: 0.3333 each),
   the list keeps its equal weights and sums to 1 within the rounding (0.9999): scores divide
   by the actual sum, so the list is as normalised as it can be (:func:`is_normalised`).

After rounding, the proportions may differ slightly from the old ones, and so may scores:
:func:`list_shift` bounds the change of a list's score over every possible verdict (exact
for one flat list: the largest change sits at a corner of the verdict cube), nested groups
included; "scores are unchanged" is said only when the bound is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, Decimal, localcontext
from fractions import Fraction

DECIMALS = 4
"""Decimals of a rounded weight (when an exact one would not end)."""
EXACT_DECIMALS = 6
"""Most decimals a weight is written with when that keeps the proportions exact."""


def as_fraction(value: float | int) -> Fraction:
    """A weight as written (``0.15`` is 15/100, not the nearest binary float)."""
    return Fraction(value) if isinstance(value, int) else Fraction(repr(float(value)))


def decimal_text(value: Fraction) -> str:
    """A fraction with a finite decimal expansion, written out (``3/16`` -> ``0.1875``)."""
    with localcontext() as context:
        context.prec = 40
        text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _decimals(value: Fraction) -> int | None:
    """How many decimals ``value`` needs, or None when its expansion never ends."""
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    return max(twos, fives) if denominator == 1 else None


def _positive_sum(weights: Sequence[Fraction]) -> Fraction:
    return sum((w for w in weights if w > 0), Fraction(0))


def scale_list(weights: Sequence[Fraction]) -> list[Fraction] | None:
    """The list's weights divided by their positive sum, written as decimals (see the module
    docstring); None when there is no positive weight or the list is already normalised."""
    total = _positive_sum(weights)
    if total <= 0 or total == 1:
        return None
    shares = [w / total for w in weights]
    needed = [_decimals(s) for s in shares]
    if all(n is not None and n <= EXACT_DECIMALS for n in needed):
        new = shares
    else:
        new = _rounded(shares)
    return None if list(new) == list(weights) else new


def _rounded(shares: Sequence[Fraction]) -> list[Fraction]:
    scale = 10**DECIMALS
    units = []
    for share in shares:
        unit = round(share * scale)  # half to even: equal shares, equal units
        if share > 0:
            unit = max(1, unit)
        elif share < 0:
            unit = min(-1, unit)
        units.append(unit)
    missing = scale - sum(u for u in units if u > 0)
    if missing:
        _give_to_sets(shares, units, missing, scale)
    return [Fraction(u, scale) for u in units]


def _give_to_sets(shares: Sequence[Fraction], units: list[int], missing: int, scale: int) -> None:
    """Move ``missing`` units into (or out of) whole sets of equal positive weights, those
    whose rounding error grows least; leave ``units`` as they are when no set of sets fits."""
    step = 1 if missing > 0 else -1
    sets: dict[Fraction, list[int]] = {}
    for index, share in enumerate(shares):
        if share > 0 and units[index] + step >= 1:
            sets.setdefault(share, []).append(index)
    need = abs(missing)
    best: dict[int, tuple[Fraction, tuple[Fraction, ...]]] = {0: (Fraction(0), ())}
    for share, members in sets.items():
        exact, unit = share * scale, units[members[0]]
        cost = len(members) * (abs(exact - (unit + step)) - abs(exact - unit))
        for reached, (so_far, chosen) in sorted(best.items(), reverse=True):
            total = reached + len(members)
            if total <= need and (total not in best or so_far + cost < best[total][0]):
                best[total] = (so_far + cost, (*chosen, share))
    if need not in best:
        return
    for share in best[need][1]:
        for index in sets[share]:
            units[index] += step


def is_normalised(weights: Sequence[float | int]) -> bool:
    """Whether normalising would leave this list as it is (it sums to 1, or as near as its
    equal weights allow; a list with no positive weight cannot be normalised: True)."""
    return scale_list([as_fraction(w) for w in weights]) is None


def list_shift(old: Sequence[Fraction], new: Sequence[Fraction], inner: Sequence[float]) -> float:
    """The most a list's score can change when its weights go from ``old`` to ``new``.

    The list scores ``f = sum(w_i * g_i) / P`` over its members' scores ``g_i`` in [0, 1]
    (a group's clipped, which moves it no more); ``inner[i]`` bounds how far member ``i``'s own
    score can move. Then ``|f' - f| <= |sum(c_i * g_i)| + sum(|b_i| * inner_i)`` with
    ``b = new / P'`` and ``c = b - old / P``, and the first term is at most the larger of the
    positive and the negative parts of ``c`` (a linear function peaks at a corner).
    """
    before, after = _positive_sum(old), _positive_sum(new)
    if before <= 0 or after <= 0:
        return 0.0
    changes = [n / after - o / before for o, n in zip(old, new, strict=True)]
    direct = max(sum(c for c in changes if c > 0), -sum(c for c in changes if c < 0))
    nested = sum(abs(float(n / after)) * d for n, d in zip(new, inner, strict=True))
    return float(direct) + nested


def at_most(value: float) -> str:
    """``value`` rounded up to two significant digits (so "at most" stays true)."""
    if value <= 0:
        return "0"
    with localcontext() as context:
        context.prec = 2
        context.rounding = ROUND_CEILING
        rounded = +Decimal(repr(value))
    return format(rounded, "f")
