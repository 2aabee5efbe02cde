"""The schemas under docs/ (linked from the README) are what the commands print today."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricate.cli import run

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["schema"], "rubric.schema.json"),
        (["calibrate", "--schema"], "calibration-set.schema.json"),
    ],
)
def test_docs_schema_matches_command(
    argv: list[str], name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 0
    printed = capsys.readouterr().out
    shipped = (DOCS / name).read_text(encoding="utf-8")
    assert printed == shipped, f"docs/{name} is stale: rubricate {' '.join(argv)} > docs/{name}"
