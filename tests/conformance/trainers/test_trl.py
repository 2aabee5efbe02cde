"""TRL: a real ``GRPOTrainer`` trains with the exported reward module, and the rewards it logs
per completion equal ``rubricate grade``'s for the same (item, sample) pairs.

One driver process (``drivers/trl_run.py``, in the trainers' venv) runs every case: for each,
the plain ``reward_funcs`` on string prompts and the ``async_reward_funcs`` on conversational
ones (the judged rubric also the other two combinations), two steps each, with the bundle
exported by ``rubricate export trl --on-error none``. A sample whose grade fails must reach
TRL as ``None`` (TRL logs NaN) and take no part in the advantage (TRL sets it to 0), never a
number; every per-criterion function must equal the grade's sub-reward.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rubricate.testing import FakeOpenAI
from tests.conformance.conftest import ConformanceLog
from tests.conformance.trainers.cases import EXAMPLES, JUDGE_BROKEN, Case, build_cases
from tests.conformance.trainers.support import FLOAT32, export, run_driver, trainer_python

pytestmark = pytest.mark.timeout(2400)  # the module's driver run counts in its first test

RUNS = {
    "sync-str": {"async": False, "conversational": False},
    "async-chat": {"async": True, "conversational": True},
}
MORE_RUNS = {
    "async-str": {"async": True, "conversational": False},
    "sync-chat": {"async": False, "conversational": True},
}


def _runs(name: str) -> dict[str, dict[str, bool]]:
    return {**RUNS, **MORE_RUNS} if name == "judged" else RUNS


@pytest.fixture(scope="module")
def trl_results(
    cases: dict[str, Case], loopback: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    python = trainer_python("trl", "trl", "all")
    folder = tmp_path_factory.mktemp("trl")
    spec_cases = []
    for name, case in cases.items():
        bundle = export("trl", case, folder / name / "bundle", "--on-error", "none")
        runs = [{"name": run, **flags} for run, flags in _runs(name).items()]
        spec_cases.append(
            {"name": name, "bundle": str(bundle), "samples": case.samples, "runs": runs}
        )
    spec = {"out": str(folder / "out"), "generations": 4, "steps": 2, "cases": spec_cases}
    return run_driver(python, "trl_run.py", spec, loopback)


def _compare(case: Case, result: dict[str, Any]) -> tuple[list, list, set]:
    """Expected and logged values, row by row: the rubric's reward, then each criterion's."""
    main, *subs = result["reward_names"]
    expected, actual, seen = [], [], set()
    for row in result["rows"]:
        key = (row["id"], row["completion"])
        seen.add(key)
        want = case.expected[key]
        expected.append(want.reward)
        actual.append(row["rewards"][main])
        for sub in subs:
            criterion = sub.rsplit("/", 1)[-1]
            expected.append(want.sub_rewards.get(criterion) if want.reward is not None else None)
            actual.append(row["rewards"][sub])
    return expected, actual, seen


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.parametrize("example", EXAMPLES)
def test_trl_rewards_equal_rubricate_grade(
    example: str, cases: dict[str, Case], trl_results: dict[str, Any], conformance: ConformanceLog
):
    case = cases[example]
    for run in _runs(example):
        result = trl_results[example][run]
        expected, actual, seen = _compare(case, result)
        outcome = conformance.record(
            f"trl ({run})", example, expected=expected, actual=actual, tolerance=FLOAT32
        )
        assert outcome.verdict == "equal", outcome.detail
        assert seen == set(case.pairs()), "TRL did not log every (item, sample) pair"
        for row in result["rows"]:
            if case.expected[(row["id"], row["completion"])].reward is None:
                assert row["advantage"] == 0.0  # TRL: no reward, no advantage
        unscored = sum(v.reward is None for v in case.expected.values())
        # unscored: a failed judge call, and (unless --score-clipped) a judge result outside its
        # range, which the platform would clip and rubricate leaves unscored
        failing = [t for texts in case.samples.values() for t in texts
                   if JUDGE_BROKEN in t or "[[SCORE=1.7]]" in t] if case.judged else []  # fmt: skip
        assert unscored == len(failing)
        assert all("rubricate/unscored" in m for m in result["metrics"])
        assert result["stats"]["model_calls"] > 0 or not case.judged


def test_the_readme_launch_is_what_the_driver_runs(tmp_path: Path):
    """The bundle README's Python block builds the trainer the way ``drivers/trl_run.py``
    does (``reward_funcs=reward.async_reward_funcs``, ``reward_weights``, the dataset file)."""
    readme = (export("trl", build_cases()["eurovoc"], tmp_path / "b") / "README.md").read_text()
    driver = Path(__file__).with_name("drivers").joinpath("trl_run.py").read_text()
    for line in (
        "reward_funcs=reward.async_reward_funcs",
        "args=GRPOConfig(reward_weights=reward.reward_weights, ...)",
        "load_dataset('json', data_files='THIS_FOLDER/dataset.jsonl', split='train')",
    ):
        assert line in readme
    for piece in ("reward.async_reward_funcs", "reward_weights=reward.reward_weights",
                  'load_dataset("json", data_files=str(bundle / "dataset.jsonl"), split="train")'):
        assert piece in driver  # fmt: skip
