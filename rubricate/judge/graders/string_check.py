"""``string_check``: compare two rendered strings; reward 1 or 0.

The platform's operations (OpenAI graders guide, "String check graders"; API reference
``StringCheckGrader.operation``):

- ``eq``: 1 when ``input`` equals ``reference`` exactly (case-sensitive);
- ``ne``: 1 when they differ (case-sensitive). The guide's prose calls it ``neq``; the API
  only accepts ``ne``, and so does this runtime (``validate`` suggests the fix);
- ``like``: 1 when ``input`` contains ``reference`` (case-sensitive substring; no wildcards);
- ``ilike``: the same, ignoring case (both sides lower-cased with ``str.lower``).

No trimming or normalisation: ``"Paris "`` is not ``eq`` to ``"Paris"``. An empty reference is
contained in every input (``like`` gives 1). Both strings are templates; a missing variable is
an ``invalid_variable_error`` record.
"""

from __future__ import annotations

from rubricate.judge.graders.base import GradeContext, input_and_reference, new_record
from rubricate.judge.records import GradeRecord

OPERATIONS = ("eq", "ne", "like", "ilike")


def check(input_text: str, reference: str, operation: str) -> float:
    """The reward of one string check.

    Raises:
        ValueError: ``operation`` is not one of :data:`OPERATIONS`.
    """
    if operation == "eq":
        return float(input_text == reference)
    if operation == "ne":
        return float(input_text != reference)
    if operation == "like":
        return float(reference in input_text)
    if operation == "ilike":
        return float(reference.lower() in input_text.lower())
    raise ValueError(f"unknown string_check operation {operation!r}")


async def grade(
    grader: dict, item: dict, sample: dict, ctx: GradeContext, path: str
) -> GradeRecord:
    """Run a ``string_check`` grader on one pair."""
    record = new_record(grader)
    texts = input_and_reference(grader, item, sample, record)
    if texts is None:
        return record
    record.reward = check(*texts, grader["operation"])
    return record
