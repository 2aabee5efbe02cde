"""``--submit`` for Bedrock with boto3 clients under botocore's Stubber (no network)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from rubricate.errors import ExportError
from rubricate.export.bedrock.submit import submit_bundle
from tests.export.bedrock.conftest import REAL_LOOKING, cli, export_args

JOB_ARN = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/abcdefghijkl"


def _clients() -> tuple[object, object]:
    options = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}
    return boto3.client("bedrock", **options), boto3.client("s3", **options)


@pytest.fixture
def bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in REAL_LOOKING.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "b"
    assert cli(export_args("eurovoc", out)) == 0
    return out


def test_submit_uploads_the_rows_and_creates_the_job(bundle: Path) -> None:
    bedrock, s3 = _clients()
    job = json.loads((bundle / "job.json").read_text())
    with Stubber(bedrock) as b, Stubber(s3) as s:
        for name in ("train", "valid"):
            s.add_response(
                "put_object",
                {},
                {"Bucket": "my-bucket", "Key": f"rft/eurovoc/{name}.jsonl",
                 "Body": (bundle / f"{name}.jsonl").read_bytes()},
            )  # fmt: skip
        b.add_response("create_model_customization_job", {"jobArn": JOB_ARN}, job)
        result = submit_bundle(bundle, bedrock=bedrock, s3=s3)
        b.assert_no_pending_responses()
        s.assert_no_pending_responses()
    assert result["job_id"] == JOB_ARN and result["status"] == "submitted"


def test_a_refusal_is_one_line(bundle: Path) -> None:
    bedrock, s3 = _clients()
    with Stubber(bedrock) as b, Stubber(s3) as s:
        s.add_response("put_object", {})
        s.add_response("put_object", {})
        b.add_client_error(
            "create_model_customization_job", "ValidationException", "The role is not valid"
        )
        with pytest.raises(ExportError, match="Bedrock refused the job: .*The role is not valid"):
            submit_bundle(bundle, bedrock=bedrock, s3=s3)


def test_placeholders_are_refused_before_any_call(tmp_path: Path) -> None:
    out = tmp_path / "b"
    assert cli(export_args("eurovoc", out)) == 0
    bedrock, s3 = _clients()
    with Stubber(bedrock), Stubber(s3):  # no response queued: any call would fail
        with pytest.raises(ExportError, match="placeholders left in roleArn"):
            submit_bundle(out, bedrock=bedrock, s3=s3)


def test_without_boto3_the_error_says_how_to_install_it(
    bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(ExportError, match=r"needs boto3: pip install 'rubricate\[bedrock\]'"):
        submit_bundle(bundle)


def test_the_command_line_submits_with_boto3(
    bundle: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bedrock, s3 = _clients()
    clients = {"bedrock": bedrock, "s3": s3}
    monkeypatch.setattr(boto3, "client", lambda name, **_: clients[name])
    with Stubber(bedrock) as b, Stubber(s3) as s:
        s.add_response("put_object", {})
        s.add_response("put_object", {})
        b.add_response("create_model_customization_job", {"jobArn": JOB_ARN})
        assert cli(export_args("eurovoc", bundle, "--submit", "--json")) == 0
        b.assert_no_pending_responses()
    submission = json.loads(capsys.readouterr().out)["submission"]
    assert submission["job_id"] == JOB_ARN
    assert submission["follow"].endswith(f"--job-identifier {JOB_ARN}")


def test_the_text_output_says_how_to_follow_the_bedrock_job(
    bundle: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not `rubricate jobs status` (the OpenAI jobs API): the AWS command for the job."""
    bedrock, s3 = _clients()
    clients = {"bedrock": bedrock, "s3": s3}
    monkeypatch.setattr(boto3, "client", lambda name, **_: clients[name])
    with Stubber(bedrock) as b, Stubber(s3) as s:
        s.add_response("put_object", {})
        s.add_response("put_object", {})
        b.add_response("create_model_customization_job", {"jobArn": JOB_ARN})
        assert cli(export_args("eurovoc", bundle, "--submit")) == 0
    out = capsys.readouterr().out
    assert f"follow it: aws bedrock get-model-customization-job --job-identifier {JOB_ARN}" in out
    assert "rubricate jobs status" not in out
