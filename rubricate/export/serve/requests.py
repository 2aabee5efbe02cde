"""The reward server's request and response bodies (pure: no IO, no event loop).

Three request shapes, each turned into ``(item, sample)`` pairs for the one grader served:

- ``POST /grade``: a JSON list of pairs, or ``{"pairs": [...], "include_calls": false}``. A
  pair is ``{"item": {...}, "sample": {"output_text": "...", "output_tools": [...]}}`` or
  ``{"item": {...}, "output_text": "...", "output_tools": [...]}``. ``output_json`` is derived
  from the text as on the platform (:func:`~rubricate.judge.sample.make_sample`).
- ``POST /v1/fine_tuning/alpha/graders/run`` (the API's graders-run body): ``{"grader": {...},
  "model_sample": "...", "item": {...}}``. ``grader`` may be omitted; when given it must be the
  grader this server runs (a server grades with one grader: the calibrated one).
- ``POST /openrlhf`` (alias ``/get_reward``), OpenRLHF's remote reward model
  (``--reward.remote_url``; its client posts ``{"query": [...], "prompts": [...],
  "labels": [...]}`` and reads ``"rewards"``, ``"scores"`` and ``"extra_logs"``): ``query`` is
  prompt plus response decoded with the special tokens, so the response is taken out by
  :func:`rubricate.export.serve.openrlhf_query.split_response` (after the prompt, end and padding
  tokens cut); a pair whose response cannot be taken out is unscored, never a reward.
  ``prompts`` and ``labels`` are lists as long as ``query`` (or absent). A label that is a
  JSON object (or its text) is the item; any other label becomes ``{"label": label}``. So the
  dataset's label column should hold each item as JSON.

JSON nested deeper than :data:`MAX_BODY_DEPTH` levels (a body), or an item or label nested
deeper than :data:`MAX_DEPTH`, is refused.
:class:`BadRequest` carries the HTTP status (400 malformed, 413 too large, 422 unusable) and a
one-line message naming the pair's index and field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from rubricate.export.rewards.common import ErrorPolicy, error_summary
from rubricate.export.serve.openrlhf_query import Refused, split_response
from rubricate.judge.records import GradeMetadata, GradeRecord, GraderErrors
from rubricate.judge.sample import make_sample

Pair = tuple[dict[str, Any], dict[str, Any]]

MAX_DEPTH = 100
"""Deepest nesting of lists and objects accepted in an item or a label (real ones need a few)."""
MAX_BODY_DEPTH = 2 * MAX_DEPTH
"""Deepest nesting accepted in a request body."""


class BadRequest(Exception):
    """A request the server refuses: ``status`` and a one-line ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when ``value`` nests lists and objects more than ``limit`` levels (iterative)."""
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, Mapping):
            children: Any = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_json(body: bytes) -> Any:
    """The body as JSON, or :class:`BadRequest` 400 (also for JSON nested too deeply)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadRequest(400, f"the body is not JSON: {error}") from None
    except RecursionError:
        raise BadRequest(400, "the body is JSON nested too deeply") from None
    if too_deep(data, MAX_BODY_DEPTH):
        raise BadRequest(400, f"the body is JSON nested more than {MAX_BODY_DEPTH} levels deep")
    return data


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, infinity: not JSON) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def _check_count(n: int, max_pairs: int) -> None:
    if n == 0:
        raise BadRequest(422, "no pairs to grade")
    if n > max_pairs:
        raise BadRequest(413, f"{n} pairs in one request; at most {max_pairs} (split the batch)")


def _sample(entry: Mapping[str, Any], index: int) -> dict[str, Any]:
    source = entry.get("sample", entry)
    if not isinstance(source, Mapping):
        raise BadRequest(422, f"pairs[{index}].sample must be an object with output_text")
    text = source.get("output_text")
    if not isinstance(text, str):
        raise BadRequest(422, f"pairs[{index}]: output_text (a string) is missing")
    tools = source.get("output_tools")
    if tools is not None and not isinstance(tools, list):
        raise BadRequest(422, f"pairs[{index}]: output_tools must be a list of tool calls")
    return make_sample(text, tools)


