"""Helpers for the Bedrock export tests: the shipped examples, a CLI runner, a clean env."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rubricate.cli import run

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
EXAMPLE_NAMES = ("accordance_tax", "eurovoc", "citations")
DETERMINISTIC = ("eurovoc", "citations")
"""Examples whose graders have no judged part."""
MODEL = "amazon.nova-2-lite-v1:0:256k"
REAL_LOOKING = {
    "RUBRICATE_BEDROCK_ROLE_ARN": "arn:aws:iam::123456789012:role/BedrockRFTRole",
    "RUBRICATE_BEDROCK_LAMBDA_ARN": "arn:aws:lambda:us-east-1:123456789012:function:reward",
    "RUBRICATE_BEDROCK_S3_URI": "s3://my-bucket/rft/eurovoc",
}


@pytest.fixture(autouse=True)
def _no_bedrock_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("RUBRICATE_BEDROCK_", "AWS_")):
            monkeypatch.delenv(name, raising=False)


def cli(argv: list[str]) -> int:
    """``rubricate`` on ``argv``; the exit code (``SystemExit`` included)."""
    try:
        return run(argv)
    except SystemExit as done:
        return int(done.code or 0)


def export_args(name: str, out: Path, *extra: str) -> list[str]:
    folder = EXAMPLES / name
    return [
        "export", "rft", str(folder / "rubric.yaml"),
        "--train", str(folder / "train.jsonl"), "--valid", str(folder / "valid.jsonl"),
        "--model", MODEL, "--out", str(out), "--platform", "bedrock", *extra,
    ]  # fmt: skip
