"""The refund rubric the reviews of real runs grade with (a judged criterion and one with a
numbers check) and the reply that meets both criteria."""

from __future__ import annotations

FULL_REFUND = "[[PASS]] Your refund of $120 is due; the order is 12 days old."
"""Meets both criteria (the loopback judge passes ``[[PASS]]``; the check finds $120)."""


def refund_rubric(task: str | None = None) -> str:
    """The rubric's YAML (with a ``task`` line when given: a baseline run needs one)."""
    task_line = f"task: {task}\n" if task is not None else ""
    return (
        "rubric: 1\n"
        "id: refund\n"
        "title: Refund reply\n"
        f"{task_line}"
        "judge:\n"
        "  model: judge-model\n"
        "criteria:\n"
        "  - id: facts\n"
        "    text: States that the order is within the 30-day window.\n"
        "    weight: 0.5\n"
        "  - id: amount\n"
        "    text: States the refund amount.\n"
        "    weight: 0.5\n"
        '    check: {numbers: ["$120"]}\n'
    )
