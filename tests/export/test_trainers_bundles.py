"""TRL and verl bundles: the generated ``reward.py`` imported from the bundle folder (no TRL or
verl installed) and called as those trainers call it, on every example."""

from __future__ import annotations

import importlib.util
import json
import math
import pickle
import sys
from pathlib import Path
from types import ModuleType

import pytest

from rubricate.errors import InputError
from rubricate.export.rewards.bundle import compile_for_bundle, trainer_files
from rubricate.export.rewards.common import UnscoredRewardError
from rubricate.export.rewards.trl import TrlReward
from rubricate.rubrics.items import read_items
from rubricate.rubrics.loader import load_rubric
from rubricate.testing import FakeOpenAI
from rubricate.testing.script import Fault

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ["accordance_tax", "citations", "eurovoc"]


def _answer(example: str, item: dict, good: bool) -> str:
    """A realistic answer: the gold labels or passages as JSON, or a memo (tax)."""
    if example == "eurovoc":
        return json.dumps({"domains": item["domains"] if good else ["transport"]})
    if example == "citations":
        return json.dumps({"passages": item["passages"] if good else ["Nothing relevant."]})
    memo = (ROOT / "examples" / example / "README.md").read_text(encoding="utf-8")
    return (memo + " [[PASS]]") if good else "Alex owns everything; no allocation is needed."


def _bundle(tmp_path: Path, kind: str, example: str) -> Path:
    loaded = load_rubric(ROOT / "examples" / example / "rubric.yaml")
    items = read_items(ROOT / "examples" / example / "items.jsonl")
    out = tmp_path / f"{kind}-{example}"
    out.mkdir()
    for name, data in trainer_files(kind, loaded, compile_for_bundle(loaded, None), items).items():
        (out / name).write_bytes(data)
    return out


