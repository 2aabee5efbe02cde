"""The pieces: schema validation, references, scorer semantics, the Cloud Run body."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from starlette.testclient import TestClient

from rubricate.export.gemini import evaluate
from rubricate.export.gemini.cloudrun import pair_from_body
from rubricate.export.gemini.job import job_problems, schema_problems, tuning_job_schema
from rubricate.export.gemini.references import (
    DECODE_SOURCE,
    item_from_references,
    references_from_item,
)
from rubricate.export.gemini.scorers import compile_composite, translate_prompt
from rubricate.export.gemini.snippet import adapter_clash, code_snippet
from rubricate.export.serve.app import ServeConfig, create_app
from rubricate.judge.calls import ClientSettings
from rubricate.rubrics.compile import compile_rubric
from rubricate.rubrics.lint import load_checked_rubric
from rubricate.testing import FakeOpenAI

JOB = {
    "baseModel": "gemini-2.5-flash",
    "tunedModelDisplayName": "t",
    "reinforcementTuningSpec": {
        "trainingDatasetUri": "gs://b/train.jsonl",
        "compositeRewardConfig": {
            "weightedRewardConfigs": [
                {
                    "rewardConfig": {
                        "rewardName": "a",
                        "stringMatchRewardScorer": {
                            "stringMatchExpression": {
                                "matchOperation": "PARTIAL_MATCH",
                                "expression": "x",
                            },
                            "correctAnswerReward": 1.0,
                        },
                    },
                    "weight": 1.0,
                }
            ]
        },
        "hyperParameters": {"epochCount": "2", "adapterSize": "ADAPTER_SIZE_FOUR"},
    },
}


def _bad(path: list, value: object) -> dict:
    job = copy.deepcopy(JOB)
    node = job
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return job


SPEC = ["reinforcementTuningSpec"]
CONFIG = [*SPEC, "compositeRewardConfig", "weightedRewardConfigs", 0, "rewardConfig"]
BAD = [
    (_bad(["tunedModelName"], "t"), "unknown field 'tunedModelName'; did you mean"),
    (_bad([*SPEC, "hyperParameters", "epochCount"], 2), "must be of type string"),
    (_bad([*SPEC, "hyperParameters", "adapterSize"], "FOUR"), "is not one of"),
    (_bad([*SPEC, "hyperParameters", "batchSize"], "8"), "must be of type integer"),
    (_bad([*CONFIG, "stringMatchRewardScorer", "stringMatchExpression", "matchOperation"],
          "CONTAINS"), "is not one of"),
    (_bad([*CONFIG, "autoraterScorer"], {"autoraterPrompt": "p"}), "exactly one scorer"),
    (_bad([*SPEC, "compositeRewardConfig", "weightedRewardConfigs", 0, "weight"], 0),
     "must be a positive number"),
]  # fmt: skip


def test_the_valid_request_passes_both_validators():
    assert job_problems(JOB) == []
    assert list(jsonschema.Draft202012Validator(tuning_job_schema()).iter_errors(JOB)) == []


@pytest.mark.parametrize(("job", "words"), BAD)
def test_an_invalid_request_is_refused(job: dict, words: str):
    problems = job_problems(job)
    assert any(words in p for p in problems), problems
    if schema_problems(job):  # a schema violation: jsonschema refuses it too
        assert list(jsonschema.Draft202012Validator(tuning_job_schema()).iter_errors(job))


def test_the_schema_names_its_source():
    comment = tuning_job_schema()["$comment"]
    assert "revision 20261106" in comment and "tuningJobs/create" in comment


def test_references_round_trip_and_the_embedded_decoder():
    item = {"id": 7, "task": "Say {{x}}", "domains": ["a", "é"], "n": 1.5, "none": None}
    refs = references_from_item(item)
    assert refs["task"] == "Say {{x}}" and refs["domains"] == '["a", "é"]'
    assert all(isinstance(v, str) for v in refs.values())
    assert item_from_references(refs) == item
    namespace: dict = {}
    exec(DECODE_SOURCE, namespace)
    assert namespace["_rubricate_item"]({"references": refs}) == item


def test_snippet_contract_and_clash():
    source = "def grade(sample, item):\n    return float(sample['output_json']['n'] == item['n'])\n"
    snippet = code_snippet(source, sign=-1)
    namespace: dict = {}
    exec(snippet, namespace)
    example = {"references": references_from_item({"n": 3})}
    assert namespace["evaluate"](example, {"parts": [{"text": '{"n": 3}'}]}) == -1.0
    thought = {"parts": [{"text": "hmm", "thought": True}, {"text": '{"n": 2}'}]}
    assert namespace["evaluate"](example, thought) == 0.0
    assert "'evaluate'" in str(adapter_clash(source + "def evaluate(a, b):\n    return 1\n"))


def test_string_match_semantics():
    values = {"references.answer": "Paris"}
    exact = {"stringMatchExpression": {"matchOperation": "EXACT_MATCH",
                                       "expression": "{{references.answer}}"},
             "correctAnswerReward": 3.0, "wrongAnswerReward": -0.5}  # fmt: skip
    assert evaluate.string_match(exact, "Paris", values) == (1.0, None)  # clipped
    assert evaluate.string_match(exact, "Paris.", values) == (-0.5, None)
    regex = {"stringMatchExpression": {"matchOperation": "REGEX_CONTAINS",
                                       "expression": r"(?i)a\.b \(c\)"},
             "correctAnswerReward": 1.0}  # fmt: skip
    assert evaluate.string_match(regex, "x A.B (C) y", {}) == (1.0, None)
    assert evaluate.string_match(regex, "aXb (c)", {}) == (0.0, None)


def test_autorater_parsing_takes_the_last_match():
    config = {
        "autoraterResponseParseConfig": {
            "parseType": "REGEX_EXTRACT",
            "regexExtractExpression": r'"result"\s*:\s*(-?[0-9]+(?:\.[0-9]+)?)',
        },
        "parsedResponseConversionScorer": {},
    }
    assert evaluate.parse_autorater(config, '{"result": 0} then {"result": 3}', {}) == (1.0, None)
    assert evaluate.parse_autorater(config, "no verdict", {})[0] is None
    exact = {**config, "exactMatchScorer": {"expression": "1", "correctAnswerReward": -1.0}}
    del exact["parsedResponseConversionScorer"]
    assert evaluate.parse_autorater(exact, '{"result": 1}', {}) == (-1.0, None)
    assert evaluate.parse_autorater(exact, '{"result": 1.0}', {}) == (0.0, None)


def test_composite_is_the_weighted_mean_and_errors_win():
    assert evaluate.composite([(0.25, (1.0, None)), (0.75, (0.0, None))]) == (0.25, None)
    assert evaluate.composite([(1.0, (1.0, None)), (1.0, (None, "boom"))]) == (None, "boom")


def test_prompt_translation():
    text = "A {{ sample.output_text }} B {{item.task}} C {{ item.facts.year }}"
    with pytest.raises(ValueError, match="no Gemini placeholder"):
        translate_prompt(text)
    head = "A {{ sample.output_text }} B {{item.task}}"
    assert translate_prompt(head) == "A {{response}} B {{references.task}}"


RUBRIC = """\
rubric: 1
id: capitals
title: Capitals
task: "Name the capital of {{ item.country }}."
judge: {model: gemini-2.5-flash}
criteria:
  - id: names-it
    weight: 2
    check: {contains: "{{ item.capital }}"}
  - id: exact-word
    weight: 1
    check: {contains: "Paris", case_sensitive: true}
  - id: polite
    text: The answer is polite.
    weight: 1
