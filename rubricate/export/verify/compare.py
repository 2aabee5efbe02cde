"""Two grade records of one answer as an :class:`~.model.AnswerComparison`, part by part (pure).

A *part* is a sub-grader of a ``multi`` grader (its name, the variable of ``calculate_output``),
or the whole grader when it has none. A part is *judged* when a model decides it
(``score_model``, ``label_model``, or a ``text_similarity`` with ``cosine``, which embeds both
texts); every other part is deterministic. The parts are the calibrated grader's, in its order,
then any the form has and the calibrated grader lacks (a renamed sub-grader shows on both
sides as missing, never silently).

A part whose judge could not be reached because no endpoint is configured is left out
(``None`` on both sides, no error): the verifier says so once in a note instead of once per
answer. Every other failure keeps its reason in ``error``.
"""

from __future__ import annotations

from typing import Any

from rubricate.export.verify.model import AnswerComparison, PartReward
from rubricate.judge.records import GradeRecord

JUDGED_TYPES = frozenset({"score_model", "label_model"})

NOT_CONFIGURED = "not_configured"


def is_judged(grader: dict[str, Any]) -> bool:
    """True when a model decides ``grader``'s reward."""
    return grader.get("type") in JUDGED_TYPES or grader.get("evaluation_metric") == "cosine"


def parts_of(grader: dict[str, Any]) -> list[tuple[str, bool]]:
    """``(name, judged)`` of every part of ``grader`` (see the module docstring)."""
    subs = grader.get("graders") if grader.get("type") == "multi" else None
    if isinstance(subs, dict):
        return [(str(n), isinstance(g, dict) and is_judged(g)) for n, g in subs.items()]
    return [(str(grader.get("name") or grader.get("type")), is_judged(grader))]


def _not_configured(record: GradeRecord) -> bool:
    return record.metadata.errors.model_grader_server_error_details == NOT_CONFIGURED


def _part_value(
    record: GradeRecord | None, name: str, single: bool, has: bool
) -> tuple[float | None, str | None]:
    if record is None:
        return None, "not graded"
    if not has:
        return None, f"no sub-grader {name!r}"
    if single:
        return (record.reward, None) if record.scored else (None, record.error or "unscored")
    if name in record.sub_errors:
        return None, record.sub_errors[name]
    if name in record.sub_rewards:
        return float(record.sub_rewards[name]), None
    return None, record.error or "no sub-reward"


def compare(
    *,
    item_id: str,
    answer_id: str,
    repeat: int,
    calibrated_grader: dict[str, Any],
    form_grader: dict[str, Any] | None,
    calibrated: GradeRecord | None,
    form: GradeRecord | None,
    form_error: str | None = None,
) -> AnswerComparison:
    """The comparison of one answer's two records (``form`` None: the form did not run, and
    ``form_error`` says why)."""
    cal_parts = parts_of(calibrated_grader)
    form_parts = parts_of(form_grader) if form_grader is not None else []
    single = calibrated_grader.get("type") != "multi"
    if single and form_grader is not None and form_grader.get("type") != "multi":
        form_parts = cal_parts  # one grader each: the whole reward is the part, whatever its name
    cal_names = {n for n, _ in cal_parts}
    form_names = {n for n, _ in form_parts}
    skip_judged = any(r is not None and _not_configured(r) for r in (calibrated, form))
    parts = []
    for name, judged in [*cal_parts, *[p for p in form_parts if p[0] not in cal_names]]:
        if judged and skip_judged:
            continue
        cal_value, cal_err = _part_value(calibrated, name, single, name in cal_names)
        form_value, form_err = _part_value(
            form, name, single, form_grader is None or name in form_names
        )
        if form is None:
            form_err = form_error or form_err
        error = None
        if cal_err or form_err:
            error = "; ".join(
                f"{side}: {why}"
                for side, why in (("calibrated", cal_err), ("form", form_err))
                if why
            )
        parts.append(PartReward(name, judged, cal_value, form_value, error))
    errors = []
    total_cal = calibrated.reward if calibrated is not None and calibrated.scored else None
    total_form = form.reward if form is not None and form.scored else None
    if not skip_judged:
        if calibrated is not None and not calibrated.scored:
            errors.append(f"calibrated: {calibrated.error or 'unscored'}")
        if form is None or not form.scored:
            why = form_error if form is None else (form.error or "unscored")
            errors.append(f"form: {why}")
    return AnswerComparison(
        item_id=item_id,
        answer_id=answer_id,
        repeat=repeat,
        calibrated=total_cal,
        form=total_form,
        parts=tuple(parts),
        error="; ".join(errors) or None,
    )
