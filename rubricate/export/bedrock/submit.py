"""``--submit`` for Bedrock: upload the rows to S3 and create the RFT job, with boto3.

Steps: read ``job.json``; refuse it while a placeholder is left (:mod:`.job`); ``put_object``
``train.jsonl`` and ``valid.jsonl`` to the ``s3Uri`` values of the request; call
``bedrock.create_model_customization_job(**job)`` (boto3 ``bedrock`` client, Amazon Bedrock API
Reference "CreateModelCustomizationJob"). The reward Lambda must already be deployed at the
request's ``lambdaArn`` (the bundle's README shows the ``aws lambda create-function`` command).
Credentials and region are boto3's own (its environment, profile or role); rubricate never
reads or stores them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rubricate.errors import ExportError
from rubricate.export.bedrock.job import placeholders_in


def _split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ExportError(f"job.json: {uri!r} is not an s3://bucket/key URI")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def _clients(bedrock: Any, s3: Any) -> tuple[Any, Any]:
    if bedrock is not None and s3 is not None:
        return bedrock, s3
    try:
        import boto3  # deferred: the optional extra ``rubricate[bedrock]``
    except ImportError:
        raise ExportError(
            "--submit --platform bedrock needs boto3: pip install 'rubricate[bedrock]'"
        ) from None
    return bedrock or boto3.client("bedrock"), s3 or boto3.client("s3")


def submit_bundle(out: Path, *, bedrock: Any = None, s3: Any = None) -> dict[str, Any]:
    """Upload the rows and create the job; ``{"job_id": <jobArn>, "status", ...}``.

    Args:
        out: the bundle folder.
        bedrock, s3: boto3 clients to use (default: new ones from boto3's configuration).

    Raises:
        ExportError: placeholders left in job.json, boto3 missing, or AWS refused a call.
    """
    out = Path(out)
    job = json.loads((out / "job.json").read_text(encoding="utf-8"))
    left = placeholders_in(job)
    if left:
        raise ExportError(
            f"{out / 'job.json'}: placeholders left in {', '.join(left)}; set "
            "RUBRICATE_BEDROCK_ROLE_ARN, RUBRICATE_BEDROCK_LAMBDA_ARN and RUBRICATE_BEDROCK_S3_URI "
            "and export again"
        )
    bedrock, s3 = _clients(bedrock, s3)
    from botocore.exceptions import BotoCoreError, ClientError

    uploads = {
        "train.jsonl": job["trainingDataConfig"]["s3Uri"],
        "valid.jsonl": job["validationDataConfig"]["validators"][0]["s3Uri"],
    }
    try:
        for name, uri in uploads.items():
            bucket, key = _split_s3(uri)
            s3.put_object(Bucket=bucket, Key=key, Body=(out / name).read_bytes())
        response = bedrock.create_model_customization_job(**job)
    except (BotoCoreError, ClientError) as error:
        raise ExportError(f"Bedrock refused the job: {error}") from None
    return {
        "job_id": response["jobArn"],
        "status": "submitted",
        "platform": "bedrock",
        "uploaded": uploads,
        "follow": f"aws bedrock get-model-customization-job --job-identifier {response['jobArn']}",
    }