"""


def test_a_literal_contains_is_a_string_match_and_weights_normalise(tmp_path: Path):
    path = tmp_path / "rubric.yaml"
    path.write_text(RUBRIC, encoding="utf-8")
    loaded = load_checked_rubric(path)
    grader = compile_rubric(loaded.rubric)
    compiled = compile_composite(loaded.rubric, grader, "projects/p/locations/l/models/m")
    assert compiled.exact, compiled.inexact + compiled.unsupported
    kinds = {s.name: (s.kind, s.weight) for s in compiled.scorers}
    assert kinds["exact_word"] == ("string_match", 0.25)
    assert kinds["polite"] == ("autorater", 0.25)
    assert kinds["names_it"] == ("code", 0.5)  # ilike: the string check as python
    match = next(s for s in compiled.scorers if s.name == "exact_word").config
    expression = match["stringMatchRewardScorer"]["stringMatchExpression"]
    assert expression == {"matchOperation": "PARTIAL_MATCH", "expression": "Paris"}


CHECK = {
    "type": "string_check",
    "name": "capital",
    "input": "{{ sample.output_text }}",
    "reference": "{{ item.answer }}",
    "operation": "ilike",
}
JUDGED = {
    "type": "multi",
    "name": "quiz",
    "graders": {
        "capital": CHECK,
        "judge": {
            "type": "score_model",
            "name": "judge",
            "model": "gpt-4o-mini",
            "input": [{"role": "user", "content": "Grade: {{ sample.output_text }}"}],
            "range": [0, 1],
        },
    },
    "calculate_output": "0.5 * capital + 0.5 * judge",
}


def _body(answer: str) -> dict:
    example = {
        "contents": [{"role": "user", "parts": [{"text": "Capital of France?"}]}],
        "references": references_from_item({"answer": "paris"}),
    }
    return {"example": example, "response": {"parts": [{"text": answer}]},
            "metadata": {"step": 1, "tuning_job_id": 5}}  # fmt: skip


def test_cloud_run_route(fake_openai: FakeOpenAI, tmp_path: Path):
    settings = ClientSettings(
        base_url=fake_openai.base_url, store_path=str(tmp_path / "c.sqlite"), timeout_s=5,
        max_retries=0,
    )  # fmt: skip
    assert pair_from_body(_body("Paris"))[0] == {"answer": "paris"}
    with TestClient(create_app(ServeConfig(JUDGED, settings=settings))) as client:
        ok = client.post("/gemini", json=_body("Paris [[PASS]]"))
        assert ok.status_code == 200, ok.text
        assert ok.json()["reward"] == 1.0
        aux = json.loads(ok.json()["user_requested_aux_info"])
        assert aux == {"sub_rewards": {"capital": 1.0, "judge": 1.0}}
        assert client.post("/gemini", json={"example": {}}).status_code == 400
        fake_openai.fail(500, times=10)
        failed = client.post("/gemini", json=_body("Lyon"))
        assert failed.status_code == 502  # the judge failed: an error, never a reward of 0
        assert "reward" not in failed.json() and "no reward" in failed.json()["error"]


def test_foreign_imports_are_named():
    from rubricate.export.gemini.prepare import foreign_imports

    assert foreign_imports("import json, re\nfrom numpy import mean\nimport rapidfuzz.fuzz\n") == [
        "numpy",
        "rapidfuzz",
    ]
