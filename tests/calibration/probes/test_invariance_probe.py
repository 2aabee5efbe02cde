"""``--probe invariance`` against the loopback judge, scripted per criterion: a judge whose
verdict depends on the order of the criteria is flagged, an order-blind one (steady or noisy)
is not, and changes that leave a judge's prompt as it was are never counted as a pass."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import re
import threading
from collections import Counter
from pathlib import Path

import pytest

from rubricate.calibration.invariance.run import prepare_invariance, run_invariance
from rubricate.calibration.run.session import CalibrateRequest
from rubricate.errors import InputError
from rubricate.judge.calls import ClientSettings
from rubricate.testing import FakeOpenAI
from rubricate.testing.replies import last_user_text, prompt_text
from tests.calibration.calib_fixtures import write_rubric, write_set

HOLISTIC = """\
rubric: 1
id: order-test
title: Order of the criteria
task: Answer the question.
judge:
  model: judge-model
  mode: holistic
criteria:
  - id: alpha
    text: The answer satisfies requirement alpha.
    weight: 0.5
  - id: beta
    text: The answer satisfies requirement beta.
    weight: 0.25
  - id: gamma
    text: The answer satisfies requirement gamma.
    weight: 0.25
examples:
  - tier: great
    answer: An example that meets everything.
    score: 1
  - tier: poor
    answer: An example that meets nothing.
    score: 0
