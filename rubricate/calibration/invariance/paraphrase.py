"""The judge model's paraphrase of each judged criterion (``--probe invariance:paraphrase``).

One call per judged criterion, to the judge model the run uses, through the ordinary model
client and call store (repeat 0: a rerun replays the same paraphrases for free), asking for
the same statement in other words with every fact, figure, name, condition and the polarity
kept (structured output ``{"paraphrase": "..."}``). A reply that is not that JSON, or an empty
or identical paraphrase, is listed as failed with the reason and the criterion keeps its text:
it is never silently counted as a paraphrase. Without a model endpoint nothing is paraphrased
and the change is *not applicable*.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rubricate.judge.calls import ClientSettings, ModelRequest
from rubricate.rubrics.model import Rubric

SYSTEM = (
    "You rewrite one criterion of a grading rubric in different words. The rewrite must mean "
    "exactly the same: keep every fact, figure, name, condition, quantity and negation, and "
    "whether it describes something desirable or undesirable; add nothing and drop nothing. "
    "Change the wording and the sentence structure. Reply with one JSON object and nothing "
    'else: {"paraphrase": "<the rewritten criterion>"}'
)
SCHEMA = {
    "name": "paraphrase",
    "schema": {
        "type": "object",
        "properties": {"paraphrase": {"type": "string"}},
        "required": ["paraphrase"],
        "additionalProperties": False,
    },
    "strict": True,
}


def paraphrase_request(model: str, text: str) -> ModelRequest:
    """The request that asks ``model`` to paraphrase one criterion ``text``."""
    return ModelRequest(
        model=model,
        messages=({"role": "system", "content": SYSTEM}, {"role": "user", "content": text}),
        json_schema=SCHEMA,
    )


def parse_paraphrase(reply: str | None, original: str) -> tuple[str | None, str | None]:
    """``(paraphrase, None)`` or ``(None, why it failed)`` for one reply text."""
    if reply is None:
        return None, "no reply text"
    try:
        data = json.loads(reply)
    except ValueError:
        return None, "the reply is not JSON"
    text = data.get("paraphrase") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip():
        return None, 'the reply has no "paraphrase" text'
    if text.strip() == original.strip():
        return None, "the paraphrase is the original text"
    return text.strip(), None


@dataclass
class Paraphrases:
    """What the judge model wrote.

    Attributes:
        texts: criterion id -> its paraphrase (only those that succeeded).
        review: one row per judged criterion: ``criterion``, ``original``, ``paraphrase``
            (None when it failed) and ``failed`` (why, or None).
        reason: why nothing was paraphrased (no endpoint, no judged criterion), or None.
        usage: the client's usage counters, or None without a client.
    """

    texts: dict[str, str] = field(default_factory=dict)
    review: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    usage: dict[str, Any] | None = None


async def paraphrase_criteria(rubric: Rubric, settings: ClientSettings) -> Paraphrases:
    """Ask the rubric's judge model to paraphrase every judged criterion's text."""
    import asyncio
    import time

    from rubricate.calibration.run.manifest import run_usage
    from rubricate.judge.client import open_client

    judged = [c for c in rubric.leaves() if c.is_judged and c.text]
    if not judged:
        return Paraphrases(reason="the rubric judges no criterion text: nothing to paraphrase")
    client = open_client(settings)
    if client is None:
        return Paraphrases(reason="no model endpoint configured: nothing was paraphrased")
    started = time.perf_counter()
    try:
        model = rubric.judge.model
        replies = await asyncio.gather(
            *(client.call(paraphrase_request(model, c.text or "")) for c in judged)
        )
        usage = run_usage(client, time.perf_counter() - started)
    finally:
        await client.aclose()
    out = Paraphrases(usage=usage)
    for criterion, reply in zip(judged, replies, strict=True):
        original = criterion.text or ""
        text: str | None
        why: str | None
        if reply.error is not None:
            text, why = None, f"{reply.error.kind}: {reply.error.message}"
        else:
            text, why = parse_paraphrase(reply.text, original)
        if text is not None:
            out.texts[criterion.id] = text
        out.review.append(
            {"criterion": criterion.id, "original": original, "paraphrase": text, "failed": why}
        )
    return out
