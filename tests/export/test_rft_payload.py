"""The jobs.create payload: shape, response formats, and validation against openai's types."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from rubricate.datasets.response_format import response_format_from
from rubricate.errors import ExportError, GraderError
from rubricate.export.rft.payload import (
    TRAINING_FILE,
    VALIDATION_FILE,
    fill_files,
    job_payload,
    validate_payload,
    without_pass_threshold,
)
from rubricate.rubrics.compile import compile_rubric
from rubricate.rubrics.loader import load_rubric

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STRING_CHECK = {
    "type": "string_check",
    "name": "label",
    "input": "{{ sample.output_json.label }}",
    "reference": "{{ item.label }}",
    "operation": "eq",
}
SCHEMA = {
    "type": "object",
    "properties": {"label": {"type": "string", "enum": ["positive", "negative"]}},
    "required": ["label"],
    "additionalProperties": False,
}


def test_payload_shape_and_file_placeholders() -> None:
    response_format = response_format_from(SCHEMA, "review sentiment!")
    payload = job_payload(
        model="o4-mini-2025-04-16",
        grader=STRING_CHECK,
        hyperparameters={"n_epochs": 2, "reasoning_effort": "low"},
        response_format=response_format,
        suffix="sentiment",
        seed=7,
    )
    assert payload == {
        "model": "o4-mini-2025-04-16",
        "training_file": TRAINING_FILE,
        "validation_file": VALIDATION_FILE,
        "suffix": "sentiment",
        "seed": 7,
        "method": {
            "type": "reinforcement",
            "reinforcement": {
                "grader": STRING_CHECK,
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "review_sentiment_", "schema": SCHEMA, "strict": True},
                },
                "hyperparameters": {"n_epochs": 2, "reasoning_effort": "low"},
            },
        },
    }
    validate_payload(payload)
    filled = fill_files(payload, "file-a", "file-b")
    assert (filled["training_file"], filled["validation_file"]) == ("file-a", "file-b")
    assert payload["training_file"] == TRAINING_FILE  # not mutated


@pytest.mark.parametrize("example", ["accordance_tax", "citations", "eurovoc"])
@pytest.mark.parametrize("target", ["multi", "score_model", "python"])
def test_every_example_grader_validates_as_a_job(example: str, target: str) -> None:
    rubric = load_rubric(EXAMPLES / example / "rubric.yaml").rubric
    try:
        grader = compile_rubric(rubric, target)  # type: ignore[arg-type]
    except GraderError:
        pytest.skip(f"{example} has no {target} grader")
    stripped, removed = without_pass_threshold(grader)
    assert removed == [] and stripped == grader  # compile emits no pass_threshold
    validate_payload(job_payload(model="o4-mini-2025-04-16", grader=stripped))


def test_pass_threshold_is_removed_from_the_job_copy_only() -> None:
    grader = {
        "type": "multi",
        "name": "m",
        "graders": {"a": {**STRING_CHECK, "pass_threshold": 0.5}},
        "calculate_output": "a",
        "pass_threshold": 0.8,
    }
    before = copy.deepcopy(grader)
    stripped, removed = without_pass_threshold(grader)
    assert sorted(removed) == ["grader.graders.a.pass_threshold", "grader.pass_threshold"]
    assert "pass_threshold" not in stripped and "pass_threshold" not in stripped["graders"]["a"]
    assert grader == before


def test_response_format_shapes() -> None:
    nested = {"type": "json_schema", "json_schema": {"name": "x", "schema": SCHEMA, "strict": True}}
    flat = {"type": "json_schema", "name": "x", "schema": SCHEMA, "strict": True}
    assert response_format_from(nested, "ignored") == nested
    assert response_format_from(flat, "ignored") == nested  # Azure guide's flat shape, rewritten
    loose = {"type": "object", "properties": {"a": {"type": "string"}}}
    relaxed = {
        "type": "json_schema",
        "json_schema": {"name": "x", "schema": loose, "strict": False},
    }
    assert response_format_from(relaxed, "x") == relaxed


STRICT_FIX = 'fix the schema or set "strict": false'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            "response format: strict Structured Outputs need schema: set additionalProperties "
            f"to false; {STRICT_FIX}",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
                "required": ["a"],
                "additionalProperties": False,
            },
            "response format: strict Structured Outputs need schema: list every property in "
            f"required (missing ['b']); {STRICT_FIX}",
        ),
        (
            {"type": "json_schema", "json_schema": {"name": "bad name", "schema": SCHEMA}},
            "response format: json_schema.name 'bad name' must be letters, digits, _ or -, at "
            "most 64 characters",
        ),
        (
            {"type": "json_schema", "json_schema": {"name": "x", "schema": SCHEMA, "strcit": 1}},
            "response format: json_schema has unknown keys strcit",
        ),
        (
            {"type": "text"},
            "response format: type 'text' needs no schema file; give a json_schema response "
            "format or a JSON Schema, or leave --response-format out for text",
        ),
        ([1, 2], "response format: must be a JSON object"),
    ],
)
def test_bad_response_formats(data: object, message: str) -> None:
    with pytest.raises(ExportError) as caught:
        response_format_from(data, "x")
    assert caught.value.msg == message


def _base() -> dict:
    return job_payload(model="o4-mini-2025-04-16", grader=copy.deepcopy(STRING_CHECK))


def _set(*path: str, **values: object):
    def mutate(payload: dict) -> None:
        node = payload
        for key in path:
            node = node[key]
        node.update(values)

    return mutate


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_set(epochs=3), "job payload: the job has keys the API does not define: epochs"),
        (_set("method", type="supervised"), 'job payload: method.type must be "reinforcement"'),
        (
            _set("method", "reinforcement", grader_config={}),
            "job payload: method.reinforcement has keys the API does not define: grader_config",
        ),
        (
            _set("method", "reinforcement", hyperparameters={"n_epochs": 0}),
            'job payload: hyperparameters.n_epochs=0: must be "auto" or an integer from 1 to 50',
        ),
        (
            _set("method", "reinforcement", hyperparameters={"reasoning_effort": "max"}),
            "job payload: hyperparameters.reasoning_effort: Input should be 'default', 'low', "
            "'medium' or 'high'",
        ),
        (_set(suffix="x" * 65), "job payload: suffix must be 1 to 64 characters"),
        (_set(seed=-1), "job payload: seed must be an integer from 0 to 2147483647"),
        (_set(model=5), "job payload: model: Input should be a valid string"),
    ],
)
def test_payload_validation_refuses(mutate, message: str) -> None:
    payload = _base()
    mutate(payload)
    with pytest.raises(ExportError) as caught:
        validate_payload(payload)
    assert caught.value.msg.startswith(message), caught.value.msg


def test_a_bad_grader_is_a_grader_error() -> None:
    payload = _base()
    payload["method"]["reinforcement"]["grader"]["operation"] = "equals"
    with pytest.raises(GraderError, match="operation"):
        validate_payload(payload)


def test_payload_is_json_serialisable_and_stable() -> None:
    payload = _base()
    assert json.loads(json.dumps(payload)) == payload