def grade_pairs(data: Any, max_pairs: int) -> tuple[list[Pair], bool]:
    """The pairs of a ``/grade`` body and whether to include model calls in the records."""
    include_calls = False
    if isinstance(data, Mapping):
        include_calls = bool(data.get("include_calls", False))
        data = data.get("pairs")
    if not isinstance(data, list):
        raise BadRequest(422, 'expected a list of pairs, or {"pairs": [...]}')
    _check_count(len(data), max_pairs)
    pairs = []
    for index, entry in enumerate(data):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("item"), Mapping):
            raise BadRequest(422, f"pairs[{index}]: item (an object) is missing")
        if too_deep(entry["item"]):
            raise BadRequest(422, f"pairs[{index}].item is nested over {MAX_DEPTH} levels deep")
        pairs.append((dict(entry["item"]), _sample(entry, index)))
    return pairs, include_calls


def graders_run_pair(data: Any, grader: Mapping[str, Any]) -> Pair:
    """The pair of a graders-run body (see the module docstring)."""
    if not isinstance(data, Mapping):
        raise BadRequest(422, "expected {grader, model_sample, item}")
    posted = data.get("grader")
    if posted is not None and json.dumps(posted, sort_keys=True) != json.dumps(
        grader, sort_keys=True
    ):
        name = grader.get("name") or grader.get("type")
        raise BadRequest(
            422, f"this server runs grader {name!r} only; omit grader or send exactly that one"
        )
    text = data.get("model_sample")
    if not isinstance(text, str):
        raise BadRequest(422, "model_sample (a string) is missing")
    item = data.get("item", {})
    if not isinstance(item, Mapping):
        raise BadRequest(422, "item must be an object")
    return dict(item), make_sample(text)


def label_item(label: Any, index: int) -> dict[str, Any]:
    """The item of an OpenRLHF label (see the module docstring).

    Raises:
        BadRequest: 422 for a label nested more than :data:`MAX_DEPTH` levels.
    """
    value = label
    if isinstance(label, str) and label.lstrip().startswith("{"):
        try:
            value = json.loads(label)
        except json.JSONDecodeError:
            value = label
        except RecursionError:
            raise BadRequest(422, f"labels[{index}] is JSON nested too deeply") from None
    if too_deep(value):
        raise BadRequest(422, f"labels[{index}] is nested more than {MAX_DEPTH} levels deep")
    return dict(value) if isinstance(value, Mapping) else {"label": label}


def _column(data: Mapping[str, Any], name: str, n: int) -> list[Any]:
    column = data.get(name)
    if column is None:
        return [None] * n
    if not isinstance(column, list):
        raise BadRequest(422, f"{name} must be a list (one per query), not {type(column).__name__}")
    if len(column) != n:
        raise BadRequest(422, f"{name} has {len(column)} entries for {n} queries")
    return column


