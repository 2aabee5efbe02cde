"""``--repeats auto``: sequential sampling against the loopback server, and its pieces."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pandas as pd
import pytest

from rubricate.calibration.run.adaptive import AdaptiveSettings, zero_flip_bound
from rubricate.calibration.run.execution import execute
from rubricate.calibration.run.session import CalibrateRequest, prepare
from rubricate.judge.calls import ClientSettings
from rubricate.testing import FakeOpenAI
from tests.calibration.calib_fixtures import scripted_judge, write_rubric, write_set

FLIP_P = {"a": 0.0, "b": 0.0, "c": 0.3}


def test_zero_flip_bound() -> None:
    # no disagreement in m = 36 later repeats: p < 1 - 0.025 ** (1 / 36) = 0.0973
    assert zero_flip_bound(36) == pytest.approx(1 - 0.025 ** (1 / 36))
    assert zero_flip_bound(36) < 0.1 < zero_flip_bound(35)
    assert zero_flip_bound(0) != zero_flip_bound(0)  # NaN: nothing observed


def _request(tmp_path: Path, **extra) -> CalibrateRequest:  # noqa: ANN003
    rubric = write_rubric(tmp_path / "rubric.yaml", list(FLIP_P), gated="c")
    calset = write_set(tmp_path / "set.jsonl", 12, {"great": list(FLIP_P), "fair": ["a"]})
    return CalibrateRequest(rubric=rubric, calibration_set=calset, out=tmp_path / "run",
                            repeats=None, figures=False, **extra)  # fmt: skip


def test_auto_repeats_only_the_unstable_criterion_until_its_interval_is_narrow(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    fake_openai.policy.score = scripted_judge(FLIP_P)
    request = _request(tmp_path, adaptive=AdaptiveSettings(target_ci=0.2))
    outcome = asyncio.run(execute(prepare(request), client_settings))
    adaptive = outcome.manifest["adaptive"]
    assert adaptive["stop"] == "target"
    widths = {w["criterion"]: w for w in adaptive["widths"]}
    assert all(w["settled"] and w["width"] <= 0.2 for w in widths.values())
    lines = [json.loads(x) for x in (tmp_path / "run" / "records.jsonl").read_text().splitlines()]
    partial = [line for line in lines if "partial" in line]
    assert partial and all(line["partial"] == ["c"] for line in partial)
    # c is gated by a check: only answers whose check passes (all of them here) are repeated,
    # and a partial record ran c's gate and judge only
    assert set(partial[0]["record"]["sub_rewards"]) | set(partial[0]["record"]["sub_errors"]) == {
        "c__gate", "c"}  # fmt: skip
    grades = pd.read_csv(tmp_path / "run" / "grades.csv")
    repeats = grades.groupby("criterion")["repeat"].max() + 1
    assert repeats["a"] == 2 and repeats["b"] == 2 and repeats["c"] > 2
    assert repeats["__total__"] == 2  # totals come from whole grades only
    assert outcome.manifest["repeats_mode"] == "auto"
    assert outcome.manifest["repeats"] == repeats["c"]
    calls = sum(1 for _ in fake_openai.model_requests())
    assert outcome.manifest["counts"]["judge_calls_scheduled"] == calls
    assert calls == 24 * 2 * 3 + len(partial)  # whole grades, then one call per partial grade
    # a rerun takes exactly the same steps from the store: no new call
    again = asyncio.run(execute(prepare(request), client_settings))
    assert fake_openai.count() == calls and again.manifest["usage"]["calls"] == 0
    assert again.manifest["adaptive"]["rounds"] == adaptive["rounds"]


def test_the_budget_caps_the_calls(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    fake_openai.policy.score = scripted_judge(FLIP_P)
    request = _request(tmp_path, adaptive=AdaptiveSettings(target_ci=0.05), budget=160)
    outcome = asyncio.run(execute(prepare(request), client_settings))
    assert outcome.manifest["adaptive"]["stop"] == "budget"
    assert 144 <= fake_openai.count() <= 160
    assert outcome.manifest["counts"]["judge_calls_scheduled"] <= 160
