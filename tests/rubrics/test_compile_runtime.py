"""Compiled graders run through the local runtime (``rubricate.judge``) end to end.

The judge is a scripted model client: it reads which criterion it was asked about from the
prompt and answers from a verdict table. The runtime's reward must equal the rubric's own
scoring function on the same verdicts, with the python sub-graders really run in the
runtime's sandboxed workers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rubricate.judge.calls import ModelReply, ModelRequest
from rubricate.judge.runtime import Runtime
from rubricate.judge.sample import make_sample
from rubricate.judge.validate import validate_grader as runtime_problems
from rubricate.rubrics.compile import (
    applicable_targets,
    compile_rubric,
    subgrader_plan,
    verdicts_from_subrewards,
)
from rubricate.rubrics.loader import load_rubric
from rubricate.rubrics.scoring import score

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_CRITERION = re.compile(r'<criterion-[0-9a-f]+ id="([^"]+)"')  # tags carry the prompt's nonce


class TableJudge:
    """A model client that answers each criterion from a table (criterion id -> result)."""

    def __init__(self, table: dict[str, float]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def call(self, request: ModelRequest, repeat: int = 0) -> ModelReply:
        system = request.messages[0]["content"]
        match = _CRITERION.search(system)
        assert match, "a per-criterion prompt names its criterion"
        self.asked.append(match.group(1))
        reply = {
            "result": self.table[match.group(1)],
            "steps": [{"description": "d", "conclusion": "c"}],
        }
        return ModelReply(text=json.dumps(reply), model=request.model)


@pytest.mark.parametrize("name", ["accordance_tax", "eurovoc", "citations"])
def test_compiled_graders_have_no_runtime_problems(name: str) -> None:
    rubric = load_rubric(EXAMPLES / name / "rubric.yaml").rubric
    for target in applicable_targets(rubric):
        assert runtime_problems(compile_rubric(rubric, target)) == [], (name, target)


async def test_runtime_reward_equals_the_scoring_function() -> None:
    rubric = load_rubric(EXAMPLES / "accordance_tax" / "rubric.yaml").rubric
    grader = compile_rubric(rubric, "multi")
    great = next(e for e in rubric.examples if e.tier == "great")
    fair = next(e for e in rubric.examples if e.tier == "fair")
    # the judge says "met" per the fair example, on the great answer: checks pass, judges
    # follow the table; a level of 1 for closing-books
    table = {cid: float(v) for cid, v in (fair.verdicts or {}).items()}
    table["closing-books"] = 1.0
    judge = TableJudge(table)
    async with Runtime(judge, python_workers=2) as runtime:
        record = await runtime.grade(grader, {}, make_sample(great.answer))
    assert record.scored, record.error
    subs = dict(record.sub_rewards)
    assert set(subs) == set(grader["graders"])
    assert all(subs[n] == 1.0 for n in grader["graders"] if n.endswith("__gate"))
    expected = score(rubric, verdicts_from_subrewards(rubric, subs))
    # by hand: ownership .05 + allocation .10 + income .15 + alex-basis .10 * (0.6*1 + 0.4*0)
    # + aaa .10 + distributions .10 + barbara-gain .10 (check passes on the great answer)
    # + closing .05 * 1/2 - invents .10
    # = .05 + .10 + .15 + .06 + .10 + .10 + .10 + .025 - .10 = 0.585
    assert expected == pytest.approx(0.585)
    assert record.reward == pytest.approx(expected, abs=1e-12)
    judged = [cid for cid, _, role in subgrader_plan(rubric) if role == "judge"]
    assert sorted(judge.asked) == sorted(judged)  # one call per judged criterion


@pytest.mark.parametrize(
    ("name", "field", "key"),
    [("eurovoc", "domains", "domains"), ("citations", "passages", "passages")],
)
async def test_python_and_multi_targets_run_in_the_sandbox(name: str, field: str, key: str) -> None:
    rubric = load_rubric(EXAMPLES / name / "rubric.yaml").rubric
    item = json.loads((EXAMPLES / name / "items.jsonl").read_text(encoding="utf-8").splitlines()[0])
    gold = item[field]
    half = {key: gold[:1] + ["not in the gold set at all, nothing like it"]}
    async with Runtime(None, python_workers=1) as runtime:
        for target in ["python", "multi"]:
            grader = compile_rubric(rubric, target)
            perfect = await runtime.grade(grader, item, make_sample(json.dumps({key: gold})))
            assert perfect.scored and perfect.reward == 1.0, perfect.error
            partial = await runtime.grade(grader, item, make_sample(json.dumps(half)))
            # P = 1/2, R = 1/len(gold)
            p, r = 0.5, 1 / len(gold)
            assert partial.reward == pytest.approx(2 * p * r / (p + r))
            if target == "multi":
                assert partial.sub_rewards == pytest.approx(
                    {"f1": partial.reward, "precision": p, "recall": r}
                )
