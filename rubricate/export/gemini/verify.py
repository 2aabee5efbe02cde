"""``rubricate export rft --platform gemini --verify SET``: the bundle's reward beside the
calibrated grader's, per calibration-set answer and per part.

Calibrated side: the bundle's ``grader.json`` (checked against the manifest's SHA-256) run by
rubricate's runtime on ``(item, sample)``, exactly as calibration runs it. Gemini side: each
answer becomes what the platform would hold (the item's RFT row converted by :mod:`.rows`,
the answer a ``Content`` with one text part), and every scorer of ``job.json`` runs as
:mod:`.evaluate` describes; the composite is their weighted mean. Cloud Run: the body Gemini
would post is answered by :mod:`.cloudrun` over the same grader (``rubricate serve``'s
``POST /gemini`` code path), sub-rewards from its ``user_requested_aux_info``.

Parts are the scorers (named as their sub-graders; a penalty's or a level's reward mapped
back onto the sub-grader's scale with ``to_sub_reward``); judged parts are those an autorater
gives. Notes list every documented difference (the manifest's ``gemini.differences``), the
judge used for autorater prompts, and what is not modelled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rubricate.datasets.rft_rows import build_row, grader_item_fields, rubric_item_fields
from rubricate.errors import InputError
from rubricate.export.gemini import evaluate
from rubricate.export.gemini.cloudrun import answer_from_record, pair_from_body, response_text
from rubricate.export.gemini.rows import gemini_row
from rubricate.export.rft.manifest import sha256
from rubricate.export.verify.model import AnswerComparison, PartReward, Verification
from rubricate.judge.calls import ClientSettings
from rubricate.judge.records import GradeRecord
from rubricate.judge.sample import make_sample
from rubricate.rubrics.compile.choice import CompileChoice


def _example(item: dict[str, Any], loaded: Any, grader: dict[str, Any]) -> dict[str, Any]:
    fields = rubric_item_fields(loaded) | grader_item_fields(grader)
    row, problem, _ = build_row(item, task=loaded.rubric.task, developer=None, fields=fields)
    if row is None:
        raise InputError(f"item {item.get('id')}: cannot be a tuning row ({problem or 'a field'})")
    example, why = gemini_row(row)
    if example is None:
        raise InputError(f"item {item.get('id')}: {why}")
    return example


def _grade(grader: dict[str, Any], pairs: list[tuple[dict, dict]], settings: Any) -> list:
    from rubricate.judge.service import RewardRuntime

    runtime = RewardRuntime(grader, settings)
    try:
        return runtime.grade(pairs)
    finally:
        runtime.close()


def _autorater_rewards(
    name: str,
    config: dict[str, Any],
    judge: dict[str, Any],
    cases: list[tuple[dict, dict]],
    settings: Any,
) -> list[evaluate.Outcome]:
    """One autorater scorer on every case: the prompt rendered per case, sent, parsed."""
    outcomes: list[evaluate.Outcome | None] = []
    prompts: list[tuple[int, str]] = []
    for index, (example, response) in enumerate(cases):
        values = evaluate.variables(example, response_text(response))
        try:
            prompts.append((index, evaluate.substitute(config["autoraterPrompt"], values)))
            outcomes.append(None)
        except KeyError as error:
            outcomes.append((None, str(error)))
    one_off = {
        "type": "score_model",
        "name": name,
        "model": judge["model"],
        "input": [{"role": "user", "content": "{{ item.prompt }}"}],
        "range": judge.get("range", [0, 1]),
        **({"sampling_params": judge["sampling_params"]} if "sampling_params" in judge else {}),
    }
    records = _grade(one_off, [({"prompt": p}, make_sample("")) for _, p in prompts], settings)
    for (index, _), record in zip(prompts, records, strict=True):
        raw = next((c.raw for c in reversed(record.calls) if c.raw is not None), None)
        if raw is None:
            outcomes[index] = (None, f"the judge gave no reply: {record.error or 'no call'}")
            continue
        example, response = cases[index]
        values = evaluate.variables(example, response_text(response))
        outcomes[index] = evaluate.parse_autorater(config, raw, values)
    return [o if o is not None else (None, "not run") for o in outcomes]


def _scorer_rewards(
    job: dict[str, Any],
    scorers: list[dict[str, Any]],
    grader: dict[str, Any],
    cases: list[tuple[dict, dict]],
    settings: Any,
) -> list[dict[str, evaluate.Outcome]]:
    configs = [
        entry["rewardConfig"]
        for entry in job["reinforcementTuningSpec"]["compositeRewardConfig"][
            "weightedRewardConfigs"
        ]
    ]
    by_case: list[dict[str, evaluate.Outcome]] = [{} for _ in cases]
    snippets = {
        c["rewardName"]: c["codeExecutionRewardScorer"]["pythonCodeSnippet"]
        for c in configs
        if "codeExecutionRewardScorer" in c
    }
    for row, ran in zip(by_case, evaluate.run_code_scorers(snippets, cases), strict=True):
        row.update(ran)
    for config in configs:
        name = config["rewardName"]
        if "stringMatchRewardScorer" in config:
            for row, (example, response) in zip(by_case, cases, strict=True):
                values = evaluate.variables(example, response_text(response))
                row[name] = evaluate.string_match(
                    config["stringMatchRewardScorer"], response_text(response), values
                )
        elif "autoraterScorer" in config:
            judge = grader["graders"][name] if grader.get("type") == "multi" else grader
            found = _autorater_rewards(name, config["autoraterScorer"], judge, cases, settings)
            for row, outcome in zip(by_case, found, strict=True):
                row[name] = outcome
    return by_case


def _cloud_run(
    grader: dict[str, Any], cases: list[tuple[dict, dict]], settings: Any
) -> list[tuple[evaluate.Outcome, dict[str, float]]]:
    pairs = [pair_from_body({"example": e, "response": r, "metadata": {}}) for e, r in cases]
    import json

    out: list[tuple[evaluate.Outcome, dict[str, float]]] = []
    for record in _grade(grader, pairs, settings):
        status, body = answer_from_record(record)
        if status != 200:
            out.append(((None, body["error"]), {}))
            continue
        subs = json.loads(body["user_requested_aux_info"])["sub_rewards"]
        out.append(((evaluate.clip(float(body["reward"])), None), subs))
    return out


def _judged_names(grader: dict[str, Any]) -> set[str]:
    subs = grader.get("graders") or {}
    return {n for n, g in subs.items() if g.get("type") in ("score_model", "label_model")}


def _part(
    name: str, judged: bool, record: GradeRecord, form: evaluate.Outcome, factor: float
) -> PartReward:
    if record.metadata.type == "multi":
        calibrated = record.sub_rewards.get(name)
        error = record.sub_errors.get(name) or form[1]
    else:  # a single grader: the part is the whole grader
        calibrated = record.reward if record.scored else None
        error = (None if record.scored else record.error) or form[1]
    value = None if form[0] is None else form[0] * factor
    return PartReward(name, judged, calibrated, value, error)


def verify_gemini(
    bundle_dir: Path,
    *,
    calibration_set: Path,
    rubric: Path,
    settings: ClientSettings,
    choice: CompileChoice | None = None,
) -> Verification:
    """Run the bundle's reward on every answer of ``calibration_set`` beside the grader's
    (``choice``: the export's compile options, None: the manifest's; its ``--judge-model`` is
    the calibrated judge the autorater prompts are sent to)."""
    import json

    from rubricate.calibration.inputs.calset import read_calibration_set
    from rubricate.export.rft.manifest import manifest_choice
    from rubricate.files import read_json, read_text
    from rubricate.rubrics.compile.choice import with_judge_model
    from rubricate.rubrics.lint import load_checked_rubric

    text = read_text(bundle_dir / "grader.json")
    grader = json.loads(text)
    manifest = read_json(bundle_dir / "manifest.json", "manifest")
    job = read_json(bundle_dir / "job.json", "job file")
    if not isinstance(manifest, dict) or "gemini" not in manifest:
        raise InputError(
            f"{bundle_dir}/manifest.json: not a Gemini bundle (no gemini section); write one "
            "with `rubricate export rft --platform gemini`"
        )
    notes: list[str] = []
    if manifest.get("grader", {}).get("sha256") != sha256(text.encode("utf-8")):
        notes.append("grader.json is not the bytes the manifest names (edited after export?)")
    loaded = load_checked_rubric(rubric)
    choice = choice if choice is not None else manifest_choice(manifest)
    judge_model = with_judge_model(loaded.rubric, choice.judge_model).judge.model
    entries = read_calibration_set(calibration_set).entries()
    cases = [
        (_example(e.item, loaded, grader), {"role": "model", "parts": [{"text": e.text}]})
        for e in entries
    ]
    records = _grade(
        grader, [(e.item, make_sample(e.text, e.output_tools)) for e in entries], settings
    )
    gemini = manifest.get("gemini", {})
    scorers = gemini.get("scorers", [])
    judged = _judged_names(grader)
    notes += [f"not exact: {d}" for d in gemini.get("differences", [])]
    if gemini.get("omitted"):
        notes.append("left out of the composite (weight 0): " + ", ".join(gemini["omitted"]))
    answers = []
    if gemini.get("reward") == "cloudrun":
        notes.append("reward: cloudRunRewardScorer -> rubricate serve POST /gemini (this grader)")
        for entry, record, ((total, error), subs) in zip(
            entries, records, _cloud_run(grader, cases, settings), strict=True
        ):
            parts = tuple(
                PartReward(
                    n,
                    n in judged,
                    record.sub_rewards.get(n),
                    subs.get(n),
                    record.sub_errors.get(n) or (None if n in subs else error),
                )
                for n in grader.get("graders", {})
            )
            answers.append(_comparison(entry, record, total, error, parts))
        return Verification("gemini", tuple(answers), tuple(notes))
    if any(s["kind"] == "autorater" for s in scorers):
        notes.append(
            f"autorater prompts sent to the calibrated judge's model ({judge_model}) "
            f"at the configured endpoint, one call per answer (repeat 0), through rubricate's "
            "score_model client (which asks for its reply schema; Gemini's autorater takes none); "
            f"in training Gemini runs {gemini.get('autorater_model')}"
        )
    notes.append("rewards compared in double precision (Gemini reports 32-bit floats)")
    rewards = _scorer_rewards(job, scorers, grader, cases, settings)
    weights = [(s["reward_name"], s["weight"]) for s in scorers]
    for entry, record, row in zip(entries, records, rewards, strict=True):
        total, error = evaluate.composite([(w, row[n]) for n, w in weights])
        parts = tuple(
            _part(s["reward_name"], s["judged"], record, row[s["reward_name"]], s["to_sub_reward"])
            for s in scorers
        )
        answers.append(_comparison(entry, record, total, error, parts))
    return Verification("gemini", tuple(answers), tuple(notes))


def _comparison(
    entry: Any,
    record: GradeRecord,
    total: float | None,
    error: str | None,
    parts: tuple[PartReward, ...],
) -> AnswerComparison:
    calibrated = record.reward if record.scored else None
    why = error if error is not None else (None if record.scored else record.error)
    return AnswerComparison(entry.item_id, entry.answer_id, 0, calibrated, total, parts, why)
