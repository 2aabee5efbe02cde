"""The harmless changes of ``--probe invariance``: pure functions, rubric in, rubric out.

Each change keeps what the rubric means and alters only how it is written down, so a judge
whose verdicts move under it is reacting to presentation, not to the answer (meaning-preserving
rewording flips up to 9.1 % of verdicts, arXiv 2605.06161):

- ``reverse``: the criteria in reverse order, at every level (children of groups too);
- ``shuffle``: the criteria in a seeded random order, at every level (``random.Random(seed)``);
- ``examples``: the few-shot examples in reverse order (only with two examples or more);
- ``rename``: every criterion id replaced by a neutral one (``c01``, ``c02`` ... depth first;
  examples' verdicts follow), with the map back to the original ids;
- ``rescale``: every weight (groups and children too) times :data:`RESCALE` (2, a power of two:
  each product is exact in binary floating point, so the normalised reward, which divides by
  the sum of positive weights, is bit for bit the same and any difference is a real one).

With ``--probe invariance:paraphrase`` a sixth change, ``paraphrase``
(:func:`paraphrase_texts`), puts the judge model's own paraphrase of each judged criterion's
text in its place; the report lists every paraphrase for review, since a paraphrase that
changes the meaning should change verdicts.

A change that leaves nothing to change (one criterion, fewer than two examples, a shuffle that
draws the written order) returns ``None`` with the reason: it is *not applicable*, never a pass.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rubricate.rubrics.model import Criterion, Rubric

RESCALE = 2.0
"""The constant every weight is multiplied by (``rescale``)."""

CHANGES: tuple[str, ...] = ("reverse", "shuffle", "examples", "rename", "rescale")
"""The harmless changes, in the order they run."""

DESCRIPTIONS = {
    "reverse": "criteria in reverse order (every level)",
    "shuffle": "criteria in a seeded random order (every level)",
    "examples": "few-shot examples in reverse order",
    "rename": "criterion ids renamed (c01, c02, ...)",
    "rescale": f"every weight x {RESCALE:g} (the normalised reward must not change)",
    "paraphrase": "each judged criterion's text paraphrased by the judge model (review below)",
}
"""What each change does, in the report's words."""


@dataclass(frozen=True)
class Changed:
    """A rubric with one harmless change applied.

    Attributes:
        name: the change (one of :data:`CHANGES`).
        rubric: the changed rubric.
        ids: original criterion id -> its id in ``rubric`` (identity unless renamed).
    """

    name: str
    rubric: Rubric
    ids: dict[str, str] = field(default_factory=dict)


def _reorder(
    nodes: list[Criterion], order: Callable[[list[Criterion]], list[Criterion]]
) -> list[Criterion]:
    out = []
    for node in order(nodes):
        if node.children is not None:
            node = node.model_copy(update={"children": _reorder(node.children, order)})
        out.append(node)
    return out


def _ids(rubric: Rubric) -> dict[str, str]:
    return {c.id: c.id for _, c in rubric.walk()}


def reverse_criteria(rubric: Rubric) -> Changed | str:
    """The criteria in reverse order at every level, or why that changes nothing."""
    changed = rubric.model_copy(
        update={"criteria": _reorder(rubric.criteria, lambda nodes: list(reversed(nodes)))}
    )
    if _order(changed) == _order(rubric):
        return "a single criterion at every level: reversing changes nothing"
    return Changed("reverse", changed, _ids(rubric))


def shuffle_criteria(rubric: Rubric, seed: int) -> Changed | str:
    """The criteria in a random order drawn with ``seed`` at every level, or why that
    changes nothing."""
    rng = random.Random(seed)

    def draw(nodes: list[Criterion]) -> list[Criterion]:
        out = list(nodes)
        rng.shuffle(out)
        return out

    changed = rubric.model_copy(update={"criteria": _reorder(rubric.criteria, draw)})
    if _order(changed) == _order(rubric):
        return f"the seeded shuffle (seed {seed}) drew the written order: nothing changed"
    return Changed("shuffle", changed, _ids(rubric))


