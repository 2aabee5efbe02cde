"""Compiled graders stay byte for byte what they were: a refactoring (issue 17's layout move,
say) must not change a grader that a calibration already proved. The SHA-256 of every shipped
example's grader for every applicable target is recorded in compiled_graders.sha256.json;
a deliberate change of the compiler regenerates that file in the same commit, and says why."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rubricate.rubrics.compile import applicable_targets, compile_rubric, grader_json
from rubricate.rubrics.lint import load_checked_rubric

ROOT = Path(__file__).resolve().parents[2]
RECORDED = json.loads((Path(__file__).with_name("compiled_graders.sha256.json")).read_text())


def test_every_example_compiles_to_the_recorded_bytes() -> None:
    found = {}
    for example in sorted((ROOT / "examples").iterdir()):
        rubric = load_checked_rubric(example / "rubric.yaml").rubric
        for target in applicable_targets(rubric):
            text = grader_json(compile_rubric(rubric, target))
            found[f"{example.name}/{target}"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert found == RECORDED