def openrlhf_pairs(data: Any, max_pairs: int, strip_tokens: Sequence[str]) -> list[Pair | Refused]:
    """The pairs of an OpenRLHF remote reward body; a :class:`Refused` for a pair whose
    response cannot be taken out of its query (graded as unscored)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("query"), list):
        raise BadRequest(422, 'expected {"query": [...], "prompts": [...], "labels": [...]}')
    queries: list[Any] = data["query"]
    _check_count(len(queries), max_pairs)
    prompts = _column(data, "prompts", len(queries))
    labels = _column(data, "labels", len(queries))
    pairs: list[Pair | Refused] = []
    for index, (query, prompt, label) in enumerate(zip(queries, prompts, labels, strict=True)):
        if not isinstance(query, str):
            raise BadRequest(422, f"query[{index}] must be a string")
        if prompt is not None and not isinstance(prompt, str):
            raise BadRequest(422, f"prompts[{index}] must be a string")
        item = label_item(label, index)
        text = split_response(query, prompt, strip_tokens)
        if isinstance(text, Refused):
            pairs.append(Refused(f"query[{index}]: {text.reason}"))
        else:
            pairs.append((item, make_sample(text)))
    return pairs


def record_json(record: GradeRecord, include_calls: bool) -> dict[str, Any]:
    """A record as the server returns it: the full record, model calls only when asked."""
    return json_safe(record.model_dump(mode="json", exclude=None if include_calls else {"calls"}))


def summary(records: Sequence[GradeRecord]) -> dict[str, Any]:
    """Counts of a graded batch: pairs, scored, unscored, errors by flag."""
    flags: dict[str, int] = {}
    for record in records:
        if not record.scored:
            for flag in record.metadata.errors.flags() or ["other_error"]:
                flags[flag] = flags.get(flag, 0) + 1
    unscored = sum(1 for r in records if not r.scored)
    return {
        "pairs": len(records),
        "scored": len(records) - unscored,
        "unscored": unscored,
        "errors_by_flag": flags,
    }


def refused_record(grader: Mapping[str, Any], refused: Refused) -> GradeRecord:
    """The unscored record of a pair whose response could not be taken out of its query."""
    metadata = GradeMetadata(
        name=str(grader.get("name") or grader.get("type")),
        type=str(grader.get("type")),
        errors=GraderErrors(sample_parse_error=True),
    )
    return GradeRecord(reward=0.0, scored=False, error=refused.reason, metadata=metadata)


def merge_refused(
    entries: Sequence[Pair | Refused], graded: Sequence[GradeRecord], refused: Sequence[GradeRecord]
) -> list[GradeRecord]:
    """The records of ``entries`` in order: ``graded`` for the pairs, ``refused`` for the rest."""
    pairs, others = iter(graded), iter(refused)
    return [next(others if isinstance(e, Refused) else pairs) for e in entries]


def sub_grader_names(grader: Mapping[str, Any]) -> list[str]:
    """The names under which a grader reports sub-rewards (a ``multi``'s graders; else none)."""
    return list(grader.get("graders") or {}) if grader.get("type") == "multi" else []


def openrlhf_answer(
    records: Sequence[GradeRecord], policy: ErrorPolicy, sub_names: Sequence[str]
) -> tuple[int, Any]:
    """``(status, body)`` answering OpenRLHF: 502 with the reason when a pair is unscored under
    ``raise``; else ``rewards`` (= ``scores``) with unscored pairs at the policy's value, and
    ``extra_logs``: ``rubricate_scored`` and ``rubricate/<name>`` for every sub-grader of the
    grader (``sub_names``), the same keys in every answer (OpenRLHF stacks them per key across
    samples). A sub-reward an unscored pair lacks is the policy's value; every value is a
    finite float."""
    scored = [r.scored and math.isfinite(r.reward) for r in records]
    failed = [r for r, ok in zip(records, scored, strict=True) if not ok]
    if failed and policy.mode == "raise":
        first = failed[0].error or f"reward {failed[0].reward} is not a finite number"
        return 502, {"error": f"{error_summary(failed, len(records))}; first: {first}"}
    fallback = float(policy.value if policy.value is not None else 0.0)

    def finite(value: float | None) -> float:
        return float(value) if value is not None and math.isfinite(value) else fallback

    rewards = [r.reward if ok else fallback for r, ok in zip(records, scored, strict=True)]
    logs: dict[str, list[float]] = {"rubricate_scored": [float(ok) for ok in scored]}
    for sub in sub_names:
        logs[f"rubricate/{sub}"] = [finite(r.sub_rewards.get(sub)) for r in records]
    return 200, {"rewards": rewards, "scores": rewards, "extra_logs": logs}
