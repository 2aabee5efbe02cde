"""Leakage: calibration answers that are also few-shot examples in the rubric.

A rubric's ``examples`` are rendered into every judge prompt they concern, with their expected
verdicts. Grading one of them in calibration measures recall, not judgment: the judge has been
shown the answer key. So calibration never scores such an answer: ``rubricate calibrate``
refuses the set, or with ``--exclude-leaked`` leaves those answers out and lists them in the
report.

An answer *leaks* when its text matches an example's answer after normalising both (Unicode
NFKC, case folded, every run of whitespace one space, surrounding space dropped), or when the
two are near-identical: an Indel similarity ratio (``rapidfuzz.fuzz.ratio / 100``) of at least
:data:`NEAR_DUPLICATE` on the normalised texts, which catches a copy with a word or a figure
changed. Empty texts never match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rubricate.calibration.inputs.calset import CalibrationEntry
from rubricate.rubrics.model import Rubric

NEAR_DUPLICATE = 0.95
"""Similarity ratio at or above which two answers count as the same."""
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Leak:
    """A calibration answer that is a few-shot example.

    Attributes:
        item_id, answer_id, line: the answer and its line in the set.
        example: the example's id, or ``#n`` (1-based) when it has none.
        example_tier: the example's tier.
        similarity: 1.0 for a normalised match, else the ratio.
    """

    item_id: str
    answer_id: str
    line: int
    example: str
    example_tier: str
    similarity: float

    def describe(self) -> str:
        """One line for messages and the report."""
        how = "is" if self.similarity >= 1.0 else f"is {self.similarity:.0%} similar to"
        return (
            f"answer {self.item_id}/{self.answer_id} {how} the rubric's few-shot example "
            f"{self.example} ({self.example_tier})"
        )


def normalise(text: str) -> str:
    """The text compared for leakage (see the module docstring)."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def find_leaks(entries: list[CalibrationEntry], rubric: Rubric) -> list[Leak]:
    """Every calibration answer that is (nearly) one of ``rubric``'s few-shot examples."""
    if not rubric.examples:
        return []
    from rapidfuzz.fuzz import ratio  # deferred: only needed when a rubric has examples

    examples = [
        (example.id or f"#{i}", example.tier, normalise(example.answer))
        for i, example in enumerate(rubric.examples, start=1)
    ]
    leaks = []
    for entry in entries:
        text = normalise(entry.text)
        if not text:
            continue
        best: tuple[float, str, str] | None = None
        for name, tier, example in examples:
            if not example:
                continue
            if text == example:
                similarity = 1.0
            else:
                shorter, longer = sorted((len(text), len(example)))
                if 2 * shorter < NEAR_DUPLICATE * (shorter + longer):  # the ratio cannot reach it
                    continue
                similarity = ratio(text, example) / 100.0
            if similarity >= NEAR_DUPLICATE and (best is None or similarity > best[0]):
                best = (similarity, name, tier)
        if best is not None:
            leaks.append(
                Leak(entry.item_id, entry.answer_id, entry.line, best[1], best[2], best[0])
            )
    return leaks
