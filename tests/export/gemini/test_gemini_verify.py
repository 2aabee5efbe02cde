"""``--verify`` for Gemini: every deterministic part of every shipped example equal to the
calibrated grader's; judged parts against the loopback judge; a broken scorer caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.cli import run as cli
from rubricate.export.gemini.verify import verify_gemini
from rubricate.export.verify.model import DETERMINISTIC_TOLERANCE, Verification
from rubricate.export.verify.render import render_verification
from rubricate.judge.calls import ClientSettings
from rubricate.rubrics.compile.choice import CompileChoice
from rubricate.testing import FakeOpenAI
from tests.export.gemini.conftest import BASE, EXAMPLES, bundle


def _verify(example: str, out: Path, settings: ClientSettings) -> Verification:
    return verify_gemini(
        out,
        calibration_set=EXAMPLES / example / "calibration.jsonl",
        rubric=EXAMPLES / example / "rubric.yaml",
        settings=settings,
    )


def _answers(example: str) -> int:
    lines = (EXAMPLES / example / "calibration.jsonl").read_text(encoding="utf-8").splitlines()
    return sum(len(json.loads(line)["answers"]) for line in lines if line.strip())


@pytest.mark.parametrize("example", ["eurovoc", "citations"])
def test_check_examples_equal_everywhere(
    example: str, tmp_path: Path, client_settings: ClientSettings, fake_openai: FakeOpenAI
):
    _, out = bundle(example, tmp_path / example)
    verification = _verify(example, out, client_settings)
    assert len(verification.answers) == _answers(example)
    for answer in verification.answers:
        assert answer.error is None
        assert answer.difference is not None and answer.difference <= DETERMINISTIC_TOLERANCE
        [part] = answer.parts
        assert part.name == "f1" and not part.judged
        assert part.difference is not None and part.difference <= DETERMINISTIC_TOLERANCE
    rendered = render_verification(verification)
    assert not rendered.failed and rendered.data["deterministic_parts"] == _answers(example)
    assert any("fair" in a.answer_id and 0 < (a.form or 0) < 1 for a in verification.answers)
    assert fake_openai.requests == []  # checks only: no judge call


def test_accordance_composite_against_the_loopback_judge(
    tmp_path: Path, client_settings: ClientSettings, fake_openai: FakeOpenAI
):
    _, out = bundle(
        "accordance_tax", tmp_path / "acc", "autorater=gemini-2.5-flash", "reward=composite"
    )
    verification = _verify("accordance_tax", out, client_settings)
    rendered = render_verification(verification)
    assert not rendered.failed, rendered.failure
    data = rendered.data
    answers = _answers("accordance_tax")
    assert data["answers"] == answers
    assert data["deterministic_parts"] == 13 * answers  # 12 gates and checks + barbara_gain
    assert data["max_deterministic_difference"] <= DETERMINISTIC_TOLERANCE
    assert data["judged_parts"] == 15 * answers
    assert data["judged_mean_abs_difference"] == pytest.approx(0.0)  # the scripted judge
    # the autorater prompt went to the judge as one user message, with the answer in it
    autorater_calls = [
        r
        for r in fake_openai.requests
        if isinstance(r.body, dict) and len(r.body.get("messages") or r.body.get("input")) == 1
    ]
    assert len(autorater_calls) == 15 * answers
    # the composite is not the rubric's total, and the notes say why
    assert any(a.difference and a.difference > 0.1 for a in verification.answers)
    assert sum("not exact:" in n for n in verification.notes) == 13


def test_accordance_cloud_run_equals_the_grader(
    tmp_path: Path, client_settings: ClientSettings, fake_openai: FakeOpenAI
):
    _, out = bundle("accordance_tax", tmp_path / "cr", "serve_url=https://r.a.run.app")
    verification = _verify("accordance_tax", out, client_settings)
    rendered = render_verification(verification)
    assert not rendered.failed, rendered.failure
    for answer in verification.answers:
        assert answer.difference is not None and answer.difference <= DETERMINISTIC_TOLERANCE
        assert len(answer.parts) == 28
        assert all(p.difference == 0 for p in answer.parts)


def test_a_scorer_that_differs_fails_the_verification(
    tmp_path: Path, client_settings: ClientSettings
):
    _, out = bundle("eurovoc", tmp_path / "e")
    job = json.loads((out / "job.json").read_text(encoding="utf-8"))
    scorer = job["reinforcementTuningSpec"]["compositeRewardConfig"]["weightedRewardConfigs"][0]
    code = scorer["rewardConfig"]["codeExecutionRewardScorer"]
    code["pythonCodeSnippet"] = code["pythonCodeSnippet"].replace(
        "return 1 * float(", "return 0.999 * float("
    )
    (out / "job.json").write_text(json.dumps(job), encoding="utf-8")
    rendered = render_verification(_verify("eurovoc", out, client_settings))
    assert rendered.failed
    assert "deterministic part(s) differ" in rendered.failure


def test_a_snippet_that_raises_is_an_error_not_a_zero(
    tmp_path: Path, client_settings: ClientSettings
):
    _, out = bundle("citations", tmp_path / "c")
    job = json.loads((out / "job.json").read_text(encoding="utf-8"))
    scorer = job["reinforcementTuningSpec"]["compositeRewardConfig"]["weightedRewardConfigs"][0]
    scorer["rewardConfig"]["codeExecutionRewardScorer"]["pythonCodeSnippet"] += (
        "\ndef evaluate(example, response):\n    raise RuntimeError('boom')\n"
    )
    (out / "job.json").write_text(json.dumps(job), encoding="utf-8")
    verification = _verify("citations", out, client_settings)
    assert all(
        a.form is None and "RuntimeError: boom" in str(a.error) for a in verification.answers
    )
    assert render_verification(verification).failed


def test_cli_verify(tmp_path: Path, fake_openai_env: FakeOpenAI, capsys):
    root = EXAMPLES / "accordance_tax"
    flags = [a for pair in BASE for a in ("--gemini", pair)]
    code = cli(
        [
            "export", "rft", str(root / "rubric.yaml"), "--train", str(root / "train.jsonl"),
            "--valid", str(root / "valid.jsonl"), "--model", "gemini-2.5-flash",
            "--out", str(tmp_path / "b"), "--platform", "gemini", *flags,
            "--gemini", "serve_url=https://r.a.run.app", "--verify",
            str(root / "calibration.jsonl"), "--json",
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    data = json.loads(capsys.readouterr().out)
    assert data["platform"] == "gemini"
    verification = data["verification"]
    assert verification["deterministic_failures"] == []
    assert verification["max_total_difference"] <= DETERMINISTIC_TOLERANCE


STRINGS = """\
rubric: 1
id: capitals
title: Capitals
task: "Name the capital of {{ item.country }}. Reply with JSON: {\\"city\\": \\"...\\"}"
criteria:
  - id: names-it
    weight: 2
    check: {contains: "{{ item.capital }}"}
  - id: exact-case
    weight: 1
    check: {contains: "{{ item.capital }}", case_sensitive: true}
  - id: json-city
    weight: 1
    check: {equals: "Paris", path: city, case_sensitive: true}
  - id: shrugs
    weight: -0.5
    check: {contains: "idk", case_sensitive: true}
