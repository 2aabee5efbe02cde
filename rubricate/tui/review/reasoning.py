"""The judge's reasoning for an answer, as text: every call of every repeat, from the records.

Each model call (from ``records.jsonl``) is shown with its repeat, the criterion it judged
(mapped from the sub-grader name through the rubric; the name itself without a rubric), the
parsed result, the reasoning steps, and the raw reply when it gave no steps or could not be
parsed. With ``prompt=True`` the exact prompt is shown too.
"""

from __future__ import annotations

from typing import Any

from rubricate.judge.records import GradeRecord, ModelCallRecord


def subgrader_criteria(rubric: Any) -> dict[str, str]:
    """Sub-grader name -> criterion id (judges and gates), or {} without a rubric."""
    if rubric is None:
        return {}
    from rubricate.errors import InputError
    from rubricate.rubrics.compile import subgrader_plan

    try:
        return {name: cid for cid, name, _ in subgrader_plan(rubric)}
    except InputError:
        return {}


def reasoning_criterion(criterion: str | None) -> str | None:
    """The criterion whose calls a matrix row stands for: None (every call) for the overall
    score or reward (``__total__``, ``__checks__``), the judged criterion for its gating
    check's row (``<id>:check``)."""
    if criterion and criterion.startswith("__"):
        return None
    if criterion and criterion.endswith(":check"):
        return criterion.removesuffix(":check")
    return criterion


def call_criterion(call: ModelCallRecord, names: dict[str, str]) -> str:
    """The criterion a call judged (the sub-grader's name when unknown)."""
    name = call.grader.split(".", 1)[1] if "." in call.grader else call.grader
    if name not in names:  # a panel's judge k of a criterion: <name>__judge_<k>
        base, sep, k = name.rpartition("__judge_")
        if sep and k.isdigit() and base in names:
            return names[base]
    return names.get(name, name)


def _result(call: ModelCallRecord) -> str:
    if call.error:
        return f"error: {call.error}"
    if call.result is None:
        return "no result"
    return f"{call.result:g}"


def reasoning_text(
    records: list[tuple[int, GradeRecord]],
    names: dict[str, str],
    criterion: str | None = None,
    *,
    prompt: bool = False,
    judged_run: bool = True,
    unit: str = "repeat",
) -> str:
    """The calls of one answer (only those about ``criterion`` when given), as text.

    ``judged_run`` False (the run had no model endpoint) explains why there is no call;
    ``unit`` names what the records' numbers count (a baseline passes ``"sample"``)."""
    blocks = []
    for repeat, record in records:
        for call in record.calls:
            about = call_criterion(call, names)
            if criterion is not None and about != criterion:
                continue
            lines = [f"── {unit} {repeat} · {about} → {_result(call)}"]
            for step in call.steps or []:
                description = str(step.get("description", "")).strip()
                conclusion = str(step.get("conclusion", "")).strip()
                if description and conclusion and description != conclusion:
                    lines.append(f"  • {description}: {conclusion}")
                else:
                    lines.append(f"  • {description or conclusion}")
            if not call.steps or call.result is None:
                lines.append(f"  raw reply: {call.raw if call.raw is not None else '(none)'}")
            if prompt and not call.messages and call.request_sha256:
                lines.append(f"  prompt not available: prompts.jsonl has no line "
                             f"{call.request_sha256[:12]}… (the run folder was copied without "
                             "it?)")  # fmt: skip
            if prompt:
                for message in call.messages:
                    content = message.get("content")
                    text = content if isinstance(content, str) else str(content)
                    lines.append(f"  [{message.get('role')}]\n" + _indent(text, "    "))
            blocks.append("\n".join(lines))
        if criterion is None and not record.calls:
            blocks.append(f"── {unit} {repeat}: no model call (checks only)")
    if not blocks:
        if not judged_run:
            return (
                "The judge did not run in this calibration (no model endpoint was configured), "
                "so there is no reasoning; only the deterministic checks were graded."
            )
        if not records:
            return "No records of this answer (records.jsonl is missing or does not hold it)."
        what = f"criterion {criterion}" if criterion else "this answer"
        return f"The judge made no call about {what} (a deterministic check decides it)."
    return "\n\n".join(blocks)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())