def reverse_examples(rubric: Rubric) -> Changed | str:
    """The few-shot examples in reverse order, or why that changes nothing."""
    if len(rubric.examples) < 2:
        return f"the rubric has {len(rubric.examples)} few-shot example(s): no order to change"
    changed = rubric.model_copy(update={"examples": list(reversed(rubric.examples))})
    return Changed("examples", changed, _ids(rubric))


def rename_ids(rubric: Rubric) -> Changed | str:
    """Every criterion id replaced by ``c01``, ``c02`` ... (depth first), examples' verdicts
    renamed to match; ids already used by the rubric are skipped."""
    walked = [c.id for _, c in rubric.walk()]
    taken = set(walked)
    width = max(2, len(str(len(walked))))
    mapping: dict[str, str] = {}
    number = 0
    for cid in walked:
        while True:
            number += 1
            new = f"c{number:0{width}d}"
            if new not in taken:
                break
        mapping[cid] = new

    def rename(nodes: list[Criterion]) -> list[Criterion]:
        out = []
        for node in nodes:
            update: dict[str, Any] = {"id": mapping[node.id]}
            if node.children is not None:
                update["children"] = rename(node.children)
            out.append(node.model_copy(update=update))
        return out

    examples = [
        e.model_copy(update={"verdicts": {mapping.get(k, k): v for k, v in e.verdicts.items()}})
        if e.verdicts is not None
        else e
        for e in rubric.examples
    ]
    changed = rubric.model_copy(update={"criteria": rename(rubric.criteria), "examples": examples})
    return Changed("rename", changed, mapping)


def rescale_weights(rubric: Rubric, factor: float = RESCALE) -> Changed | str:
    """Every weight times ``factor`` (groups and children alike)."""

    def scale(nodes: list[Criterion]) -> list[Criterion]:
        out = []
        for node in nodes:
            update: dict[str, Any] = {"weight": node.weight * factor}
            if node.children is not None:
                update["children"] = scale(node.children)
            out.append(node.model_copy(update=update))
        return out

    if all(c.weight == 0 for _, c in rubric.walk()):
        return "every weight is 0: nothing to rescale"
    changed = rubric.model_copy(update={"criteria": scale(rubric.criteria)})
    return Changed("rescale", changed, _ids(rubric))


def _order(rubric: Rubric) -> list[str]:
    return [c.id for _, c in rubric.walk()]


def harmless_changes(rubric: Rubric, seed: int = 0) -> list[tuple[str, Changed | str]]:
    """Every change of :data:`CHANGES` applied to ``rubric``: ``(name, changed or reason)``."""
    return [
        ("reverse", reverse_criteria(rubric)),
        ("shuffle", shuffle_criteria(rubric, seed)),
        ("examples", reverse_examples(rubric)),
        ("rename", rename_ids(rubric)),
        ("rescale", rescale_weights(rubric)),
    ]


def paraphrase_texts(rubric: Rubric, texts: dict[str, str]) -> Changed | str:
    """Each judged criterion whose id is in ``texts`` with that text instead of its own
    (``paraphrase``: the texts come from the judge model, :mod:`.paraphrase`)."""

    def swap(nodes: list[Criterion]) -> list[Criterion]:
        out = []
        for node in nodes:
            update: dict[str, Any] = {}
            if node.id in texts and node.is_judged:
                update["text"] = texts[node.id]
            if node.children is not None:
                update["children"] = swap(node.children)
            out.append(node.model_copy(update=update) if update else node)
        return out

    changed = rubric.model_copy(update={"criteria": swap(rubric.criteria)})
    if all(a.text == b.text for (_, a), (_, b) in zip(rubric.walk(), changed.walk(), strict=True)):
        return "no criterion text was paraphrased differently"
    return Changed("paraphrase", changed, _ids(rubric))