"""
ANSWERS = [
    ("right", '{"city": "Paris"}'),
    ("lower", '{"city": "paris"}'),
    ("prose", '{"city": "PARIS", "note": "idk"}'),
    ("other", '{"city": "Lyon", "note": "ſ"}'),
]


def test_string_checks_as_scorers_are_exact(tmp_path: Path, client_settings: ClientSettings):
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(STRINGS, encoding="utf-8")
    item = {"country": "France", "capital": "Paris"}
    rows = [json.dumps({"id": f"r{i}", "country": f"C{i}", "capital": f"K{i}"}) for i in range(16)]
    (tmp_path / "train.jsonl").write_text("\n".join(rows[:12]) + "\n", encoding="utf-8")
    (tmp_path / "valid.jsonl").write_text("\n".join(rows[12:]) + "\n", encoding="utf-8")
    answers = [{"id": a, "tier": t, "text": text} for (a, text), t in
               zip(ANSWERS, ["great", "fair", "poor", "poor"], strict=True)]  # fmt: skip
    calset = tmp_path / "set.jsonl"
    calset.write_text(json.dumps({"id": "fr", **item, "answers": answers}) + "\n", "utf-8")
    from rubricate.export.gemini.prepare import prepare_gemini
    from rubricate.export.rft.bundle import write_files
    from rubricate.export.rft.prepare import RftOptions

    prepared = prepare_gemini(
        RftOptions(
            rubric=rubric, train=tmp_path / "train.jsonl", valid=tmp_path / "valid.jsonl",
            model="gemini-2.5-flash", out=tmp_path / "b", runs_root=tmp_path,
            choice=CompileChoice(target="multi"),
            platform_options=[*BASE, "reward=composite"],
        )
    )  # fmt: skip
    assert not prepared.errors, [p.format() for p in prepared.errors]
    write_files(tmp_path / "b", prepared.files())
    kinds = {s["reward_name"]: s["kind"] for s in prepared.manifest["gemini"]["scorers"]}
    assert kinds == {
        "names_it": "code",
        "exact_case": "string_match",
        "json_city": "code",
        "shrugs": "string_match",
    }
    verification = verify_gemini(
        tmp_path / "b", calibration_set=calset, rubric=rubric, settings=client_settings
    )
    rendered = render_verification(verification)
    # every scorer equals its sub-grader; only the totals differ (the documented penalty
    # approximation of reward=composite), and the verdict says so: a different reward fails
    failures = rendered.data["deterministic_failures"]
    assert rendered.failed and failures
    assert all(" total: " in failure for failure in failures), failures
    parts = {(a.answer_id, p.name): (p.calibrated, p.form, p.error) for a in verification.answers
             for p in a.parts}  # fmt: skip
    assert parts["right", "json_city"][:2] == (1.0, 1.0)
    assert parts["prose", "shrugs"][:2] == (1.0, 1.0)  # present: the penalty's -1, mapped back
    assert parts["prose", "names_it"][:2] == (1.0, 1.0)  # ilike
    assert parts["prose", "exact_case"][:2] == (0.0, 0.0)
    assert parts["prose", "json_city"][:2] == (0.0, 0.0)  # eq is case-sensitive
    # the penalty: Gemini divides by 4.5, the rubric by 4, and the rubric clips at 0
    lower = next(a for a in verification.answers if a.answer_id == "lower")
    assert lower.calibrated == pytest.approx((2 + 0 + 0) / 4)
    assert lower.form == pytest.approx((2 + 0 + 0) / 4.5)


def test_verify_refuses_a_bundle_that_is_not_gemini(tmp_path: Path, client_settings):
    from rubricate.errors import InputError

    _, out = bundle("eurovoc", tmp_path / "e")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    del manifest["gemini"]
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(InputError, match="not a Gemini bundle"):
        _verify("eurovoc", out, client_settings)


JUDGED = """\
rubric: 1
id: polite-answers
title: Polite answers
task: "Answer {{ item.question }}"
judge: {model: gemini-2.5-flash}
criteria:
  - id: polite
    text: The answer is polite.
    weight: 1
  - id: rude
    text: The answer insults the reader.
    weight: -0.5
