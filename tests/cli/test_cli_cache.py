"""``rubricate cache stats|clear`` and the shared client options."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from rubricate.cli import run
from rubricate.commands._client_options import client_options, require_client
from rubricate.errors import InputError
from rubricate.judge.calls import CallError, ClientSettings, ModelReply, ModelRequest, Usage
from rubricate.judge.store import CallStore


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "calls.sqlite"
    request = ModelRequest(model="gpt-4.1-mini", messages=({"role": "user", "content": "q"},))
    with CallStore(path) as opened:
        usage = Usage(input_tokens=1_000_000, output_tokens=100_000)
        opened.put("a", request, ModelReply(text="x", usage=usage))
        refused = ModelReply(refusal="no", error=CallError(kind="refusal", message="no"))
        opened.put("b", request.model_copy(update={"model": "local-llm"}), refused)
        opened.put_error("c", request, CallError(kind="timeout", message="slow"), 7)
    return str(path)


def test_stats_json(store, capsys):
    assert run(["cache", "stats", "--store", store, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["answers"] == 2 and stats["failed_calls"] == {"timeout": 1}
    assert stats["answers_with_errors"] == {"refusal": 1}
    # 1M input at $0.40 + 0.1M output at $1.60 per million
    assert stats["cost_usd"] == pytest.approx(0.4 + 0.16)
    assert stats["models"]["local-llm"]["cost_usd"] is None
    assert stats["unpriced_models"] == ["local-llm"]


def test_stats_text(store, capsys):
    assert run(["cache", "stats", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "answers: 2 (of which refusal 1)" in out
    assert "calls without an answer: 1 (timeout 1)" in out
    assert "cost of the stored answers: ~$0.5600" in out and "unpriced" in out


def test_stats_on_a_missing_store(tmp_path, capsys):
    assert run(["cache", "stats", "--store", str(tmp_path / "none.sqlite")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rubricate: error: ") and "no call store there" in err


def test_stats_on_a_file_that_is_not_a_store(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello, not sqlite " * 100)
    assert run(["cache", "stats", "--store", str(bad)]) == 2
    assert "not a rubricate call store" in capsys.readouterr().err


def test_clear_needs_yes_when_not_interactive(store, capsys):
    assert run(["cache", "clear", "--store", store]) == 2
    assert "refusing to delete 2 stored answers without --yes" in capsys.readouterr().err
    assert run(["cache", "clear", "--store", store, "--errors-only", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["removed"] == {"errors": 1}
    assert run(["cache", "clear", "--store", store, "--yes"]) == 0
    removed = "removed 0 errors, 2 calls, 0 batches, 0 endpoints"
    assert capsys.readouterr().out.strip() == f"{removed} from {store}"
    with CallStore(store) as opened:
        assert opened.count() == 0


def _probe() -> click.Command:
    @click.command()
    @client_options
    def probe(client_settings: ClientSettings) -> None:
        click.echo(client_settings.model_dump_json())

    return probe


def test_client_options_build_settings():
    result = CliRunner().invoke(
        _probe(),
        [
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--concurrency",
            "4",
            "--rpm",
            "60",
            "--tpm",
            "9000",
            "--timeout",
            "2.5",
            "--max-retries",
            "0",
            "--store",
            "s.db",
            "--no-cache",
            "--batch",
            "--api",
            "responses",
        ],
    )
    assert result.exit_code == 0, result.output
    assert ClientSettings.model_validate_json(result.output) == ClientSettings(
        base_url="http://127.0.0.1:9/v1",
        concurrency=4,
        rpm=60,
        tpm=9000,
        timeout_s=2.5,
        max_retries=0,
        store_path="s.db",
        use_cache=False,
        batch=True,
        api="responses",
    )


def test_client_option_defaults_and_validation():
    result = CliRunner().invoke(_probe(), [])
    assert ClientSettings.model_validate_json(result.output) == ClientSettings()
    bad = CliRunner().invoke(_probe(), ["--concurrency", "0"])
    assert bad.exit_code == 2 and "--concurrency" in bad.output


def test_require_client_explains_how_to_configure(tmp_path):
    settings = ClientSettings(store_path=str(tmp_path / "c.sqlite"))
    with pytest.raises(InputError, match="set OPENAI_API_KEY, or pass --base-url"):
        require_client(settings)
    with pytest.raises(InputError, match="AZURE_OPENAI_ENDPOINT"):
        require_client(settings, azure=True)