def _import(folder: Path) -> ModuleType:
    name = f"reward_{folder.name.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, folder / "reward.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def judge(fake_openai_env: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RUBRICATE_STORE", str(tmp_path / "calls.sqlite"))
    monkeypatch.setenv("RUBRICATE_TIMEOUT", "5")
    return fake_openai_env


@pytest.mark.parametrize("example", EXAMPLES)
def test_trl_reward_on_each_example(tmp_path: Path, example: str, judge: FakeOpenAI):
    folder = _bundle(tmp_path, "trl", example)
    module = _import(folder)
    rows = [json.loads(line) for line in (folder / "dataset.jsonl").read_text().splitlines()]
    assert "trl" not in sys.modules
    columns = {k: [row.get(k) for row in rows] for k in rows[0] if k != "prompt"}
    prompts = [row["prompt"] for row in rows]
    good = [_answer(example, row, True) for row in rows]
    bad = [_answer(example, row, False) for row in rows]
    # conversational completions, as TRL passes them for a conversational dataset
    chats = [[{"role": "assistant", "content": text}] for text in good]
    kwargs = dict(completion_ids=[[1, 2]] * len(rows), trainer_state=None, **columns)
    high = module.reward_funcs[0](prompts=prompts, completions=chats, **kwargs)
    low = module.reward_funcs[0](prompts=prompts, completions=bad, **kwargs)  # plain strings
    assert len(high) == len(rows) and all(0 <= r <= 1 for r in high + low)
    assert all(h > lo for h, lo in zip(high, low, strict=True))
    assert module.reward_weights[0] == 1.0 and set(module.reward_weights[1:]) <= {0.0}
    for sub in module.sub_reward_funcs:  # reuse the grades: no new judge calls
        calls = len(judge.requests)
        values = sub(prompts=prompts, completions=chats, **kwargs)
        assert len(values) == len(rows) and len(judge.requests) == calls
    stats = module.stats()
    assert stats["unscored"] == 0 and stats["pairs"] == 2 * len(rows)
    assert (stats["model_calls"] > 0) == (example == "accordance_tax")
    module.grader.close()


@pytest.mark.parametrize("example", EXAMPLES)
def test_verl_compute_score_on_each_example(tmp_path: Path, example: str, judge: FakeOpenAI):
    folder = _bundle(tmp_path, "verl", example)
    module = _import(folder)
    rows = [json.loads(line) for line in (folder / "dataset.jsonl").read_text().splitlines()]
    items = [json.loads(row["reward_model"]["ground_truth"]) for row in rows]
    one = module.compute_score(
        rows[0]["data_source"],
        _answer(example, items[0], True),
        rows[0]["reward_model"]["ground_truth"],
        {**rows[0]["extra_info"], "num_turns": None},
    )
    batch = module.compute_score_batch(
        data_sources=[row["data_source"] for row in rows],
        solution_strs=[_answer(example, item, False) for item in items],
        ground_truths=[row["reward_model"]["ground_truth"] for row in rows],
        extra_infos=[row["extra_info"] for row in rows],
    )
    keys = set(one)
    assert {"score", "rubricate_scored"} <= keys and all(set(b) == keys for b in batch)
    assert one["rubricate_scored"] == 1 and all(b["rubricate_scored"] == 1 for b in batch)
    assert one["score"] > batch[0]["score"]
    assert pickle.loads(pickle.dumps(module._reward)).grader.json == module._reward.grader.json
    module.grader.close()


def test_verl_item_from_extra_info_item(tmp_path: Path):
    module = _import(_bundle(tmp_path, "verl", "eurovoc"))
    item = {"domains": ["trade", "law"]}
    result = module.compute_score("x", json.dumps({"domains": ["trade"]}), None, {"item": item})
    assert result["score"] == pytest.approx(2 / 3)
    module.grader.close()


def test_edited_grader_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = _bundle(tmp_path, "trl", "eurovoc")
    grader = folder / "grader.json"
    exported = grader.read_text()
    grader.write_text(exported.replace('"eurovoc-domains"', '"eurovoc-edited"', 1))
    with pytest.raises(InputError, match="changed since it was exported"):
        _import(folder)
    monkeypatch.setenv("RUBRICATE_ALLOW_EDITED_GRADER", "1")
    _import(folder).grader.close()
    # allowed, an edit that breaks the grader is still refused, on import (rubricate.load_grader
    # validates it), not at the first reward
    grader.write_text(exported.replace('"f1"', '"f1x"', 1))
    with pytest.raises(InputError, match="not a valid grader"):
        _import(folder)


JUDGE = {
    "type": "score_model",
    "name": "judge",
    "model": "gpt-4o-mini",
    "input": [{"role": "user", "content": "Grade: {{ sample.output_text }}"}],
    "range": [0, 1],
}


@pytest.mark.parametrize(
    ("mode", "expected"), [("skip", None), ("value:0.25", 0.25), ("VALUE:-1", -1.0)]
)
def test_trl_error_policy(judge: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, mode, expected):
    monkeypatch.setenv("RUBRICATE_ON_ERROR", mode)
    monkeypatch.setenv("RUBRICATE_ERROR_RETRIES", "0")
    judge.fault(Fault.reply_text("not a verdict"))  # one of the three replies
    reward = TrlReward(JUDGE)
    try:
        rewards = reward(completions=[f"answer {i} [[PASS]]" for i in range(3)])
        assert sorted(rewards, key=str) == sorted([1.0, 1.0, expected], key=str)
        assert reward.stats()["errors_by_flag"] == {"model_grader_parse_error": 1}
    finally:
        reward.grader.close()


def test_trl_raises_by_default_and_when_too_many_fail(
    judge: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    monkeypatch.setenv("RUBRICATE_ERROR_RETRIES", "0")
    judge.fault(Fault.reply_text("not a verdict"))
    reward = TrlReward(JUDGE)
    try:
        with pytest.raises(UnscoredRewardError, match="1 of 2 completions could not be graded"):
            reward(completions=["a [[PASS]]", "b [[PASS]]"])
    finally:
        reward.grader.close()
    assert "1 unscored of 2 graded so far" in caplog.text
    monkeypatch.setenv("RUBRICATE_ON_ERROR", "skip")
    monkeypatch.setenv("RUBRICATE_MAX_ERROR_RATE", "0.4")
    for _ in range(5):
        judge.fault(Fault.reply_text("not a verdict"))
    reward = TrlReward(JUDGE)
    try:  # 5 of 10 fail: 0.5 > 0.4
        with pytest.raises(UnscoredRewardError, match="over RUBRICATE_MAX_ERROR_RATE"):
            reward(completions=[f"{i} [[PASS]]" for i in range(10)])
        assert reward(completions=["fine [[PASS]]"]) == [1.0]  # 5 of 11 still fail, no error
    finally:
        reward.grader.close()


def test_verl_refuses_skip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RUBRICATE_ON_ERROR", "skip")
    with pytest.raises(InputError, match="verl cannot leave one response out"):
        _import(_bundle(tmp_path, "verl", "eurovoc"))


def test_verl_value_policy_reports_the_unscored_response(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RUBRICATE_ON_ERROR", "value:0")
    module = _import(_bundle(tmp_path, "verl", "eurovoc"))
    result = module.compute_score("x", "{}", json.dumps({"title": "no labels"}))
    assert result["score"] == 0 and result["rubricate_scored"] == 0
    assert math.isnan(result["rubricate/f1"])
    module.grader.close()


def test_a_completion_of_the_wrong_kind_is_a_clear_error(tmp_path: Path):
    module = _import(_bundle(tmp_path, "trl", "eurovoc"))
    with pytest.raises(InputError, match="completion 1 is a int"):
        module.reward_funcs[0](completions=["{}", 7], domains=[["a"], ["b"]])
