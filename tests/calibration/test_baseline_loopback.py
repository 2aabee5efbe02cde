"""Baseline runs against the loopback server, with every sample's text scripted.

The EUROVOC grader is deterministic (set F1 of the answer's domains against the item's), so a
scripted answer has a known reward; the report's numbers are checked against values computed
by hand. A rerun replays every call from the store (no new request at the server).
"""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from rubricate.calibration.baseline.execution import execute_baseline
from rubricate.calibration.baseline.prepare import BaselineRequest, prepare_baseline
from rubricate.judge.calls import ClientSettings
from rubricate.testing import FakeOpenAI, Fault
from tests.calibration.baseline_fixtures import EUROVOC, domains, eurovoc_items, script_samples

A, B = "gpt-4.1-mini", "cand-b"
ITEMS = ["waste-framework", "habitats", "water-framework", "jurisdiction-judgments",
         "single-use-plastics"]  # fmt: skip
# Gold: environment for the first three, law for jurisdiction-judgments, environment + industry
# for single-use-plastics. Rewards: the gold alone 1; gold + "trade" P 1/2 R 1 F1 2/3 (two gold:
# P 2/3 R 1 F1 4/5); "trade" alone 0.
ENV, TRADE = domains("environment"), domains("trade")
SCRIPT = {
    A: {
        "waste-framework": [ENV, domains("environment", "trade"), TRADE],  # 1, 2/3, 0
        "habitats": [TRADE, TRADE, TRADE],  # always the minimum
        "water-framework": [ENV, ENV, ENV],  # always the maximum
        "jurisdiction-judgments": [domains("law", "trade")] * 3,  # flat at 2/3
        "single-use-plastics": [domains("environment", "industry"), TRADE, None],  # 1, 0, refused
    },
    B: {
        item: [gold, domains(*json.loads(gold)["domains"], "trade"), gold]
        for item, gold in [
            ("waste-framework", ENV),
            ("habitats", ENV),
            ("water-framework", ENV),
            ("jurisdiction-judgments", domains("law")),
            ("single-use-plastics", domains("environment", "industry")),
        ]
    },  # fmt: skip
}


def _prepare(tmp_path: Path, samples: int = 3):  # noqa: ANN202
    items = eurovoc_items(tmp_path / "items.jsonl", ITEMS)
    request = BaselineRequest(rubric=EUROVOC / "rubric.yaml", items=items, models=(A, B),
                              samples=samples, out=tmp_path / "run", figures=False)  # fmt: skip
    return prepare_baseline(request)


def _run(prepared, settings: ClientSettings):  # noqa: ANN001, ANN202
    return asyncio.run(execute_baseline(prepared, settings))


