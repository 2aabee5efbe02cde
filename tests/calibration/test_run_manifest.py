"""The run.json fields calibrate and baseline share, and the exact grader both run."""

from __future__ import annotations

import json

from rubricate.calibration.run.manifest import client_dump, judge_model, run_usage
from rubricate.judge.calls import ClientSettings
from rubricate.rubrics.compile import compile_exact, compile_rubric, default_target, grader_json
from rubricate.rubrics.model import Rubric

RUBRIC = Rubric.model_validate(
    {
        "rubric": 1,
        "id": "memo",
        "title": "Memo",
        "criteria": [
            {"id": "total", "text": "States the total", "weight": 1, "check": {"numbers": ["42"]}},
            {"id": "tone", "text": "Is polite", "weight": 1},
        ],
    }
)


def test_client_dump_keeps_no_credentials_from_the_base_url() -> None:
    settings = ClientSettings(base_url="http://user:secret@LocalHost:8000/v1?api-key=k#frag")
    dumped = client_dump(settings)
    assert dumped["base_url"] == "http://localhost:8000/v1"
    assert "secret" not in json.dumps(dumped) and "api-key" not in json.dumps(dumped)


def test_judge_model_is_the_first_model_grader_of_a_multi() -> None:
    grader = {"type": "multi", "graders": {
        "a": {"type": "python", "source": "..."},
        "b": {"type": "score_model", "model": "m-1"},
        "c": {"type": "label_model", "model": "m-2"},
    }}  # fmt: skip
    assert judge_model(grader) == "m-1"
    assert judge_model({"type": "label_model", "model": "m-3"}) == "m-3"
    assert judge_model({"type": "python", "source": "..."}) is None


def test_run_usage_without_a_client_counts_nothing() -> None:
    usage = run_usage(None, 1.23456)
    assert usage["calls"] == 0 and usage["cost_usd"] == 0
    assert usage["errors"] == {} and usage["unpriced"] == []
    assert usage["wall_s"] == 1.235


def test_compile_exact_runs_the_bytes_it_writes() -> None:
    target, grader, text = compile_exact(RUBRIC)
    assert target == default_target(RUBRIC)
    assert text == grader_json(compile_rubric(RUBRIC, target))
    assert grader == json.loads(text)
    chosen, _, other = compile_exact(RUBRIC, "score_model")
    assert chosen == "score_model" and other == grader_json(compile_rubric(RUBRIC, "score_model"))
