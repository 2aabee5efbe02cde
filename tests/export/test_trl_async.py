"""The TRL bundle's ``async def`` reward functions and TRL's own "no reward" (``None``) as an
export choice (issue 13: the export used neither). TRL itself runs them in
tests/conformance/test_trl.py; here the module is called as TRL calls it."""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path

import pytest

from rubricate.cli import run as cli
from rubricate.testing import FakeOpenAI
from rubricate.testing.script import Fault
from tests.export.test_trainers_bundles import ROOT, _answer, _bundle, _import


@pytest.fixture
def judge(fake_openai_env: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RUBRICATE_STORE", "none")
    monkeypatch.setenv("RUBRICATE_TIMEOUT", "5")
    return fake_openai_env


def _batch(folder: Path, example: str) -> tuple[list, list, dict]:
    rows = [json.loads(line) for line in (folder / "dataset.jsonl").read_text().splitlines()]
    columns = {k: [row.get(k) for row in rows] for k in rows[0] if k != "prompt"}
    completions = [
        [{"role": "assistant", "content": _answer(example, row, good)}]
        for row in rows
        for good in (True, False)
    ]
    columns = {k: [v for v in values for _ in (0, 1)] for k, values in columns.items()}
    prompts = [row["prompt"] for row in rows for _ in (0, 1)]
    return prompts, completions, columns


def test_async_reward_funcs_mirror_the_sync_ones(tmp_path: Path, judge: FakeOpenAI):
    module = _import(_bundle(tmp_path, "trl", "accordance_tax"))
    try:
        sync_names = [f.__name__ for f in module.reward_funcs]
        assert [f.__name__ for f in module.async_reward_funcs] == sync_names
        assert all(inspect.iscoroutinefunction(f) for f in module.async_reward_funcs)
        assert not any(inspect.iscoroutinefunction(f) for f in module.reward_funcs)
        assert len(module.reward_weights) == len(module.async_reward_funcs)
    finally:
        module.grader.close()


def test_async_functions_gathered_grade_each_pair_once(tmp_path: Path, judge: FakeOpenAI):
    """TRL gathers every async reward function of a step on its loop: the rubric's function and
    the per-criterion ones must share one grade per completion (one set of judge calls)."""
    folder = _bundle(tmp_path, "trl", "accordance_tax")
    prompts, completions, columns = _batch(folder, "accordance_tax")
    kwargs = dict(completion_ids=[[1]] * len(completions), trainer_state=None, **columns)
    module = _import(folder)
    try:

        async def step() -> list[list[float | None]]:
            calls = [
                f(prompts=prompts, completions=completions, **kwargs)
                for f in module.async_reward_funcs
            ]
            return list(await asyncio.gather(*calls))

        got = asyncio.run(step())
        asked = len(judge.requests)
        assert asked > 0 and module.stats()["pairs"] == len(completions)
        sync = [f(prompts=prompts, completions=completions, **kwargs) for f in module.reward_funcs]
        assert got == sync and len(judge.requests) == asked  # the sync ones reuse the grades
        assert got[0][0] > got[0][1]  # the full-marks memo beats the wrong one
    finally:
        module.grader.close()


def test_async_function_does_not_block_its_loop(tmp_path: Path, judge: FakeOpenAI):
    judge.latency = 0.3
    folder = _bundle(tmp_path, "trl", "accordance_tax")
    prompts, completions, columns = _batch(folder, "accordance_tax")
    module = _import(folder)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def run() -> list[float | None]:
        task = asyncio.create_task(ticker())
        try:
            return await module.async_reward_funcs[0](
                prompts=prompts, completions=completions, **columns
            )
        finally:
            task.cancel()

    try:
        rewards = asyncio.run(run())
        assert len(rewards) == len(completions) and ticks >= 10  # the loop ran meanwhile
    finally:
        module.grader.close()


def _export(
    capsys: pytest.CaptureFixture, tmp_path: Path, kind: str, *options: str
) -> tuple[int, str, Path]:
    out = tmp_path / f"{kind}-out"
    rubric = str(ROOT / "examples/eurovoc/rubric.yaml")
    code = cli(["export", kind, rubric, "--out", str(out), *options])
    return code, capsys.readouterr().err, out


JUDGED = """\
rubric: 1
id: judged
title: A judged answer
task: "Answer: {{ item.question }}"
judge:
  model: judge-model
criteria:
  - id: correct
    text: The answer is correct.
    weight: 1
"""


def test_export_on_error_none_gives_trl_its_no_reward(
    tmp_path: Path, judge: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RUBRICATE_ERROR_RETRIES", "0")
    monkeypatch.delenv("RUBRICATE_ON_ERROR", raising=False)
    rubric = tmp_path / "judged.yaml"
    rubric.write_text(JUDGED)
    out = tmp_path / "trl"
    assert cli(["export", "trl", str(rubric), "--out", str(out), "--on-error", "none"]) == 0
    assert 'ON_ERROR = "none"' in (out / "reward.py").read_text()
    judge.fault(Fault.reply_text("not a verdict"), times=10, match="broken")
    module = _import(out)
    try:
        rewards = module.reward_funcs[0](
            prompts=["q1", "q2"],
            completions=["fine [[PASS]]", "broken [[PASS]]"],
            question=["q1", "q2"],
        )
        assert rewards == [1.0, None]
        logged: dict[str, float] = {}
        again = module.reward_funcs[0](
            prompts=["q1", "q2"],
            completions=["fine [[PASS]]", "broken [[PASS]]"],
            question=["q1", "q2"],
            log_metric=logged.__setitem__,
        )
        assert again == [1.0, None] and logged == {"rubricate/unscored": 0.5}
    finally:
        module.grader.close()


def test_export_on_error_is_checked_per_trainer(tmp_path: Path, capsys: pytest.CaptureFixture):
    code, output, _ = _export(capsys, tmp_path, "verl", "--on-error", "none")
    assert code == 2 and "verl cannot leave one response out" in output
    code, output, _ = _export(capsys, tmp_path, "trl", "--on-error", "zero")
    assert code == 2 and "choose raise, none" in output
    code, output, out = _export(capsys, tmp_path, "verl", "--on-error", "value:0")
    assert code == 0 and 'ON_ERROR = "value:0"' in (out / "reward.py").read_text()
