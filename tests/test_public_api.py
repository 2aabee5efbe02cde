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
    "CalibrationResult", "ClientSettings", "GradeRecord", "GradeStats", "Grader", "LoadedRubric",
    "ReadinessCheck", "__version__", "acalibrate", "calibrate", "compile_rubric", "load_grader",
    "load_rubric", "settings_from_env",
}  # fmt: skip
REWARDS = {
    "ErrorPolicy", "PromptfooAssertion", "TrlReward", "UnscoredRewardError", "VerifiersReward",
    "VerlReward", "make_verifiers_rubric",
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


def test_the_adapter_names_are_the_documented_ones() -> None:
    import rubricate.rewards as rewards
    from rubricate.export.rewards import common, promptfoo, trl, verifiers, verl

    assert set(rewards.__all__) == REWARDS and dir(rewards) == sorted(REWARDS)
    homes = {"ErrorPolicy": common.ErrorPolicy, "UnscoredRewardError": common.UnscoredRewardError,
             "PromptfooAssertion": promptfoo.PromptfooAssertion, "TrlReward": trl.TrlReward,
             "VerifiersReward": verifiers.VerifiersReward, "VerlReward": verl.VerlReward,
             "make_verifiers_rubric": verifiers.make_rubric}  # fmt: skip
    docs = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in REWARDS:
        assert getattr(rewards, name) is homes[name]
        assert name in docs, f"docs/api.md does not mention rubricate.rewards.{name}"
    with pytest.raises(AttributeError):
        rewards.not_a_name  # noqa: B018


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


def test_a_grader_file_is_checked_against_its_exported_sha256(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "grader.json"
    text = json.dumps(rubricate.compile_rubric(EUROVOC / "rubric.yaml"))
    path.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert rubricate.load_grader(path, sha256=digest).json == json.loads(text)
    with pytest.raises(InputError, match="changed since it was exported"):
        rubricate.load_grader(path, sha256="0" * 64)
    path.write_text("{\n  nope", encoding="utf-8")
    with pytest.raises(InputError, match=r"grader.json:2:3: not valid JSON"):
        rubricate.load_grader(path)


def test_options_left_out_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    grader_json = rubricate.compile_rubric(EUROVOC / "rubric.yaml")
    monkeypatch.setenv("RUBRICATE_ERROR_RETRIES", "0")
    monkeypatch.setenv("RUBRICATE_BATCH_CONCURRENCY", "8")
    monkeypatch.setenv("RUBRICATE_STORE", "none")
    grader = rubricate.load_grader(grader_json, retries=3)
    assert (grader.retries, grader.concurrency, grader.python_workers) == (3, 8, 2)
    assert grader.settings.store_path is None
    assert rubricate.settings_from_env({"RUBRICATE_CONCURRENCY": "3"}).concurrency == 3
    # a pickled grader is its configuration: what was left to the environment is read again
    monkeypatch.setenv("RUBRICATE_BATCH_CONCURRENCY", "5")
    import pickle

    copy = pickle.loads(pickle.dumps(grader))
    assert copy.json == grader.json and (copy.retries, copy.concurrency) == (3, 5)
    monkeypatch.setenv("RUBRICATE_PYTHON_WORKERS", "two")
    with pytest.raises(InputError, match="RUBRICATE_PYTHON_WORKERS='two' is not a whole number"):
        rubricate.load_grader(grader_json)


async def test_submit_and_stats_count_every_path_together() -> None:
    import asyncio

    pairs = _pairs()
    grader = rubricate.load_grader(rubricate.compile_rubric(EUROVOC / "rubric.yaml"))
    try:
        assert grader.stats.pairs == 0 and grader.stats.recent_error_rate() is None
        submitted = await asyncio.wrap_future(grader.submit(pairs))  # the background loop
        awaited = await grader.ascore_many(pairs)  # this loop
        assert [r.reward for r in submitted] == [r.reward for r in awaited]
        stats = grader.stats
        assert (stats.batches, stats.pairs) == (2, 2 * len(pairs))
        assert stats.scored + stats.unscored == stats.pairs
        unscored = sum(not r.scored for r in awaited)
        assert stats.as_dict()["unscored"] == 2 * unscored
        assert stats.recent_error_rate() == pytest.approx(unscored / len(pairs))  # 10 pairs
    finally:
        await grader.aclose()
