"""``job.json``: the ``CreateModelCustomizationJob`` request of a Bedrock RFT job.

The request (Amazon Bedrock API Reference, CreateModelCustomizationJob; User Guide "Create and
manage fine-tuning jobs for Amazon Nova models",
https://docs.aws.amazon.com/bedrock/latest/userguide/rft-submit-job.html):
``customizationType`` ``REINFORCEMENT_FINE_TUNING``, ``customizationConfig.rftConfig`` with
``graderConfig.lambdaGrader.lambdaArn`` and ``hyperParameters``, the training and validation
data on S3, the output location and the service role.

What rubricate cannot know comes from the environment, by these names (never credentials):

- ``RUBRICATE_BEDROCK_ROLE_ARN``: the model customization service role;
- ``RUBRICATE_BEDROCK_LAMBDA_ARN``: the reward Lambda (``lambda.zip`` deployed);
- ``RUBRICATE_BEDROCK_S3_URI``: an S3 prefix ``s3://bucket/prefix``; the rows go to
  ``<prefix>/train.jsonl`` and ``<prefix>/valid.jsonl``, the job's output to ``<prefix>/output/``.

Unset, each is an explicit placeholder in angle brackets (:data:`PLACEHOLDERS`) and the export
warns; ``--submit`` refuses a request that still has one.

The request is validated against botocore's own service model of ``bedrock`` (the input shape
of ``CreateModelCustomizationJob``): :func:`botocore.validate.validate_parameters` (members,
types, required fields, lengths and ranges), then each string's ``pattern`` and ``enum`` from the
same model, which botocore's validator leaves to the service.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from typing import Any

ROLE_ENV = "RUBRICATE_BEDROCK_ROLE_ARN"
LAMBDA_ENV = "RUBRICATE_BEDROCK_LAMBDA_ARN"
S3_ENV = "RUBRICATE_BEDROCK_S3_URI"
PLACEHOLDERS = {
    ROLE_ENV: "arn:aws:iam::<ACCOUNT_ID>:role/<BEDROCK_RFT_SERVICE_ROLE>",
    LAMBDA_ENV: "arn:aws:lambda:<REGION>:<ACCOUNT_ID>:function:<REWARD_FUNCTION_NAME>",
    S3_ENV: "s3://<BUCKET>/<PREFIX>",
}
OPERATION = "CreateModelCustomizationJob"


def is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and "<" in value and ">" in value


def placeholders_in(value: Any, path: str = "") -> list[str]:
    """Paths of the placeholder strings in a request."""
    if isinstance(value, dict):
        return [
            p for k, v in value.items() for p in placeholders_in(v, f"{path}.{k}" if path else k)
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in placeholders_in(v, f"{path}[{i}]")]
    return [path] if is_placeholder(value) else []


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The three values from the environment, placeholders where unset."""
    env = os.environ if environ is None else environ
    return {name: (env.get(name) or "").strip() or PLACEHOLDERS[name] for name in PLACEHOLDERS}


def _slug(text: str, limit: int) -> str:
    slug = re.sub(r"[^0-9a-zA-Z]+", "-", text).strip("-") or "rubric"
    return slug[:limit].rstrip("-")


