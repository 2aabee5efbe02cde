"""The public API (``rubricate.__all__``, docs/api.md): its names, and the documented program
run as written against the loopback server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import rubricate
from rubricate import api
from rubricate.errors import InputError, RubricFormatError
from rubricate.testing import FakeOpenAI

ROOT = Path(__file__).resolve().parents[1]
EUROVOC = ROOT / "examples" / "eurovoc"
PUBLIC = {
    "CalibrationResult", "ClientSettings", "GradeRecord", "Grader", "LoadedRubric",
    "ReadinessCheck", "__version__", "acalibrate", "calibrate", "compile_rubric", "load_grader",
    "load_rubric",
}  # fmt: skip


def test_the_exported_names_are_the_documented_ones() -> None:
    assert set(rubricate.__all__) == PUBLIC and set(api.__all__) == PUBLIC - {"__version__"}
    assert dir(rubricate) == sorted(PUBLIC)
    docs = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in PUBLIC - {"__version__", "LoadedRubric", "GradeRecord", "ReadinessCheck"}:
        assert getattr(rubricate, name) is getattr(api, name)
        assert name in docs, f"docs/api.md does not mention {name}"
    with pytest.raises(AttributeError):
        rubricate.not_a_name  # noqa: B018


def test_the_version_is_pyproject_s() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert rubricate.__version__ == project["version"]


def _pairs() -> list[tuple[dict, dict]]:
    lines = (EUROVOC / "items.jsonl").read_text(encoding="utf-8").splitlines()
    items = {json.loads(x)["id"]: json.loads(x) for x in lines}
    lines = (EUROVOC / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    samples = [json.loads(x) for x in lines]
    return [(items[s["item_id"]], {"output_text": s["output_text"]}) for s in samples]


def test_scores_equal_rubricate_grade(tmp_path: Path) -> None:
    from rubricate.cli import run

    out = tmp_path / "records.jsonl"
    assert run(["grade", str(EUROVOC / "rubric.yaml"), "--items", str(EUROVOC / "items.jsonl"),
                "--samples", str(EUROVOC / "samples.jsonl"), "--out", str(out),
                "--max-unscored", "1"]) in (0, 1)  # fmt: skip
    expected = [json.loads(line)["reward"] for line in out.read_text().splitlines()]
    grader = rubricate.load_grader(rubricate.compile_rubric(EUROVOC / "rubric.yaml"))
    with grader:
        assert [r.reward for r in grader.score_many(_pairs())] == expected


async def test_async_scores_equal_the_sync_ones() -> None:
    rubric = rubricate.load_rubric(EUROVOC / "rubric.yaml")
    pairs = _pairs()
    async with rubricate.load_grader(rubricate.compile_rubric(rubric)) as grader:
        records = await grader.ascore_many(pairs)
        one = await grader.ascore(*pairs[0])
    assert one.reward == records[0].reward and all(isinstance(r.reward, float) for r in records)


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "rubric.yaml"
    bad.write_text("rubric: 1\nid: x\n", encoding="utf-8")
    with pytest.raises(RubricFormatError):
        rubricate.load_rubric(bad)
    with pytest.raises(InputError, match="not a valid grader"):
        rubricate.load_grader({"type": "multi"})


def _program() -> str:
    docs = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", docs, re.S)
    assert len(blocks) == 1, "docs/api.md holds one program"
    return blocks[0]


@pytest.mark.subprocess
def test_the_program_in_docs_api_runs(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    script = tmp_path / "program.py"
    script.write_text(_program(), encoding="utf-8")
    env = {**os.environ, "OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": "sk-test"}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("reward 1.00, scored True")
    assert lines[1].startswith("reward ") and not lines[1].startswith("reward 1.00")
    assert re.match(r"(ready|not_ready|incomplete) - ", lines[3])
    assert (tmp_path / "runs" / "api-example" / "report.md").exists()
    assert fake_openai.count() > 0  # the judge was called through the real openai SDK
