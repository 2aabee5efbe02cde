"""``--verify`` for Bedrock: the bundle's Lambda beside the calibrated grader, answer by answer.

For every answer of the calibration set:

- the *calibrated grader*: the rubric compiled anew with the export's options
  (:func:`~rubricate.rubrics.compile.choice.compile_choice`: ``--target``, ``--judge-model``,
  ``--panel``; without a choice, the manifest's), whose bytes must equal the bundle's
  ``grader.json`` (a difference is a note and the bundle's bytes are graded), run by
  rubricate's local runtime (:class:`~rubricate.judge.service.RewardRuntime`, what the public
  ``rubricate.Grader`` runs);
- the *form*: ``lambda.zip`` unpacked and its handler invoked in a separate process as Lambda
  invokes it (:mod:`.invoke`, :mod:`.harness`), one invocation per answer, with Bedrock's
  documented event: ``[{"id", "messages": <the bundle row's prompt + the answer as the
  assistant turn>, "metadata": {"reference_answer": <the row's reference_answer>}}]``. Judged
  parts go to the same judge endpoint (``settings.base_url``, else ``$OPENAI_BASE_URL``, as the
  Lambda's ``OPENAI_BASE_URL``).

Parts are the sub-graders of a ``multi`` (from the response's ``metrics_list``), else the whole
grader; ``score_model`` / ``label_model`` parts are *judged*. An invocation that fails (the
handler raises: a judge failure, an unparsable reply) leaves every part of that answer without
a form reward, with the Lambda's ``errorType: errorMessage`` as the reason, never a 0.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rubricate.errors import ExportError
from rubricate.export.bedrock.invoke import invoke_package
from rubricate.export.bedrock.prepare import bedrock_row
from rubricate.export.verify.model import AnswerComparison, PartReward, Verification
from rubricate.judge.calls import ClientSettings
from rubricate.judge.sample import make_sample
from rubricate.rubrics.compile.choice import CompileChoice

JUDGED = frozenset({"score_model", "label_model"})


def _parts(grader: dict[str, Any]) -> dict[str, bool]:
    """Part name -> judged."""
    if grader.get("type") == "multi":
        return {k: v.get("type") in JUDGED for k, v in grader["graders"].items()}
    return {str(grader.get("name") or grader["type"]): grader.get("type") in JUDGED}


def _event(row: dict[str, Any], event_id: str, text: str) -> list[dict[str, Any]]:
    bedrock = bedrock_row(row)
    return [
        {
            "id": event_id,
            "messages": bedrock["messages"] + [{"role": "assistant", "content": text}],
            "metadata": {"reference_answer": bedrock["reference_answer"]},
        }
    ]


def _env(settings: ClientSettings) -> dict[str, str]:
    base = settings.base_url or os.environ.get("OPENAI_BASE_URL") or ""
    return {
        "OPENAI_BASE_URL": base,
        "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", ""),
        "RUBRICATE_TIMEOUT": str(settings.timeout_s),
        "RUBRICATE_MAX_RETRIES": str(min(settings.max_retries, 3)),
        "RUBRICATE_CONCURRENCY": str(settings.concurrency),
    }


def _form(response: dict[str, Any]) -> tuple[float | None, dict[str, float], str | None]:
    payload = response.get("payload")
    if response.get("function_error"):
        info = payload if isinstance(payload, dict) else {}
        return None, {}, f"{info.get('errorType', 'Error')}: {info.get('errorMessage', payload)}"
    if not isinstance(payload, list) or len(payload) != 1 or not isinstance(payload[0], dict):
        return None, {}, f"the handler answered {str(payload)[:80]!r}, not a list of one reward"
    entry = payload[0]
    score = entry.get("aggregate_reward_score")
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        return None, {}, f"aggregate_reward_score is {score!r}, not a number"
    parts = {
        m["name"]: float(m["value"])
        for m in entry.get("metrics_list") or []
        if isinstance(m, dict) and isinstance(m.get("value"), (int, float))
    }
    return float(score), parts, None


def _part_error(
    name: str, cal: dict[str, float], form: dict[str, float], record: Any, error: str | None
) -> str | None:
    """Why a part has no reward on a side (None when both sides have one)."""
    if name not in form:
        return f"bedrock: {error or 'not in metrics_list'}"
    if name not in cal:
        return f"calibrated: {record.sub_errors.get(name) or record.error or 'no reward'}"
    return None


def verify_bedrock(
    bundle_dir: Path,
    *,
    calibration_set: Path,
    rubric: Path,
    settings: ClientSettings,
    choice: CompileChoice | None = None,
) -> Verification:
    """Compare the bundle's Lambda with the calibrated grader (module docstring).

    Raises:
        InputError: the calibration set or rubric cannot be read.
        ExportError: the bundle has no ``lambda.zip`` / ``grader.json``, or the handler's
            process cannot run at all.
    """
    from rubricate.calibration.inputs.calset import read_calibration_set
    from rubricate.datasets.rft_rows import build_row, grader_item_fields, rubric_item_fields
    from rubricate.export.rft.manifest import manifest_choice
    from rubricate.files import read_json
    from rubricate.judge.service import RewardRuntime
    from rubricate.rubrics.compile.choice import compile_choice
    from rubricate.rubrics.lint import load_checked_rubric

    bundle_dir = Path(bundle_dir)
    package, grader_file = bundle_dir / "lambda.zip", bundle_dir / "grader.json"
    if not package.is_file() or not grader_file.is_file():
        raise ExportError(f"{bundle_dir}: no lambda.zip and grader.json; export the bundle first")
    bundle_text = grader_file.read_text(encoding="utf-8")
    grader = json.loads(bundle_text)
    loaded = load_checked_rubric(rubric)
    notes: list[str] = []
    if choice is None:
        manifest = bundle_dir / "manifest.json"
        choice = manifest_choice(read_json(manifest, "manifest") if manifest.is_file() else {})
    if compile_choice(loaded.rubric, choice).text != bundle_text:
        notes.append(f"{grader_file} differs from {rubric} compiled now; graded the bundle's")
    fields = rubric_item_fields(loaded) | grader_item_fields(grader)
    entries = read_calibration_set(calibration_set).entries()
    events, pairs = [], []
    for entry in entries:
        row, problem, _ = build_row(
            entry.item, task=loaded.rubric.task, developer=None, fields=fields
        )
        if row is None:
            raise ExportError(f"{calibration_set}: item {entry.item_id}: {problem or 'no prompt'}")
        events.append(_event(row, f"{entry.item_id}/{entry.answer_id}", entry.text))
        pairs.append((entry.item, make_sample(entry.text, entry.output_tools)))
    runtime = RewardRuntime(grader, settings)
    try:
        records = runtime.grade(pairs)
    finally:
        runtime.close()
    responses = invoke_package(package, events, _env(settings), timeout_s=600 + 60 * len(events))
    parts = _parts(grader)
    answers = []
    for entry, record, response in zip(entries, records, responses, strict=True):
        form, form_parts, error = _form(response)
        calibrated = record.reward if record.scored else None
        if grader.get("type") != "multi":
            form_parts = {} if form is None else {next(iter(parts)): form}
            cal_parts = {} if calibrated is None else {next(iter(parts)): calibrated}
        else:
            cal_parts = dict(record.sub_rewards)
        rows = tuple(
            PartReward(
                name=name,
                judged=judged,
                calibrated=cal_parts.get(name),
                form=form_parts.get(name),
                error=_part_error(name, cal_parts, form_parts, record, error),
            )
            for name, judged in parts.items()
        )
        answers.append(
            AnswerComparison(
                item_id=entry.item_id,
                answer_id=entry.answer_id,
                repeat=0,
                calibrated=calibrated,
                form=form,
                parts=rows,
                error=error or (None if record.scored else f"calibrated: {record.error}"),
            )
        )
    notes.append(
        f"lambda.zip's handler ran in a separate process (python -I -S), one invocation per "
        f"answer, {len(answers)} answers"
    )
    return Verification(platform="bedrock", answers=tuple(answers), notes=tuple(notes))
