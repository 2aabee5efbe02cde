"""The (item, sample) pairs every target is run on, and the rewards ``rubricate grade`` gives.

Four cases: the three shipped examples (``accordance_tax`` judged by the loopback server,
``citations`` and ``eurovoc`` graded by python graders) and ``judged``, a small judged rubric
whose samples include a judge call that always fails (HTTP 500) and a judge reply that never
parses. Each item gets :data:`SAMPLES_PER_ITEM` samples: a good answer, a partial one, and one
that does not parse as the answer format (or whose judge call fails). The expected rewards
come from the real ``rubricate grade`` command on the same pairs (``None``: unscored).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rubricate.cli import run
from rubricate.testing import FakeOpenAI, Fault

ROOT = Path(__file__).resolve().parents[2]
CASES = ["accordance_tax", "citations", "eurovoc", "judged"]
SAMPLES_PER_ITEM = 4
JUDGE_DOWN = "[[JUDGE-DOWN]]"
"""A sample holding this marker: every judge call about it answers HTTP 500."""
BAD_REPLY = "[[BAD-REPLY]]"
"""A sample holding this marker: every judge reply about it is not a verdict."""

JUDGED_RUBRIC = """\
rubric: 1
id: judged-refund
title: Refund reply (judged)
task: |
  A customer asks for a refund of order {{ item.order }} ({{ item.note }}). Reply in one
  paragraph and state the amount.
judge:
  model: judge-model
criteria:
  - id: facts
    text: States that the order is within the 30-day window.
    weight: 0.5
  - id: amount
    text: States the refund amount.
    weight: 0.5
    check: {numbers: ["$120"]}
"""

JUDGED_ITEMS = [
    # fields promptfoo treats specially when they are top-level test variables: a list of
    # strings (one test per element), a trailing newline (cut), "{{ name }}" (filled in), a
    # "file://" path (read from disk); the grader's item must reach it untouched
    {
        "id": "late-order",
        "order": "A-17",
        "note": "asked twice\n",
        "tags": ["late", "refund"],
        "ref": "see {{ order }}",
    },
    {"id": "gift-card", "order": "B-2", "note": "file://no-such-file.txt", "tags": ["gift"]},
    {"id": "duplicate", "order": "C-9", "note": "paid twice", "tags": ["refund", "double"]},
]


@dataclass
class Case:
    """One row of the conformance table: a rubric, its items and the samples graded."""

    name: str
    rubric: Path
    items_path: Path
    items: list[dict[str, Any]]
    samples: list[list[str]]
    """``samples[i][k]``: the k-th sample of item i."""
    expected: list[float | None] = field(default_factory=list)
    """``rubricate grade``'s reward per pair, in :meth:`pairs` order (None: unscored)."""

    def pairs(self) -> list[tuple[int, int]]:
        """``(item index, sample index)`` of every pair, item-major."""
        return [(i, k) for i in range(len(self.items)) for k in range(len(self.samples[i]))]

    def sample_of(self, item_id: str, k: int) -> str:
        index = next(i for i, item in enumerate(self.items) if item["id"] == item_id)
        return self.samples[index][k]


def _read_items(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _samples(name: str, item: dict[str, Any]) -> list[str]:
    if name == "eurovoc":
        gold = item["domains"]
        return [
            json.dumps({"domains": gold}),
            json.dumps({"domains": gold[:1] + ["transport"]}),
            f"The act is about {gold[0]}.",  # not JSON: the platform's reward is 0
            "```json\n" + json.dumps({"domains": gold[:1]}) + "\n```",
        ]
    if name == "citations":
        gold = item["passages"]
        return [
            json.dumps({"passages": gold}),
            json.dumps({"passages": gold[:1] + ["Nothing else applies."]}),
            "The tenant may end the lease early.",
            json.dumps({"passages": []}),
        ]
    if name == "accordance_tax":
        memo = (ROOT / "examples" / "accordance_tax" / "README.md").read_text("utf-8")
        return [memo + "\n[[PASS]]", memo, "Nothing to allocate.", f"{BAD_REPLY} {memo[:400]}"]
    return [
        "[[PASS]] Your refund of $120 is due: the order is 12 days old.",
        "Your refund of $120 is due.",
        f"{JUDGE_DOWN} Your refund of $120 is due.",
        f"{BAD_REPLY} [[PASS]] We refund $120.",
    ]


def build(name: str, folder: Path) -> Case:
    """The case ``name``, its files written under ``folder`` (the judged rubric and its items)."""
    folder.mkdir(parents=True, exist_ok=True)
    if name == "judged":
        rubric = folder / "judged.yaml"
        rubric.write_text(JUDGED_RUBRIC, encoding="utf-8")
        items_path = folder / "judged_items.jsonl"
        items_path.write_text("".join(json.dumps(i) + "\n" for i in JUDGED_ITEMS), "utf-8")
    else:
        rubric = ROOT / "examples" / name / "rubric.yaml"
        items_path = ROOT / "examples" / name / "items.jsonl"
    items = _read_items(items_path)
    return Case(name, rubric, items_path, items, [_samples(name, item) for item in items])


def script_judge(fake: FakeOpenAI) -> None:
    """The loopback judge's faults for the marked samples (for every call, however retried)."""
    fake.fault(Fault.status(500, message="judge down"), times=1_000_000, match=JUDGE_DOWN)
    fake.fault(Fault.reply_text("I would rather not say."), times=1_000_000, match=BAD_REPLY)


def expected_rewards(case: Case, fake: FakeOpenAI, folder: Path) -> list[float | None]:
    """``rubricate grade``'s rewards on the case's pairs (the real command, in process)."""
    samples = folder / f"{case.name}_samples.jsonl"
    samples.write_text(
        "".join(
            json.dumps({"item_id": case.items[i]["id"], "output_text": case.samples[i][k]}) + "\n"
            for i, k in case.pairs()
        ),
        encoding="utf-8",
    )
    out = folder / f"{case.name}_records.jsonl"
    code = run(
        ["grade", str(case.rubric), "--items", str(case.items_path), "--samples", str(samples),
         "--out", str(out), "--base-url", fake.base_url, "--store", "none", "--max-retries", "0",
         "--max-unscored", "1"]  # the case fails some samples on purpose
    )  # fmt: skip
    assert code == 0, f"rubricate grade exited {code}"
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    case.expected = [r["reward"] if r["scored"] else None for r in records]
    return case.expected
