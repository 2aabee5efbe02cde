"""A :class:`~rubricate.export.verify.model.Verification` as a table, JSON data and a verdict.

The verdict is strict where the platform must agree exactly: a deterministic part whose
rewards differ by more than :data:`~rubricate.export.verify.model.DETERMINISTIC_TOLERANCE`,
or that could not be computed on either side, fails the verification; so does the total
reward of an answer whose parts are all deterministic (a changed ``calculate_output`` changes
no part). Judged parts are
summarised as the mean absolute difference over answers and repeats (a judge is not
deterministic; the number is shown, not judged). An answer whose whole reward could not be
computed is counted and named, never averaged in as 0. A form-level failure
(:attr:`~rubricate.export.verify.model.Verification.failures`: a stale bundle, a refused job
request) fails the verification whatever the rewards, and so does a verification in which
no answer was compared at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean
from typing import Any

from rubricate.export.verify.model import (
    DETERMINISTIC_TOLERANCE,
    AnswerComparison,
    Verification,
)


@dataclass(frozen=True)
class Rendered:
    text: str
    data: dict[str, Any]
    failed: bool
    failure: str


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.6f}"


def _compared(answer: AnswerComparison) -> bool:
    """True when at least one reward of ``answer`` (total or part) was had on both sides."""
    return answer.difference is not None or any(p.difference is not None for p in answer.parts)


def summarise(verification: Verification) -> dict[str, Any]:
    """The numbers behind the verdict (also the ``--json`` output's ``verification``)."""
    det_diffs: list[float] = []
    det_failures: list[str] = []
    det_parts = 0
    judged_diffs: list[float] = []
    errors: list[str] = []
    for answer in verification.answers:
        where = f"{answer.item_id}/{answer.answer_id}#{answer.repeat}"
        if answer.error is not None:
            errors.append(f"{where}: {answer.error}")
        for part in answer.parts:
            diff = part.difference
            if part.judged:
                if diff is not None:
                    judged_diffs.append(diff)
                elif part.error is not None:
                    errors.append(f"{where} {part.name}: {part.error}")
                continue
            det_parts += 1
            if diff is None:
                det_failures.append(f"{where} {part.name}: {part.error or 'no reward'}")
            else:
                det_diffs.append(diff)
                if diff > DETERMINISTIC_TOLERANCE:
                    det_failures.append(
                        f"{where} {part.name}: calibrated {_fmt(part.calibrated)} "
                        f"!= {verification.platform} {_fmt(part.form)}"
                    )
        total = answer.difference
        deterministic = bool(answer.parts) and not any(p.judged for p in answer.parts)
        if deterministic and total is not None and total > DETERMINISTIC_TOLERANCE:
            det_failures.append(
                f"{where} total: calibrated {_fmt(answer.calibrated)} "
                f"!= {verification.platform} {_fmt(answer.form)}"
            )
    totals = [a.difference for a in verification.answers if a.difference is not None]
    return {
        "platform": verification.platform,
        "answers": len(verification.answers),
        "answers_compared": sum(1 for a in verification.answers if _compared(a)),
        "answers_without_reward": sum(
            1 for a in verification.answers if a.calibrated is None or a.form is None
        ),
        "answer_errors": sum(1 for a in verification.answers if a.error is not None),
        "max_total_difference": max(totals) if totals else None,
        "deterministic_parts": det_parts,
        "max_deterministic_difference": max(det_diffs) if det_diffs else None,
        "deterministic_failures": det_failures,
        "judged_parts": len(judged_diffs),
        "judged_mean_abs_difference": fmean(judged_diffs) if judged_diffs else None,
        "errors": errors,
        "failures": list(verification.failures),
        "notes": list(verification.notes),
        "rows": [
            {
                "item_id": a.item_id,
                "answer_id": a.answer_id,
                "repeat": a.repeat,
                "calibrated": a.calibrated,
                "form": a.form,
                "difference": a.difference,
                "error": a.error,
                "parts": [
                    {
                        "name": p.name,
                        "judged": p.judged,
                        "calibrated": p.calibrated,
                        "form": p.form,
                        "error": p.error,
                    }
                    for p in a.parts
                ],
            }
            for a in verification.answers
        ],
    }


def verdict(data: dict[str, Any], name: str) -> str:
    """The failure line ("" when the verification passes), from :func:`summarise`'s data.

    Fails on: a form-level failure (a stale bundle, a refused job request); no answer compared
    at all (an empty set, or every answer without a reward on either side); a deterministic
    part that differs by more than the tolerance or has no reward on a side.
    """
    if data["failures"]:
        more = f" (and {len(data['failures']) - 1} more)" if len(data["failures"]) > 1 else ""
        return f"verify ({name}): {data['failures'][0]}{more}"
    if not data["answers_compared"]:
        why = ""
        if data["answers_without_reward"]:
            why = f": {data['answers_without_reward']} answer(s) did not run on a side"
            if data["errors"]:
                why += f"; first: {data['errors'][0]}"
        return f"verify ({name}): no answer was compared{why}"
    failures = data["deterministic_failures"]
    if failures:
        return (
            f"verify ({name}): {len(failures)} deterministic part(s) differ or did not run; "
            f"first: {failures[0]}"
        )
    return ""


def render_verification(verification: Verification) -> Rendered:
    data = summarise(verification)
    name = verification.platform
    lines = [f"verify ({name}): {data['answers']} answers, calibrated grader beside {name}'s form"]
    width = max([len(f"{a.item_id}/{a.answer_id}") for a in verification.answers] + [6])
    lines.append(f"  {'answer':<{width}}  {'calibrated':>10}  {name:>10}  {'diff':>10}")
    for a in verification.answers:
        label = f"{a.item_id}/{a.answer_id}" + (f"#{a.repeat}" if a.repeat else "")
        diff = "—" if a.difference is None else f"{a.difference:.2e}"
        tail = f"  {a.error}" if a.error else ""
        lines.append(
            f"  {label:<{width}}  {_fmt(a.calibrated):>10}  {_fmt(a.form):>10}  {diff:>10}{tail}"
        )
    det = data["max_deterministic_difference"]
    lines.append(
        f"deterministic parts: {data['deterministic_parts']}, largest difference "
        + ("not assessed (none)" if det is None else f"{det:.2e}")
        + f" (tolerance {DETERMINISTIC_TOLERANCE:g})"
    )
    judged = data["judged_mean_abs_difference"]
    lines.append(
        f"judged parts: {data['judged_parts']}, mean absolute difference "
        + ("not assessed (no judged part was compared)" if judged is None else f"{judged:.4f}")
    )
    if data["answer_errors"]:
        lines.append(f"answers with an error: {data['answer_errors']} (listed below)")
    for note in verification.notes:
        lines.append(f"note: {note}")
    for failure_line in verification.failures:
        lines.append(f"failure: {failure_line}")
    for error in data["errors"]:
        lines.append(f"error: {error}")
    failure = verdict(data, name)
    lines.append("verdict: " + (failure or "every deterministic part equal"))
    return Rendered(text="\n".join(lines), data=data, failed=bool(failure), failure=failure)