"""


def test_judged_parts_parse_as_gemini_would(
    tmp_path: Path, client_settings: ClientSettings, fake_openai: FakeOpenAI
):
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(JUDGED, encoding="utf-8")
    rows = [json.dumps({"id": f"q{i}", "question": f"question {i}"}) for i in range(14)]
    (tmp_path / "train.jsonl").write_text("\n".join(rows[:10]) + "\n", encoding="utf-8")
    (tmp_path / "valid.jsonl").write_text("\n".join(rows[10:]) + "\n", encoding="utf-8")
    answers = [
        {"id": "met", "tier": "great", "text": "Thank you! [[PASS]]"},
        {"id": "unmet", "tier": "poor", "text": "No."},
    ]
    calset = tmp_path / "set.jsonl"
    calset.write_text(
        json.dumps({"id": "q", "question": "why", "answers": answers}) + "\n", "utf-8"
    )
    from rubricate.export.gemini.prepare import prepare_gemini
    from rubricate.export.rft.bundle import write_files
    from rubricate.export.rft.prepare import RftOptions

    prepared = prepare_gemini(
        RftOptions(
            rubric=rubric, train=tmp_path / "train.jsonl", valid=tmp_path / "valid.jsonl",
            model="gemini-2.5-flash", out=tmp_path / "b", runs_root=tmp_path,
            platform_options=[*BASE, "reward=composite"],
        )
    )  # fmt: skip
    assert not prepared.errors, [p.format() for p in prepared.errors]
    assert not any(p.rule == "gemini-autorater" for p in prepared.problems)  # same model
    write_files(tmp_path / "b", prepared.files())
    verification = verify_gemini(
        tmp_path / "b", calibration_set=calset, rubric=rubric, settings=client_settings
    )
    met, unmet = verification.answers
    # the scripted judge answers {"result": 1.0, ...}: parsed as the platform would
    assert {p.name: (p.calibrated, p.form) for p in met.parts} == {
        "polite": (1.0, 1.0),
        "rude": (1.0, 1.0),  # present: the reward -1, mapped back onto the sub-grader's 1
    }
    assert {p.name: (p.calibrated, p.form) for p in unmet.parts} == {
        "polite": (0.0, 0.0),
        "rude": (0.0, 0.0),
    }
    assert met.calibrated == pytest.approx(0.5)  # (1 - 0.5) / 1
    assert met.form == pytest.approx(1 / 3)  # (1 - 0.5) / 1.5: the documented difference
    assert all(p.judged for a in verification.answers for p in a.parts)


HOLISTIC = """\
rubric: 1
id: memo
title: A memo
judge: {mode: holistic, model: gemini-2.5-flash}
task: "Write about {{ item.topic }}"
criteria:
  - id: clear
    text: The memo is written in plain language.
    weight: 1
