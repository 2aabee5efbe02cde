"""The adversarial probes of a calibration set: generated answers, and what was not generated.

For every item and every great answer of it, :func:`adversarial_probes` builds each kind of
:mod:`.adversarial` probe and returns them as answers to grade like the hand-written ones:
tier ``adversarial``, kind ``probe:<kind>`` and answer id ``probe:<kind>`` (``probe:<kind>:
<great answer id>`` when the item has more than one great answer), so every report and the
review tell them apart from written answers at a glance. A kind that cannot be built for an
item (no figures, no great answer, a checks-only rubric to parrot, ...) is listed as *not
generated* with the reason, item by item: never silently dropped.

The record (:meth:`ProbeSet.manifest`) goes into ``run.json`` (``probes.adversarial``) and the
texts into the run's ``probes.jsonl``, so ``--report-only`` and ``rubricate review`` read them
without generating again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from rubricate.calibration.inputs.calset import CalibrationEntry
from rubricate.calibration.probes.adversarial import PAD_FACTOR, PROBE_KINDS, build_probes
from rubricate.errors import InputError
from rubricate.rubrics.model import Rubric

PREFIX = "probe:"
"""How the id and the kind of a generated answer start."""
PROBES_FILE = "probes.jsonl"
"""The run directory's file of generated answers (one JSON object per probe)."""


def is_probe(kind: Any) -> bool:
    """Whether an answer's ``kind`` marks a generated probe."""
    return isinstance(kind, str) and kind.startswith(PREFIX)


def item_question(item: dict[str, Any], task: str | None) -> str | None:
    """What an item asks, for the padding to restate: its ``question`` or ``prompt`` field, the
    last user message of its ``messages``, else the rubric's task without its template
    variables; None when there is nothing."""
    for key in ("question", "prompt"):
        if isinstance(item.get(key), str) and item[key].strip():
            return str(item[key])
    messages = item.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, list):
                    content = " ".join(str(p.get("text", "")) for p in content
                                       if isinstance(p, dict))  # fmt: skip
                if isinstance(content, str) and content.strip():
                    return content
    if task:
        plain = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", task, flags=re.S)
        return " ".join(plain.split()) or None
    return None


def criteria_texts(rubric: Rubric) -> list[str]:
    """The texts of the rubric's positively weighted leaf criteria (what parroting claims)."""
    return [c.text for c in rubric.leaves() if c.text and c.weight > 0]


@dataclass
class ProbeSet:
    """The generated probes of one run.

    Attributes:
        entries: the probes as answers to grade.
        sources: each probe's great answer, by ``(item_id, answer_id)``.
        not_generated: ``{"item_id", "probe", "source", "reason"}`` per kind not built.
    """

    entries: list[CalibrationEntry] = field(default_factory=list)
    sources: dict[tuple[str, str], str] = field(default_factory=dict)
    not_generated: list[dict[str, Any]] = field(default_factory=list)

    def manifest(self) -> dict[str, Any]:
        """``run.json``'s ``probes.adversarial``: the kinds, the padding factor, every probe
        generated (ids, kind, source, length) and every one not generated (why)."""
        return {
            "kinds": list(PROBE_KINDS),
            "pad_factor": PAD_FACTOR,
            "file": PROBES_FILE,
            "generated": [
                {"item_id": e.item_id, "answer_id": e.answer_id,
                 "probe": e.kind.removeprefix(PREFIX) if e.kind else None,
                 "source": self.sources[(e.item_id, e.answer_id)], "chars": len(e.text)}
                for e in self.entries
            ],  # fmt: skip
            "not_generated": self.not_generated,
        }

    def jsonl(self) -> str:
        """``probes.jsonl``: one line per probe, ``item_id, answer_id, tier, kind, source,
        text``."""
        lines = [
            json.dumps({"item_id": e.item_id, "answer_id": e.answer_id, "tier": e.tier,
                        "kind": e.kind, "source": self.sources[(e.item_id, e.answer_id)],
                        "text": e.text}, ensure_ascii=False)  # fmt: skip
            for e in self.entries
        ]
        return "".join(line + "\n" for line in lines)


def adversarial_probes(
    entries: list[CalibrationEntry], rubric: Rubric, source: str = "<calibration set>"
) -> ProbeSet:
    """The adversarial probes of every item of ``entries`` (see the module docstring).

    Raises:
        InputError: a written answer already has a probe's id (rename it).
    """
    out = ProbeSet()
    texts = criteria_texts(rubric)
    items: dict[str, list[CalibrationEntry]] = {}
    for entry in entries:
        items.setdefault(entry.item_id, []).append(entry)
    for item_id, answers in items.items():
        great = [a for a in answers if a.tier == "great"]
        if not great:
            out.not_generated += [{"item_id": item_id, "probe": k, "source": None,
                                   "reason": "the item has no great answer"}
                                  for k in PROBE_KINDS]  # fmt: skip
            continue
        taken = {a.answer_id: a for a in answers}
        question = item_question(great[0].item, rubric.task)
        for great_answer in great:
            built = build_probes(great_answer.text, question=question, criteria=texts)
            for kind, probe in built.items():
                if probe.text is None:
                    out.not_generated.append({"item_id": item_id, "probe": kind,
                                              "source": great_answer.answer_id,
                                              "reason": probe.reason})  # fmt: skip
                    continue
                answer_id = PREFIX + kind + (
                    f":{great_answer.answer_id}" if len(great) > 1 else ""
                )
                if answer_id in taken:
                    raise InputError(
                        f"{source}:{taken[answer_id].line}: item {item_id!r}: answer id "
                        f"{answer_id!r} is the id of a generated probe; rename the answer "
                        f"(ids starting '{PREFIX}' are kept for --probe adversarial)"
                    )
                entry = CalibrationEntry(
                    item_id=item_id, answer_id=answer_id, tier="adversarial",
                    kind=PREFIX + kind, item=great_answer.item, text=probe.text,
                    output_tools=None, line=great_answer.line,
                )  # fmt: skip
                taken[answer_id] = entry
                out.entries.append(entry)
                out.sources[(item_id, answer_id)] = great_answer.answer_id
    return out
