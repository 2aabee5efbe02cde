"""The Bedrock bundle's ``README.md``: what is in it, how to deploy and submit it."""

from __future__ import annotations

from typing import Any

from rubricate.export.bedrock.job import LAMBDA_ENV, ROLE_ENV, S3_ENV


def render_readme(manifest: dict[str, Any], job: dict[str, Any], out: str) -> str:
    grader, package = manifest["grader"], manifest["lambda"]
    calibration = manifest.get("calibration")
    vetted = (
        f"calibration run `{calibration.get('path')}` graded these exact bytes"
        if calibration
        else "no calibration run graded these bytes (run `rubricate calibrate` first)"
    )
    placeholders = manifest["job"]["placeholders"]
    todo = (
        "job.json still has placeholders (" + ", ".join(f"`{p}`" for p in placeholders) + "): "
        f"set `{ROLE_ENV}`, `{LAMBDA_ENV}` and `{S3_ENV}` and export again, or edit job.json."
        if placeholders
        else "job.json is complete."
    )
    handler, runtime = package["handler"], package["runtime"]
    size = (
        f"{package['bytes']:,} bytes zipped, {package['unzipped_bytes']:,} unzipped "
        "(Lambda's limits: 50 MB / 250 MB)"
    )
    train = job["trainingDataConfig"]["s3Uri"]
    valid = job["validationDataConfig"]["validators"][0]["s3Uri"]
    return f"""# Amazon Bedrock RFT bundle: {manifest["rubric"]["id"]}

| file | what |
|---|---|
| `grader.json` | the compiled grader, byte for byte (SHA-256 `{grader["sha256"]}`); {vetted} |
| `lambda.zip` | the reward Lambda: handler `{handler}`, runtime `{runtime}`, {size} |
| `train.jsonl`, `valid.jsonl` | OpenAI RFT rows: `messages`, `reference_answer` (the item) |
| `job.json` | the `CreateModelCustomizationJob` request (validated against botocore's model) |
| `manifest.json` | hashes, sizes, the calibration run, every warning |

{todo}

## Deploy the reward Lambda

The Lambda needs only the standard library. Judged parts call an OpenAI-compatible endpoint
read from the function's environment: `OPENAI_BASE_URL` (for a Bedrock-hosted judge,
`https://bedrock-mantle.<region>.api.aws/v1`) and `OPENAI_API_KEY` (e.g. an Amazon Bedrock API
key; keep it in the function's environment or a secret, never in the bundle). Raise the timeout
from the default 3 s (Bedrock's guide: up to 15 minutes).

```
aws lambda create-function --function-name <REWARD_FUNCTION_NAME> --runtime {runtime} \\
  --handler {handler} --zip-file fileb://{out}/lambda.zip \\
  --timeout 900 --memory-size 1024 \\
  --role <LAMBDA_EXECUTION_ROLE_ARN> \\
  --environment 'Variables={{OPENAI_BASE_URL=<judge endpoint>,OPENAI_API_KEY=<key>}}'
```

A sample whose reward cannot be computed (a judge that keeps failing, a reply that does not
parse) makes the invocation fail (`RewardBatchError`); it is never scored 0.

## Upload the rows and create the job

```
aws s3 cp {out}/train.jsonl {train}
aws s3 cp {out}/valid.jsonl {valid}
aws bedrock create-model-customization-job --cli-input-json file://{out}/job.json
```

or `rubricate export rft ... --platform bedrock --submit` (boto3; the same two uploads and call).
"""