"""
_LISTED = re.compile(r"^\s*- \S+ \[weight [^\]]+\]: The answer satisfies requirement (\w+)\.",
                     re.MULTILINE)  # fmt: skip
CRITERIA = ["alpha", "beta", "gamma"]
_TEXT = re.compile(r"satisfies requirement (\w+)\.")


def _listed(request) -> list[str]:  # noqa: ANN001
    return _LISTED.findall(prompt_text(request.body or {}))


def first_listed_judge(request) -> float:  # noqa: ANN001
    """Position bias: credits only the criterion listed first."""
    return 1.0 if f"[[MET:{_listed(request)[0]}]]" in last_user_text(request.body) else 0.0


def order_blind_judge(request) -> float:  # noqa: ANN001
    """The share of the listed requirements the answer meets, whatever their order."""
    listed = _listed(request)
    return sum(f"[[MET:{c}]]" in last_user_text(request.body) for c in listed) / len(listed)


def noisy_text_judge(flip_p: float, seed: str) -> object:
    """A per-criterion judge that reads the requirement from the criterion's text (not its id,
    not its position) and flips its verdict with probability ``flip_p``, independently per call
    (the k-th call about one requirement and answer draws ``hash(seed, requirement, answer,
    k)``)."""
    seen: Counter[tuple[str, str]] = Counter()
    lock = threading.Lock()

    def score(request) -> bool:  # noqa: ANN001
        name = _TEXT.search(prompt_text(request.body or {}))
        assert name is not None
        answer = last_user_text(request.body)
        with lock:
            k = seen[name.group(1), answer]
            seen[name.group(1), answer] += 1
        digest = hashlib.sha256(f"{seed}|{name.group(1)}|{answer}|{k}".encode()).digest()
        flip = int.from_bytes(digest[:8], "big") / 2**64 < flip_p
        return (f"[[MET:{name.group(1)}]]" in answer) != flip

    return score


def _probe(tmp_path: Path, rubric: Path, settings: ClientSettings, repeats: int = 3) -> dict:
    truth = {"great": CRITERIA, "fair": ["alpha"], "poor": ["gamma"]}
    calset = write_set(tmp_path / "set.jsonl", 8, truth)
    request = CalibrateRequest(rubric=rubric, calibration_set=calset, out=tmp_path / "inv",
                               repeats=repeats, figures=False)  # fmt: skip
    out, arms = prepare_invariance(request)
    return asyncio.run(run_invariance(out, arms, settings)).data


def _rows(data: dict, criterion: str = "__total__") -> dict[str, dict]:
    return {r["change"]: r for r in data["rows"] if r["criterion"] == criterion}


def test_a_judge_that_reads_the_order_is_flagged_under_reordering(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(HOLISTIC, encoding="utf-8")
    fake_openai.policy.score = first_listed_judge
    data = _probe(tmp_path, rubric, client_settings)
    rows = _rows(data)
    assert data["baseline"]["target"] == "score_model"
    reverse = rows["reverse"]
    # fair answers meet alpha only: listed first they score 1, reversed (gamma first) 0;
    # poor answers the other way round: 16 of 24 answers flip on every pair
    assert reverse["status"] == "flagged" and reverse["flagged"]
    assert reverse["rerun_flip"] == 0.0 and reverse["change_flip"] == pytest.approx(16 / 24)
    assert reverse["p_holm"] < 1e-6
    # renaming, rescaling and reordering the examples keep alpha first: within the noise
    for change in ("rename", "rescale", "examples"):
        assert rows[change]["status"] == "stable", change
        assert rows[change]["change_flip"] == 0.0
    assert {"change": "reverse", "criterion": "__total__"} in data["flagged"]
    assert (tmp_path / "inv" / "invariance.html").is_file()
    page = (tmp_path / "inv" / "invariance.md").read_text()
    assert "> **1 flagged**: the holistic score under reverse." in page
    assert "**flips beyond rerun noise**" in page


def test_an_order_blind_judge_is_not_flagged(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(HOLISTIC, encoding="utf-8")
    fake_openai.policy.score = order_blind_judge
    data = _probe(tmp_path, rubric, client_settings)
    assert data["flagged"] == []
    rows = _rows(data)
    assert {c: r["status"] for c, r in rows.items()} == dict.fromkeys(
        ("reverse", "shuffle", "examples", "rename", "rescale"), "stable")  # fmt: skip
    assert all(r["change_flip"] == 0.0 for r in rows.values())


def test_a_noisy_order_blind_judge_is_within_the_noise_and_a_reordered_multi_is_not_measured(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    rubric = write_rubric(tmp_path / "rubric.yaml", CRITERIA)  # per criterion: a multi grader
    fake_openai.policy.score = noisy_text_judge(0.2, seed="3")
    data = _probe(tmp_path, rubric, client_settings, repeats=4)
    assert data["baseline"]["target"] == "multi"
    changes = {c["change"]: c for c in data["changes"]}
    assert changes["examples"]["status"] == "not_applicable"
    by = {(r["change"], r["criterion"]): r for r in data["rows"]}
    for criterion in CRITERIA:
        # one judge per criterion: reordering leaves each prompt byte for byte as it was, its
        # calls replay: not measured, never a pass
        for change in ("reverse", "shuffle"):
            row = by[change, criterion]
            assert row["status"] == "unchanged" and row["change_flip"] is None
            assert row["p_value"] is None and not row["flagged"]
        # the weight and the id are in the prompt: measured, and only noise
        for change in ("rescale", "rename"):
            row = by[change, criterion]
            assert row["status"] == "stable", (change, criterion, row)
            assert row["rerun_flip"] > 0.1 and row["change_flip"] > 0.1
    assert data["flagged"] == []
    # the reward of a reordered multi whose judges replay: only the formula can move it
    assert by["reverse", "__total__"]["status"] == "deterministic"
    assert by["rescale", "__total__"]["kind"] == "reward"


def test_a_checks_only_rubric_runs_offline_and_says_its_figures_are_not_the_judges(
    tmp_path: Path,
) -> None:
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(
        "rubric: 1\nid: checks\ntitle: Checks\ncriteria:\n"
        "  - id: has-a\n    weight: 1\n    check: {contains: 'MET:alpha'}\n"
        "  - id: has-b\n    weight: 3\n    check: {contains: 'MET:beta'}\n",
        encoding="utf-8",
    )
    data = _probe(tmp_path, rubric, ClientSettings(), repeats=2)
    statuses = {r["status"] for r in data["rows"]}
    assert statuses == {"deterministic"}  # flips there are always 0: identical, not measured
    assert all(r["change_flip"] == 0.0 and r["p_value"] is None for r in data["rows"])
    page = (tmp_path / "inv" / "invariance.md").read_text()
    assert "judges nothing (checks only)" in page and "not the judge's" in page
    saved = json.loads((tmp_path / "inv" / "invariance.json").read_text())
    assert saved["measured"] == 0 and saved["flagged"] == []


def test_one_repeat_or_auto_is_refused(tmp_path: Path) -> None:
    rubric = write_rubric(tmp_path / "r.yaml", ["a"])
    for repeats in (None, 1):
        request = CalibrateRequest(rubric=rubric, calibration_set=tmp_path / "s.jsonl",
                                   repeats=repeats)  # fmt: skip
        with pytest.raises(InputError, match="--repeats 2 or more"):
            prepare_invariance(request)


def _paraphrase_reply(request) -> str | None:  # noqa: ANN001
    """Scripted paraphrases: alpha and beta reworded, gamma's reply is not JSON."""
    text = prompt_text(request.body or {})
    if "You rewrite one criterion" not in text:
        return None  # a judge call: left to the score policy
    name = _TEXT.search(last_user_text(request.body)).group(1)
    if name == "gamma":
        return "Sure! Here is a rewrite."
    return json.dumps({"paraphrase": f"The answer satisfies requirement {name}. (Reworded.)"})


