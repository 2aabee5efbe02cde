"""``job.json`` against botocore's service model of ``bedrock`` ``CreateModelCustomizationJob``."""

from __future__ import annotations

from typing import Any

import pytest

from rubricate.export.bedrock.job import (
    PLACEHOLDERS,
    build_job,
    parse_hyperparameters,
    placeholders_in,
    validate_job,
)
from tests.export.bedrock.conftest import MODEL, REAL_LOOKING

LAMBDA_PATH = "customizationConfig.rftConfig.graderConfig.lambdaGrader.lambdaArn"


def _job(**hyper: Any) -> dict[str, Any]:
    return build_job(
        rubric_id="eurovoc-domains", grader_sha256="ab" * 32, model=MODEL,
        hyperparameters=hyper, suffix="v1", environ=REAL_LOOKING,
    )  # fmt: skip


def test_a_complete_job_validates() -> None:
    job = _job(epochCount=2, batchSize=64, reasoningEffort="high", trainingSamplePerPrompt=4)
    assert job["jobName"] == "eurovoc-domains-v1-abababab"
    assert validate_job(job) == []
    assert placeholders_in(job) == []


def test_placeholders_are_explicit_and_found() -> None:
    job = build_job(rubric_id="r", grader_sha256="0" * 64, model=MODEL, hyperparameters={},
                    suffix=None, environ={})  # fmt: skip
    assert job["roleArn"] == PLACEHOLDERS["RUBRICATE_BEDROCK_ROLE_ARN"]
    assert set(placeholders_in(job)) == {
        "roleArn", "trainingDataConfig.s3Uri", "validationDataConfig.validators[0].s3Uri",
        "outputDataConfig.s3Uri", LAMBDA_PATH,
    }  # fmt: skip
    assert validate_job(job) == []  # placeholders have the right types; patterns are skipped


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda j: j.pop("roleArn"), 'Missing required parameter in input: "roleArn"'),
        (lambda j: j.update(customizationType="RFT"), "'RFT' is not one of"),
        (lambda j: j.update(jobName="bad name!"), "jobName: 'bad name!' does not match"),
        (lambda j: j.update(unknownField=1), "Unknown parameter in input"),
        (
            lambda j: j["customizationConfig"]["rftConfig"].update(
                hyperParameters={"batchSize": 8}
            ),
            "batchSize, value: 8, valid min value: 16",
        ),
        (
            lambda j: j["customizationConfig"]["rftConfig"].update(
                hyperParameters={"epochCount": "two"}
            ),
            "Invalid type for parameter customizationConfig.rftConfig.hyperParameters.epochCount",
        ),
        (lambda j: j["trainingDataConfig"].update(s3Uri=5), "trainingDataConfig.s3Uri"),
    ],
)
def test_an_invalid_job_is_refused(change: Any, words: str) -> None:
    job = _job()
    change(job)
    problems = validate_job(job)
    assert problems and any(words in p for p in problems), problems


def test_hyperparameters_are_typed_by_the_model() -> None:
    values, problems = parse_hyperparameters(
        ["epochCount=3", "learningRate=1e-5", "reasoningEffort=low", "batchsize=64", "x"]
    )
    assert values == {"epochCount": 3, "learningRate": 1e-5, "reasoningEffort": "low"}
    assert any("batchsize" in p and "did you mean batchSize" in p for p in problems)
    assert any("'x': write name=value" in p for p in problems)
