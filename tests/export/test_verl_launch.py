"""The verl bundle against verl 0.9's reward loop (issue 13): the launch keys its README gives,
the ``async def`` form and the extra arguments verl passes. verl itself parses those keys and
runs the function in tests/conformance/test_verl.py; here the module is called as verl 0.9's
reward managers call it (``verl/experimental/reward_loop/reward_manager/naive.py``)."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from pathlib import Path

import pytest

from rubricate.export.rewards.verl import item_from
from rubricate.testing import FakeOpenAI
from tests.export.test_trainers_bundles import _answer, _bundle, _import


def launch_overrides(readme: str) -> list[list[str]]:
    """The ``key=value`` overrides of each ``main_ppo`` command in a verl bundle README."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", readme, flags=re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            if "verl.trainer.main_ppo" in line:
                commands.append([w for w in line.split() if "=" in w])
    return commands


def test_readme_launch_keys_are_verl_09s(tmp_path: Path):
    readme = (_bundle(tmp_path, "verl", "eurovoc") / "README.md").read_text()
    commands = launch_overrides(readme)
    assert commands, "the README shows no main_ppo command"
    for overrides in commands:
        keys = [o.split("=", 1)[0] for o in overrides]
        # main_ppo ignores the top-level custom_reward_function.*; reward_model.reward_manager
        # names a manager (batch) verl 0.9 does not have
        assert all(key.startswith("reward.") for key in keys), keys
        assert "reward.custom_reward_function.path" in keys
        names = dict(o.split("=", 1) for o in overrides)
        assert names.get("reward.reward_manager.name", "naive") in ("naive", "remote")
    names = {
        dict(o.split("=", 1) for o in c)["reward.custom_reward_function.name"] for c in commands
    }
    assert names == {"compute_score_async", "compute_score"}


def _solution(row: dict, i: int) -> str:
    return _answer("eurovoc", json.loads(row["reward_model"]["ground_truth"]), i % 2 == 0)


def test_compute_score_async_is_what_verl_awaits(tmp_path: Path, fake_openai_env: FakeOpenAI):
    folder = _bundle(tmp_path, "verl", "eurovoc")
    module = _import(folder)
    rows = [json.loads(line) for line in (folder / "dataset.jsonl").read_text().splitlines()]
    try:
        # verl's naive manager: inspect.iscoroutinefunction(compute_score) -> awaited
        assert inspect.iscoroutinefunction(module.compute_score_async)
        assert not inspect.iscoroutinefunction(module.compute_score)  # for the remote manager

        async def batch() -> list[dict]:
            calls = [
                module.compute_score_async(
                    data_source=row["data_source"],
                    solution_str=_answer(
                        "eurovoc", json.loads(row["reward_model"]["ground_truth"]), i % 2 == 0
                    ),
                    ground_truth=row["reward_model"]["ground_truth"],
                    extra_info=dict(row["extra_info"]),
                )
                for i, row in enumerate(rows)
            ]
            return list(await asyncio.gather(*calls))

        results = asyncio.run(batch())
        sync = [
            module.compute_score(
                data_source=row["data_source"],
                solution_str=_answer(
                    "eurovoc", json.loads(row["reward_model"]["ground_truth"]), i % 2 == 0
                ),
                ground_truth=row["reward_model"]["ground_truth"],
                extra_info=dict(row["extra_info"]),
            )
            for i, row in enumerate(rows)
        ]
        assert results == sync and results[0]["score"] == 1.0
    finally:
        module.grader.close()


def test_extra_arguments_and_bookkeeping_do_not_reach_the_grader(tmp_path: Path):
    """verl 0.9's managers add ``num_turns`` and ``rollout_reward_scores`` to ``extra_info`` and
    pass ``reward_router_address`` / ``reward_model_tokenizer`` with a served reward model; the
    grader's item must be the dataset's item, as ``rubricate grade`` sees it."""
    folder = _bundle(tmp_path, "verl", "eurovoc")
    module = _import(folder)
    row = json.loads((folder / "dataset.jsonl").read_text().splitlines()[0])
    item = json.loads(row["reward_model"]["ground_truth"])
    extra_info = {**row["extra_info"], "num_turns": None, "rollout_reward_scores": {}}
    try:
        assert item_from(row["reward_model"]["ground_truth"], extra_info) == item
        result = module.compute_score(
            data_source=row["data_source"],
            solution_str=_answer("eurovoc", item, True),
            ground_truth=row["reward_model"]["ground_truth"],
            extra_info=extra_info,
            reward_router_address="127.0.0.1:1",
            reward_model_tokenizer=None,
        )
        assert result["score"] == 1.0
    finally:
        module.grader.close()


@pytest.mark.parametrize("on_error", ["none", "skip"])
def test_verl_takes_no_missing_reward(tmp_path: Path, on_error: str, monkeypatch):
    from rubricate.errors import InputError
    from rubricate.export.rewards.common import ErrorPolicy

    with pytest.raises(InputError, match="verl cannot leave one response out"):
        ErrorPolicy.parse(on_error, "verl")