"""


def test_a_holistic_grader_is_one_autorater(
    tmp_path: Path, client_settings: ClientSettings, fake_openai: FakeOpenAI
):
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(HOLISTIC, encoding="utf-8")
    rows = [json.dumps({"id": f"m{i}", "topic": f"topic {i}"}) for i in range(14)]
    (tmp_path / "train.jsonl").write_text("\n".join(rows[:10]) + "\n", encoding="utf-8")
    (tmp_path / "valid.jsonl").write_text("\n".join(rows[10:]) + "\n", encoding="utf-8")
    answers = [{"id": "seven", "tier": "fair", "text": "A memo. [[SCORE=0.7]]"}]
    calset = tmp_path / "set.jsonl"
    calset.write_text(json.dumps({"id": "m", "topic": "tax", "answers": answers}) + "\n", "utf-8")
    from rubricate.export.gemini.prepare import prepare_gemini
    from rubricate.export.rft.bundle import write_files
    from rubricate.export.rft.prepare import RftOptions

    prepared = prepare_gemini(
        RftOptions(
            rubric=rubric, train=tmp_path / "train.jsonl", valid=tmp_path / "valid.jsonl",
            model="gemini-2.5-flash", out=tmp_path / "b", runs_root=tmp_path,
            platform_options=BASE,
        )
    )  # fmt: skip
    assert not prepared.errors, [p.format() for p in prepared.errors]
    assert prepared.manifest["gemini"]["exact"] is True
    write_files(tmp_path / "b", prepared.files())
    job = json.loads((tmp_path / "b" / "job.json").read_text(encoding="utf-8"))
    [entry] = job["reinforcementTuningSpec"]["compositeRewardConfig"]["weightedRewardConfigs"]
    assert "{{references.topic}}" in entry["rewardConfig"]["autoraterScorer"]["autoraterPrompt"]
    [answer] = verify_gemini(
        tmp_path / "b", calibration_set=calset, rubric=rubric, settings=client_settings
    ).answers
    assert (answer.calibrated, answer.form) == (pytest.approx(0.7), pytest.approx(0.7))
    [part] = answer.parts
    assert part.judged and part.name == "memo" and part.difference == pytest.approx(0)
