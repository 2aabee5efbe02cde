"""Shared helpers for the Gemini export tests: the shipped examples and a bundle writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rubricate.export.gemini.prepare import prepare_gemini
from rubricate.export.rft.bundle import write_files
from rubricate.export.rft.prepare import Prepared, RftOptions

EXAMPLES = Path(__file__).parents[3] / "examples"
BASE = ["project=test-project", "gcs=gs://test-bucket/rl"]


def options(example: str, out: Path, *extra: str, **kwargs: Any) -> RftOptions:
    root = EXAMPLES / example
    return RftOptions(
        rubric=root / "rubric.yaml",
        train=root / "train.jsonl",
        valid=root / "valid.jsonl",
        model="gemini-2.5-flash",
        out=out,
        platform_options=[*BASE, *extra],
        runs_root=out,  # no stray runs/ of the working directory
        **kwargs,
    )


def bundle(example: str, out: Path, *extra: str) -> tuple[Prepared, Path]:
    prepared = prepare_gemini(options(example, out, *extra))
    assert not prepared.errors, [p.format() for p in prepared.errors]
    write_files(out, prepared.files())
    return prepared, out


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def examples() -> Path:
    return EXAMPLES
