"""verl: its own config code and reward loop run the exported ``compute_score``, launched with
the keys the bundle's README gives, and the rewards equal ``rubricate grade``'s.

One driver process (``drivers/verl_run.py``, in the trainers' venv, a local Ray cluster) runs
every case through verl 0.9's ``RewardLoopManager`` once per README launch command: the
``naive`` manager awaiting ``compute_score_async``, and the ``remote`` manager (Ray worker
processes) calling ``compute_score``. The bundles are exported with ``--on-error value:0``:
verl takes no missing reward, so a sample whose grade fails gets 0 *and* ``rubricate_scored``
0 in verl's per-response info, which is how it must be told apart from a real 0 (the table
counts it as no reward only when flagged). With the default ``raise``, the same batch stops.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from rubricate.testing import FakeOpenAI
from tests.conformance.conftest import ConformanceLog
from tests.conformance.trainers.cases import EXAMPLES, Case
from tests.conformance.trainers.support import FLOAT32, export, run_driver, trainer_python
from tests.export.test_verl_launch import launch_overrides

pytestmark = pytest.mark.timeout(2400)  # the module's driver run counts in its first test


def _launches(bundle: Path) -> list[list[str]]:
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    return [
        [o.replace("THIS_FOLDER", str(bundle)) for o in overrides]
        for overrides in launch_overrides(readme)
    ]


@pytest.fixture(scope="module")
def verl_results(
    cases: dict[str, Case], loopback: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    python = trainer_python("verl", "verl", "all")
    folder = tmp_path_factory.mktemp("verl")
    spec_cases = []
    for name, case in cases.items():
        bundle = export("verl", case, folder / name / "bundle", "--on-error", "value:0")
        spec_cases.append(
            {"name": name, "bundle": str(bundle), "samples": case.samples,
             "launches": _launches(bundle)}
        )  # fmt: skip
    strict = export("verl", cases["judged"], folder / "judged-raise" / "bundle")
    spec_cases.append(
        {"name": "judged-raise", "bundle": str(strict), "samples": cases["judged"].samples,
         "launches": _launches(strict)[:1]}
    )  # fmt: skip
    spec = {"out": str(folder / "out"), "num_workers": 1, "cases": spec_cases}
    return run_driver(python, "verl_run.py", spec, loopback, timeout=1500)


def _nan_none(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.parametrize("example", EXAMPLES)
def test_verl_rewards_equal_rubricate_grade(
    example: str, cases: dict[str, Case], verl_results: dict[str, Any], conformance: ConformanceLog
):
    case = cases[example]
    result = verl_results[example]
    assert len(result["launches"]) == 2  # compute_score_async (naive), compute_score (remote)
    for launch in result["launches"]:
        assert "error" not in launch, launch["error"]
        extra = launch["extra"]
        expected, actual = [], []
        subs = [k for k in extra if k.startswith("rubricate/")]
        for i, key in enumerate(launch["keys"]):
            want = case.expected[tuple(key)]
            flagged = extra["rubricate_scored"][i] == 0
            if flagged:
                assert launch["scores"][i] == 0.0  # the value:0 the bundle was exported with
            expected.append(want.reward)
            actual.append(None if flagged else launch["scores"][i])
            for sub in subs:
                name = sub.removeprefix("rubricate/")
                expected.append(want.sub_rewards.get(name) if want.reward is not None else None)
                actual.append(_nan_none(extra[sub][i]))
        assert sorted(map(tuple, launch["keys"])) == sorted(case.pairs())
        target = f"verl ({launch['manager']}, {launch['function']})"
        outcome = conformance.record(
            target, example, expected=expected, actual=actual, tolerance=FLOAT32
        )
        assert outcome.verdict == "equal", outcome.detail


def test_verl_parses_the_readme_keys_and_ignores_the_old_ones(verl_results: dict[str, Any]):
    eurovoc = verl_results["eurovoc"]
    launched = {(x["manager"], x["function"]) for x in eurovoc["launches"]}
    assert launched == {("naive", "compute_score_async"), ("remote", "compute_score")}
    # the keys older bundles gave: main_ppo loads no function from them, and verl 0.9 has no
    # batch reward manager (the old README silently trained on verl's built-in scorer)
    assert eurovoc["legacy"] == {
        "loaded_function": False,
        "manager": "naive",
        "batch_manager_exists": False,
    }


def test_verl_stops_on_a_failed_grade_by_default(verl_results: dict[str, Any]):
    (launch,) = verl_results["judged-raise"]["launches"]
    assert "UnscoredRewardError" in launch.get("error", ""), launch
    assert "could not be graded" in launch["error"]