def test_report_numbers_equal_the_hand_computed_ones_and_a_rerun_is_free(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    prepared = _prepare(tmp_path)
    keys = script_samples(fake_openai, prepared, SCRIPT, reasoning={A: 100, B: 300})
    refused = keys[A][("single-use-plastics", 2)]
    fake_openai.fault(Fault.refusal(), match=lambda r: r.identity == refused)
    outcome = _run(prepared, client_settings)
    sent = fake_openai.count()
    assert sent == 2 * 5 * 3  # one generation per model, item and sample; no judge
    data = outcome.data
    study = {r["item_id"]: r for r in data["variance_study"][A]["items"]}
    # waste-framework: rewards 1, 2/3, 0: mean 5/9; deviations 4/9, 1/9, -5/9;
    # var = (16 + 1 + 25) / 81 / (3 - 1) = 21/81 = 7/27
    waste = study["waste-framework"]
    assert waste["mean"] == pytest.approx(5 / 9) and waste["max"] == 1 and waste["min"] == 0
    assert waste["var"] == pytest.approx(7 / 27) and waste["sd"] == pytest.approx((7 / 27) ** 0.5)
    # single-use-plastics: 1 and 0 scored, the refused sample left out (not a 0):
    # mean 1/2, var = (1/4 + 1/4) / (2 - 1) = 1/2, n 2
    plastics = study["single-use-plastics"]
    assert (plastics["n"], plastics["mean"], plastics["max"]) == (2, 0.5, 1.0)
    assert plastics["var"] == pytest.approx(0.5)
    assert (study["habitats"]["mean"], study["habitats"]["var"]) == (0.0, 0.0)
    assert study["jurisdiction-judgments"]["mean"] == pytest.approx(2 / 3)
    assert [r["item_id"] for r in data["variance_study"][A]["items"]] == [
        "habitats", "single-use-plastics", "waste-framework", "jurisdiction-judgments",
        "water-framework"]  # sorted by mean  # fmt: skip
    summary = data["variance_study"][A]["summary"]
    # overall mean = (5/9 + 0 + 1 + 2/3 + 1/2) / 5 = 49/90; mean of maxima = (1+0+1+2/3+1)/5
    # = 11/15; mean variance = (7/27 + 0 + 0 + 0 + 1/2) / 5 = 41/270; 14 scored samples
    assert summary["overall_mean"] == pytest.approx(49 / 90)
    assert summary["mean_max"] == pytest.approx(11 / 15)
    assert summary["mean_variance"] == pytest.approx(41 / 270)
    assert summary["samples"] == 14
    signal = data["learning_signal"][A]
    # 3 of 5 items have zero variance; 1 always at the minimum, 1 at the maximum;
    # headroom = (4/9 + 0 + 0 + 0 + 1/2) / 5 = 17/90
    assert signal["share_zero_variance"] == pytest.approx(0.6)
    assert signal["share_all_min"] == pytest.approx(0.2)
    assert signal["share_all_max"] == pytest.approx(0.2)
    assert signal["headroom"] == pytest.approx(17 / 90)
    assert (signal["fix"], signal["drop"], signal["flat"]) == (
        ["habitats"], ["water-framework"], ["jurisdiction-judgments"])  # fmt: skip
    assert signal["status"] == "limited" and "2 of 5 items (40%)" in signal["verdict"]
    # model B: every item varies (1, 2/3 or 4/5, 1): likely
    other = data["learning_signal"][B]
    assert other["share_zero_variance"] == 0 and other["status"] == "likely"
    # B's headroom = (4 * (1 - 8/9) + (1 - 2.8/3)) / 5
    assert other["headroom"] == pytest.approx((4 / 9 + (1 - 2.8 / 3)) / 5)
    # unscored: counted and listed, never averaged in
    assert data["unscored"][A]["count"] == 1 and data["unscored"][B]["count"] == 0
    listed = data["unscored"][A]["list"][0]
    assert (listed["item_id"], listed["sample"]) == ("single-use-plastics", 2)
    assert "refusal" in listed["error"]
    # reasoning tokens (the refused sample reports none) and cost (B has no price)
    assert data["usage"][A]["reasoning_tokens_mean"] == pytest.approx(14 * 100 / 15)
    assert data["usage"][B]["reasoning_tokens_mean"] == 300
    samples = pd.read_csv(tmp_path / "run" / "samples.csv")
    mine = samples[samples["model"] == A]
    priced = (mine["input_tokens"] * 0.4 + mine["output_tokens"] * 1.6).sum() / 1e6
    assert data["usage"][A]["generation_cost_usd"] == pytest.approx(priced)
    assert data["usage"][B]["generation_cost_usd"] is None
    assert (mine["latency_s"].notna() == mine["scored"]).all()  # live calls have a latency

    report = (tmp_path / "run" / "report.json").read_bytes()
    second = _run(_prepare(tmp_path), client_settings)
    assert fake_openai.count() == sent  # zero new requests: every sample replayed
    assert second.manifest["usage"]["calls"] == 0 and second.manifest["usage"]["cached"] == sent
    again = json.loads(report)
    for key in ("variance_study", "learning_signal", "criteria", "labels", "unscored"):
        assert second.data[key] == again[key], key
    # the latency measured by the first run is kept for the replayed samples
    assert second.data["usage"][A]["latency_mean_s"] == again["usage"][A]["latency_mean_s"]


def test_the_run_directory_follows_the_calibration_contract(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    prepared = _prepare(tmp_path, samples=2)
    script_samples(fake_openai, prepared, SCRIPT)
    outcome = _run(prepared, client_settings)
    out = tmp_path / "run"
    for name in ("grader.json", "rubric.yaml", "items.jsonl", "run.json", "grades.csv",
                 "samples.csv", "records.jsonl", "experts.csv", "report.md", "report.html",
                 "report.json"):  # fmt: skip
        assert (out / name).is_file(), name
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["kind"] == "baseline" and manifest["status"] == "complete"
    assert manifest["models"] == [A, B] and manifest["samples"] == 2
    assert (out / "grader.json").read_bytes() == prepared.grader_bytes
    grades = pd.read_csv(out / "grades.csv", keep_default_na=False)
    assert list(grades.columns)[-2:] == ["model", "sample"]
    assert set(grades["answer_id"]) == {f"{m}#{i}" for m in (A, B) for i in range(2)}
    assert set(grades["criterion"]) == {"f1", "precision", "recall", "__total__"}
    assert len(grades) == 2 * 5 * 2 * 4 and set(grades["repeat"]) == {0}
    lines = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    assert len(lines) == 20 and list(lines[0])[:3] == ["item_id", "answer_id", "repeat"]
    first = next(x for x in lines if x["answer_id"] == f"{A}#0" and x["item_id"] == "habitats")
    assert first["text"] == SCRIPT[A]["habitats"][0]
    assert first["generation"]["messages"][-1]["role"] == "user"
    assert first["record"]["reward"] == 0.0 and first["record"]["scored"] is True
    assert outcome.manifest["counts"]["samples"] == 20


def test_more_samples_later_only_pay_for_the_new_ones(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    prepared = _prepare(tmp_path, samples=2)
    script_samples(fake_openai, prepared, SCRIPT)
    _run(prepared, client_settings)
    assert fake_openai.count() == 2 * 5 * 2
    bigger = _prepare(tmp_path, samples=3)
    script_samples(fake_openai, bigger, SCRIPT)
    outcome = _run(bigger, client_settings)
    assert fake_openai.count() == 2 * 5 * 3  # only sample index 2 was new
    assert outcome.manifest["usage"]["cached"] == 2 * 5 * 2
    assert math.isclose(outcome.data["variance_study"][B]["summary"]["samples"], 15)


def test_failed_generations_are_unscored_and_a_rerun_pays_only_for_them(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    prepared = _prepare(tmp_path, samples=2)
    keys = script_samples(fake_openai, prepared, SCRIPT)
    broken = {keys[B][("habitats", 0)], keys[B][("habitats", 1)]}
    fake_openai.fail(500, times=2, match=lambda r: r.identity in broken)
    cut = keys[A][("water-framework", 1)]
    fake_openai.fault(Fault.truncated(), match=lambda r: r.identity == cut)
    settings = client_settings.model_copy(update={"max_retries": 0})
    first = _run(prepared, settings).data
    assert first["unscored"][B]["count"] == 2
    (truncated,) = first["unscored"][A]["list"]
    assert truncated["item_id"] == "water-framework" and "(truncated)" in truncated["error"]
    lines = [json.loads(x) for x in (tmp_path / "run" / "records.jsonl").read_text().splitlines()]
    (line,) = [x for x in lines if x["generation"]["key"] == cut]
    assert line["record"]["metadata"]["errors"]["truncated_observation_error"] is True
    assert all("generation failed (server_error)" in s["error"]
               for s in first["unscored"][B]["list"])  # fmt: skip
    assert first["learning_signal"][B]["too_few"] == ["habitats"]  # not two zeros
    grades = pd.read_csv(tmp_path / "run" / "grades.csv", keep_default_na=False)
    lost = grades[(grades["model"] == B) & (grades["item_id"] == "habitats")]
    assert set(lost["scored"]) == {False} and lost["error"].str.startswith("no sample:").all()
    sent = fake_openai.count()
    second = _run(_prepare(tmp_path, samples=2), settings).data
    assert fake_openai.count() == sent + 2  # only the two failed calls are sent again
    assert second["unscored"][B]["count"] == 0


def test_batch_mode_samples_through_the_batch_api(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    from rubricate.judge.client import open_client

    def quick(settings: ClientSettings):  # noqa: ANN202
        client = open_client(settings)
        assert client is not None and client.batch is not None
        client.batch.idle_s = client.batch.poll_s = 0.05
        return client

    prepared = _prepare(tmp_path, samples=2)
    script_samples(fake_openai, prepared, SCRIPT)
    settings = client_settings.model_copy(update={"batch": True})
    outcome = asyncio.run(execute_baseline(prepared, settings, open_client=quick))
    assert fake_openai.count() == 0 and fake_openai.count(batch=True) == 2 * 5 * 2
    study = {r["item_id"]: r for r in outcome.data["variance_study"][A]["items"]}
    assert study["waste-framework"]["mean"] == pytest.approx((1 + 2 / 3) / 2)
    assert outcome.data["unscored"][A]["count"] == 0
