"""``rubricate baseline``: every example against the loopback server, options, input errors."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from rubricate.cli import run
from rubricate.testing import FakeOpenAI, Generated
from rubricate.testing.messages import FakeRequest
from tests.calibration.baseline_fixtures import eurovoc_items

ROOT = Path(__file__).resolve().parents[2]
EUROVOC = ROOT / "examples" / "eurovoc"
ANSWERS = {
    "eurovoc": ['{"domains": ["environment"]}', '{"domains": ["law", "finance"]}', "no idea"],
    "citations": ['{"passages": ["The Tenant may terminate the lease"]}', '{"passages": []}'],
    "accordance_tax": [
        "[[PASS]] Alex 33.33%, Barbara 20%, Dana 13.33%; $300,000; $248,333",
        "The memo is short.",
    ],  # fmt: skip
}


def _answers(example: str, models: tuple[str, ...] = ("cand",)):  # noqa: ANN202
    """Generation replies picked by the call key (a different text per sample)."""
    texts = ANSWERS[example]

    def generate(request: FakeRequest) -> Generated | None:
        if (request.body or {}).get("model") not in models:
            return None  # a judge call: the score policy answers
        pick = int(hashlib.sha256(request.identity.encode()).hexdigest()[:8], 16)
        return Generated(texts[pick % len(texts)], reasoning_tokens=64)

    return generate


def _baseline(example: str, out: Path, *extra: str) -> int:
    folder = ROOT / "examples" / example
    items = [] if "--items" in extra else ["--items", str(folder / "items.jsonl")]
    return run(["baseline", str(folder / "rubric.yaml"), *items, "--out", str(out),
                "--store", str(out.parent / "calls.sqlite"), *extra])  # fmt: skip


@pytest.mark.parametrize("example", ["accordance_tax", "eurovoc", "citations"])
def test_every_example_against_the_loopback_server(
    example: str, fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    fake_openai_env.generate = _answers(example)
    out = tmp_path / "run"
    figures = [] if example == "eurovoc" else ["--no-figures"]
    assert _baseline(example, out, "--model", "cand", "--samples", "2", "--json", *figures) == 0
    summary = json.loads(capsys.readouterr().out)
    items = len((ROOT / "examples" / example / "items.jsonl").read_text().splitlines())
    report = json.loads((out / "report.json").read_text())
    assert report["models"] == ["cand"] and summary["models"]["cand"]["status"]
    study = report["variance_study"]["cand"]["summary"]
    assert study["items"] == items and study["samples"] == 2 * items  # every sample scored
    assert report["unscored"]["cand"]["count"] == 0
    assert report["usage"]["cand"]["reasoning_tokens_mean"] == 64
    compiled = tmp_path / "compiled.json"
    rubric = str(ROOT / "examples" / example / "rubric.yaml")
    assert run(["compile", rubric, "-o", str(compiled)]) == 0
    assert compiled.read_bytes() == (out / "grader.json").read_bytes()  # the exported grader
    generations = [r for r in fake_openai_env.model_requests() if r.body["model"] == "cand"]
    assert len(generations) == 2 * items
    if example == "accordance_tax":  # judged criteria go to the rubric's judge on the server
        assert report["usage"]["cand"]["judge_calls"] > 0
        assert fake_openai_env.count() > len(generations)
    html = (out / "report.html").read_text()
    assert "<script" not in html and "http://" not in html and "https://" not in html
    if example == "eurovoc":
        for name in ("variance_study", "criteria"):
            png = (out / "figures" / f"{name}.png").read_bytes()
            assert base64.b64encode(png).decode() in html  # embedded, self-contained


def test_no_endpoint_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "run"
    assert _baseline("eurovoc", out, "--model", "cand") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("rubricate: error: no model endpoint configured")
    assert "OPENAI_API_KEY" in err[0] and "--base-url" in err[0]
    assert not out.exists()


def test_generation_options_reach_every_request_and_two_models_print_side_by_side(
    fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    fake_openai_env.generate = _answers("eurovoc", ("a", "b"))
    schema = {"type": "object", "properties": {"domains": {"type": "array",
              "items": {"type": "string"}}}, "required": ["domains"],
              "additionalProperties": False}  # fmt: skip
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    out = tmp_path / "run"
    train = eurovoc_items(tmp_path / "train.jsonl", ["habitats", "law-enforcement-data",
                                                     "payment-services", "water-framework",
                                                     "general-food-law"])  # fmt: skip
    code = _baseline("eurovoc", out, "--items", str(train), "--model", "a", "--model", "b",
                     "--samples", "2",
                     "--temperature", "0.7", "--reasoning-effort", "low", "--developer",
                     "Be brief.", "--response-format", str(tmp_path / "schema.json"),
                     "--max-output-tokens", "256", "--no-figures")  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert text.count("verdict:") == 2 and "\na: mean" in text and "\nb: mean" in text
    bodies = [r.body for r in fake_openai_env.model_requests()]
    assert len(bodies) == 2 * 5 * 2
    for body in bodies:
        assert body["temperature"] == 0.7 and body["reasoning_effort"] == "low"
        # the developer message goes as system to a server on this machine (not OpenAI's API)
        assert body["messages"][0] == {"role": "system", "content": "Be brief."}
        assert body["max_tokens"] == body["max_completion_tokens"] == 256
        assert body["response_format"]["json_schema"]["name"] == "eurovoc-domains"
        assert body["response_format"]["json_schema"]["schema"] == schema
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["generation"]["temperature"] == 0.7
    assert manifest["generation"]["developer"] == "Be brief."
    assert manifest["generation"]["max_output_tokens"] == 256
    endpoint = manifest["endpoint"]
    assert endpoint["local"] is True and manifest["usage"]["local"] is True
    assert endpoint["models"]["a"]["developer_role"] == "sent as system"
    assert endpoint["models"]["a"]["structured_output"] == "json_schema"
    markdown = (out / "report.md").read_text()
    assert "| figure | `a` | `b` |" in markdown  # one column per model
    assert "`a` mean | `a` max | `a` min | `a` SD" in markdown
    assert "`b` mean | `b` max | `b` min | `b` SD" in markdown


def test_warnings_for_a_developer_message_not_used_and_a_single_sample(
    fake_openai_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    fake_openai_env.generate = _answers("eurovoc")
    out = tmp_path / "run"
    assert _baseline("eurovoc", out, "--model", "cand", "--samples", "1", "--developer", "Hi.",
                     "--no-figures") == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "--developer is not added to the 5 item(s) that carry their own messages" in err
    assert "--samples 1: one sample per item shows no spread" in err
    report = json.loads((out / "report.json").read_text())
    assert report["learning_signal"]["cand"]["status"] == "unknown"
    assert all(r.body["messages"][0]["role"] == "user" for r in fake_openai_env.model_requests())


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--model", "a", "--model", "a"], "--model a is given twice"),
        (["--model", "a", "--response-format", "{missing}"], "no such response format JSON file"),
        (["--model", "a", "--response-format", "{bad}"], "bad.json:1:2: not valid JSON"),
        (["--model", "a", "--response-format", "{text}"], "needs no schema file"),
        (["--model", "a", "--items", "{thin}"], "thin.jsonl lack it (line 2)"),
        ([], "baseline: missing option '--model' (see rubricate baseline --help)"),
    ],
)
def test_bad_input_exits_2_naming_what_to_fix(
    args: list[str],
    words: str,
    fake_openai_env: FakeOpenAI,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "text.json").write_text('{"type": "text"}')
    item = json.loads((EUROVOC / "items.jsonl").read_text().splitlines()[0])
    lacking = {k: v for k, v in item.items() if k != "text"}
    (tmp_path / "thin.jsonl").write_text(json.dumps(item) + "\n" + json.dumps(lacking) + "\n")
    paths = {"missing": tmp_path / "none.json", "bad": tmp_path / "bad.json",
             "text": tmp_path / "text.json", "thin": tmp_path / "thin.jsonl"}  # fmt: skip
    argv = [a.format(**paths) for a in args]
    if "--items" not in argv:
        argv += ["--items", str(EUROVOC / "items.jsonl")]
    code = run(["baseline", str(EUROVOC / "rubric.yaml"), "--out", str(tmp_path / "run"), *argv])
    assert code == 2
    assert words in capsys.readouterr().err
    assert fake_openai_env.count() == 0 and not (tmp_path / "run").exists()