def build_job(
    *,
    rubric_id: str,
    grader_sha256: str,
    model: str,
    hyperparameters: Mapping[str, Any],
    suffix: str | None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The request; names are ``<rubric id>[-<suffix>]-<grader sha256[:8]>`` (one per grader)."""
    values = settings_from_env(environ)
    prefix = values[S3_ENV].rstrip("/")
    tail = f"-{_slug(suffix, 20)}" if suffix else ""
    name = f"{_slug(rubric_id, 63 - len(tail) - 9)}{tail}-{grader_sha256[:8]}"
    rft: dict[str, Any] = {"graderConfig": {"lambdaGrader": {"lambdaArn": values[LAMBDA_ENV]}}}
    if hyperparameters:
        rft["hyperParameters"] = dict(hyperparameters)
    return {
        "jobName": name,
        "customModelName": name.replace("--", "-"),
        "roleArn": values[ROLE_ENV],
        "baseModelIdentifier": model,
        "customizationType": "REINFORCEMENT_FINE_TUNING",
        "trainingDataConfig": {"s3Uri": f"{prefix}/train.jsonl"},
        "validationDataConfig": {"validators": [{"s3Uri": f"{prefix}/valid.jsonl"}]},
        "outputDataConfig": {"s3Uri": f"{prefix}/output/"},
        "customizationConfig": {"rftConfig": rft},
    }


def input_shape() -> Any:
    """botocore's input shape of ``bedrock`` ``CreateModelCustomizationJob`` (no network).

    Raises:
        ImportError: botocore is not installed.
    """
    import botocore
    import botocore.session  # deferred: the optional extra ``rubricate[bedrock]``

    model = botocore.session.get_session().get_service_model("bedrock")
    shape = model.operation_model(OPERATION).input_shape
    config = shape.members["customizationConfig"]
    if "rftConfig" not in config.members:
        raise ImportError(
            f"botocore {botocore.__version__} predates Bedrock RFT (no rftConfig): "
            "pip install -U 'rubricate[bedrock]'"
        )
    return shape


def hyperparameter_shape() -> Any:
    shape = input_shape().members["customizationConfig"].members["rftConfig"]
    return shape.members["hyperParameters"]


def parse_hyperparameters(pairs: list[str]) -> tuple[dict[str, Any], list[str]]:
    """``--hyperparameters name=value`` with Bedrock's names (``epochCount``, ``batchSize``,
    ``learningRate``, ...), typed by botocore's model; returns ``(values, problems)``."""
    shape = hyperparameter_shape()
    members = shape.members
    values: dict[str, Any] = {}
    problems: list[str] = []
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name:
            problems.append(f"{pair!r}: write name=value")
            continue
        if name not in members:
            close = difflib.get_close_matches(name, list(members), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            problems.append(
                f"{name}: not a Bedrock RFT hyperparameter (one of {', '.join(members)}){hint}"
            )
            continue
        kind = members[name].type_name
        try:
            values[name] = (
                int(raw)
                if kind in ("integer", "long")
                else (float(raw) if kind in ("float", "double") else raw)
            )
        except ValueError:
            problems.append(f"{name}={raw!r}: must be a {kind}")
    return values, problems


def _extra_problems(value: Any, shape: Any, path: str) -> list[str]:
    """``pattern`` and ``enum`` checks from the model (botocore's validator skips them)."""
    out: list[str] = []
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for key, member in value.items():
            if key in shape.members:
                out += _extra_problems(member, shape.members[key], f"{path}.{key}".lstrip("."))
    elif kind == "list" and isinstance(value, list):
        for index, member in enumerate(value):
            out += _extra_problems(member, shape.member, f"{path}[{index}]")
    elif kind == "string" and isinstance(value, str) and not is_placeholder(value):
        enum = getattr(shape, "enum", None) or []
        if enum and value not in enum:
            out.append(f"{path}: {value!r} is not one of {', '.join(enum)}")
        pattern = shape.metadata.get("pattern")
        if pattern and not re.fullmatch(pattern, value):
            out.append(f"{path}: {value!r} does not match the pattern {pattern}")
    return out


def validate_job(job: Mapping[str, Any]) -> list[str]:
    """Every problem botocore's model finds in ``job`` (empty when it validates).

    Raises:
        ImportError: botocore is not installed.
    """
    from botocore.exceptions import ParamValidationError
    from botocore.validate import validate_parameters

    shape = input_shape()
    problems: list[str] = []
    try:
        validate_parameters(dict(job), shape)
    except ParamValidationError as error:
        report = str(error.kwargs.get("report", error))
        problems += [
            line.strip()
            for line in report.splitlines()
            if line.strip() and not line.startswith("Parameter validation failed")
        ]
    return problems + _extra_problems(dict(job), shape, "")
