"""The (item, sample) pairs every trainer conformance test grades, and ``rubricate grade``'s
rewards for them (the expected side of each table cell).

A case is a rubric with a few items and, per item, the same number of samples: the
calibration answers of the shipped examples (great, fair, poor), plus one that fails: an
answer that does not parse for the examples graded by checks, and for the judged ones an
answer whose judge call fails (the loopback judge replies with text that is not a verdict
for every prompt holding :data:`JUDGE_BROKEN`). The judged rubric (``judged/``) is holistic
(one ``score_model`` call, the loopback's ``[[SCORE=x]]`` convention sets the score).

Expected rewards come from the real command line, ``rubricate grade RUBRIC --items
--samples --json``, against the same loopback server the tools talk to; an unscored sample
is ``None`` (what every tool must show as "no reward" or refuse, never a number).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rubricate.testing import FakeOpenAI
from rubricate.testing.pytest_plugin import FAKE_API_KEY
from rubricate.testing.script import Fault

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
JUDGE_BROKEN = "[[JUDGE-BROKEN]]"
"""A sample holding this marker gets a judge reply that is not a verdict, every time."""
EXAMPLES = ("accordance_tax", "eurovoc", "citations", "judged")
SAMPLES_PER_ITEM = 4
POLICY_MODEL = "conformance-policy"
"""The model name the tools' generation requests use (verifiers asks the loopback for it)."""


@dataclass
class Case:
    """One example: its rubric, items and samples (``samples[i]`` answers ``items[i // G]``)."""

    name: str
    rubric: Path
    items: list[dict[str, Any]]
    samples: dict[str, list[str]]
    """Item id -> its samples, :data:`SAMPLES_PER_ITEM` each."""
    expected: dict[tuple[str, str], Expected] = field(default_factory=dict)
    """(item id, sample text) -> what ``rubricate grade`` gave."""

    @property
    def judged(self) -> bool:
        return self.name in ("accordance_tax", "judged")

    def write(self, folder: Path) -> tuple[Path, Path]:
        """``items.jsonl`` and ``samples.jsonl`` (``item_id``, ``output_text``) in ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        items = folder / "items.jsonl"
        items.write_text("".join(json.dumps(i) + "\n" for i in self.items), encoding="utf-8")
        samples = folder / "samples.jsonl"
        lines = [
            json.dumps({"item_id": item_id, "output_text": text})
            for item_id, texts in self.samples.items()
            for text in texts
        ]
        samples.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return items, samples

    def pairs(self) -> list[tuple[str, str]]:
        return [(i, t) for i, texts in self.samples.items() for t in texts]


@dataclass(frozen=True)
class Expected:
    reward: float | None
    sub_rewards: dict[str, float]


def _broken(name: str, item: dict[str, Any]) -> str:
    if name == "eurovoc":
        return '{"domains": ["trade", "law"'  # cut off: not JSON
    if name == "citations":
        return "The tenant may break the lease; see clause 7."  # prose, no JSON
    return f"A memo the judge cannot read. {JUDGE_BROKEN}"


def _calibration_case(name: str, n_items: int) -> Case:
    folder = ROOT / "examples" / name
    lines = folder.joinpath("calibration.jsonl").read_text(encoding="utf-8").splitlines()
    items, samples = [], {}
    for line in lines[:n_items]:
        row = json.loads(line)
        answers = [a["text"] for a in row.pop("answers")][: SAMPLES_PER_ITEM - 1]
        if name == "accordance_tax":  # the loopback judge: a criterion is met on [[PASS]]
            answers[0] += " [[PASS]]"
        items.append(row)
        samples[row["id"]] = [*answers, _broken(name, row)]
    return Case(name, folder / "rubric.yaml", items, samples)


def _judged_case() -> Case:
    lines = HERE.joinpath("judged", "items.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines]
    samples = {
        item["id"]: [
            f"A full answer to {item['id']}. [[SCORE=0.9]]",
            "A partial answer. [[SCORE=0.35]]",
            "An answer the judge scores out of range. [[SCORE=1.7]]",
            f"An answer whose judge call fails. {JUDGE_BROKEN}",
        ]
        for item in items
    }
    return Case("judged", HERE / "judged" / "rubric.yaml", items, samples)


def build_cases() -> dict[str, Case]:
    """Every case, without expected rewards yet (see :func:`grade_expected`)."""
    return {
        "accordance_tax": _calibration_case("accordance_tax", 2),
        "eurovoc": _calibration_case("eurovoc", 3),
        "citations": _calibration_case("citations", 3),
        "judged": _judged_case(),
    }


def script_judge(server: FakeOpenAI) -> None:
    """The loopback judge's failures: every prompt with :data:`JUDGE_BROKEN` gets a reply
    that is not a verdict (a parse failure on every attempt and retry)."""
    server.fault(Fault.reply_text("I would rather not say."), times=1_000_000, match=JUDGE_BROKEN)


def tool_env(server: FakeOpenAI, **extra: str) -> dict[str, str]:
    """The environment a tool process runs in: the loopback judge, no call store (every
    grade is a real call), one client retry."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "AZURE_OPENAI_", "RUBRICATE_"))
    }
    env.update(
        OPENAI_BASE_URL=server.base_url,
        OPENAI_API_KEY=FAKE_API_KEY,
        RUBRICATE_STORE="none",
        RUBRICATE_MAX_RETRIES="1",
        RUBRICATE_TIMEOUT="30",
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        **extra,
    )
    return env


def grade_expected(case: Case, server: FakeOpenAI, folder: Path) -> None:
    """Run ``rubricate grade`` on the case's pairs and fill ``case.expected``.

    Raises:
        AssertionError: the command failed or gave another number of records.
    """
    items, samples = case.write(folder)
    command = [
        sys.executable,
        "-m",
        "rubricate.cli",
        "grade",
        str(case.rubric),
        "--items",
        str(items),
        "--samples",
        str(samples),
        "--json",
        "--no-cache",
        "--store",
        str(folder / "grade-calls.sqlite"),
        "--max-retries",
        "1",
        "--max-unscored",
        "1",  # the cases fail some samples on purpose: their rewards are compared too
    ]
    done = subprocess.run(
        command, env=tool_env(server), capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)["records"]
    pairs = case.pairs()
    assert len(records) == len(pairs)
    for (item_id, text), record in zip(pairs, records, strict=True):
        reward = record["reward"] if record["scored"] else None
        case.expected[(item_id, text)] = Expected(reward, dict(record.get("sub_rewards") or {}))
