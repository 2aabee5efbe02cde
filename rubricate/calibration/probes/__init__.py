"""Probes of a grader (``rubricate calibrate --probe KIND[,KIND]``, repeatable).

Generated answers (``adversarial``):

- :mod:`.adversarial`: reward-hacking answers built from each item's great answers by pure
  text transformations (figures perturbed, padding, criteria parroted, an instruction to the
  judge, the first half, hedged figures);
- :mod:`.generate`: those probes as answers of the run (tier ``adversarial``, answer id and
  kind ``probe:<kind>``), and what could not be generated, item by item;
- :mod:`.summary`: the report section: which probes outscore their item's fair answers, per
  probe kind and per criterion.

``invariance`` (``invariance:paraphrase``) runs arms of its own, like ``--compare``: it lives in
:mod:`rubricate.calibration.invariance`, above the run and the reports (the generated answers
here sit below them).
"""

from __future__ import annotations

from collections.abc import Iterable

from rubricate.errors import InputError

PROBES: tuple[str, ...] = ("adversarial", "invariance", "invariance:paraphrase")
"""The probes ``--probe`` accepts."""
GENERATED: tuple[str, ...] = ("adversarial",)
"""The probes that add generated answers to the run (the others run arms of their own)."""


def parse_probes(values: Iterable[str]) -> tuple[str, ...]:
    """``--probe`` values (each may be a comma-separated list) as the probe families, in the
    order given, each once.

    Raises:
        InputError: an unknown family (one line naming the option and the known ones).
    """
    chosen: list[str] = []
    for value in values:
        for name in (part.strip().lower() for part in value.split(",")):
            if not name:
                continue
            if name not in PROBES:
                raise InputError(
                    f"--probe: unknown probe {name!r}; use {', '.join(PROBES)} (a comma-separated "
                    "list, or --probe once per probe)"
                )
            if name not in chosen:
                chosen.append(name)
    return tuple(chosen)
