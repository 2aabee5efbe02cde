"""``rubricate grade``: end to end from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.cli import run
from rubricate.testing import FakeOpenAI, FakeRequest, FakeResponse

ROOT = Path(__file__).resolve().parents[2]

CHECK = {
    "type": "string_check",
    "name": "capital",
    "input": "{{ sample.output_text }}",
    "reference": "{{ item.answer }}",
    "operation": "ilike",
}


def _jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    grader = tmp_path / "grader.json"
    grader.write_text(json.dumps(CHECK), encoding="utf-8")
    items = _jsonl(tmp_path / "items.jsonl", [
        {"id": "fr", "answer": "Paris"},
        {"id": "de", "answer": "Berlin"},
        {"id": "it", "answer": "Rome"},
    ])  # fmt: skip
    samples = _jsonl(tmp_path / "samples.jsonl", [
        {"output_text": "It is paris."}, {"output_text": "Bonn"}, {"output_text": "ROME"},
    ])  # fmt: skip
    return {"grader": grader, "items": items, "samples": samples, "dir": tmp_path}


def _grade(files: dict[str, Path], *extra: str) -> int:
    return run(["grade", str(files["grader"]), "--items", str(files["items"]),
                "--samples", str(files["samples"]), *extra])  # fmt: skip


def test_text_summary_and_records(files: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    out = files["dir"] / "records.jsonl"
    assert _grade(files, "--out", str(out)) == 0
    stdout = capsys.readouterr().out
    assert "grader: string_check 'capital' (grader JSON)" in stdout
    assert "samples: 3  scored: 3  unscored: 0" in stdout
    assert "mean reward (scored only): 0.6667" in stdout
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["item_id"], r["sample_line"], r["reward"]) for r in rows] == [
        ("fr", 1, 1.0), ("de", 2, 0.0), ("it", 3, 1.0),
    ]  # fmt: skip
    assert rows[0]["metadata"]["errors"]["invalid_variable_error"] is False


def test_json_output_holds_summary_and_records(files, capsys) -> None:  # noqa: ANN001
    assert _grade(files, "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["count"] == 3 and data["summary"]["mean_reward"] == pytest.approx(2 / 3)
    assert [r["reward"] for r in data["records"]] == [1.0, 0.0, 1.0]
    assert data["grader"] == {"type": "string_check", "name": "capital", "source": "grader JSON"}


def test_samples_matched_by_item_id(files, capsys) -> None:  # noqa: ANN001
    _jsonl(files["samples"], [
        {"item_id": "it", "output_text": "Rome"},
        {"item_id": "fr", "output_text": "Lyon"},
        {"item_id": "it", "output_text": "Milan"},
    ])  # fmt: skip
    assert _grade(files, "--json") == 0
    records = json.loads(capsys.readouterr().out)["records"]
    assert [(r["item_id"], r["reward"]) for r in records] == [("it", 1.0), ("fr", 0.0), ("it", 0.0)]


def test_errors_are_counted_not_averaged(files, capsys) -> None:  # noqa: ANN001
    grader = {
        "type": "multi", "name": "m", "calculate_output": "cap + py",
        "graders": {
            "cap": CHECK,
            "py": {"type": "python", "name": "py", "source":
                   "def grade(sample, item):\n    if 'Bonn' in sample['output_text']:\n"
                   "        raise ValueError('no')\n    return 0.5\n"},
        },
    }  # fmt: skip
    files["grader"].write_text(json.dumps(grader), encoding="utf-8")
    assert _grade(files) == 1  # 1 of 3 unscored is above --max-unscored (2%)
    captured = capsys.readouterr()
    stdout = captured.out
    assert captured.err.endswith("rubricate: error: 1 of 3 samples (33%) are unscored (limit 2%, "
                                 "--max-unscored): sub-grader failed: py (python grader failed: "
                                 "ValueError: no)\n")  # fmt: skip
    assert "samples: 3  scored: 2  unscored: 1" in stdout
    assert "mean reward (scored only): 1.5000" in stdout  # (1.5 + 1.5) / 2, not / 3
    assert "python_grader_runtime_error  1" in stdout
    assert "cap  0.6667  n=3" in stdout and "py   0.5000  n=2" in stdout


def test_a_rubric_is_compiled_on_the_fly(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    example = ROOT / "examples" / "eurovoc"
    items = [json.loads(line) for line in (example / "items.jsonl").read_text().splitlines()]
    samples = _jsonl(tmp_path / "s.jsonl", [
        {"item_id": item["id"], "output_text": json.dumps({"domains": item["domains"]})}
        for item in items
    ])  # fmt: skip
    code = run(["grade", str(example / "rubric.yaml"), "--items", str(example / "items.jsonl"),
                "--samples", str(samples), "--json"])  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["grader"]["source"] == "rubric" and data["grader"]["type"] == "multi"
    assert data["summary"]["mean_reward"] == 1.0  # the gold labels get full marks
    assert data["summary"]["scored"] == len(items)


@pytest.mark.parametrize(
    "change, words",
    [
        ({"samples": [{"output_text": "a"}]}, ["1 samples for 3 items", "item_id"]),
        ({"samples": [{"item_id": "xx", "output_text": "a"}]}, ["samples.jsonl:1", "'xx'"]),
        ({"samples": [{"item_id": "fr", "output_text": "a"}, {"output_text": "b"}]},
         ["samples.jsonl:2", "no item_id"]),
        ({"samples": [{"text": "a"}, {"output_text": "b"}, {"output_text": "c"}]},
         ["samples.jsonl:1", "output_text is missing"]),
        ({"samples_raw": '{"output_text": "a"}\n{oops\n'}, ["samples.jsonl:2:2", "not valid JSON"]),
        ({"samples_raw": '["a"]\n'}, ["samples.jsonl:1", "JSON object"]),
        ({"samples_raw": "\n\n"}, ["samples.jsonl", "has no samples"]),
        ({"grader": {**CHECK, "operation": "neq"}}, ["grader.json: operation", "'ne'"]),
        ({"grader": {"hello": 1}}, ["not a grader config"]),
        ({"grader_raw": "{bad"}, ["grader.json:1:2", "not valid JSON"]),
        ({"items_raw": '{"answer": "x"}\n{"answer": "y"}\n{"answer": "z"}\n',
          "samples": [{"item_id": "a", "output_text": "x"}]}, ["items.jsonl:1", "no id"]),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(files, capsys, change: dict, words: list[str]) -> None:  # noqa: ANN001
    if "samples" in change:
        _jsonl(files["samples"], change["samples"])
    if "samples_raw" in change:
        files["samples"].write_text(change["samples_raw"], encoding="utf-8")
    if "items_raw" in change:
        files["items"].write_text(change["items_raw"], encoding="utf-8")
    if "grader" in change:
        files["grader"].write_text(json.dumps(change["grader"]), encoding="utf-8")
    if "grader_raw" in change:
        files["grader"].write_text(change["grader_raw"], encoding="utf-8")
    assert _grade(files) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("rubricate: error: ")
    for word in words:
        assert word in err[0]


def test_missing_files(files, capsys) -> None:  # noqa: ANN001
    assert run(["grade", "nope.json", "--items", str(files["items"]),
                "--samples", str(files["samples"])]) == 2  # fmt: skip
    assert "nope.json: no such grader" in capsys.readouterr().err
    files["items"].unlink()
    assert _grade(files) == 2
    assert "no such items file" in capsys.readouterr().err


JUDGE = {
    "type": "score_model",
    "name": "judge",
    "model": "o4-mini-2025-04-16",
    "input": [{"role": "user", "content": "{{ item.answer }} vs {{ sample.output_text }}"}],
}


def test_model_grader_against_the_loopback_server(
    files, capsys, fake_openai_env: FakeOpenAI
) -> None:  # noqa: ANN001,E501
    files["grader"].write_text(json.dumps(JUDGE), encoding="utf-8")
    _jsonl(files["samples"], [{"output_text": "[[PASS]] Paris"}, {"output_text": "Bonn"},
                              {"output_text": "[[SCORE=3]] Rome"}])  # fmt: skip
    store = files["dir"] / "calls.sqlite"
    out = files["dir"] / "r.jsonl"
    # one of three unscored is over --max-unscored's 2%: the records are written, exit 1
    assert _grade(files, "--store", str(store), "--out", str(out)) == 1
    captured = capsys.readouterr()
    assert "1 of 3" in captured.err and "--max-unscored" in captured.err
    # [[SCORE=3]] on the default range [0, 1]: clipped, so unscored, counted, not averaged
    assert "samples: 3  scored: 2  unscored: 1" in captured.out
    assert "mean reward (scored only): 0.5000" in captured.out
    assert "model_grader_clipped  1" in captured.out
    assert "clipped: 1 records had a judge result outside its range (unscored" in captured.out
    assert "model calls: 3 calls" in captured.err
    assert "model pace: " in captured.err and " of 16 slots busy on average" in captured.err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["reward"] for r in rows] == [1.0, 0.0, 1.0]  # the platform's rewards
    assert [r["scored"] for r in rows] == [True, True, False]
    assert rows[2]["metadata"]["errors"]["model_grader_clipped"] is True
    assert rows[2]["error"].startswith("model_grader_clipped: the judge replied 3")
    assert rows[0]["calls"][0]["messages"] == [
        {"role": "user", "content": "Paris vs [[PASS]] Paris"}
    ]
    # a rerun replays from the store: no new request
    assert _grade(files, "--store", str(store), "--max-unscored", "0.5") == 0
    assert fake_openai_env.count() == 3


def test_model_grader_without_endpoint_is_not_run(files, capsys) -> None:  # noqa: ANN001
    files["grader"].write_text(json.dumps(JUDGE), encoding="utf-8")
    assert _grade(files) == 1  # nothing scored is a failure, not a result
    captured = capsys.readouterr()
    assert "scored: 0  unscored: 3" in captured.out
    assert "model_grader_server_error  3" in captured.out
    assert "no model endpoint configured" in captured.err
    assert "3 samples were not graded by a model" in captured.err


def _remote_route(server: FakeOpenAI, request: FakeRequest) -> FakeResponse:
    """A stand-in graders-run endpoint: string_check eq, but 'Bonn' is scored 0.5."""
    body = request.body
    sample, item = body["model_sample"], body["item"]
    reward = 0.5 if sample == "Bonn" else float(item["answer"].lower() in sample.lower())
    errors = {k: False for k in ("formula_parse_error", "invalid_variable_error",
              "model_grader_parse_error", "model_grader_refusal_error",
              "model_grader_server_error", "other_error", "python_grader_runtime_error",
              "python_grader_server_error", "sample_parse_error",
              "truncated_observation_error", "unresponsive_reward_error")}  # fmt: skip
    return FakeResponse(200, {
        "reward": reward, "sub_rewards": {}, "model_grader_token_usage_per_model": {},
        "metadata": {"name": body["grader"]["name"], "type": body["grader"]["type"],
                     "errors": errors, "execution_time": 0.01, "scores": {},
                     "token_usage": None, "sampled_model_name": None},
    })  # fmt: skip


def test_remote_side_by_side(files, capsys, fake_openai_env: FakeOpenAI) -> None:  # noqa: ANN001
    fake_openai_env.add_route("POST", "/v1/fine_tuning/alpha/graders/run", _remote_route)
    out = files["dir"] / "r.jsonl"
    assert _grade(files, "--remote", "--out", str(out)) == 0
    stdout = capsys.readouterr().out
    assert "samples.jsonl:2    0.0000    0.5000   +0.5000  <-" in stdout
    assert "samples.jsonl:1    1.0000    1.0000   +0.0000\n" in stdout
    assert "1 of 3 differ; mean |local - remote| 0.1667" in stdout
    sent = fake_openai_env.model_requests("/v1/fine_tuning/alpha/graders/run")
    assert len(sent) == 3
    # the pairs go out concurrently, so they arrive in any order: match on content
    assert {"grader": CHECK, "model_sample": "It is paris.",
            "item": {"id": "fr", "answer": "Paris"}} in [r.body for r in sent]  # fmt: skip
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[1]["remote"]["reward"] == 0.5


def test_remote_errors_are_reported_per_pair(files, capsys, fake_openai_env: FakeOpenAI) -> None:  # noqa: ANN001
    assert _grade(files, "--remote", "--max-retries", "0", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    rows = data["remote"]["rows"]
    assert all(row["remote"] is None and "HTTP 404" in row["remote_error"] for row in rows)
    assert data["remote"]["differ"] == 3


def test_shipped_eurovoc_samples_hand_checked(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """The README's grade command on examples/eurovoc gives the hand-computed F1 values."""
    folder = ROOT / "examples" / "eurovoc"
    out = tmp_path / "records.jsonl"
    argv = ["grade", str(folder / "rubric.yaml"), "--items", str(folder / "items.jsonl"),
            "--samples", str(folder / "samples.jsonl"), "--out", str(out), "--json"]  # fmt: skip
    assert run(argv) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # exact; 2 of 3 (P 1, R 2/3); 1 of 3 said, 1 of 2 gold (P 1/3, R 1/2); fenced JSON with
    # another case (P 1, R 2/3); prose, not JSON (nothing named)
    assert [r["reward"] for r in records] == pytest.approx([1.0, 0.8, 0.4, 0.8, 0.0])
    assert [r["sub_rewards"]["precision"] for r in records] == pytest.approx(
        [1.0, 1.0, 1 / 3, 1.0, 0.0]
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["summary"]["mean_reward"] == pytest.approx(0.6)


def test_score_clipped_counts_them_and_still_shows_them(
    files, capsys, fake_openai_env: FakeOpenAI
) -> None:  # noqa: ANN001
    files["grader"].write_text(json.dumps(JUDGE), encoding="utf-8")
    _jsonl(files["samples"], [{"output_text": "[[PASS]] Paris"}, {"output_text": "Bonn"},
                              {"output_text": "[[SCORE=3]] Rome"}])  # fmt: skip
    assert _grade(files, "--score-clipped", "--json") == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["scored"] == 3 and summary["mean_reward"] == pytest.approx(2 / 3)
    assert summary["clipped"] == 1 and summary["clipped_scored"] is True
    assert summary["errors"] == {"model_grader_clipped": 1}
    assert _grade(files, "--score-clipped") == 0
    assert "clipped: 1 records had a judge result outside its range (counted as scored" in (
        capsys.readouterr().out)  # fmt: skip


def test_records_lines_are_the_json_they_were(tmp_path: Path) -> None:
    """Issue 20: ``--out`` lines are now written with pydantic's serialiser; they must hold
    exactly what ``json.dumps({item_id, sample_line, **model_dump(mode="json"), remote})``
    held, non-finite numbers and non-ASCII text included."""
    import math

    from rubricate.commands._grade_inputs import Pair
    from rubricate.commands.grade import _write_records
    from rubricate.judge.records import GradeMetadata, GradeRecord

    records = [
        GradeRecord(reward=0.5, metadata=GradeMetadata(name="caf\u00e9", type="python")),
        GradeRecord(reward=math.nan, sub_rewards={"a": -math.inf},
                    metadata=GradeMetadata(name="m", type="multi"), stdout="\u2014\n"),
    ]  # fmt: skip
    pairs = [Pair({}, "x", None, "i\u00e9", 1), Pair({}, "y", None, 7, 2)]
    answers = [{"reward": 0.25, "note": "\u00fc"}, None]
    for remote in (None, answers):
        out = tmp_path / "records.jsonl"
        _write_records(out, pairs, records, remote)
        lines = out.read_text(encoding="utf-8").splitlines()
        for index, (pair, record, line) in enumerate(zip(pairs, records, lines, strict=True)):
            row = {"item_id": pair.item_id, "sample_line": pair.sample_line,
                   **record.model_dump(mode="json")}  # fmt: skip
            if remote is not None:
                row["remote"] = remote[index]
            assert json.dumps(json.loads(line), ensure_ascii=False) == json.dumps(
                row, ensure_ascii=False
            )
