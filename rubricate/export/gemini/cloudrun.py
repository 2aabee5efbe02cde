"""The Cloud Run reward body: what ``rubricate serve`` answers on ``POST /gemini``.

Gemini's ``cloudRunRewardScorer`` (REST reference,
``ReinforcementTuningCloudRunRewardScorer``) posts ``{"example": ReinforcementTuningExample,
"response": Content, "metadata": {"step", "tuning_job_id"}}`` (camel case) and reads
``{"reward": float, "user_requested_aux_info": str}``; the reward is clipped to [-1, 1].

Here: ``item`` = the example's references decoded (:mod:`.references`), ``sample`` = the
response's text as the code scorers build it (:mod:`.snippet`: non-thought text parts
concatenated; ``output_json`` when that text is JSON), graded by the served grader.
``user_requested_aux_info`` carries the sub-rewards as JSON (``{"sub_rewards": {...}}``), so
Gemini's ``rewardInfoDetails`` show every part. A reward that could not be computed is an HTTP
error (502, with the reason), never a reward of 0 (the reference's ``errorStatus`` then
records it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rubricate.export.gemini.references import item_from_references
from rubricate.judge.records import GradeRecord
from rubricate.judge.sample import make_sample


class BodyError(ValueError):
    """A body that is not Gemini's Cloud Run request (the message says which field)."""


def response_text(response: Mapping[str, Any]) -> str:
    """The answer text of a ``Content``: its non-thought text parts, concatenated."""
    parts = response.get("parts") or []
    if not isinstance(parts, list):
        raise BodyError("response.parts: must be a list")
    return "".join(
        str(p.get("text", "")) for p in parts if isinstance(p, Mapping) and not p.get("thought")
    )


def pair_from_body(data: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(item, sample)`` of a Cloud Run request body.

    Raises:
        BodyError: ``example`` or ``response`` is missing or malformed.
    """
    if not isinstance(data, Mapping):
        raise BodyError("the body must be a JSON object {example, response, metadata}")
    example, response = data.get("example"), data.get("response")
    if not isinstance(example, Mapping):
        raise BodyError("example: missing or not an object")
    if not isinstance(response, Mapping):
        raise BodyError("response: missing or not an object")
    refs = example.get("references") or {}
    if not isinstance(refs, Mapping):
        raise BodyError("example.references: must be an object of strings")
    try:
        item = item_from_references(refs)
    except (ValueError, TypeError) as error:
        raise BodyError(f"example.references: not written by rubricate ({error})") from None
    return item, make_sample(response_text(response))


def answer_from_record(record: GradeRecord) -> tuple[int, dict[str, Any]]:
    """``(HTTP status, body)`` for a graded pair."""
    if not record.scored:
        return 502, {"error": f"no reward: {record.error or 'the grader failed'}"}
    aux = json.dumps({"sub_rewards": record.sub_rewards}, sort_keys=True)
    return 200, {"reward": record.reward, "user_requested_aux_info": aux}
