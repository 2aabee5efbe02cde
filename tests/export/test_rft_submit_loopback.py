"""Submitting and following an RFT job end to end against the loopback server.

The real ``openai`` SDK (``OpenAI`` and ``AzureOpenAI``) talks HTTP to
:class:`~rubricate.testing.server.FakeOpenAI` with the fine-tuning routes installed: files are
uploaded with purpose ``fine-tune``, the job is created with the exact payload of
``job.json``, and the scripted job goes queued -> running (metrics) -> succeeded.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from rubricate.errors import InputError, ModelError
from rubricate.export.platforms import jobs
from rubricate.export.platforms.sdk import Provider, open_sdk
from rubricate.export.platforms.submit import OPENAI_CUTOFF, cutoff_notice, submit_bundle
from rubricate.export.platforms.validate_remote import validate_remote
from rubricate.export.rft.bundle import write_files
from rubricate.export.rft.prepare import RftOptions, prepare_rft
from rubricate.testing import finetune_routes
from rubricate.testing.pytest_plugin import FAKE_API_KEY
from rubricate.testing.server import FakeOpenAI
from tests.export.conftest import BALANCED_TRAIN, review_rows, write_jsonl

AZURE_KEY = "azure-test-KEY-abcdef0123456789"


@pytest.fixture
def bundle(sentiment: Path, tmp_path: Path) -> Path:
    options = RftOptions(
        rubric=sentiment,
        train=write_jsonl(tmp_path / "train.jsonl", review_rows(BALANCED_TRAIN)),
        valid=write_jsonl(tmp_path / "valid.jsonl", review_rows(["positive", "neutral"], 100)),
        model="o4-mini-2025-04-16",
        out=tmp_path / "bundle",
        hyperparameters=["n_epochs=2", "reasoning_effort=medium"],
        suffix="sentiment",
        seed=11,
        runs_root=tmp_path,
    )
    prepared = prepare_rft(options)
    assert prepared.errors == []
    write_files(options.out, prepared.files())
    return options.out


def _openai(fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> tuple[object, Provider]:
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    return open_sdk()


def _azure(fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> tuple[object, Provider]:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", f"http://127.0.0.1:{fake.port}")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", AZURE_KEY)
    monkeypatch.setenv("OPENAI_API_VERSION", "2025-04-01-preview")
    return open_sdk(azure=True)


@pytest.mark.parametrize("provider_name", ["openai", "azure"])
def test_submit_uploads_creates_the_exact_job_and_follows_it(
    bundle: Path, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, provider_name: str
) -> None:
    state = finetune_routes.install(fake_openai)
    opener = _openai if provider_name == "openai" else _azure
    client, provider = opener(fake_openai, monkeypatch)
    with client:
        record = submit_bundle(bundle, client, provider)
        updates: list[tuple[str, int]] = []
        job, events = jobs.follow(
            client,
            provider,
            record["job_id"],
            poll_s=0,
            on_update=lambda j, new: updates.append((j["status"], len(new))),
        )
        checkpoints = jobs.list_checkpoints(client, provider, record["job_id"])

    # both files uploaded for fine-tuning, byte for byte
    uploads = {f["object"]["id"]: f for f in fake_openai.files.values()}
    assert set(uploads) == {record["training_file"], record["validation_file"]}
    assert {f["object"]["purpose"] for f in uploads.values()} == {"fine-tune"}
    assert uploads[record["training_file"]]["data"] == (bundle / "train.jsonl").read_bytes()
    assert uploads[record["validation_file"]]["data"] == (bundle / "valid.jsonl").read_bytes()
    # the job created with exactly job.json, the file ids filled in
    expected = json.loads((bundle / "job.json").read_text(encoding="utf-8"))
    expected["training_file"] = record["training_file"]
    expected["validation_file"] = record["validation_file"]
    assert state.created == [expected]
    assert expected["method"]["reinforcement"]["grader"] == json.loads(
        (bundle / "grader.json").read_text(encoding="utf-8")
    )
    # the right client spoke, with its own credentials
    agents = {r.headers.get("user-agent", "").split("/")[0] for r in fake_openai.requests}
    assert agents == {"AzureOpenAI" if provider_name == "azure" else "OpenAI"}
    assert all(r.authorized for r in fake_openai.requests)
    # followed to a terminal state through the scripted stages
    assert job["status"] == "succeeded" and job["fine_tuned_model"]
    assert [s for s, _ in updates] == ["queued", "running", "running", "succeeded"]
    assert jobs.curves(events) == {
        "train_reward_mean": [(1.0, 0.31), (2.0, 0.42), (3.0, 0.55), (4.0, 0.61)],
        "valid_reward_mean": [(1.0, 0.29), (2.0, 0.37), (3.0, 0.46), (4.0, 0.52)],
    }
    assert [c["step_number"] for c in checkpoints] == [3, 4]
    saved = json.loads((bundle / "submission.json").read_text(encoding="utf-8"))
    assert saved == record and saved["provider"]["name"] == provider_name
    assert AZURE_KEY not in json.dumps(saved) and FAKE_API_KEY not in json.dumps(saved)


def test_a_failed_job_and_cancel(fake_openai: FakeOpenAI, bundle: Path, monkeypatch) -> None:
    error = {"code": "invalid_grader", "message": "grader failed on 40% of samples", "param": None}
    finetune_routes.install(
        fake_openai,
        [finetune_routes.Stage("running"), finetune_routes.Stage("failed", error=error)],
    )
    client, provider = _openai(fake_openai, monkeypatch)
    with client:
        first = submit_bundle(bundle, client, provider)
        job, _ = jobs.follow(client, provider, first["job_id"], poll_s=0)
        assert job["status"] == "failed" and job["error"]["message"] == error["message"]
        second = submit_bundle(bundle, client, provider)
        assert jobs.cancel(client, provider, second["job_id"])["status"] == "cancelled"
        with pytest.raises(ModelError) as caught:
            jobs.cancel(client, provider, second["job_id"])
    assert caught.value.status_code == 400
    assert "is already cancelled" in caught.value.msg


def test_api_refusals_are_model_errors_without_the_key(fake_openai, bundle, monkeypatch) -> None:
    client, provider = _openai(fake_openai, monkeypatch)  # no fine-tuning routes: 404s
    with client, pytest.raises(ModelError) as caught:
        jobs.retrieve(client, provider, "ftjob-missing")
    assert caught.value.msg.startswith(
        "cannot read job ftjob-missing: HTTP 404 from OpenAI-compatible server"
    )
    assert FAKE_API_KEY not in caught.value.msg


def test_remote_grader_validation(fake_openai: FakeOpenAI, monkeypatch) -> None:
    state = finetune_routes.install(fake_openai)
    client, provider = _openai(fake_openai, monkeypatch)
    good = {"type": "string_check", "name": "g", "input": "{{ sample.output_text }}",
            "reference": "yes", "operation": "eq"}  # fmt: skip
    with client:
        assert validate_remote(client, provider, good).ok
        verdict = validate_remote(client, provider, {**good, "operation": "equals"})
    assert not verdict.ok and verdict.status_code == 400
    assert "operation" in (verdict.message or "")
    assert [b["grader"]["operation"] for b in state.validated] == ["eq", "equals"]


def test_missing_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="set OPENAI_API_KEY"):
        open_sdk()
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "http://127.0.0.1:1")
    with pytest.raises(InputError, match="AZURE_OPENAI_API_KEY"):
        open_sdk(azure=True)


def test_cutoff_notice() -> None:
    api = Provider("openai", None)
    before = cutoff_notice(api, date(2026, 11, 22))
    assert before is not None and before[0] == "note" and "(45 days from now)" in before[1]
    after = cutoff_notice(api, OPENAI_CUTOFF)
    assert after is not None and after[0] == "warning"
    assert after[1].startswith("OpenAI's fine-tuning takes no new jobs since 2027-01-06")
    assert "--azure" in after[1]
    assert cutoff_notice(Provider("openai", "https://api.openai.com/v1"), OPENAI_CUTOFF) == after
    assert cutoff_notice(Provider("azure", "https://x.openai.azure.com"), OPENAI_CUTOFF) is None
    assert cutoff_notice(Provider("openai", "http://localhost:8000/v1"), OPENAI_CUTOFF) is None
