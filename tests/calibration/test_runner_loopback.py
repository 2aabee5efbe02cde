"""Calibration runs against the loopback server with a scripted judge.

The judge flips each criterion's true verdict with its own probability p; the run must recover
every p within its interval and rank the unstable criteria right. Reruns replay every call from
the store; an interrupted run keeps what it finished.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pandas as pd
import pytest

from rubricate.calibration.run.execution import execute
from rubricate.calibration.run.session import CalibrateRequest, prepare
from rubricate.judge.calls import ClientSettings
from rubricate.testing import FakeOpenAI
from tests.calibration.calib_fixtures import scripted_judge, write_rubric, write_set

FLIP_P = {"a": 0.0, "b": 0.05, "c": 0.15, "d": 0.35}


def _request(tmp_path: Path, repeats: int | None, **extra) -> CalibrateRequest:  # noqa: ANN003
    rubric = write_rubric(tmp_path / "rubric.yaml", list(FLIP_P))
    truth = {"great": list(FLIP_P), "fair": ["a", "b"], "poor": []}
    calset = write_set(tmp_path / "set.jsonl", extra.pop("n_items", 10), truth)
    return CalibrateRequest(rubric=rubric, calibration_set=calset, out=tmp_path / "run",
                            repeats=repeats, figures=False, **extra)  # fmt: skip


def _run(request: CalibrateRequest, settings: ClientSettings):  # noqa: ANN202
    return asyncio.run(execute(prepare(request), settings))


def test_flip_probabilities_are_recovered_and_ranked(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    fake_openai.policy.score = scripted_judge(FLIP_P)
    outcome = _run(_request(tmp_path, 6), client_settings)
    rows = {r["criterion"]: r for r in outcome.data["stability"]["criteria"]}
    for criterion, p in FLIP_P.items():
        row = rows[criterion]
        assert row["n_answers"] == 30
        assert (row["flip_p_low"] or 0.0) <= p <= row["flip_p_high"], (criterion, p, row)
    # the report ranks the unstable criteria right: by flip_p, and in what to rewrite first
    ranked = sorted(FLIP_P, key=lambda c: rows[c]["flip_p"], reverse=True)
    assert ranked == ["d", "c", "b", "a"]
    rewrite = [r["criterion"] for r in outcome.data["readiness"]["rewrite_first"]]
    assert rewrite[:2] == ["d", "c"] and "a" not in rewrite
    assert outcome.data["verdict"]["status"] == "not_ready"
    assert any("flips often on d" in p for p in outcome.data["verdict"]["problems"])
    # every call went to the server once: 30 answers x 6 repeats x 4 criteria
    assert outcome.manifest["usage"]["calls"] == 720 and fake_openai.count() == 720


def test_rerun_replays_every_call_and_writes_the_same_grades(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    fake_openai.policy.score = scripted_judge(FLIP_P)
    request = _request(tmp_path, 2, n_items=3)
    first = _run(request, client_settings)
    grades_first = (tmp_path / "run" / "grades.csv").read_bytes()
    sent = fake_openai.count()
    assert sent == 3 * 3 * 2 * 4 and first.manifest["usage"]["calls"] == sent
    second = _run(request, client_settings)
    assert fake_openai.count() == sent  # zero new calls
    assert second.manifest["usage"]["calls"] == 0 and second.manifest["usage"]["cached"] == sent
    assert (tmp_path / "run" / "grades.csv").read_bytes() == grades_first
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["status"] == "complete" and run["judged_run"] is True
    assert run["grader_sha256"] == first.manifest["grader_sha256"]


def test_an_interrupted_run_keeps_its_grades_and_resumes_for_free(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    fake_openai.policy.score = scripted_judge(FLIP_P)
    fake_openai.answer_limit = 20  # later requests hang: the run is killed while waiting
    settings = client_settings.model_copy(update={"concurrency": 4})
    request = _request(tmp_path, 2, n_items=3)
    prepared = prepare(request)

    async def killed() -> None:
        task = asyncio.ensure_future(execute(prepared, settings))
        while fake_openai.answered_total < 20:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(killed())
    run_dir = tmp_path / "run"
    assert json.loads((run_dir / "run.json").read_text())["status"] == "partial"
    kept = (run_dir / "records.jsonl").read_text().splitlines()
    assert 1 <= len(kept) < 18  # the grades whose calls were all answered, flushed
    partial = pd.read_csv(run_dir / "grades.csv")
    assert len(partial) == len(kept) * 5  # 4 criteria and the total per grade
    fake_openai.drop_blocked()
    fake_openai.answer_limit = None
    before = fake_openai.count()
    outcome = _run(request, client_settings)
    assert outcome.manifest["status"] == "complete"
    assert outcome.manifest["usage"]["cached"] >= 20  # everything paid for was replayed
    assert fake_openai.count() - before == 72 - outcome.manifest["usage"]["cached"]


def test_unparseable_replies_are_unscored_counted_and_flagged(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    from rubricate.testing import Fault

    fake_openai.policy.score = scripted_judge({})
    fake_openai.fault(Fault.reply_text("I think it is met."), times=3, match="requirement b.")
    outcome = _run(_request(tmp_path, 2, n_items=3), client_settings)
    unscored = outcome.data["unscored"]
    assert unscored["unscored"] == 3 and unscored["rows"] == 72 and unscored["flag"] is True
    by_criterion = {r["criterion"]: r for r in unscored["per_criterion"]}
    assert by_criterion["b"]["n_unscored"] == 3
    assert "no JSON object" in by_criterion["b"]["top_error"]
    grades = pd.read_csv(tmp_path / "run" / "grades.csv")
    bad = grades[(grades["criterion"] == "b") & ~grades["scored"]]
    assert len(bad) == 3 and bad["score"].isna().all()  # never a silent 0
    assert outcome.manifest["counts"]["unscored_rows"] == 6  # b's rows and their totals
    assert any("unscored" in p for p in outcome.data["verdict"]["problems"])


def test_each_prompt_is_written_once_and_review_reads_it_back(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    """records.jsonl names each call's request by its SHA-256; prompts.jsonl holds the
    messages once per request, however many repeats sent it (written before the first record
    that names it); review reads every call back with the messages that were sent."""
    from rubricate.calibration.run.directory import open_run
    from rubricate.judge.store import CallStore

    fake_openai.policy.score = scripted_judge(FLIP_P)
    _run(_request(tmp_path, 3, n_items=2), client_settings)
    out = tmp_path / "run"
    prompts = [json.loads(line) for line in (out / "prompts.jsonl").read_text().splitlines()]
    shas = [p["sha256"] for p in prompts]
    assert len(shas) == len(set(shas)) == 2 * 3 * 4  # 6 answers x 4 criteria, not x 3 repeats
    lines = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    calls = [c for line in lines for c in line["record"]["calls"]]
    assert len(calls) == 2 * 3 * 4 * 3
    assert all("messages" not in c and c["request_sha256"] in set(shas) for c in calls)
    store = CallStore(client_settings.store_path)
    run = open_run(out)
    try:
        for item_id, answer_id, _ in run.records.offsets:
            for _, record in run.records.answer_records(item_id, answer_id):
                for call in record.calls:
                    sent = json.loads(store.request_json(call.key) or "{}")
                    assert call.messages == sent["messages"] and call.messages
    finally:
        store.close()


def test_a_prompt_is_on_disk_before_the_record_that_names_it(tmp_path: Path) -> None:
    from rubricate.calibration.run_files import RunWriter
    from rubricate.judge.calls import ModelRequest
    from rubricate.judge.records import GradeMetadata, GradeRecord, ModelCallRecord

    request = ModelRequest(model="j", messages=({"role": "user", "content": "grade it"},))
    call = ModelCallRecord(grader="g", key=request.key(0), request_sha256=request.sha256(),
                           model="j", messages=list(request.messages))  # fmt: skip
    record = GradeRecord(reward=1.0, metadata=GradeMetadata(name="g", type="score_model"),
                         calls=[call, call.model_copy(update={"grader": "h"})])  # fmt: skip
    writer = RunWriter(tmp_path / "run")
    writer.open_streams()
    writer.append_record({"item_id": "i", "answer_id": "a", "repeat": 0}, record, [])
    writer.append_record({"item_id": "i", "answer_id": "a", "repeat": 1}, record, [])
    # not closed: a run killed here has both files as they are now
    prompts = (tmp_path / "run" / "prompts.jsonl").read_text().splitlines()
    records = (tmp_path / "run" / "records.jsonl").read_text().splitlines()
    assert [json.loads(p) for p in prompts] == [
        {"sha256": request.sha256(), "messages": [{"role": "user", "content": "grade it"}]}
    ]
    assert len(records) == 2 and "grade it" not in "".join(records)
    writer.close_streams()