def _paraphrase_probe(tmp_path: Path, settings: ClientSettings) -> dict:
    from rubricate.calibration.invariance.paraphrase import paraphrase_criteria
    from rubricate.calibration.invariance.run import add_paraphrase

    tmp_path.mkdir(parents=True, exist_ok=True)
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(HOLISTIC, encoding="utf-8")
    truth = {"great": CRITERIA, "fair": ["alpha"], "poor": ["gamma"]}
    calset = write_set(tmp_path / "set.jsonl", 8, truth)
    request = CalibrateRequest(rubric=rubric, calibration_set=calset, out=tmp_path / "inv",
                               repeats=3, figures=False)  # fmt: skip
    out, arms = prepare_invariance(request)
    base = arms[0].prepared
    assert base is not None
    add_paraphrase(out, arms, asyncio.run(paraphrase_criteria(base.rubric, settings)))
    return asyncio.run(run_invariance(out, arms, settings)).data


def test_paraphrases_are_listed_for_review_and_a_wording_sensitive_judge_is_flagged(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    fake_openai.generate = _paraphrase_reply

    def wording_judge(request) -> float:  # noqa: ANN001
        reworded = "(Reworded.)" in prompt_text(request.body or {})
        return max(0.0, order_blind_judge(request) - (0.5 if reworded else 0.0))

    fake_openai.policy.score = wording_judge
    data = _paraphrase_probe(tmp_path, client_settings)
    change = next(c for c in data["changes"] if c["change"] == "paraphrase")
    assert change["status"] == "run"
    review = {r["criterion"]: r for r in change["paraphrases"]}
    assert review["alpha"]["paraphrase"].endswith("(Reworded.)")
    assert review["gamma"]["paraphrase"] is None and "not JSON" in review["gamma"]["failed"]
    row = _rows(data)["paraphrase"]
    assert row["status"] == "flagged" and row["rerun_flip"] == 0.0
    assert {r["status"] for c, r in _rows(data).items() if c != "paraphrase"} == {"stable"}
    page = (tmp_path / "inv" / "invariance.md").read_text()
    assert "## Paraphrases to review" in page and "failed: the reply is not JSON" in page


def test_an_order_blind_judge_is_stable_under_paraphrase_and_offline_it_is_not_applicable(
    fake_openai: FakeOpenAI, client_settings: ClientSettings, tmp_path: Path
) -> None:
    fake_openai.generate = _paraphrase_reply
    fake_openai.policy.score = order_blind_judge
    data = _paraphrase_probe(tmp_path / "a", client_settings)
    assert _rows(data)["paraphrase"]["status"] == "stable" and data["flagged"] == []
    offline = _paraphrase_probe(tmp_path / "b", ClientSettings())
    change = next(c for c in offline["changes"] if c["change"] == "paraphrase")
    assert change["status"] == "not_applicable" and "no model endpoint" in change["reason"]
    assert not [r for r in offline["rows"] if r["change"] == "paraphrase"]


def test_a_change_that_compiles_to_the_same_bytes_is_not_run(tmp_path: Path) -> None:
    # examples with a score only are shown to the holistic judge, never to a per-criterion
    # one: reversing them leaves the multi grader byte for byte as it was
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(HOLISTIC.replace("  mode: holistic\n", ""), encoding="utf-8")
    calset = write_set(tmp_path / "set.jsonl", 2, {"great": CRITERIA, "poor": []})
    request = CalibrateRequest(rubric=rubric, calibration_set=calset, out=tmp_path / "inv")
    _, arms = prepare_invariance(request)
    status = {a.name: (a.status, a.reason) for a in arms}
    assert status["examples"] == (
        "no_change", "no change to the grader (byte for byte the baseline's): not run")  # fmt: skip
    assert status["reverse"][0] == "run" and status["rename"][0] == "run"
    holistic = tmp_path / "h.yaml"
    holistic.write_text(HOLISTIC, encoding="utf-8")
    _, arms = prepare_invariance(dataclasses.replace(request, rubric=holistic))
    assert {a.name: a.status for a in arms}["examples"] == "run"  # the holistic judge sees them
    assert not (tmp_path / "inv").exists()  # prepared only: nothing written, no call
